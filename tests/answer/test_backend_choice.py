"""CITEWISE_LLM=auto picks Ollama when it answers and has the model, else the embedded model, and says why."""

import socket
from pathlib import Path

import pytest

from citewise.answer.llm.base import BackendUnavailable
from citewise.answer.llm.select import choose_backend
from citewise.core.settings import Settings


def _settings(tmp_path: Path, host: str, llm: str = "auto", model: str = "qwen2.5:1.5b-instruct") -> Settings:
    return Settings(data_dir=tmp_path, llm=llm, ollama_host=host, ollama_model=model)


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_auto_uses_ollama_when_it_has_the_model(tmp_path, fake_ollama) -> None:
    fake_ollama.set_models(["qwen2.5:1.5b-instruct"])
    choice = choose_backend(_settings(tmp_path, fake_ollama.url))
    assert (choice.backend, choice.model) == ("ollama", "qwen2.5:1.5b-instruct")


def test_auto_falls_back_to_embedded_when_the_model_is_missing(tmp_path, fake_ollama) -> None:
    fake_ollama.set_models(["llama3:latest"])
    choice = choose_backend(_settings(tmp_path, fake_ollama.url))
    assert choice.backend == "embedded"
    assert "no model 'qwen2.5:1.5b-instruct'" in choice.reason and "embedded" in choice.reason


def test_auto_falls_back_to_embedded_when_ollama_is_down(tmp_path) -> None:
    choice = choose_backend(_settings(tmp_path, _dead_url()))
    assert choice.backend == "embedded"
    assert "not reachable" in choice.reason and "ollama serve" in choice.reason


def test_forced_ollama_that_is_down_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(BackendUnavailable, match="not reachable"):
        choose_backend(_settings(tmp_path, _dead_url(), llm="ollama"))


def test_forced_embedded_never_asks_ollama(tmp_path, fake_ollama) -> None:
    choice = choose_backend(_settings(tmp_path, fake_ollama.url, llm="embedded"))
    assert choice.backend == "embedded"
    assert fake_ollama.requests == []
