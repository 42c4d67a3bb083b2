"""The library surface that the CLI, the web UI and the evals call: one place builds the parts."""

from functools import cached_property

from retrieval.answer import Answerer, Pipeline
from retrieval.hybrid import HybridRetriever, Mode, Retrieved
from retrieval.llm.base import Generator
from retrieval.llm.select import BackendChoice, choose_backend, load_generator
from retrieval.settings import Settings, get_settings
from retrieval.store import Store


class Citewise:
    """The store, retriever and answer model of one index, each built once, on first use."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._generators: dict[str, Generator] = {}

    @cached_property
    def store(self) -> Store:
        return Store(self.settings)

    @cached_property
    def retriever(self) -> HybridRetriever:
        retriever = HybridRetriever(self.store, self.settings)
        retriever.warm_up()
        return retriever

    def search(self, question: str, k: int | None = None, mode: Mode = "hybrid") -> Retrieved:
        return self.retriever.search(question, k, mode)

    def choose_backend(self, requested: str | None = None) -> BackendChoice:
        return choose_backend(self.settings, requested)

    def answerer(self, requested: str | None = None, pipeline: Pipeline | None = None) -> Answerer:
        """An Answerer on the chosen backend; the model is loaded once per backend per process."""
        choice = self.choose_backend(requested)
        if choice.backend not in self._generators:
            self._generators[choice.backend] = load_generator(self.settings, choice)
        answerer = Answerer(self.retriever, self._generators[choice.backend], self.settings, pipeline)
        answerer.reason = choice.reason
        return answerer
