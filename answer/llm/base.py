"""The one small contract every answer backend fits."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


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

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        """The answer's text pieces as the model produces them (greedy decoding)."""
        ...
