"""Fixtures shared by the answer tests."""

from collections.abc import Iterator

import pytest

from tests.fakes.ollama_server import FakeOllama


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A fake Ollama server on 127.0.0.1, stopped after the test."""
    with FakeOllama() as server:
        yield server
