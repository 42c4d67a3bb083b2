"""In headless Chromium: the Documents page lists the synced folders, adds one and syncs one with Sync now;
an answer asked before its cited file changed says "source changed since this answer" next to that source,
and "source removed since this answer" once a sync from the command line dropped the file."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from citewise.core.settings import Settings
from citewise.service import Citewise
from tests.environment import clean_environ
from tests.fakes.ollama_server import FakeOllama
from tests.processes import citewise, citewise_env, running_ui
from tests.ui.test_browser import START_S, _idle, _shot

pytestmark = pytest.mark.browser

ANSWER_MS = 180_000  # the fake model answers at once; the embedding model's first load takes the time
SYNC_MS = 120_000
VALVE = "# Valve manual\n\n## Opening pressure\n\nThe XQ-7734 valve opens at a pressure of 35 bar.\n"
PUMP = "# Pump manual\n\nThe P-20 pump moves 40 litres a minute.\n"


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as server:
        yield server


@pytest.fixture
def synced(tmp_path: Path, make_settings: Callable[..., Settings], embedding_model: str) -> tuple[Path, Path]:
    """A data dir whose index syncs one folder holding the valve manual."""
    folder = (tmp_path / "manuals").resolve()
    folder.mkdir()
    (folder / "valve.md").write_text(VALVE, encoding="utf-8")
    data = tmp_path / "data"
    [done] = Citewise(make_settings(data)).sync([folder])
    assert done.report is not None and done.report.added == 1
    return folder, data


@pytest.fixture
def ui_url(tmp_path: Path, synced: tuple[Path, Path], fake_ollama: FakeOllama) -> Iterator[str]:
    fake_ollama.set_reply("The XQ-7734 valve opens at a pressure of 35 bar [1].")
    env = clean_environ()
    env |= {"CITEWISE_DATA_DIR": str(synced[1]), "CITEWISE_LLM": "ollama", "CITEWISE_OLLAMA_HOST": fake_ollama.url}
    with running_ui(env, tmp_path / "ui.log", cwd=tmp_path) as url:
        yield url


def _card(page: Page, text: str, button: str) -> Locator:
    """The innermost block holding `text` and the button named `button`: a folder's row, a source's card."""
    block = page.locator('[data-testid="stVerticalBlock"]', has_text=text)
    return block.filter(has=page.get_by_role("button", name=button)).last


def _go(page: Page, name: str) -> None:
    """Open a page from the sidebar, as a user does: the conversation stays (page.goto would start a new one)."""
    page.locator('[data-testid="stSidebarNavLink"]', has_text=name).click()
    _idle(page)


def test_synced_folders_and_a_source_changed_since_the_answer(
    ui_url: str, page: Page, synced: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, data = synced
    valve = folder / "valve.md"
    page.goto(ui_url)
    box = page.get_by_placeholder("Ask a question about your documents")
    expect(box).to_be_enabled(timeout=START_S * 1000)
    _idle(page)
    box.fill("At what pressure does the XQ-7734 valve open?")
    box.press("Enter")
    page.locator(".cw-answer").first.wait_for(timeout=ANSWER_MS)
    _idle(page)
    expect(page.locator(".cw-source-head").first).to_contain_text("Valve manual")
    expect(page.get_by_text("source changed since this answer")).to_have_count(0)

    _go(page, "Documents")
    expect(page.get_by_role("heading", name="Synced folders")).to_be_visible()
    row = _card(page, str(folder), "Sync now")
    expect(row).to_contain_text("1 added, 0 updated, 0 removed, 0 failed")

    more = (tmp_path / "more").resolve()
    more.mkdir()
    (more / "pump.md").write_text(PUMP, encoding="utf-8")
    page.get_by_label("Add a folder to keep in sync").fill(str(more))
    page.get_by_role("button", name="Sync this folder").click()
    _idle(page)
    expect(page.get_by_text(f"{more}: 1 added, 0 updated, 0 unchanged, 0 removed, 0 failed")).to_be_visible(
        timeout=SYNC_MS
    )
    expect(page.get_by_text("Pump manual", exact=True)).to_be_visible()  # in the documents list below

    valve.write_text(VALVE.replace("35 bar", "40 bar"), encoding="utf-8")
    row.get_by_role("button", name="Sync now").click()
    _idle(page)
    expect(page.get_by_text(f"{folder}: 0 added, 1 updated, 0 unchanged, 0 removed, 0 failed")).to_be_visible(
        timeout=SYNC_MS
    )
    expect(page.get_by_text("0 added, 1 updated, 0 removed, 0 failed")).to_be_visible()  # the row, refreshed
    _shot(page, "sync-1-documents")

    _go(page, "Ask")
    source = _card(page, "Valve manual", "Open the document at this passage")
    expect(source.get_by_text("source changed since this answer")).to_be_visible(timeout=30_000)
    expect(page.locator(".cw-answer").first).to_contain_text("35 bar")  # the answer as it was given
    _shot(page, "sync-2-source-changed")

    valve.unlink()  # the folder's only file: an emptied folder is pruned only when the user says so
    done = citewise("sync", "--prune", str(folder), "--json", env=citewise_env(data))  # another process: the CLI
    assert done.returncode == 0, done.stderr
    _go(page, "Documents")
    _go(page, "Ask")
    expect(source.get_by_text("source removed since this answer")).to_be_visible(timeout=30_000)
