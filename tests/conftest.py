"""Fixtures shared by every test: settings on a fresh data dir, a real store, a real Chroma server."""

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from citewise.core.settings import Settings
from citewise.evals.bench.chroma_server import chroma_server as start_chroma_server
from citewise.retrieval.embeddings import CitewiseEmbeddingFunction
from citewise.retrieval.store import Store
from tests.environment import SHARED_MODELS_DIR, share_the_models_folder
from tests.fakes.ollama_server import FakeOllama

EMBEDDING_MODEL = "all-MiniLM-L6-v2"
SERVER_START_TIMEOUT_S = 60


def _make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings with every backend choice spelled out, so no CITEWISE_* variable leaks in."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "chroma_url": None,
        "collection": "citewise",
        "embedding_model": EMBEDDING_MODEL,
        "chunk_size": 800,
        "chunk_overlap": 120,
        "shared_models_dir": SHARED_MODELS_DIR,
    }
    values.update(overrides)
    return Settings(**values)


def pytest_configure(config: pytest.Config) -> None:
    share_the_models_folder()


def _unique_collection() -> str:
    return f"t{uuid.uuid4().hex[:16]}"


@pytest.fixture(scope="session")
def make_settings() -> Callable[..., Settings]:
    """`make_settings(data_dir, **overrides)`: explicit Settings, immune to CITEWISE_* variables."""
    return _make_settings


@pytest.fixture(scope="session")
def embedding_model() -> str:
    """Load the embedding model once per session; every store after that reuses it."""
    CitewiseEmbeddingFunction(EMBEDDING_MODEL).load()
    return EMBEDDING_MODEL


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return _make_settings(tmp_path / "data")


@pytest.fixture
def store(settings: Settings, embedding_model: str) -> Store:
    return Store(settings)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` on 127.0.0.1 for the session; yields its URL."""
    with start_chroma_server(tmp_path_factory.mktemp("chroma-server") / "db", SERVER_START_TIMEOUT_S) as url:
        yield url


@pytest.fixture(params=["embedded", "server"])
def store_backend(request: pytest.FixtureRequest, tmp_path: Path, embedding_model: str) -> Settings:
    """Settings for an empty index on embedded Chroma, then on a Chroma server (its own collection)."""
    if request.param == "embedded":
        return _make_settings(tmp_path / "data")
    url = request.getfixturevalue("chroma_server")
    return _make_settings(tmp_path / "data", chroma_url=url, collection=_unique_collection())


# A documentation address (RFC 5737): never this machine. Tests reach it only through `remote_ollama`.
REMOTE_OLLAMA = "http://203.0.113.7:11434"


@pytest.fixture
def remote_ollama() -> Iterator[tuple[FakeOllama, dict[str, str]]]:
    """An Ollama "on another machine" (REMOTE_OLLAMA) that never leaves this one: the environment to use
    routes every HTTP request for a non-loopback host through a fake Ollama on 127.0.0.1 acting as a proxy."""
    with FakeOllama() as fake:
        loopback = "127.0.0.1,localhost"
        yield fake, {"HTTP_PROXY": fake.url, "http_proxy": fake.url, "NO_PROXY": loopback, "no_proxy": loopback}
