"""The Synced folders section of the Documents page through Streamlit's AppTest, on a real index: folder names
shown as text, a folder that is not there refused by name, a damaged record named without breaking the page."""

from collections.abc import Callable
from pathlib import Path

import pytest

from citewise.core.settings import Settings
from citewise.service import Citewise
from tests.ui.test_app_pages import _app, _html, _texts

NOTE = "# Notes\n\nThe shed key hangs behind the kitchen door.\n"


@pytest.fixture
def data(tmp_path: Path, embedding_model: str, use_data_dir) -> Path:
    return use_data_dir(tmp_path / "data")


def test_a_synced_folder_is_listed_as_text_and_synced_again(
    data: Path, tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    folder = (tmp_path / "notes <b>x ![i](i.png)").resolve()
    folder.mkdir()
    (folder / "shed.md").write_text(NOTE)
    Citewise(make_settings(data)).sync([folder])
    (folder / "shed.md").write_text(NOTE.replace("kitchen", "cellar"))

    at = _app("documents")
    assert "notes &lt;b&gt;x ![i](i.png)" in _html(at)  # escaped, never Markdown
    assert "1 added, 0 updated, 0 removed, 0 failed" in _html(at)
    at.button(key=f"sync-{folder}").click().run()

    assert not at.exception, at.exception
    assert f"{folder}: 0 added, 1 updated, 0 unchanged, 0 removed, 0 failed" in _texts(at, "success")
    assert "0 added, 1 updated, 0 removed, 0 failed" in _html(at)


def test_adding_a_folder_that_is_not_there_says_so_and_remembers_nothing(data: Path, tmp_path: Path) -> None:
    at = _app("documents")
    [field] = [t for t in at.text_input if t.label == "Add a folder to keep in sync"]
    field.set_value(str(tmp_path / "nowhere"))
    [submit] = [b for b in at.button if b.label == "Sync this folder"]
    submit.click().run()

    assert not at.exception, at.exception
    assert f"{tmp_path / 'nowhere'} does not exist" in _texts(at, "error")
    assert Citewise().synced_folders() == []


def test_a_damaged_record_is_named_and_the_page_still_opens(data: Path) -> None:
    record = Citewise().sync_record_path
    record.parent.mkdir(parents=True)
    record.write_text("{broken")

    at = _app("documents")

    assert not at.exception, at.exception
    assert f"The record of synced folders {record} cannot be read" in _texts(at, "error")
    assert [t.label for t in at.main.text_input] == []  # no field to add a folder to a record that cannot be saved
    assert at.main.button[0].label == "Upload and index"  # the rest of the page is there
