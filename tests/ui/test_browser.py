"""The running web UI (`citewise ui`) driven in headless Chromium: ask, read the source, add a document.

Screenshots of every page go to test-artifacts/screenshots/ (their paths are printed for the CI log).
"""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from citewise.answer.llm.model_files import ensure_model
from citewise.core.settings import Settings
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.store import Store
from tests.environment import SHARED_MODELS_DIR, clean_environ
from tests.processes import UI_START_S, running_ui
from tests.ui.conftest import CLOSED_PORT_URL

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
START_S = UI_START_S
ANSWER_MS = 600_000  # the embedded model on 2 busy cores, the model's first load included


@pytest.fixture(scope="module")
def app_url(
    tmp_path_factory: pytest.TempPathFactory, embedding_model: str, make_settings: Callable[..., Settings]
) -> Iterator[str]:
    """`citewise ui` on a free port of 127.0.0.1, over an index of corpus/, answering with the embedded model."""
    data = tmp_path_factory.mktemp("ui-data")
    report = ingest_paths(Store(make_settings(data)), [ROOT / "corpus"])
    assert report.added == 4 and not report.failed
    ensure_model(SHARED_MODELS_DIR)
    env = clean_environ()
    env |= {"CITEWISE_DATA_DIR": str(data), "CITEWISE_LLM": "embedded", "CITEWISE_OLLAMA_HOST": CLOSED_PORT_URL}
    with running_ui(env, data / "ui.log", cwd=data) as url:
        yield url


def _shot(page: Page, name: str, whole: bool = True) -> Path:
    """A screenshot; `whole`: the whole page (Streamlit scrolls inside its main section, so the window
    grows to fit it first), else what the window shows (a dialog, a moment of streaming)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    viewport = page.viewport_size or {"width": 1280, "height": 900}
    if whole:
        height = page.evaluate("() => Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))")
        page.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], min(height, 8000))})
        page.wait_for_timeout(500)
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)
    print(f"screenshot: {path}")
    return path


def upload(page: Page, file: Path, timeout_ms: float = 120_000) -> None:
    """`file` through the Documents page's uploader, once it is listed there, then until it is indexed."""
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(file))
    expect(page.get_by_text(file.name).first).to_be_visible()
    page.get_by_role("button", name="Upload and index").click()
    expect(page.get_by_text(f"{file.name} added")).to_be_visible(timeout=timeout_ms)


def _idle(page: Page) -> None:
    """Wait until the app has finished its run (Streamlit's status widget is gone)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=ANSWER_MS)


def test_ask_shows_a_cited_answer_with_its_highlighted_source(app_url: str, page: Page) -> None:
    page.goto(app_url)
    box = page.get_by_placeholder("Ask a question about your documents")
    expect(box).to_be_enabled(timeout=START_S * 1000)
    _idle(page)
    _shot(page, "1-ask-empty")
    box.fill("How many parameters did GPT-1 have?")
    asked = time.monotonic()
    box.press("Enter")
    page.locator(".cw-draft").first.wait_for(timeout=ANSWER_MS)
    first_token = time.monotonic() - asked
    _shot(page, "2-ask-streaming", whole=False)
    page.locator(".cw-answer").first.wait_for(timeout=ANSWER_MS)
    answered = time.monotonic() - asked
    print(f"UI time to first token: {first_token:.1f} s; to the verified answer: {answered:.1f} s")
    _idle(page)
    answer = page.locator(".cw-answer").first
    expect(answer).to_contain_text("117 million")
    expect(answer.locator(".cw-ref").first).to_have_text("[1]")
    source = page.locator(".cw-passage").first
    expect(source.locator("mark")).to_contain_text("117 million")
    _shot(page, "3-ask-answer")

    page.get_by_role("button", name="Open the document at this passage").first.click()
    frame = page.frame_locator("iframe[title^='The text of']")
    expect(frame.locator("mark#hit")).to_contain_text("117 million", timeout=30_000)
    page.wait_for_timeout(500)
    _shot(page, "4-ask-document", whole=False)
    page.keyboard.press("Escape")

    box.fill("and GPT-2?")
    asked = time.monotonic()
    box.press("Enter")
    page.locator(".cw-draft").first.wait_for(timeout=ANSWER_MS)
    follow_up_first_token = time.monotonic() - asked
    expect(page.locator(".cw-answer")).to_have_count(2, timeout=ANSWER_MS)
    print(f"UI time to first token of the follow-up (rewrite included): {follow_up_first_token:.1f} s")
    _idle(page)
    expect(page.get_by_text("Searched for:").last).to_contain_text("GPT-2")
    _shot(page, "5-ask-follow-up")

    page.get_by_role("button", name="New conversation").click()
    _idle(page)
    box.fill("What is the best recipe for banana bread?")
    box.press("Enter")
    expect(page.get_by_text("nothing in them is close to this question")).to_be_visible(timeout=ANSWER_MS)
    expect(page.get_by_text("Closest passages in your documents")).to_be_visible()
    _idle(page)
    _shot(page, "6-ask-refusal")


def test_upload_a_document_and_see_it_listed(app_url: str, page: Page, tmp_path: Path) -> None:
    doc = tmp_path / "valve manual.md"
    doc.write_text("# Valve manual\n\nThe XQ-7734 valve opens at a pressure of 35 bar.\n")
    page.goto(f"{app_url}/documents")
    expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=START_S * 1000)
    _idle(page)
    upload(page, doc)
    _idle(page)
    expect(page.get_by_text("Valve manual", exact=True)).to_be_visible()
    _shot(page, "7-documents")


def test_evals_and_status_pages(app_url: str, page: Page) -> None:
    page.goto(f"{app_url}/evals")
    expect(page.get_by_role("heading", name="Evals")).to_be_visible(timeout=START_S * 1000)
    _idle(page)
    questions = page.get_by_role("spinbutton", name="Questions")
    questions.fill("5")
    questions.press("Enter")
    _idle(page)
    page.get_by_role("button", name="Run evaluation").click()
    expect(page.get_by_text("Metrics, side by side")).to_be_visible(timeout=300_000)
    _idle(page)
    _shot(page, "8-evals")

    page.goto(f"{app_url}/status")
    expect(page.get_by_role("heading", name="Status")).to_be_visible(timeout=START_S * 1000)
    _idle(page)
    expect(page.get_by_text("Qwen2.5-Coder-1.5B-Instruct").first).to_be_visible()
    expect(page.get_by_role("rowheader", name="CITEWISE_TOP_K")).to_be_visible()
    _shot(page, "9-status")
