"""A real `citewise serve` process over a small index, answering through a fake Ollama (its real wire format)."""

import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from citewise.core.settings import Settings
from citewise.service import Citewise
from tests.fakes.ollama_server import DEFAULT_MODEL, FakeOllama
from tests.processes import citewise_env, serving_api

MODELS_HISTORY = """# Language model history

## The GPT family

GPT-1 was released by OpenAI in 2018. GPT-1 had 117 million parameters.

GPT-2 followed in 2019 with 1.5 billion parameters, trained on 40GB of web text.

## Training

Large models are pre-trained on unlabeled text, then fine-tuned on labeled examples.
"""


def index_folder(data: Path, docs: Path, make_settings: Callable[..., Settings]) -> Path:
    """`data` as an index of the model-history document (written into `docs`)."""
    docs.mkdir(parents=True)
    (docs / "model-history.md").write_text(MODELS_HISTORY, encoding="utf-8")
    assert Citewise(make_settings(data)).ingest([docs]).added == 1
    return data


@contextmanager
def served_index(
    root: Path, make_settings: Callable[..., Settings], ollama_url: str, args: Sequence[str] = (), **env: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`citewise serve` (with `args`, and `env` set) over the model-history document, indexed in `root`;
    answers come from the Ollama at `ollama_url`. Yields its URL and its process."""
    data = index_folder(root / "data", root / "docs", make_settings)
    env = citewise_env(
        data, CITEWISE_LLM="ollama", CITEWISE_OLLAMA_HOST=ollama_url, CITEWISE_OLLAMA_MODEL=DEFAULT_MODEL, **env
    )
    with serving_api(env, root / "serve.log", args=args) as served:
        yield served


@pytest.fixture(scope="module")
def ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as fake:
        yield fake


@pytest.fixture(scope="module")
def api_url(
    tmp_path_factory: pytest.TempPathFactory,
    ollama: FakeOllama,
    make_settings: Callable[..., Settings],
    embedding_model: str,
) -> Iterator[str]:
    """`citewise serve` on 127.0.0.1 (no token) over the indexed document; answers come from `ollama`."""
    with served_index(tmp_path_factory.mktemp("api"), make_settings, ollama.url) as (url, _):
        yield url


@pytest.fixture
def http(api_url: str) -> Iterator[httpx.Client]:
    """Straight to the server (no proxy the environment may name)."""
    with httpx.Client(base_url=api_url, trust_env=False, timeout=120) as client:
        yield client
