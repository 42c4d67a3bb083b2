"""BM25 over a set of chunks (bm25s), saved together with the chunk ids its rows stand for.

Row i of the BM25 matrix is chunk_ids[i]; a pair that does not match (a file missing, another row count, a
damaged id list) is refused on load, and the caller rebuilds it from the store.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s

from citewise.core.types import Chunk
from citewise.retrieval.tokenize import tokenize

_IDS = "chunk_ids.json"


class KeywordIndexDamaged(Exception):
    """The saved BM25 files and their chunk ids do not belong together, or cannot be read."""


def _digest(chunk_ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(chunk_ids).encode()).hexdigest()


@dataclass(frozen=True)
class KeywordIndex:
    """BM25 over chunks; `search` returns (chunk id, score), best first."""

    chunk_ids: tuple[str, ...]
    bm25: bm25s.BM25 | None  # None when there are no chunks

    @classmethod
    def build(cls, chunks: Sequence[Chunk]) -> "KeywordIndex":
        if not chunks:
            return cls((), None)
        bm25 = bm25s.BM25()
        bm25.index([tokenize(f"{c.title} {c.heading} {c.text}") for c in chunks], show_progress=False)
        return cls(tuple(c.id for c in chunks), bm25)

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        tokens = tokenize(query)
        if self.bm25 is None or not tokens:
            return []
        known = [t for t in tokens if t in self.bm25.vocab_dict]
        if not known:
            return []
        k = min(n, len(self.chunk_ids))
        docs, scores = self.bm25.retrieve([known], k=k, show_progress=False, n_threads=1)
        return [(self.chunk_ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def save(self, folder: Path) -> None:
        """Write the BM25 files and, last, the chunk ids with their count and digest."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.bm25 is not None:
            self.bm25.save(str(folder), show_progress=False)
        ids = {"rows": len(self.chunk_ids), "digest": _digest(self.chunk_ids), "chunk_ids": list(self.chunk_ids)}
        (folder / _IDS).write_text(json.dumps(ids))

    @classmethod
    def load(cls, folder: Path) -> "KeywordIndex":
        """The index saved in `folder`; KeywordIndexDamaged unless its BM25 rows and chunk ids match."""
        try:
            ids = json.loads((folder / _IDS).read_text())
            chunk_ids = tuple(str(i) for i in ids["chunk_ids"])
            if len(chunk_ids) != ids["rows"] or _digest(chunk_ids) != ids["digest"]:
                raise KeywordIndexDamaged(f"{folder / _IDS} does not match its own count and digest")
            if not chunk_ids:
                return cls((), None)
            bm25 = bm25s.BM25.load(str(folder), show_progress=False)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeywordIndexDamaged(f"cannot read the keyword index in {folder}: {exc}") from exc
        if int(bm25.scores["num_docs"]) != len(chunk_ids):
            raise KeywordIndexDamaged(
                f"the BM25 index in {folder} has {bm25.scores['num_docs']} rows for {len(chunk_ids)} chunk ids"
            )
        return cls(chunk_ids, bm25)
