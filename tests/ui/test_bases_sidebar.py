"""The sidebar's knowledge bases through Streamlit's AppTest, on a real index: a base made there becomes the
session's, the Documents page works in it, a bad name is refused with the rule (as text, never Markdown),
and Delete base removes only that base."""

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from citewise.core.settings import Settings, get_settings
from citewise.service import Citewise
from tests.ui.test_app_pages import _app, _html, _texts
from tests.ui.test_untrusted_text import markdown_leaks


@pytest.fixture
def data(
    tmp_path: Path, small_doc: Path, embedding_model: str, make_settings: Callable[..., Settings], use_data_dir
) -> Path:
    """A data folder of its own whose default base holds the small document."""
    assert Citewise(make_settings(tmp_path / "data")).ingest([small_doc]).added == 1
    return use_data_dir(tmp_path / "data")


def _create(at: AppTest, name: str) -> AppTest:
    at.text_input(key="kb_new_name").set_value(name)
    at.button(key="kb_create").click().run()
    assert not at.exception, at.exception
    return at


def test_a_base_made_in_the_sidebar_is_where_documents_go(data: Path) -> None:
    at = _create(_app("documents"), "papers")

    assert at.selectbox(key="kb").value == "papers"
    assert "Created the knowledge base papers" in _texts(at, "success")
    assert "0 documents, 0 passages" in _texts(at, "caption")
    default = Citewise(get_settings())
    assert len(default.documents()) == 1 and default.base("papers").documents() == []
    at.switch_page("views/status.py").run()
    assert "<li>0 documents, 0 passages (chunks)</li><li>knowledge base: papers</li>" in _html(at)
    at.switch_page("views/documents.py").run()

    at.button(key="kb_delete").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="kb").value == "default"
    assert [b.name for b in default.knowledge_bases()] == ["default"]
    assert len(default.documents()) == 1


def test_a_bad_name_is_refused_as_text(data: Path) -> None:
    name = "![x](http://127.0.0.1:9/leak.png)"

    at = _create(_app("documents"), name)

    assert f"{name!r} is not a valid knowledge base name" in _texts(at, "error")
    assert "leak.png" in _html(at) and not markdown_leaks(at)
    assert at.selectbox(key="kb").value == "default"
