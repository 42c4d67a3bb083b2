"""The one small contract every answer backend fits."""

import math
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from citewise.core.types import ModelCall


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


class BackendUnavailable(RuntimeError):
    """The backend cannot answer now; the message says why and what to do."""


class Generator(Protocol):
    """A chat model that streams text; `backend` and `model` name who answered."""

    backend: str
    model: str
    context_tokens: int
    # Whether `chance_true` may be asked between two pieces of a `stream` (the embedded model keeps the draft's
    # state aside); a model server is asked once the draft is done.
    judges_while_drafting: bool

    @property
    def last_call(self) -> ModelCall | None:
        """The last `stream` this thread ran to its end, as the model server reported it."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this model's context."""
        ...

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        """The answer's text pieces as the model produces them (greedy decoding)."""
        ...

    def chance_true(self, messages: list[Message]) -> float:
        """P(the reply begins "true" rather than "false"): the entailment judge's one-token answer, read from
        the model's log-probabilities (1.0 or 0.0 from the reply's word where a server gives none)."""
        ...


class CallRecorder:
    """`last_call` for a generator: kept per thread, since one generator serves the UI's and the API's questions
    at once and each reads the call its own stream made."""

    def __init__(self) -> None:
        self._calls = threading.local()

    @property
    def last_call(self) -> ModelCall | None:
        return getattr(self._calls, "call", None)

    def _record(self, call: ModelCall | None) -> None:
        self._calls.call = call


_ROLES: dict[str, type[BaseMessage]] = {
    "system": SystemMessage,
    "user": HumanMessage,
    "assistant": AIMessage,
}


def to_langchain(messages: list[Message]) -> list[BaseMessage]:
    """The messages as LangChain's chat models take them."""
    try:
        return [_ROLES[message.role](content=message.content) for message in messages]
    except KeyError as exc:
        roles = ", ".join(_ROLES)
        raise ValueError(f"unknown message role {exc.args[0]!r}; expected {roles}") from None


def two_way(logits: "np.ndarray", answers: tuple[list[int], list[int]]) -> float:
    """P(first answer) against the second, from next-token logits: the summed probability of the first
    answer's tokens over that of both answers' tokens."""
    shifted = np.exp(logits - logits.max())
    yes, no = float(shifted[answers[0]].sum()), float(shifted[answers[1]].sum())
    return yes / (yes + no) if yes + no > 0 else 0.5


# Alternatives asked of a server for the judge's one reply token: "true" and "false" are among them.
JUDGE_ALTERNATIVES = 10


def chance_from_alternatives(alternatives: Iterable[tuple[str, float]], reply: str) -> float:
    """P("true") against "false" from the first reply token's alternatives (token, log-probability), or from the
    reply's first word (1.0 or 0.0) when the server sent no alternatives naming either."""
    yes = no = 0.0
    for token, logprob in alternatives:
        word = token.strip().lower()
        if word == "true":
            yes += math.exp(logprob)
        elif word == "false":
            no += math.exp(logprob)
    if yes + no > 0:
        return yes / (yes + no)
    return 1.0 if reply.strip().lower().startswith("true") else 0.0


def estimate_tokens(text: str) -> int:
    """ceil(UTF-8 bytes / 3), for servers with no tokenize endpoint. BPE vocabularies average about
    4 bytes a token on English, so this over-counts and prompts fit."""
    return math.ceil(len(text.encode("utf-8")) / 3)
