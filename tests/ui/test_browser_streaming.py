"""In headless Chromium: the Ask page shows the best evidence sentence as a quote and each sentence verified,
with its [n], while the model is still writing the next (the fake Ollama pauses mid-answer), then the final
answer in their place."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from citewise.core.settings import Settings
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.store import Store
from tests.environment import clean_environ
from tests.fakes.ollama_server import FakeOllama
from tests.processes import running_ui
from tests.ui.test_browser import START_S, _idle, _shot

pytestmark = pytest.mark.browser

ANSWER_MS = 180_000  # the fake model answers at once; the embedding model's first load takes the time
FIRST = "GPT-1 had 117 million parameters."
REPLY = f"{FIRST} GPT-2 followed in 2019 with 1.5 billion parameters."


@pytest.fixture
def ui_url(
    tmp_path: Path,
    small_doc: Path,
    fake_ollama: FakeOllama,
    embedding_model: str,
    make_settings: Callable[..., Settings],
) -> Iterator[str]:
    """`citewise ui` over the small model-history note, answering through the fake Ollama."""
    data = tmp_path / "data"
    assert ingest_paths(Store(make_settings(data)), [small_doc]).added == 1
    env = clean_environ()
    env |= {"CITEWISE_DATA_DIR": str(data), "CITEWISE_LLM": "ollama", "CITEWISE_OLLAMA_HOST": fake_ollama.url}
    with running_ui(env, tmp_path / "ui.log", cwd=tmp_path) as url:
        yield url


def test_a_verified_sentence_appears_while_the_model_writes_the_next(
    ui_url: str, page: Page, fake_ollama: FakeOllama
) -> None:
    fake_ollama.set_reply(REPLY)
    fake_ollama.pause_after(f"{FIRST} GPT-2", timeout_s=ANSWER_MS / 1000)  # the first sentence is closed
    page.goto(ui_url)
    box = page.get_by_placeholder("Ask a question about your documents")
    expect(box).to_be_enabled(timeout=START_S * 1000)
    _idle(page)
    box.fill("How many parameters did GPT-1 and GPT-2 have?")
    box.press("Enter")

    verified = page.locator(".cw-verified")
    expect(verified).to_contain_text(FIRST, timeout=ANSWER_MS)
    expect(verified.locator(".cw-ref")).to_have_text(["[1]"])
    expect(page.locator(".cw-draft")).to_have_text("GPT-2▌")  # the next sentence, still being written
    assert not fake_ollama.replied.is_set() and page.locator(".cw-answer").count() == 0
    quote = page.get_by_text("Closest sentence in your documents (a quote, not the answer")
    expect(quote).to_be_visible()  # a "how many" question: its best evidence sentence is quoted meanwhile
    _shot(page, "ask-verified-while-writing", whole=False)

    fake_ollama.resume()
    answer = page.locator(".cw-answer")
    expect(answer).to_contain_text("1.5 billion", timeout=ANSWER_MS)
    expect(answer).to_contain_text(FIRST)
    expect(verified).to_have_count(0)  # the final answer took the place of the streamed sentences
    expect(quote).to_have_count(0)  # and of the quote
    _idle(page)
