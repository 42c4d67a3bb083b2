"""Hybrid retrieval: dense (Chroma) and keyword (BM25) rankings fused by reciprocal rank."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from citewise.core.settings import Settings
from citewise.core.timing import ms_since
from citewise.core.types import Chunk, Retrieved, ScoredChunk
from citewise.retrieval.errors import IndexReopened
from citewise.retrieval.store import Store
from citewise.retrieval.tokenize import tokenize

Mode = Literal["hybrid", "dense", "keyword"]


def rrf_fuse(
    rankings: dict[str, list[str]], rrf_k: int, weights: dict[str, float] | None = None
) -> list[tuple[str, float, tuple[str, ...]]]:
    """Weighted reciprocal rank fusion: (id, score, the rankings it came from), best first."""
    scores: dict[str, float] = {}
    found_by: dict[str, list[str]] = {}
    for name, ids in rankings.items():
        weight = (weights or {}).get(name, 1.0)
        for rank, chunk_id in enumerate(ids, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (rrf_k + rank)
            found_by.setdefault(chunk_id, []).append(name)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [(chunk_id, score, tuple(found_by[chunk_id])) for chunk_id, score in ordered]


class HybridRetriever:
    """Finds the passages that answer a question."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def warm_up(self) -> None:
        """Load the embedding model, the Chinese word list and the keyword index before timing anything."""
        self.store.embedding.load()
        tokenize("预热 warm-up")
        self.store.view()

    def search(self, question: str, k: int | None = None, mode: Mode = "hybrid") -> Retrieved:
        try:
            return self._search(question, k, mode)
        except IndexReopened:  # rebuilt by another process meanwhile: once more, on the new index
            return self._search(question, k, mode)

    def _search(self, question: str, k: int | None, mode: Mode) -> Retrieved:
        k = k or self.settings.top_k
        started = time.perf_counter()
        ranked = self.rankings(question, max(self.settings.candidates, k), mode)
        return fuse_rankings(question, [ranked], self.settings, k, started)

    def rankings(self, question: str, n: int, mode: Mode) -> "Rankings":
        """This index's dense and keyword rankings of its n best chunks each, from one published view."""
        started = time.perf_counter()
        view = self.store.view()  # both rankings and the passages come from one published version
        dense: list[tuple[Chunk, float]] = []
        keyword: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense"):
            dense = self.store.dense_search(question, n, view)
        dense_done = time.perf_counter()
        if mode in ("hybrid", "keyword"):
            keyword = self.store.keyword_search(question, n, view)
        keyword_done = time.perf_counter()
        return Rankings(
            dense,
            keyword,
            lambda ids: self.store.get_chunks(ids, view),
            dense_ms=(dense_done - started) * 1000,
            keyword_ms=(keyword_done - dense_done) * 1000,
        )


@dataclass(frozen=True)
class Rankings:
    """One index's two rankings for a question, and how to read the chunks the keyword one names."""

    dense: list[tuple[Chunk, float]]
    keyword: list[tuple[str, float]]
    read: Callable[[list[str]], dict[str, Chunk]]
    dense_ms: float
    keyword_ms: float


def fuse_rankings(question: str, indexes: Sequence[Rankings], settings: Settings, k: int, started: float) -> Retrieved:
    """The k best chunks of one or several indexes: every index's dense and keyword rankings fused together by
    weighted reciprocal rank, as one index's two are. The same chunk id in two indexes (one file in two knowledge
    bases) counts as two chunks."""
    rankings: dict[str, list[str]] = {}
    weights: dict[str, float] = {}
    dense_score: dict[str, float] = {}
    keyword_score: dict[str, float] = {}
    for i, ranked in enumerate(indexes):
        rankings[f"dense {i}"] = [f"{i} {c.id}" for c, _ in ranked.dense]
        rankings[f"keyword {i}"] = [f"{i} {chunk_id}" for chunk_id, _ in ranked.keyword]
        weights[f"dense {i}"] = settings.dense_weight
        dense_score.update((f"{i} {c.id}", score) for c, score in ranked.dense)
        keyword_score.update((f"{i} {chunk_id}", score) for chunk_id, score in ranked.keyword)
    fused = rrf_fuse(rankings, settings.rrf_k, weights)[:k]
    chunks = {f"{i} {c.id}": c for i, ranked in enumerate(indexes) for c, _ in ranked.dense}
    for i, ranked in enumerate(indexes):
        missing = [key.split(" ", 1)[1] for key, _, _ in fused if key.startswith(f"{i} ") and key not in chunks]
        chunks.update((f"{i} {chunk_id}", chunk) for chunk_id, chunk in ranked.read(missing).items())
    hits = tuple(
        ScoredChunk(
            chunk=chunks[key],
            rank=rank,
            score=score,
            dense=dense_score.get(key),
            keyword=keyword_score.get(key),
            sources=tuple(dict.fromkeys(name.split(" ")[0] for name in found_by)),
        )
        for rank, (key, score, found_by) in enumerate((f for f in fused if f[0] in chunks), start=1)
    )
    return Retrieved(
        question=question,
        hits=hits,
        best_dense=max(dense_score.values(), default=0.0),
        best_keyword=max(keyword_score.values(), default=0.0),
        timings_ms={
            "dense": round(sum(r.dense_ms for r in indexes), 1),
            "keyword": round(sum(r.keyword_ms for r in indexes), 1),
            "total": ms_since(started),
        },
    )


class MultiRetriever:
    """Finds the passages that answer a question in several indexes (knowledge bases) at once."""

    def __init__(self, retrievers: Sequence[HybridRetriever], settings: Settings) -> None:
        self.retrievers = list(retrievers)
        self.settings = settings

    def warm_up(self) -> None:
        for retriever in self.retrievers:
            retriever.warm_up()

    def search(self, question: str, k: int | None = None, mode: Mode = "hybrid") -> Retrieved:
        k = k or self.settings.top_k
        n = max(self.settings.candidates, k)
        started = time.perf_counter()
        try:
            ranked = [retriever.rankings(question, n, mode) for retriever in self.retrievers]
        except IndexReopened:  # one was rebuilt by another process meanwhile: once more, on the new index
            ranked = [retriever.rankings(question, n, mode) for retriever in self.retrievers]
        return fuse_rankings(question, ranked, self.settings, k, started)
