"""Hybrid retrieval: dense (Chroma) and keyword (BM25) rankings fused by reciprocal rank."""

import time
from typing import Literal

from citewise.core.settings import Settings
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
        n = max(self.settings.candidates, k)
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

        dense_score = {chunk.id: score for chunk, score in dense}
        keyword_score = dict(keyword)
        rankings = {"dense": [c.id for c, _ in dense], "keyword": [i for i, _ in keyword]}
        fused = rrf_fuse(rankings, self.settings.rrf_k, {"dense": self.settings.dense_weight})[:k]
        chunks = {chunk.id: chunk for chunk, _ in dense}
        missing = [chunk_id for chunk_id, _, _ in fused if chunk_id not in chunks]
        chunks.update(self.store.get_chunks(missing, view))
        hits = tuple(
            ScoredChunk(
                chunk=chunks[chunk_id],
                rank=rank,
                score=score,
                dense=dense_score.get(chunk_id),
                keyword=keyword_score.get(chunk_id),
                sources=found_by,
            )
            for rank, (chunk_id, score, found_by) in enumerate((f for f in fused if f[0] in chunks), start=1)
        )
        finished = time.perf_counter()
        return Retrieved(
            question=question,
            hits=hits,
            best_dense=max(dense_score.values(), default=0.0),
            best_keyword=max(keyword_score.values(), default=0.0),
            timings_ms={
                "dense": round((dense_done - started) * 1000, 1),
                "keyword": round((keyword_done - dense_done) * 1000, 1),
                "total": round((finished - started) * 1000, 1),
            },
        )
