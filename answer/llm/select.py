"""Which backend answers: the one place that decides, from settings (CITEWISE_LLM)."""

from dataclasses import dataclass

from citewise.answer.llm.base import BackendUnavailable, Generator
from citewise.answer.llm.embedded import embedded_model_name, load_embedded
from citewise.answer.llm.ollama import OllamaGenerator, OllamaStatus, probe_ollama
from citewise.answer.llm.openai_compatible import OpenAIGenerator, OpenAIStatus, probe_openai
from citewise.core.settings import Settings

BACKENDS = ("auto", "embedded", "ollama", "openai")


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
        served = _probe_openai(settings)
        if not served.has_model:
            raise BackendUnavailable(served.reason)
        return BackendChoice("openai", settings.openai_model, served.reason)
    status = probe or probe_ollama(settings.ollama_host, settings.ollama_model, timeout=1.5)
    if status.reachable and status.has_model:
        return BackendChoice("ollama", settings.ollama_model, status.reason)
    if wanted == "ollama":
        raise BackendUnavailable(status.reason)
    return BackendChoice("embedded", embedded_model, f"{status.reason}; using the embedded model")


def load_generator(settings: Settings, choice: BackendChoice) -> Generator:
    """The chosen backend's generator, checked before use: a server must have the model (else
    `BackendUnavailable` with the probe's reason), and the context is capped at the model's own."""
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
