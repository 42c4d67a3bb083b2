"""Saved conversations on the Ask page, through Streamlit's AppTest over a real index and a model behind Ollama's
wire format: each answer is saved as it is given and named in the URL, a new session on that URL (a reload)
shows it again with its sources, and the sidebar reopens, renames (a hostile title shown as typed) and deletes."""

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from citewise.conversations.store import FILE_NAME, ConversationStore
from citewise.core.settings import Settings
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.store import Store
from citewise.ui.render import markdown_literal
from tests.conftest import _make_settings
from tests.fakes.ollama_server import FakeOllama
from tests.ui.conftest import APP, MODELS_HISTORY
from tests.ui.test_app_pages import GPT1, _app, _ask, _html, _texts

REPLY = "GPT-1 had 117 million parameters."
HOSTILE_TITLE = "![x](http://127.0.0.1:9/x.png) **bold** <b>tag</b>"


@pytest.fixture
def data(
    tmp_path: Path, embedding_model: str, make_settings: Callable[..., Settings], use_data_dir, fake_ollama: FakeOllama
) -> Path:
    """A data dir of its own with the model-history document indexed; answers from the fake Ollama."""
    doc = tmp_path / "docs" / "model-history.md"
    doc.parent.mkdir()
    doc.write_text(MODELS_HISTORY, encoding="utf-8")
    ingest_paths(Store(make_settings(tmp_path / "data")), [doc])
    fake_ollama.set_reply(REPLY)
    return use_data_dir(tmp_path / "data", CITEWISE_LLM="ollama", CITEWISE_OLLAMA_HOST=fake_ollama.url)


def _store(data: Path) -> ConversationStore:
    return ConversationStore(data / FILE_NAME)


def _reopened(conversation_id: str) -> AppTest:
    """The Ask page in a new session whose URL names the conversation: what a reload gives."""
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["c"] = conversation_id
    at.run()
    assert not at.exception, at.exception
    return at


def _sidebar_buttons(at: AppTest) -> dict[str, str]:
    return {b.key: b.label for b in at.sidebar.button if b.key and b.key.startswith("open-")}


def test_an_answer_is_saved_as_given_and_a_reload_shows_it_with_its_sources(data: Path) -> None:
    at = _ask(_app(), GPT1)
    [saved] = _store(data).summaries()
    assert at.query_params["c"] == saved.id and saved.title == GPT1 and saved.turns == 1

    reopened = _reopened(saved.id)
    html = _html(reopened)
    assert '<div class="cw-answer">GPT-1 had 117 million parameters. <span class="cw-ref">[1]</span></div>' in html
    assert '<span class="cw-ref">[1]</span> Language model history' in html
    assert "<mark>GPT-1 had 117 million parameters.</mark>" in html
    assert "ollama · " in _texts(reopened, "caption") and "first token" in _texts(reopened, "caption")
    assert [b.label for b in reopened.download_button] == [
        "Download this answer (Markdown)",
        "Download the conversation (Markdown)",
    ]
    reopened.button(key="t0-src-1").click().run()  # the source opens in its document, as a fresh answer's does
    assert '<mark id="hit">GPT-1 had 117 million parameters.</mark>' in reopened.get("iframe")[0].proto.srcdoc


def test_a_follow_up_goes_on_in_the_reopened_conversation(data: Path, fake_ollama: FakeOllama) -> None:
    _ask(_app(), GPT1)
    [saved] = _store(data).summaries()
    at = _reopened(saved.id)
    fake_ollama.set_reply("How many parameters did GPT-2 have?")
    at = _ask(at, "and GPT-2?")
    assert "GPT-1 had 117 million parameters." in fake_ollama.bodies("/api/chat")[-2]["messages"][1]["content"]
    [after] = _store(data).summaries()
    assert after.id == saved.id and after.turns == 2


def test_sidebar_reopens_renames_and_deletes(data: Path) -> None:
    at = _ask(_app(), GPT1)
    first = at.query_params["c"]
    next(b for b in at.sidebar.button if b.label == "New conversation").click().run()
    assert "c" not in at.query_params and 'class="cw-answer"' not in _html(at)
    at = _ask(at, "What did GPT-2 follow?")
    second = at.query_params["c"]
    assert second != first and list(_sidebar_buttons(at)) == [f"open-{second}", f"open-{first}"]  # newest first

    at.button(key=f"open-{first}").click().run()
    assert at.query_params["c"] == first and _html(at).count('class="cw-answer"') == 1

    at.text_input(key=f"title-{first}").set_value(HOSTILE_TITLE)
    at.button(key=f"rename-{first}").click().run()
    assert _store(data).get(first).title == HOSTILE_TITLE
    assert _sidebar_buttons(at)[f"open-{first}"] == markdown_literal(HOSTILE_TITLE)  # a label is read as Markdown
    assert "<b>![x](http://127.0.0.1:9/x.png) **bold** &lt;b&gt;tag&lt;/b&gt;</b>" in _html(at)

    at.button(key=f"delete-{first}").click().run()
    assert [c.id for c in _store(data).summaries()] == [second]
    assert "c" not in at.query_params and list(_sidebar_buttons(at)) == [f"open-{second}"]
    assert "Deleted the conversation" in _texts(at, "success")


def test_a_changed_passage_is_marked_when_the_conversation_is_reopened(data: Path, tmp_path: Path) -> None:
    at = _ask(_app(), GPT1)
    doc = tmp_path / "docs" / "model-history.md"
    doc.write_text(MODELS_HISTORY.replace("117 million", "110 million"), encoding="utf-8")
    assert ingest_paths(Store(_make_settings(data)), [doc]).updated == 1

    warnings = _texts(_reopened(at.query_params["c"]), "warning")
    assert "Source changed since this answer" in warnings


def test_an_unknown_conversation_in_the_url_is_named(data: Path) -> None:
    at = _reopened("0123456789abcdef")
    assert "No saved conversation has the id '0123456789abcdef'" in _texts(at, "warning")
    assert "c" not in at.query_params
