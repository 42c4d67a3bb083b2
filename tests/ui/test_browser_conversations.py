"""In headless Chromium: create a knowledge base, upload a document to it, ask, reload the page and find the
conversation again with its sources (still current in the base it was asked in, though a reload chooses
`default`), reopen it from the sidebar, and download it as Markdown (the file is read back)."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.environment import clean_environ
from tests.fakes.ollama_server import FakeOllama
from tests.processes import running_ui
from tests.ui.test_browser import START_S, _idle, _shot, upload
from tests.ui.test_browser_bases import create_base
from tests.ui.test_browser_sync import _go

pytestmark = pytest.mark.browser

ANSWER_MS = 180_000  # the fake model answers at once; the embedding model's first load takes the time
QUESTION = "At what pressure does the XQ-7734 valve open?"


@pytest.fixture
def ui_url(tmp_path: Path, embedding_model: str) -> Iterator[str]:
    """`citewise ui` over an empty data folder, answering through the fake Ollama."""
    with FakeOllama() as ollama:
        ollama.set_reply("The XQ-7734 valve opens at a pressure of 35 bar [1].")
        env = clean_environ()
        env |= {
            "CITEWISE_DATA_DIR": str(tmp_path / "data"),
            "CITEWISE_LLM": "ollama",
            "CITEWISE_OLLAMA_HOST": ollama.url,
        }
        with running_ui(env, tmp_path / "ui.log", cwd=tmp_path) as url:
            yield url


def _answer_with_its_source(page: Page) -> None:
    expect(page.locator(".cw-answer").first).to_contain_text("35 bar", timeout=ANSWER_MS)
    expect(page.locator(".cw-source-head").first).to_contain_text("Valve manual")
    expect(page.locator(".cw-passage mark").first).to_contain_text("opens at a pressure of 35 bar")


def _answer_with_its_current_source(page: Page) -> None:
    _answer_with_its_source(page)
    expect(page.get_by_text("Source removed since this answer", exact=False)).to_have_count(0)
    expect(page.get_by_text("Source changed since this answer", exact=False)).to_have_count(0)


def test_create_a_base_upload_ask_reload_reopen_and_export(ui_url: str, page: Page, tmp_path: Path) -> None:
    doc = tmp_path / "valve manual.md"
    doc.write_text("# Valve manual\n\nThe XQ-7734 valve opens at a pressure of 35 bar.\n", encoding="utf-8")
    create_base(page, ui_url, "valves")
    uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    uploader.wait_for(state="attached", timeout=START_S * 1000)  # once the index is open
    upload(page, doc, ANSWER_MS)

    _go(page, "Ask")  # from the sidebar: the session keeps the base chosen
    box = page.get_by_placeholder("Ask a question about your documents")
    expect(box).to_be_enabled(timeout=START_S * 1000)
    _idle(page)
    box.fill(QUESTION)
    box.press("Enter")
    _answer_with_its_source(page)
    _idle(page)
    expect(page).to_have_url(re.compile(r"\?c=[0-9a-f]{16}$"))  # the conversation is named in the address
    address = page.url

    page.reload()
    _answer_with_its_current_source(page)
    _idle(page)
    assert page.url == address
    _shot(page, "conversations-1-reloaded")

    page.get_by_role("button", name="New conversation").click()
    _idle(page)
    expect(page.locator(".cw-answer")).to_have_count(0)
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name=QUESTION).click()
    _answer_with_its_current_source(page)
    _idle(page)
    assert page.url == address

    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Download the conversation (Markdown)").click()
    assert download.value.suggested_filename == "at-what-pressure-does-the-xq-7734-valve-open.md"
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert markdown.startswith("# At what pressure does the XQ\\-7734 valve open\\?\n")
    assert "## 1\\. At what pressure does the XQ\\-7734 valve open\\?" in markdown
    assert "The XQ\\-7734 valve opens at a pressure of 35 bar\\. \\[1\\]" in markdown
    assert "removed since" not in markdown and "changed since" not in markdown
    assert "1\\. **Valve manual" in markdown and "> The XQ\\-7734 valve opens at a pressure of 35 bar\\." in markdown
    _shot(page, "conversations-2-reopened")
