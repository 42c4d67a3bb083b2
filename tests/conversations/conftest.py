"""A facade over a real index of one small document, answering through the fake Ollama (its real wire format)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from citewise.core.settings import Settings
from citewise.service import Citewise
from tests.fakes.ollama_server import DEFAULT_MODEL, FakeOllama

VALVES = """# Valve manual

## Opening pressure

The XQ-7734 valve opens at a pressure of 35 bar. It closes again below 30 bar.

## Care

Grease the XQ-7734 valve seat twice a year with silicone grease.
"""
QUESTION = "At what pressure does the XQ-7734 valve open?"
REPLY = "The XQ-7734 valve opens at a pressure of 35 bar [1]."


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as fake:
        fake.set_reply(REPLY)
        yield fake


@pytest.fixture
def valves(tmp_path: Path) -> Path:
    path = tmp_path / "docs" / "valves.md"
    path.parent.mkdir()
    path.write_text(VALVES, encoding="utf-8")
    return path


@pytest.fixture
def service(
    tmp_path: Path, valves: Path, ollama: FakeOllama, embedding_model: str, make_settings: Callable[..., Settings]
) -> Citewise:
    """The facade over an index of the valve manual, answering through the fake Ollama."""
    settings = make_settings(tmp_path / "data", llm="ollama", ollama_host=ollama.url, ollama_model=DEFAULT_MODEL)
    service = Citewise(settings)
    assert service.ingest([valves]).added == 1
    return service
