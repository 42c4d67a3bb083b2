"""BM25 keyword index over the store's chunks, persisted beside the data and kept in step with it.

The index is derived data: it records the store fingerprint it was built from, and is rebuilt
(once, then saved) whenever the store has changed since — after an ingest or a removal by this
process or by any other client of the same Chroma server.
"""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import bm25s

from citewise.retrieval.store import Store
from citewise.retrieval.tokenize import tokenize

_META = "citewise.json"


@dataclass
class _Loaded:
    fingerprint: str
    chunk_ids: list[str]
    bm25: bm25s.BM25 | None


class KeywordIndex:
    """BM25 over every visible chunk; `search` returns (chunk id, score), best first."""

    def __init__(self, store: Store, directory: Path) -> None:
        self.store = store
        self.directory = directory / store.settings.collection
        self._loaded: _Loaded | None = None

    def refresh(self, fingerprint: str | None = None) -> None:
        """Make the index match the store, rebuilding and saving it only if the store changed."""
        fingerprint = fingerprint or self.store.fingerprint()
        if self._loaded and self._loaded.fingerprint == fingerprint:
            return
        loaded = self._load_saved()
        if loaded is None or loaded.fingerprint != fingerprint:
            loaded = self._build(fingerprint)
        self._loaded = loaded

    def search(self, query: str, n: int, fingerprint: str | None = None) -> list[tuple[str, float]]:
        self.refresh(fingerprint)
        assert self._loaded is not None
        tokens = tokenize(query)
        bm25 = self._loaded.bm25
        if bm25 is None or not tokens:
            return []
        known = [t for t in tokens if t in bm25.vocab_dict]
        if not known:
            return []
        k = min(n, len(self._loaded.chunk_ids))
        docs, scores = bm25.retrieve([known], k=k, show_progress=False, n_threads=1)
        return [(self._loaded.chunk_ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def _build(self, fingerprint: str) -> _Loaded:
        chunks = self.store.chunks()
        ids = [c.id for c in chunks]
        bm25: bm25s.BM25 | None = None
        if chunks:
            bm25 = bm25s.BM25()
            bm25.index([tokenize(f"{c.title} {c.heading} {c.text}") for c in chunks], show_progress=False)
        self._save(_Loaded(fingerprint, ids, bm25))
        return _Loaded(fingerprint, ids, bm25)

    def _save(self, loaded: _Loaded) -> None:
        # Write to a fresh folder, then swap it in by renames. A crash between the two renames
        # leaves no index folder, and it is rebuilt from the store on the next load.
        tmp = self.directory.with_name(self.directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if loaded.bm25 is not None:
            loaded.bm25.save(str(tmp), show_progress=False)
        (tmp / _META).write_text(json.dumps({"fingerprint": loaded.fingerprint, "chunk_ids": loaded.chunk_ids}))
        old = self.directory.with_name(self.directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.directory.exists():
            self.directory.rename(old)
        tmp.rename(self.directory)
        shutil.rmtree(old, ignore_errors=True)

    def _load_saved(self) -> _Loaded | None:
        meta_path = self.directory / _META
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            bm25 = bm25s.BM25.load(str(self.directory)) if meta["chunk_ids"] else None
        except (OSError, ValueError, KeyError):
            return None  # a damaged index is rebuilt from the store
        return _Loaded(meta["fingerprint"], list(meta["chunk_ids"]), bm25)
