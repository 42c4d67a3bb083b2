"""Fixtures shared by the answer tests."""

from collections.abc import Callable, Iterator

import numpy as np
import pytest

from citewise.retrieval.embeddings import CitewiseEmbeddingFunction
from tests.fakes.ollama_server import FakeOllama


@pytest.fixture(scope="module")
def embed(embedding_model: str) -> Callable[[list[str]], np.ndarray]:
    """The index's embedding model as the verifier and the evidence selection call it."""
    function = CitewiseEmbeddingFunction(embedding_model)
    return lambda texts: np.asarray(function(texts), dtype=np.float32)


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A fake Ollama server on 127.0.0.1, stopped after the test."""
    with FakeOllama() as server:
        yield server
