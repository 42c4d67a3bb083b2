"""Which backend answers: the one place that decides, from settings (CITEWISE_LLM)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from citewise.answer.llm.base import BackendUnavailable, Generator
from citewise.answer.llm.embedded import embedded_model_name, load_embedded
from citewise.answer.llm.ollama import OllamaGenerator, OllamaStatus, probe_ollama
from citewise.answer.llm.openai_compatible import OpenAIGenerator, OpenAIStatus, probe_openai
from citewise.core.settings import Settings

BACKENDS = ("auto", "embedded", "ollama", "openai")
# The settings that decide how each backend loads: an error while loading one names them.
_SETTINGS_OF = {
    "embedded": "CITEWISE_EMBEDDED_MODEL or CITEWISE_MODEL_PATH",
    "ollama": "CITEWISE_OLLAMA_HOST and CITEWISE_OLLAMA_MODEL",
    "openai": "CITEWISE_OPENAI_BASE_URL and CITEWISE_OPENAI_MODEL",
}


@dataclass(frozen=True)
class BackendChoice:
    backend: str  # "embedded" | "ollama" | "openai"
    model: str
    reason: str


def choose_backend(
    settings: Settings, requested: str | None = None, probe: OllamaStatus | None = None
) -> BackendChoice:
    """The backend that would answer now, and why; raises BackendUnavailable if `ollama` or `openai` is
    forced but cannot answer. `probe` is what Ollama said a moment ago, when the caller has asked already."""
    wanted = requested or settings.llm
    if wanted not in BACKENDS:
        raise BackendUnavailable(f"Unknown backend {wanted!r}: use {', '.join(BACKENDS)}.")
    embedded_model = embedded_model_name(settings)
    if wanted == "embedded":
        return BackendChoice("embedded", embedded_model, "CITEWISE_LLM=embedded")
    if wanted == "openai":
        with _loading("openai"):
            served = _probe_openai(settings)
        if not served.has_model:
            raise BackendUnavailable(served.reason)
        return BackendChoice("openai", settings.openai_model, served.reason)
    with _loading("ollama"):
        status = probe or probe_ollama(settings.ollama_host, settings.ollama_model, timeout=1.5)
    if status.reachable and status.has_model:
        return BackendChoice("ollama", settings.ollama_model, status.reason)
    if wanted == "ollama":
        raise BackendUnavailable(status.reason)
    return BackendChoice("embedded", embedded_model, f"{status.reason}; using the embedded model")


def load_generator(settings: Settings, choice: BackendChoice) -> Generator:
    """The chosen backend's generator, checked before use: a server must have the model (else
    `BackendUnavailable` with the probe's reason), and the context is capped at the model's own."""
    with _loading(choice.backend):
        return _load(settings, choice)


def _load(settings: Settings, choice: BackendChoice) -> Generator:
    if choice.backend == "ollama":
        status = probe_ollama(settings.ollama_host, settings.ollama_model)
        if not status.has_model:
            raise BackendUnavailable(status.reason)
        context = min(settings.context_tokens, status.context_length or settings.context_tokens)
        return OllamaGenerator(settings.ollama_host, settings.ollama_model, context)
    if choice.backend == "openai":
        served = _probe_openai(settings)
        if not served.has_model:
            raise BackendUnavailable(served.reason)
        context = min(settings.context_tokens, served.context_length or settings.context_tokens)
        return OpenAIGenerator(str(settings.openai_base_url), settings.openai_model, _api_key(settings), context)
    return load_embedded(settings)


@contextmanager
def _loading(backend: str) -> Iterator[None]:
    """Any error while a backend is probed or loaded becomes one BackendUnavailable line that names the
    backend's settings: a client library's surprise (a new release's TypeError) is no traceback for a user."""
    try:
        yield
    except BackendUnavailable:
        raise
    except Exception as exc:
        said = " ".join(str(exc).split())  # one line, whatever the library printed
        raise BackendUnavailable(
            f"the {backend} backend failed to load ({type(exc).__name__}: {said}); check {_SETTINGS_OF[backend]}, "
            "or choose another backend with CITEWISE_LLM"
        ) from exc


def _probe_openai(settings: Settings) -> OpenAIStatus:
    if not settings.openai_base_url:
        return OpenAIStatus(
            False, False, (), None, "CITEWISE_LLM=openai needs CITEWISE_OPENAI_BASE_URL (e.g. http://gpu-box:8000/v1)"
        )
    if not settings.openai_model:
        return OpenAIStatus(
            False, False, (), None, "CITEWISE_LLM=openai needs CITEWISE_OPENAI_MODEL (the served model's name)"
        )
    return probe_openai(settings.openai_base_url, settings.openai_model, _api_key(settings))


def _api_key(settings: Settings) -> str | None:
    return settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
