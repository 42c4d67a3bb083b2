"""In headless Chromium: a document whose title, heading and text hold Markdown images of an outside
server, and a model that answers with one, make the browser fetch nothing from that server while the Ask
and Documents pages show them (the "outside" server is a recorder on 127.0.0.1)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from citewise.core.settings import Settings
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.store import Store
from tests.environment import clean_environ
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.recording_server import RecordingServer
from tests.processes import running_ui
from tests.ui.test_browser import START_S, _idle, _shot

pytestmark = pytest.mark.browser

ANSWER_MS = 180_000  # the fake model answers at once; the embedding model's first load takes the time


def _images(server: str) -> dict[str, str]:
    """Markdown images of `server`, one per place a browser could be made to fetch it from."""
    return {name: f"![{name}]({server}/{name}.png)" for name in ("title", "heading", "body", "question", "answer")}


@pytest.fixture
def outside() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        yield server


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as server:
        yield server


@pytest.fixture
def ui_url(
    tmp_path: Path,
    outside: RecordingServer,
    fake_ollama: FakeOllama,
    embedding_model: str,
    make_settings: Callable[..., Settings],
) -> Iterator[str]:
    """`citewise ui` over an index of one poisoned document, answering through the fake Ollama."""
    images = _images(outside.url)
    doc = tmp_path / "docs" / "valves.md"
    doc.parent.mkdir()
    doc.write_text(
        f"# Valve {images['title']} manual\n\n## Opening {images['heading']} pressure\n\n"
        f"The XQ-7734 valve opens at a pressure of 35 bar. {images['body']}\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    report = ingest_paths(Store(make_settings(data)), [doc])
    assert report.added == 1 and not report.failed
    fake_ollama.set_reply(f"The XQ-7734 valve opens at a pressure of 35 bar [1]. See {images['answer']} now.")

    env = clean_environ()
    env |= {"CITEWISE_DATA_DIR": str(data), "CITEWISE_LLM": "ollama", "CITEWISE_OLLAMA_HOST": fake_ollama.url}
    with running_ui(env, tmp_path / "ui.log", cwd=tmp_path) as url:
        yield url


def test_document_and_model_text_make_the_browser_fetch_nothing(
    ui_url: str, page: Page, outside: RecordingServer
) -> None:
    images = _images(outside.url)
    page.goto(ui_url)
    box = page.get_by_placeholder("Ask a question about your documents")
    expect(box).to_be_enabled(timeout=START_S * 1000)
    _idle(page)
    box.fill(f"At what pressure does the XQ-7734 valve open? {images['question']}")
    box.press("Enter")
    page.locator(".cw-answer").first.wait_for(timeout=ANSWER_MS)
    _idle(page)
    expect(page.locator(".cw-source-head").first).to_contain_text(f"Valve {images['title']} manual")
    expect(page.get_by_text(f"See {images['answer']} now.")).to_be_visible()  # struck through, as text
    page.get_by_role("button", name="Open the document at this passage").first.click()
    frame = page.frame_locator("iframe[title^='The text of']")
    expect(frame.locator("mark#hit")).to_contain_text("35 bar", timeout=30_000)
    _shot(page, "untrusted-1-ask", whole=False)
    page.keyboard.press("Escape")

    page.goto(f"{ui_url}/documents")
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=START_S * 1000)
    _idle(page)
    expect(page.get_by_text(f"Valve {images['title']} manual", exact=True)).to_be_visible()
    page.get_by_role("button", name="Re-index", exact=True).click()
    _idle(page)
    page.get_by_role("button", name="Delete", exact=True).first.click()
    page.get_by_role("button", name="Delete", exact=True).last.click()
    expect(page.get_by_text("Nothing is indexed yet")).to_be_visible(timeout=30_000)
    _idle(page)
    _shot(page, "untrusted-2-documents")
    page.wait_for_timeout(1000)  # any image the pages asked for has reached the server by now

    assert outside.requests == []
    expect(page.get_by_text(f"Removed Valve {images['title']} manual from the index.")).to_be_visible()
