"""BM25 over a set of chunks (bm25s), saved together with the chunk ids its rows stand for.

Row i of the BM25 matrix is chunk_ids[i]; a pair that does not match (a file missing, another row count, a
damaged id list) is refused on load, and the caller rebuilds it from the store.

Beside them are the rows' tokens and sources (`Rows`): bm25s cannot add or drop rows of a built index (every
score depends on the whole corpus), so the next write builds its index from these tokens, reusing the rows of
every unchanged document, instead of reading and tokenizing every chunk again. Readers never load them.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from citewise.core.types import Chunk
from citewise.retrieval.tokenize import tokenize

_IDS = "chunk_ids.json"
_ROWS = "rows.npz"
_ROW_NAMES = "rows.json"


class KeywordIndexDamaged(Exception):
    """The saved BM25 files and their chunk ids do not belong together, or cannot be read."""


def _digest(chunk_ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(chunk_ids).encode()).hexdigest()


def chunk_tokens(chunk: Chunk) -> tuple[str, ...]:
    """What keyword search matches in a chunk: its title, heading and text."""
    return tuple(tokenize(f"{chunk.title} {chunk.heading} {chunk.text}"))


@dataclass(frozen=True)
class Rows:
    """The tokens and the source of each row, in row order."""

    tokens: tuple[tuple[str, ...], ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class KeywordIndex:
    """BM25 over chunks; `search` returns (chunk id, score), best first."""

    chunk_ids: tuple[str, ...]
    bm25: bm25s.BM25 | None  # None when there are no chunks
    rows: Rows | None = None  # known when built here; `load_rows` reads the saved ones

    @classmethod
    def build(cls, chunks: Sequence[Chunk]) -> "KeywordIndex":
        ids = tuple(c.id for c in chunks)
        return cls.from_rows(ids, Rows(tuple(chunk_tokens(c) for c in chunks), tuple(c.source for c in chunks)))

    @classmethod
    def from_rows(cls, chunk_ids: tuple[str, ...], rows: Rows) -> "KeywordIndex":
        if not chunk_ids:
            return cls((), None, rows)
        bm25 = bm25s.BM25()
        bm25.index([list(t) for t in rows.tokens], show_progress=False)
        return cls(chunk_ids, bm25, rows)

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
        if self.rows is not None:
            _save_rows(folder, self.rows)
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


def _save_rows(folder: Path, rows: Rows) -> None:
    vocab: dict[str, int] = {}
    sources: dict[str, int] = {}
    ids = [vocab.setdefault(token, len(vocab)) for tokens in rows.tokens for token in tokens]
    lengths = [len(tokens) for tokens in rows.tokens]
    owners = [sources.setdefault(source, len(sources)) for source in rows.sources]
    np.savez(folder / _ROWS, ids=np.asarray(ids, np.int32), lengths=np.asarray(lengths, np.int32), owners=owners)
    (folder / _ROW_NAMES).write_text(json.dumps({"vocab": list(vocab), "sources": list(sources)}, ensure_ascii=False))


def load_rows(folder: Path, rows: int) -> Rows | None:
    """The saved rows of the index in `folder`, which has `rows` rows; None when absent or not matching."""
    try:
        names = json.loads((folder / _ROW_NAMES).read_text())
        with np.load(folder / _ROWS) as saved:
            ids, lengths, owners = saved["ids"], saved["lengths"], saved["owners"]
        vocab, sources = list(names["vocab"]), list(names["sources"])
        if len(lengths) != rows or len(owners) != rows or int(lengths.sum()) != len(ids):
            return None
        words = [vocab[i] for i in ids.tolist()]
        ends = np.cumsum(lengths).tolist()
        starts = [0, *ends[:-1]]
        return Rows(
            tuple(tuple(words[a:b]) for a, b in zip(starts, ends, strict=True)),
            tuple(sources[i] for i in owners.tolist()),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
