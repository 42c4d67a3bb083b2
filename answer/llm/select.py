"""Which backend answers: the one place that decides, from settings (CITEWISE_LLM)."""

from dataclasses import dataclass

from citewise.answer.llm.base import BackendUnavailable, Generator
from citewise.answer.llm.embedded import load_embedded
from citewise.answer.llm.model_files import MODEL_NAME
from citewise.answer.llm.ollama import OllamaGenerator, OllamaStatus, probe_ollama
from citewise.core.settings import Settings


@dataclass(frozen=True)
class BackendChoice:
    backend: str  # "embedded" | "ollama"
    model: str
    reason: str


def choose_backend(
    settings: Settings, requested: str | None = None, probe: OllamaStatus | None = None
) -> BackendChoice:
    """The backend that would answer now, and why; raises BackendUnavailable if `ollama` is forced but down.
    `probe` is what Ollama said a moment ago, when the caller has asked already."""
    wanted = requested or settings.llm
    if wanted not in ("auto", "embedded", "ollama"):
        raise BackendUnavailable(f"Unknown backend {wanted!r}: use auto, embedded or ollama.")
    embedded_model = settings.model_path.name if settings.model_path else MODEL_NAME
    if wanted == "embedded":
        return BackendChoice("embedded", embedded_model, "CITEWISE_LLM=embedded")
    status = probe or probe_ollama(settings.ollama_host, settings.ollama_model, timeout=1.5)
    if status.reachable and status.has_model:
        return BackendChoice("ollama", settings.ollama_model, status.reason)
    if wanted == "ollama":
        raise BackendUnavailable(status.reason)
    return BackendChoice("embedded", embedded_model, f"{status.reason}; using the embedded model")


def load_generator(settings: Settings, choice: BackendChoice) -> Generator:
    """The chosen backend's generator, checked before use: for Ollama, the server must have the model
    (else `BackendUnavailable` with the probe's reason), and the context is capped at the model's own."""
    if choice.backend == "ollama":
        status = probe_ollama(settings.ollama_host, settings.ollama_model)
        if not status.has_model:
            raise BackendUnavailable(status.reason)
        context = min(settings.context_tokens, status.context_length or settings.context_tokens)
        return OllamaGenerator(settings.ollama_host, settings.ollama_model, context)
    return load_embedded(settings)
