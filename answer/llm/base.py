"""The one small contract every answer backend fits."""

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

# A JSON schema (a dict as json.dumps writes it) that constrains a reply.
JsonSchema = dict[str, Any]


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

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this model's context."""
        ...

    def stream(self, messages: list[Message], max_tokens: int, schema: JsonSchema | None = None) -> Iterator[str]:
        """The answer's text pieces as the model produces them (greedy decoding); with `schema`, the output
        is held to that JSON schema (each backend sends it in its own wire form)."""
        ...


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


def estimate_tokens(text: str) -> int:
    """ceil(UTF-8 bytes / 3), for servers with no tokenize endpoint. BPE vocabularies average about
    4 bytes a token on English, so this over-counts and prompts fit."""
    return math.ceil(len(text.encode("utf-8")) / 3)
