"""The Ollama backend: probe a local Ollama server, then stream answers from it.

The `ollama` package (and `langchain_ollama`, which uses it) is imported only here, when Ollama is asked:
on import it builds a default client from OLLAMA_HOST and raises if that is malformed, which must not
stop every `citewise` command before the settings check can name the variable.
"""

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from citewise.answer.llm.base import (
    JUDGE_ALTERNATIVES,
    BackendUnavailable,
    CallRecorder,
    Message,
    chance_from_alternatives,
    estimate_tokens,
    to_langchain,
)
from citewise.core.addresses import OLLAMA_EXAMPLE, OLLAMA_PORT, ollama_url
from citewise.core.timing import ms_since
from citewise.core.types import ModelCall

if TYPE_CHECKING:
    import ollama

DEFAULT_PORT = OLLAMA_PORT
# No read timeout: loading a model on a CPU can take minutes before the first token.
_STREAM_TIMEOUT = httpx.Timeout(None, connect=5.0)
# Network failures as the ollama client surfaces them: it turns httpx.ConnectError into the
# builtin ConnectionError but lets timeouts and broken streams through as httpx errors.
_NETWORK_ERRORS = (ConnectionError, httpx.HTTPError)


@dataclass(frozen=True)
class OllamaStatus:
    """What an Ollama server said about itself and the wanted model; `reason` is one sentence."""

    reachable: bool
    has_model: bool
    models: tuple[str, ...]
    context_length: int | None
    reason: str


def base_url(host: str) -> str:
    """`host` as a URL, reading a bare `host[:port]` the way Ollama's `OLLAMA_HOST` does; a ValueError
    saying what is wrong and what to set when it is malformed."""
    try:
        return ollama_url(host)
    except ValueError as exc:
        raise ValueError(
            f"{host.strip()!r} is not a valid Ollama address ({exc}); set CITEWISE_OLLAMA_HOST like {OLLAMA_EXAMPLE}"
        ) from None


def probe_ollama(host: str, model: str, timeout: float = 2.0) -> OllamaStatus:
    """Ask the Ollama server at `host` for its models and `model`'s context length; never raises
    for a malformed host, a server that is down or one that is not Ollama."""
    try:
        url = base_url(host)
    except ValueError as exc:
        return OllamaStatus(False, False, (), None, str(exc))
    try:
        import ollama

        client = ollama.Client(host=url, timeout=timeout)
    except ValueError as exc:  # the package reads OLLAMA_HOST itself on import (Settings checks it first)
        return OllamaStatus(False, False, (), None, f"the ollama client library cannot start ({exc}); fix OLLAMA_HOST")
    with client:
        try:
            names = tuple(entry.model for entry in client.list().models if entry.model)
        except _NETWORK_ERRORS as exc:
            reason = f"Ollama at {url} is not reachable ({_why(exc)}); start it with `ollama serve`"
            return OllamaStatus(False, False, (), None, reason)
        except (ollama.ResponseError, ValueError) as exc:
            # Some other service on that port: an HTTP error, or a 200 that is not Ollama's JSON.
            got = f"HTTP {exc.status_code}" if isinstance(exc, ollama.ResponseError) else "no JSON"
            reason = f"{url} is not an Ollama server (GET /api/tags gave {got}); check CITEWISE_OLLAMA_HOST"
            return OllamaStatus(False, False, (), None, reason)

        found = _find_model(model, names)
        if found is None:
            listed = ", ".join(names) if names else "no models"
            reason = f"Ollama at {url} has no model '{model}' (it has: {listed}); run `ollama pull {model}`"
            return OllamaStatus(True, False, names, None, reason)

        context_length = _context_length(client, found)
    return OllamaStatus(True, True, names, context_length, f"Ollama at {url} has '{found}'")


class OllamaGenerator(CallRecorder):
    """A model served by Ollama, streamed through LangChain's `ChatOllama`."""

    backend = "ollama"
    judges_while_drafting = False

    def __init__(self, host: str, model: str, context_tokens: int) -> None:
        if not model.strip():
            raise ValueError("Ollama model name is empty; set CITEWISE_OLLAMA_MODEL")
        if context_tokens <= 0:
            raise ValueError(f"context_tokens must be positive, got {context_tokens}")
        super().__init__()
        self.host = base_url(host)
        self.model = model
        self.context_tokens = context_tokens

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)  # Ollama has no tokenize endpoint

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        """The answer's text pieces; raises `BackendUnavailable` if Ollama fails on the way."""
        import ollama
        from langchain_ollama import ChatOllama

        chat = ChatOllama(
            base_url=self.host,
            model=self.model,
            temperature=0,
            # Ollama otherwise uses its own default window and silently drops the prompt's start.
            num_ctx=self.context_tokens,
            num_predict=max_tokens,
            client_kwargs={"timeout": _STREAM_TIMEOUT},
        )
        self._record(None)
        started, final = time.perf_counter(), dict[str, Any]()
        try:
            for chunk in chat.stream(to_langchain(messages)):
                if chunk.text:
                    yield chunk.text
                if chunk.response_metadata.get("done"):
                    final = chunk.response_metadata
        except (ollama.ResponseError, *_NETWORK_ERRORS) as exc:
            raise self._unavailable(exc) from exc
        self._record(ollama_call(final, ms_since(started)))

    def chance_true(self, messages: list[Message]) -> float:
        """The judge's one reply token from /api/chat with `logprobs` (Ollama 0.12.11+; an older server sends
        none, and the reply's word decides)."""
        import ollama

        try:
            with ollama.Client(host=self.host, timeout=_STREAM_TIMEOUT) as client:
                reply = client.chat(
                    model=self.model,
                    messages=[{"role": m.role, "content": m.content} for m in messages],
                    stream=False,
                    options={"temperature": 0, "num_ctx": self.context_tokens, "num_predict": 1},
                    logprobs=True,
                    top_logprobs=JUDGE_ALTERNATIVES,
                )
        except (ollama.ResponseError, *_NETWORK_ERRORS) as exc:
            raise self._unavailable(exc) from exc
        first = reply.logprobs[0] if reply.logprobs else None
        alternatives = [(a.token, a.logprob) for a in (first.top_logprobs or [])] if first else []
        return chance_from_alternatives(alternatives, reply.message.content or "")

    def _unavailable(self, exc: Exception) -> BackendUnavailable:
        """What a failed request to Ollama means for the user, in one line."""
        import ollama

        if isinstance(exc, ollama.ResponseError):
            return BackendUnavailable(self._response_error(exc))
        return BackendUnavailable(
            f"Ollama at {self.host} stopped answering ({_why(exc)}); check that `ollama serve` is running"
        )

    def _response_error(self, exc: "ollama.ResponseError") -> str:
        if exc.status_code == 404:
            return f"Ollama at {self.host} has no model '{self.model}'; run `ollama pull {self.model}`"
        status = f" (HTTP {exc.status_code})" if exc.status_code > 0 else ""
        return (
            f"Ollama at {self.host} failed to answer with '{self.model}'{status}: {exc.error}; "
            "see the `ollama serve` log"
        )


def ollama_call(final: dict[str, Any], wall_ms: float) -> ModelCall:
    """The call as Ollama's last streamed object reports it (its durations in nanoseconds). Ollama counts the
    prompt tokens it evaluated (`prompt_eval_count`), not those its cache served: the cached count is unknown."""

    def ms(key: str) -> float | None:
        value = final.get(key)
        return round(value / 1e6, 3) if isinstance(value, int) else None  # to the microsecond: a fast step stays > 0

    return ModelCall(
        wall_ms=wall_ms,
        new_tokens=final.get("prompt_eval_count"),
        prompt_eval_ms=ms("prompt_eval_duration"),
        generated_tokens=final.get("eval_count"),
        generation_ms=ms("eval_duration"),
        server_ms=ms("total_duration"),
    )


def _find_model(wanted: str, names: tuple[str, ...]) -> str | None:
    """The listed name for `wanted`, where an untagged name means its `:latest` tag."""
    key = _with_tag(wanted)
    return next((name for name in names if _with_tag(name) == key), None)


def _with_tag(name: str) -> str:
    # The tag follows the last "/", since a registry host may carry a ":port" of its own.
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _context_length(client: "ollama.Client", model: str) -> int | None:
    import ollama

    try:
        info: dict[str, Any] = dict(client.show(model).modelinfo or {})
    except (ollama.ResponseError, ValueError, *_NETWORK_ERRORS):
        return None
    lengths = (v for k, v in info.items() if k.endswith(".context_length") and isinstance(v, int))
    return next(lengths, None)


def _why(exc: BaseException) -> str:
    """A short cause such as "connection refused", digging under the ollama client's wrapper."""
    cause = exc.__context__ if isinstance(exc, ConnectionError) and exc.__context__ else exc
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", str(cause)).strip()
    return (text[:1].lower() + text[1:]) if text else type(cause).__name__
