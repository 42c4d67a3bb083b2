"""Ingest at the embedding limit: a full ingest's chunks/s against raw `encode()` of the same texts.

    python -m citewise.evals.ingest_bench DIR [--limit N] [--searches] [--json]

In one process: ingest DIR into a fresh temporary index, then embed the very texts the ingest embedded with
the same model and batch size, with nothing else around it. The ratio says how close the ingest runs to the
embedding model's own speed (1.0: every other step costs nothing). `--searches` then times dense, keyword and
fused searches of the dev questions on that index. Prints figures; asserts nothing.
"""

import argparse
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from citewise.core.settings import Settings
from citewise.evals.dataset import DEV_SET, load_dataset
from citewise.evals.metrics import percentile
from citewise.ingest.pipeline import discover, ingest_paths
from citewise.retrieval.hybrid import HybridRetriever
from citewise.retrieval.store import Store, embedding_text

SEARCH_MODES = ("dense", "keyword", "hybrid")


@dataclass(frozen=True)
class IngestBench:
    """One ingest of `folder` and the raw encode of its chunk texts; seconds are wall-clock."""

    folder: str
    files: int
    failed: int
    chunks: int
    chars: int
    ingest_s: float
    encode_s: float
    model: str

    @property
    def ingest_chunks_per_s(self) -> float:
        return self.chunks / self.ingest_s if self.ingest_s else 0.0

    @property
    def encode_chunks_per_s(self) -> float:
        return self.chunks / self.encode_s if self.encode_s else 0.0

    @property
    def ratio(self) -> float:
        """Ingest throughput over raw encode throughput."""
        return self.encode_s / self.ingest_s if self.ingest_s else 0.0

    def to_json(self) -> dict:
        return {
            **asdict(self),
            "ingest_chunks_per_s": round(self.ingest_chunks_per_s, 1),
            "encode_chunks_per_s": round(self.encode_chunks_per_s, 1),
            "ratio": round(self.ratio, 3),
        }


@dataclass(frozen=True)
class SearchLatency:
    """p50/p95 in ms of one search mode over a set of questions."""

    mode: str
    p50_ms: float
    p95_ms: float
    n: int


def bench_ingest(folder: Path, limit: int | None = None, data_dir: Path | None = None) -> IngestBench:
    """Ingest `folder` (its first `limit` files) into a new index in `data_dir` (a temporary folder by default),
    then time the raw encode of the same chunk texts. The model is loaded before either clock starts."""
    files, _ = discover([folder])
    files = files[:limit] if limit else files
    with tempfile.TemporaryDirectory(prefix="citewise-ingest-bench-") as scratch:
        store = Store(Settings(data_dir=data_dir or Path(scratch)))
        store.embedding.load()
        started = time.perf_counter()
        report = ingest_paths(store, files)
        ingest_s = time.perf_counter() - started
        chunks = store.chunks()
        texts = [embedding_text(c) for c in chunks]
        started = time.perf_counter()
        store.embedding.matrix(texts)
        encode_s = time.perf_counter() - started
        return IngestBench(
            folder=str(folder),
            files=len(files),
            failed=len(report.failed),
            chunks=len(chunks),
            chars=sum(len(c.text) for c in chunks),
            ingest_s=round(ingest_s, 2),
            encode_s=round(encode_s, 2),
            model=store.settings.embedding_model,
        )


def bench_search(data_dir: Path, questions: list[str], rounds: int = 1) -> list[SearchLatency]:
    """Time each question in every mode on the index in `data_dir`, the modes interleaved question by question."""
    settings = Settings(data_dir=data_dir)
    retriever = HybridRetriever(Store(settings), settings)
    retriever.warm_up()
    retriever.search("warm up")
    times: dict[str, list[float]] = {mode: [] for mode in SEARCH_MODES}
    for _ in range(rounds):
        for question in questions:
            for mode in SEARCH_MODES:
                started = time.perf_counter()
                retriever.search(question, mode=mode)  # type: ignore[arg-type]
                times[mode].append((time.perf_counter() - started) * 1000)
    return [
        SearchLatency(mode, round(percentile(v, 50) or 0.0, 1), round(percentile(v, 95) or 0.0, 1), len(v))
        for mode, v in times.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=None, help="only the first N files (sorted)")
    parser.add_argument("--searches", action="store_true", help="then time dev-set searches on the index")
    parser.add_argument("--rounds", type=int, default=1, help="passes over the dev questions (--searches)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="citewise-ingest-bench-") as data:
        result = bench_ingest(args.folder, args.limit, Path(data))
        searches = []
        if args.searches:
            questions = [item.question for item in load_dataset(DEV_SET)]
            searches = bench_search(Path(data), questions, args.rounds)
    if args.json:
        print(json.dumps({"ingest": result.to_json(), "search": [asdict(s) for s in searches]}))
        return
    print(
        f"{result.files} files ({result.failed} failed), {result.chunks} chunks, {result.chars} chars\n"
        f"ingest  {result.ingest_s:8.1f} s  {result.ingest_chunks_per_s:7.1f} chunks/s\n"
        f"encode  {result.encode_s:8.1f} s  {result.encode_chunks_per_s:7.1f} chunks/s\n"
        f"ratio   {result.ratio:.3f}"
    )
    for s in searches:
        print(f"search {s.mode:<8} p50 {s.p50_ms:7.1f} ms  p95 {s.p95_ms:7.1f} ms  (n={s.n})")


if __name__ == "__main__":
    main()
