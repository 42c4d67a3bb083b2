"""What the evals need of an index: its settings, store, retriever and answerers. The facade hands itself in
as this, so the evals never import the facade (it imports them)."""

from typing import Protocol

from citewise.answer.answerer import Answerer, Pipeline
from citewise.core.settings import Settings
from citewise.core.types import Retrieved
from citewise.retrieval.hybrid import HybridRetriever, Mode
from citewise.retrieval.store import Store


class IndexParts(Protocol):
    settings: Settings

    @property
    def store(self) -> Store: ...

    @property
    def retriever(self) -> HybridRetriever: ...

    def search(self, question: str, k: int | None = None, mode: Mode = "hybrid") -> Retrieved: ...

    def answerer(
        self, requested: str | None = None, pipeline: Pipeline | None = None, embedded_model: str | None = None
    ) -> Answerer: ...
