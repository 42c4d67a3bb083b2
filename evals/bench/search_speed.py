"""Search latency at growing index sizes, on embedded Chroma or a Chroma server, and the cost of adding
one file to the largest index beyond embedding it."""

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from citewise.core.settings import Settings
from citewise.evals.bench.report import peak_rss_mib, spread
from citewise.evals.bench.synthetic import SentenceVectors, SyntheticDocument, synthetic_documents
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.hybrid import HybridRetriever, Mode
from citewise.retrieval.store import WRITE_BATCH, Store, embedding_text

MODES: dict[str, Mode] = {"dense": "dense", "keyword": "keyword", "fused": "hybrid"}
Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass(frozen=True)
class ScaleFigures:
    backend: str  # "embedded" or "server"
    chunks: int
    load_s: float  # writing this step's synthetic chunks through the store, and publishing
    searches: dict[str, dict]  # mode -> p50/p95/n in ms
    peak_rss_mib: float


@dataclass(frozen=True)
class AddFigures:
    backend: str
    chunks_before: int
    chunks_added: int
    total_s: float  # `ingest_paths` of the one file, from call to return
    embed_s: float  # encoding the same chunk texts alone, in the same batches

    @property
    def beyond_embedding_s(self) -> float:
        return round(self.total_s - self.embed_s, 3)


def load_documents(store: Store, documents: Sequence[SyntheticDocument], progress: Progress | None = None) -> None:
    """Write the documents with their precomputed vectors through the store's write path, in one write
    (one publish: the registry, BM25 and published view are the store's own)."""
    with store.writing("bench load"):
        for done, document in enumerate(documents, start=1):
            store.put_document(
                document.source,
                document.title,
                document.content_hash,
                document.chunks,
                document.chars,
                document.vectors,
            )
            if progress:
                progress("loading synthetic chunks", done, len(documents))


def time_searches(retriever: HybridRetriever, questions: Sequence[str]) -> dict[str, dict]:
    """Wall time of each search, per mode, as a caller sees it (the view check, query embedding included)."""
    figures = {}
    for name, mode in MODES.items():
        times = []
        for question in questions:
            started = time.perf_counter()
            retriever.search(question, mode=mode)
            times.append((time.perf_counter() - started) * 1000)
        figures[name] = spread(times)
    return figures


def grow_and_search(
    settings: Settings,
    backend: str,
    base: SentenceVectors,
    drawn: Sequence[tuple[int, ...]],
    scales: Sequence[int],
    questions: Sequence[str],
    progress: Progress | None = None,
) -> Iterator[ScaleFigures]:
    """One index grown to each scale in turn (smallest first), searched at each size."""
    store = Store(settings)
    loaded = 0
    for scale in sorted(scales):
        started = time.perf_counter()
        load_documents(store, synthetic_documents(base, drawn[loaded:scale], first=loaded), progress)
        load_s = time.perf_counter() - started
        loaded = scale
        retriever = HybridRetriever(store, settings)
        retriever.warm_up()
        searches = time_searches(retriever, questions)
        yield ScaleFigures(backend, store.count_chunks(), round(load_s, 1), searches, peak_rss_mib())


def measure_add(settings: Settings, backend: str, file: Path) -> AddFigures:
    """Ingest one new file into the index of `settings`, then encode its chunk texts alone. What a process
    loads once (the embedding model, the Chinese word list, the published view) is loaded before timing."""
    store = Store(settings)
    HybridRetriever(store, settings).warm_up()
    before = store.count_chunks()
    started = time.perf_counter()
    ingest_paths(store, [file])
    total_s = time.perf_counter() - started
    texts = [embedding_text(chunk) for chunk in store.chunks([str(file.resolve())])]
    started = time.perf_counter()
    for start in range(0, len(texts), WRITE_BATCH):
        store.embedding.matrix(texts[start : start + WRITE_BATCH])
    embed_s = time.perf_counter() - started
    return AddFigures(backend, before, len(texts), round(total_s, 3), round(embed_s, 3))
