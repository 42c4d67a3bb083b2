"""Fixtures for the web UI tests: a data dir with one small indexed document, the app's environment, and
Debian's headless Chromium for the tests that drive the running UI."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from playwright.sync_api import Browser, Page, sync_playwright

from citewise.core.settings import get_settings
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.store import Store
from tests.environment import clear_citewise_variables
from tests.fakes.ollama_server import FakeOllama

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
CLOSED_PORT_URL = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MODELS_HISTORY = """# Language model history

## The GPT family

GPT-1 was released by OpenAI in 2018. GPT-1 had 117 million parameters.

GPT-2 followed in 2019 with 1.5 billion parameters, trained on 40GB of web text.

## Training

Large models are pre-trained on unlabeled text, then fine-tuned on labeled examples.
"""


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A fake Ollama server on 127.0.0.1, stopped after the test."""
    with FakeOllama() as server:
        yield server


@pytest.fixture(scope="session")
def small_doc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    path = folder / "model-history.md"
    path.write_text(MODELS_HISTORY, encoding="utf-8")
    return path


@pytest.fixture
def use_data_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Path]]:
    """`use_data_dir(path, **env)`: the app reads only these settings (every other CITEWISE_* is unset),
    and starts with cold caches, as a fresh `citewise ui` process would."""

    def use(path: Path, **env: str) -> Path:
        clear_citewise_variables(monkeypatch)
        monkeypatch.setenv("CITEWISE_DATA_DIR", str(path))
        monkeypatch.setenv("CITEWISE_OLLAMA_HOST", CLOSED_PORT_URL)
        monkeypatch.setenv("CITEWISE_LLM", "embedded")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        _fresh_caches()
        return path

    yield use
    _fresh_caches()


def _fresh_caches() -> None:
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="session")
def indexed_dir(
    tmp_path_factory: pytest.TempPathFactory, small_doc: Path, embedding_model: str, make_settings: Callable
) -> Path:
    """A data dir where the small document is indexed (read-only for the tests that share it)."""
    data = tmp_path_factory.mktemp("indexed")
    report = ingest_paths(Store(make_settings(data)), [small_doc])
    assert report.added == 1 and not report.failed
    return data


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh --test (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
