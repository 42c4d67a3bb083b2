"""BM25 over a set of chunks, kept as a term-frequency matrix that a write edits instead of rebuilding.

Scores are Lucene's BM25 with k1 = 1.5 and b = 0.75, as bm25s computes them (the tests compare the two).
bm25s bakes every document's score into its index, so adding or dropping one document means rebuilding it
from all of them (xhluca/bm25s#98): at 100k chunks, 30 s to add one file. Here the index keeps each row's term
counts and length; the inverse document frequencies and the mean length are computed when it is read, so a
write only masks the rows of replaced or removed documents and appends the rows of new ones.

Row i is chunk_ids[i]. Saved files: keyword.npz (the counts in CSC form, each row's length and owner),
keyword.json (the vocabulary and owners' sources), then, last, chunk_ids.json with their count and digest.
Parts that do not match are refused on load, and the caller rebuilds the index from the store.
"""

import hashlib
import json
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy import sparse

from citewise.core.types import Chunk
from citewise.retrieval.tokenize import tokenize

K1 = 1.5
B = 0.75
_IDS = "chunk_ids.json"
_MATRIX = "keyword.npz"
_NAMES = "keyword.json"


class KeywordIndexDamaged(Exception):
    """The saved keyword files and their chunk ids do not belong together, or cannot be read."""


def _digest(chunk_ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(chunk_ids).encode()).hexdigest()


def chunk_tokens(chunk: Chunk) -> list[str]:
    """What keyword search matches in a chunk: its title, heading and text."""
    return tokenize(f"{chunk.title} {chunk.heading} {chunk.text}")


@dataclass(frozen=True)
class KeywordIndex:
    """BM25 over chunks; `search` returns (chunk id, score), best first."""

    chunk_ids: tuple[str, ...]
    counts: sparse.csc_array  # rows: chunks, columns: the vocabulary's terms; term counts
    vocabulary: tuple[str, ...]
    lengths: np.ndarray  # tokens per row
    owners: np.ndarray  # each row's source, as an index into `sources`
    sources: tuple[str, ...]

    @classmethod
    def empty(cls) -> "KeywordIndex":
        return cls((), sparse.csc_array((0, 0), dtype=np.float32), (), np.zeros(0, np.int32), np.zeros(0, np.int32), ())

    @classmethod
    def build(cls, chunks: Sequence[Chunk]) -> "KeywordIndex":
        return cls.empty().edited(keep=(), added=chunks)

    def edited(self, keep: Collection[str], added: Sequence[Chunk]) -> "KeywordIndex":
        """This index with only the rows of the sources in `keep`, then a row for each chunk in `added`."""
        kept_codes = [code for code, source in enumerate(self.sources) if source in keep]
        mask = np.isin(self.owners, kept_codes)
        terms = dict(self._columns)  # grows with the added chunks' new terms
        rows, columns, values, lengths = [], [], [], []
        for row, chunk in enumerate(added):
            tokens = chunk_tokens(chunk)
            lengths.append(len(tokens))
            for term, count in Counter(tokens).items():
                rows.append(row)
                columns.append(terms.setdefault(term, len(terms)))
                values.append(count)
        new = sparse.csc_array((values, (rows, columns)), shape=(len(added), len(terms)), dtype=np.float32)
        sources = {source: code for code, source in enumerate(s for s in self.sources if s in keep)}
        for chunk in added:
            sources.setdefault(chunk.source, len(sources))
        remap = np.array([sources.get(source, -1) for source in self.sources], np.int32)
        owners = np.concatenate([remap[self.owners[mask]], [sources[c.source] for c in added]]).astype(np.int32)
        return KeywordIndex(
            tuple(i for i, kept in zip(self.chunk_ids, mask, strict=True) if kept) + tuple(c.id for c in added),
            _stacked(self.counts, mask, new),
            tuple(terms),
            np.concatenate([self.lengths[mask], lengths]).astype(np.int32),
            owners,
            tuple(sources),
        )

    @cached_property
    def _columns(self) -> dict[str, int]:
        return {term: column for column, term in enumerate(self.vocabulary)}

    @cached_property
    def _length_norm(self) -> np.ndarray:
        """k1 x (1 - b + b x length / mean length): the part of each row's term score its length sets."""
        mean = int(self.lengths.sum()) / max(len(self.lengths), 1)
        return K1 * (1 - B + B * self.lengths / max(mean, 1e-9))

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        """The n best-scoring chunks for the query's words (ties by chunk id), leaving out those scoring 0."""
        rows = len(self.chunk_ids)
        columns = [self._columns[t] for t in tokenize(query) if t in self._columns]
        if not columns or not rows or n <= 0:
            return []
        indptr, indices, counts = self.counts.indptr, self.counts.indices, self.counts.data
        scores = np.zeros(rows)
        for column in columns:  # a word asked twice counts twice, as in bm25s
            start, end = indptr[column], indptr[column + 1]
            if start == end:
                continue
            found, tf = indices[start:end], counts[start:end]
            frequency = end - start
            idf = np.log(1 + (rows - frequency + 0.5) / (frequency + 0.5))
            scores[found] += idf * tf / (tf + self._length_norm[found])
        scored = np.flatnonzero(scores > 0)
        if len(scored) > n:  # everything scoring at least the nth best, so that ties are cut by id
            cut = np.partition(scores[scored], len(scored) - n)[len(scored) - n]
            scored = scored[scores[scored] >= cut]
        best = sorted((-scores[i], self.chunk_ids[i]) for i in scored)[:n]
        return [(chunk_id, float(-score)) for score, chunk_id in best]

    def save(self, folder: Path) -> None:
        """Write the counts, the names, and, last, the chunk ids with their count and digest."""
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(
            folder / _MATRIX,
            indptr=self.counts.indptr,
            indices=self.counts.indices,
            counts=self.counts.data,
            lengths=self.lengths,
            owners=self.owners,
        )
        names = {"vocabulary": list(self.vocabulary), "sources": list(self.sources)}
        (folder / _NAMES).write_text(json.dumps(names, ensure_ascii=False))
        ids = {"rows": len(self.chunk_ids), "digest": _digest(self.chunk_ids), "chunk_ids": list(self.chunk_ids)}
        (folder / _IDS).write_text(json.dumps(ids))

    @classmethod
    def load(cls, folder: Path) -> "KeywordIndex":
        """The index saved in `folder`; KeywordIndexDamaged unless its parts and chunk ids match."""
        try:
            ids = json.loads((folder / _IDS).read_text())
            chunk_ids = tuple(str(i) for i in ids["chunk_ids"])
            if len(chunk_ids) != ids["rows"] or _digest(chunk_ids) != ids["digest"]:
                raise KeywordIndexDamaged(f"{folder / _IDS} does not match its own count and digest")
            names = json.loads((folder / _NAMES).read_text())
            vocabulary, sources = tuple(names["vocabulary"]), tuple(names["sources"])
            with np.load(folder / _MATRIX) as saved:
                indptr, indices, counts = saved["indptr"], saved["indices"], saved["counts"]
                lengths, owners = saved["lengths"], saved["owners"]
            if len(lengths) != len(chunk_ids) or len(owners) != len(chunk_ids):
                raise KeywordIndexDamaged(
                    f"the keyword index in {folder} has {len(lengths)} rows for {len(chunk_ids)} chunk ids"
                )
            matrix = sparse.csc_array((counts, indices, indptr), shape=(len(chunk_ids), len(vocabulary)))
            matrix.check_format(full_check=False)
            if len(owners) and not 0 <= int(owners.min()) <= int(owners.max()) < len(sources):
                raise KeywordIndexDamaged(f"the keyword index in {folder} names sources it does not list")
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise KeywordIndexDamaged(f"cannot read the keyword index in {folder}: {exc}") from exc
        return cls(chunk_ids, matrix, vocabulary, lengths, owners, sources)


def _stacked(old: sparse.csc_array, keep: np.ndarray, new: sparse.csc_array) -> sparse.csc_array:
    """The rows of `old` where `keep` is true, then the rows of `new` (which may have more columns), in CSC form.

    scipy stacks CSC rows through COO and a sort (seconds at 100k rows). Here the kept entries are filtered in
    place, and each new entry is inserted at the end of its column: its row comes after every kept row.
    """
    indptr, indices, data = old.indptr, old.indices, old.data
    kept_rows = int(keep.sum())
    if kept_rows < len(keep):
        kept = keep[indices]
        indptr = np.concatenate([[0], np.cumsum(kept)])[indptr]
        indices = (np.cumsum(keep) - 1)[indices[kept]]
        data = data[kept]
    columns = new.shape[1]
    indptr = np.concatenate([indptr, np.full(columns + 1 - len(indptr), indptr[-1])])
    new_per_column = np.diff(new.indptr)
    at = indptr[1:][np.repeat(np.arange(columns), new_per_column)]  # each new entry: the end of its column
    indices = np.insert(indices, at, new.indices + kept_rows).astype(np.int32)
    data = np.insert(data, at, new.data).astype(np.float32)
    indptr = indptr + np.concatenate([[0], np.cumsum(new_per_column)])
    return sparse.csc_array((data, indices, indptr), shape=(kept_rows + new.shape[0], columns))
