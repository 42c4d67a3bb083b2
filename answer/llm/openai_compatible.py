"""A model on an OpenAI-compatible server (vLLM, llama.cpp's `llama-server`, LM Studio …), for when
answers should come from a GPU machine: probe it, then stream answers with the `openai` client.

The client is used directly, not through langchain-openai: that layer broke when openai 3 moved to
httpx2 (it handed the new client an httpx timeout). `openai` is imported only when such a server is
asked: it would add most of a second to every `citewise` command."""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from citewise.answer.llm.base import (
    JUDGE_ALTERNATIVES,
    BackendUnavailable,
    CallRecorder,
    Message,
    chance_from_alternatives,
    estimate_tokens,
)
from citewise.core.timing import ms_since
from citewise.core.types import ModelCall

if TYPE_CHECKING:
    import openai
    from openai.types import CompletionUsage

# Local servers take any key; the client library insists on one.
NO_KEY = "not-needed"


@dataclass(frozen=True)
class OpenAIStatus:
    """What an OpenAI-compatible server said about its models; `reason` is one sentence."""

    reachable: bool
    has_model: bool
    models: tuple[str, ...]
    context_length: int | None  # vLLM reports `max_model_len`; others report nothing
    reason: str


def _client(base_url: str, api_key: str | None, timeout: "float | openai.Timeout") -> "openai.OpenAI":
    import openai

    return openai.OpenAI(base_url=base_url, api_key=api_key or NO_KEY, timeout=timeout, max_retries=0)


def probe_openai(base_url: str, model: str, api_key: str | None = None, timeout: float = 2.0) -> OpenAIStatus:
    """Ask the server at `base_url` (ending in /v1) for its models; never raises for a server that is
    down or does not speak the OpenAI API."""
    import openai

    try:
        listed = _client(base_url, api_key, timeout).models.list().data
    except openai.APIConnectionError as exc:
        reason = f"{base_url} is not reachable ({exc.__cause__ or exc}); start the model server"
        return OpenAIStatus(False, False, (), None, reason)
    except openai.APIStatusError as exc:
        hint = "check CITEWISE_OPENAI_API_KEY" if exc.status_code in (401, 403) else "check CITEWISE_OPENAI_BASE_URL"
        reason = f"{base_url} refused to list its models (GET /models gave HTTP {exc.status_code}); {hint}"
        return OpenAIStatus(False, False, (), None, reason)
    except (openai.OpenAIError, ValueError) as exc:
        reason = f"{base_url} is not an OpenAI-compatible server ({exc}); check CITEWISE_OPENAI_BASE_URL"
        return OpenAIStatus(False, False, (), None, reason)
    names = tuple(entry.id for entry in listed)
    found = next((entry for entry in listed if entry.id == model), None)
    if found is None:
        served = ", ".join(names) if names else "no models"
        reason = f"{base_url} does not serve '{model}' (it serves: {served}); set CITEWISE_OPENAI_MODEL"
        return OpenAIStatus(True, False, names, None, reason)
    length = (found.model_extra or {}).get("max_model_len")
    return OpenAIStatus(True, True, names, length if isinstance(length, int) else None, f"{base_url} serves '{model}'")


class OpenAIGenerator(CallRecorder):
    """A model on an OpenAI-compatible server, streamed through the `openai` client."""

    backend = "openai"
    judges_while_drafting = False

    def __init__(self, base_url: str, model: str, api_key: str | None, context_tokens: int) -> None:
        if not model.strip():
            raise ValueError("OpenAI-compatible model name is empty; set CITEWISE_OPENAI_MODEL")
        super().__init__()
        self.base_url = base_url
        self.model = model
        self.context_tokens = context_tokens
        import openai

        # No read timeout: a loaded server can still queue a request for long before its first token.
        # openai.Timeout is the class of the HTTP library this client version uses (httpx or httpx2).
        self._client = _client(base_url, api_key, openai.Timeout(None, connect=5.0))

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)  # the API has no tokenize endpoint

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        """The answer's text pieces; raises `BackendUnavailable` if the server fails on the way."""
        import openai

        self._record(None)
        started, usage = time.perf_counter(), None
        try:
            with self._client.chat.completions.create(
                model=self.model,
                messages=[{"role": message.role, "content": message.content} for message in messages],  # type: ignore[misc]
                temperature=0,
                stream=True,
                # The token counts, in a last chunk (a server that does not know the option ignores it).
                stream_options={"include_usage": True},
                # Newer servers read `max_completion_tokens`, older llama.cpp servers only `max_tokens`.
                max_completion_tokens=max_tokens,
                max_tokens=max_tokens,
            ) as chunks:
                for chunk in chunks:
                    usage = chunk.usage or usage
                    for choice in chunk.choices:  # a closing usage chunk has none
                        if choice.delta.content:
                            yield choice.delta.content
        except openai.OpenAIError as exc:
            raise self._unavailable(exc) from exc
        self._record(openai_call(usage, ms_since(started)))

    def chance_true(self, messages: list[Message]) -> float:
        """The judge's one reply token with `logprobs`/`top_logprobs` (vLLM, llama-server and OpenAI send them;
        a server that sends none leaves the reply's word to decide)."""
        import openai

        try:
            reply = self._client.chat.completions.create(
                model=self.model,
                messages=[{"role": message.role, "content": message.content} for message in messages],  # type: ignore[misc]
                temperature=0,
                max_completion_tokens=1,
                max_tokens=1,
                logprobs=True,
                top_logprobs=JUDGE_ALTERNATIVES,
            )
        except openai.OpenAIError as exc:
            raise self._unavailable(exc) from exc
        choice = reply.choices[0]
        first = choice.logprobs.content[0] if choice.logprobs and choice.logprobs.content else None
        alternatives = [(a.token, a.logprob) for a in first.top_logprobs] if first else []
        return chance_from_alternatives(alternatives, choice.message.content or "")

    def _unavailable(self, exc: Exception) -> BackendUnavailable:
        """What a failed request means for the user, in one line."""
        import openai

        if isinstance(exc, openai.NotFoundError):
            return BackendUnavailable(
                f"{self.base_url} has no model '{self.model}' ({_message(exc)}); set CITEWISE_OPENAI_MODEL"
            )
        if isinstance(exc, openai.APIStatusError):
            return BackendUnavailable(
                f"{self.base_url} failed to answer with '{self.model}' (HTTP {exc.status_code}): {_message(exc)}; "
                "see the model server's log"
            )
        return BackendUnavailable(
            f"{self.base_url} stopped answering ({exc.__cause__ or exc}); check that the model server is running"
        )


def openai_call(usage: "CompletionUsage | None", wall_ms: float) -> ModelCall:
    """The call as the stream's usage chunk reports it: token counts only (the API has no timings), and the
    cached ones where the server sends `prompt_tokens_details` (vLLM does, with prompt token details on)."""
    if usage is None:
        return ModelCall(wall_ms=wall_ms)
    details = usage.prompt_tokens_details
    cached = details.cached_tokens if details is not None else None
    return ModelCall(
        wall_ms=wall_ms,
        prompt_tokens=usage.prompt_tokens,
        cached_tokens=cached,
        new_tokens=usage.prompt_tokens - cached if cached is not None else None,
        generated_tokens=usage.completion_tokens,
    )


def _message(exc: "openai.APIStatusError") -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    return str(body.get("message") or exc.message)
