"""In headless Chromium: create a knowledge base from the sidebar, upload a file to it, ask it (and both bases
together), then delete it after its confirmation; the default base's document stays."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from citewise.core.settings import Settings
from citewise.service import Citewise
from tests.environment import clean_environ
from tests.fakes.ollama_server import FakeOllama
from tests.processes import running_ui
from tests.ui.test_browser import START_S, _idle, _shot, upload
from tests.ui.test_browser_sync import ANSWER_MS, VALVE, _go

pytestmark = pytest.mark.browser

PUMP = "# Pump manual\n\nThe P-20 pump moves 40 litres a minute.\n"


@pytest.fixture
def ui_url(
    tmp_path: Path, make_settings: Callable[..., Settings], embedding_model: str
) -> Iterator[tuple[str, FakeOllama, Path]]:
    """The UI over a data folder whose default base holds the valve manual; answers from a fake Ollama."""
    folder = (tmp_path / "manuals").resolve()
    folder.mkdir()
    (folder / "valve.md").write_text(VALVE, encoding="utf-8")
    data = tmp_path / "data"
    assert Citewise(make_settings(data)).ingest([folder]).added == 1
    with FakeOllama() as fake:
        env = clean_environ()
        env |= {"CITEWISE_DATA_DIR": str(data), "CITEWISE_LLM": "ollama", "CITEWISE_OLLAMA_HOST": fake.url}
        with running_ui(env, tmp_path / "ui.log", cwd=tmp_path) as url:
            yield url, fake, data


def _choose(page: Page, label: str, option: str, tries: int = 3) -> None:
    """Add `option` to a multiselect. A click that lands while the page is re-rendering can close its list
    before the option is taken: then open it again (at most `tries` times)."""
    chosen = page.locator('[data-testid="stMultiSelect"]').get_by_role("button", name=f"Remove {option}")
    for _ in range(tries):
        _idle(page)
        page.get_by_role("combobox", name=label).click()
        try:
            page.get_by_role("option", name=option).click(timeout=5_000)
            page.keyboard.press("Escape")
            expect(chosen).to_be_visible(timeout=10_000)
            break
        except (AssertionError, PlaywrightTimeout):
            page.keyboard.press("Escape")
    _idle(page)
    expect(chosen).to_be_visible()


def create_base(page: Page, url: str, name: str) -> Locator:
    """Open the Documents page and create the base `name` from the sidebar (it becomes the chosen one)."""
    page.goto(f"{url}/documents")
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=START_S * 1000)
    _idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("button", name="New base").click()
    page.get_by_role("textbox", name="Name of the new base").fill(name)
    page.get_by_role("button", name="Create").click()
    _idle(page)
    expect(sidebar.get_by_text(f"Created the knowledge base {name}")).to_be_visible()
    return sidebar


def test_create_a_base_upload_to_it_ask_it_and_delete_it(
    ui_url: tuple[str, FakeOllama, Path], page: Page, tmp_path: Path
) -> None:
    url, fake, data = ui_url
    sidebar = create_base(page, url, "pumps")
    expect(page.get_by_text("0 documents, 0 passages")).to_be_visible()  # the new base is chosen, and empty

    doc = tmp_path / "pump.md"
    doc.write_text(PUMP, encoding="utf-8")
    upload(page, doc)
    _idle(page)
    expect(page.get_by_text("Pump manual", exact=True)).to_be_visible()
    expect(page.get_by_text("Valve manual", exact=True)).to_have_count(0)  # the default base's document
    _shot(page, "bases-1-documents")

    fake.set_reply("The P-20 pump moves 40 litres a minute [1].")
    _go(page, "Ask")
    box = page.get_by_placeholder("Ask a question about your documents")
    expect(box).to_be_enabled(timeout=START_S * 1000)
    box.fill("How much does the P-20 pump move?")
    box.press("Enter")
    page.locator(".cw-answer").first.wait_for(timeout=ANSWER_MS)
    _idle(page)
    expect(page.locator(".cw-answer").first).to_contain_text("40 litres")
    heads = page.locator(".cw-source-head")
    expect(heads.first).to_contain_text("Pump manual")
    expect(page.locator(".cw-source-head", has_text="Valve manual")).to_have_count(0)
    _shot(page, "bases-2-ask")

    _choose(page, "Ask in", "default")  # and the default base too: both bases' passages
    fake.set_reply("The XQ-7734 valve opens at a pressure of 35 bar [1].")
    box.fill("At what pressure does the XQ-7734 valve open?")
    box.press("Enter")
    expect(page.locator(".cw-answer")).to_have_count(2, timeout=ANSWER_MS)
    _idle(page)
    expect(page.locator(".cw-answer").last).to_contain_text("35 bar")
    _shot(page, "bases-3-ask-both")

    sidebar.get_by_role("button", name="Delete base").click()
    expect(page.get_by_text("Delete the knowledge base pumps and its 1 documents?")).to_be_visible()
    page.get_by_role("button", name="Delete base").last.click()
    _idle(page)
    expect(sidebar.get_by_text("Deleted the knowledge base pumps.")).to_be_visible()
    _go(page, "Documents")
    expect(page.get_by_text("Valve manual", exact=True)).to_be_visible()  # the default base, as it was
    _shot(page, "bases-4-deleted")
    assert not (data / "bases").exists() or not any((data / "bases").iterdir())
