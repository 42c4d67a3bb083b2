"""The environment a test gives citewise: none of the developer's CITEWISE_* variables, one models folder.

Every test's data folder shares the models folder that setup prepared (`citewise prepare`): each data folder
of its own would assemble its own ~1 GB GGUF, and a full run wrote ~9 GB of copies (CI's disk filled).
"""

import os

import pytest

from citewise.core.settings import Settings

SHARED_MODELS_DIR = Settings().models_dir


def _is_citewise_variable(name: str) -> bool:
    return name.startswith("CITEWISE_") or name == "OLLAMA_HOST"


def share_the_models_folder() -> None:
    """Point this process's Settings at the shared models folder (the suite calls it once, at start)."""
    os.environ["CITEWISE_MODELS_DIR"] = str(SHARED_MODELS_DIR)


def clean_environ() -> dict[str, str]:
    """This process's environment without any citewise variable but the shared CITEWISE_MODELS_DIR."""
    clean = {k: v for k, v in os.environ.items() if not _is_citewise_variable(k)}
    return clean | {"CITEWISE_MODELS_DIR": str(SHARED_MODELS_DIR)}


def clear_citewise_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset every citewise variable in this process but the shared CITEWISE_MODELS_DIR."""
    for name in [n for n in os.environ if _is_citewise_variable(n)]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CITEWISE_MODELS_DIR", str(SHARED_MODELS_DIR))
