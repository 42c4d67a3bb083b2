"""Ingest speed: chunks/s of a real ingest of a folder beside raw `encode()` of the same texts.

`measure_ingest` is the one entry point the bench calls.
"""

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from citewise.core.settings import Settings, get_settings
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.store import Store, embedding_text


@dataclass(frozen=True)
class IngestFigures:
    files: int
    chunks: int
    ingest_s: float
    encode_s: float

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.ingest_s if self.ingest_s else 0.0

    @property
    def encode_chunks_per_s(self) -> float:
        return self.chunks / self.encode_s if self.encode_s else 0.0

    @property
    def ratio(self) -> float:
        """Ingest throughput over raw encoding throughput: 1.0 means ingest costs nothing beyond the model."""
        return self.encode_s / self.ingest_s if self.ingest_s else 0.0


def measure_ingest(folder: Path, settings: Settings | None = None) -> IngestFigures:
    """Ingest `folder` into a fresh embedded index (model loaded first, not timed), then encode the same
    chunk texts with the same model, in the same batches, in this process."""
    base = settings or get_settings()
    with tempfile.TemporaryDirectory(prefix="citewise-bench-ingest-") as data_dir:
        store = Store(base.model_copy(update={"data_dir": Path(data_dir), "chroma_url": None}))
        store.embedding.load()
        started = time.perf_counter()
        report = ingest_paths(store, [folder])
        ingest_s = time.perf_counter() - started
        texts = [embedding_text(chunk) for chunk in store.chunks()]
        started = time.perf_counter()
        store.embedding.matrix(texts)  # one call: the model's own batching, its limit
        encode_s = time.perf_counter() - started
    return IngestFigures(report.added + report.updated, len(texts), round(ingest_s, 3), round(encode_s, 3))
