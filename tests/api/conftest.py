"""A real `citewise serve` process over a small index, answering through a fake Ollama (its real wire format)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from citewise.core.settings import Settings
from citewise.service import Citewise
from tests.fakes.ollama_server import DEFAULT_MODEL, FakeOllama
from tests.processes import citewise_env, running_api

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
    root = tmp_path_factory.mktemp("api")
    data = index_folder(root / "data", root / "docs", make_settings)
    env = citewise_env(
        data, CITEWISE_LLM="ollama", CITEWISE_OLLAMA_HOST=ollama.url, CITEWISE_OLLAMA_MODEL=DEFAULT_MODEL
    )
    with running_api(env, root / "serve.log") as url:
        yield url


@pytest.fixture
def http(api_url: str) -> Iterator[httpx.Client]:
    """Straight to the server (no proxy the environment may name)."""
    with httpx.Client(base_url=api_url, trust_env=False, timeout=120) as client:
        yield client
