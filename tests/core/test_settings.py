"""Settings from the environment: the relevance floor follows the embedding model unless it is set, and a
malformed variable is named in one line."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from citewise.core.settings import RELEVANCE_FLOOR, Settings, get_settings


def test_each_embedding_model_brings_its_own_relevance_floor(tmp_path: Path) -> None:
    for model, floor in RELEVANCE_FLOOR.items():
        assert Settings(data_dir=tmp_path, embedding_model=model).min_relevance == floor


def test_a_model_without_a_tuned_floor_leaves_the_refusal_to_bm25(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path, embedding_model=str(tmp_path / "my-model")).min_relevance == 0.0


def test_a_set_floor_wins(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CITEWISE_EMBEDDING_MODEL", "multilingual-e5-small")
    monkeypatch.setenv("CITEWISE_MIN_RELEVANCE", "0.5")
    assert Settings(data_dir=tmp_path).min_relevance == 0.5
    monkeypatch.delenv("CITEWISE_MIN_RELEVANCE")
    assert Settings(data_dir=tmp_path).min_relevance == 0.78


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """`environment(**variables)`: only these citewise variables are set, read afresh by get_settings()."""

    def use(**variables: str) -> None:
        for name in [n for n in os.environ if n.startswith("CITEWISE_") or n == "OLLAMA_HOST"]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("CITEWISE_DATA_DIR", str(tmp_path))
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("OLLAMA_HOST", "localhost:abc", "the port 'abc' is not a number"),
        ("CITEWISE_OLLAMA_HOST", "http://[::1", "invalid IPv6 URL"),
        ("CITEWISE_OLLAMA_HOST", "ftp://127.0.0.1", "use http:// or https://"),
        ("CITEWISE_OLLAMA_HOST", "http://127.0.0.1:70000", "the port 70000 is out of range"),
        ("CITEWISE_CHROMA_URL", "http://localhost:abc", "the port 'abc' is not a number"),
        ("CITEWISE_CHROMA_URL", "localhost:8000", "it has no http:// or https://"),
        ("CITEWISE_TOP_K", "abc", "input should be a valid integer"),
        ("CITEWISE_CHUNK_SIZE", "50", "input should be greater than 100"),
    ],
)
def test_a_malformed_variable_is_named_in_one_line(
    environment: Callable[..., None], variable: str, value: str, expected: str
) -> None:
    environment(**{variable: value})

    with pytest.raises(ValueError) as caught:
        get_settings()

    message = str(caught.value)
    assert message.startswith(f"{variable}={value!r} is not valid: {expected}")
    assert message.endswith(". Fix it or unset it.") and "\n" not in message


def test_the_variable_named_is_the_one_set(environment: Callable[..., None]) -> None:
    environment(OLLAMA_HOST="127.0.0.1:11434", CITEWISE_OLLAMA_HOST="localhost:abc", CITEWISE_TOP_K="0")
    with pytest.raises(ValueError) as caught:
        get_settings()
    # Both problems in one line, each under the variable that holds it.
    assert "CITEWISE_OLLAMA_HOST='localhost:abc' is not valid" in str(caught.value)
    assert "CITEWISE_TOP_K='0' is not valid" in str(caught.value)
    assert "\n" not in str(caught.value)

    # Ollama's client library reads OLLAMA_HOST whatever citewise uses, and fails on a malformed one.
    environment(CITEWISE_OLLAMA_HOST="http://127.0.0.1:11434", OLLAMA_HOST="localhost:abc")
    with pytest.raises(ValueError, match=r"^OLLAMA_HOST='localhost:abc' is not valid: the port 'abc' is not a number"):
        get_settings()


def test_the_addresses_ollama_and_chroma_accept_are_accepted(environment: Callable[..., None]) -> None:
    for host in ("localhost", "0.0.0.0:11434", "https://ollama.lan", "http://[::1]:11434", "ollama.lan:8080/"):
        environment(OLLAMA_HOST=host)
        assert get_settings().ollama_host == host
    environment(CITEWISE_CHROMA_URL="https://chroma.lan", CITEWISE_OLLAMA_HOST="http://127.0.0.1:abc")
    with pytest.raises(ValueError, match="CITEWISE_OLLAMA_HOST="):  # and a malformed one still is not
        get_settings()
    environment(CITEWISE_CHROMA_URL="")  # empty: the embedded store
    assert get_settings().chroma_url is None


@pytest.mark.parametrize(("variables", "folder"), [({}, "models"), ({"CITEWISE_MODELS_DIR": ""}, "models")])
def test_the_models_folder_is_in_the_data_folder_unless_one_is_named(
    environment: Callable[..., None], tmp_path: Path, variables: dict[str, str], folder: str
) -> None:
    environment(**variables)  # CITEWISE_DATA_DIR is tmp_path
    assert get_settings().models_dir == tmp_path / folder


def test_data_folders_naming_one_models_folder_share_it(environment: Callable[..., None], tmp_path: Path) -> None:
    environment(CITEWISE_MODELS_DIR=str(tmp_path / "shared"))
    assert get_settings().models_dir == tmp_path / "shared"
    assert Settings(data_dir=tmp_path / "other").models_dir == tmp_path / "shared"
