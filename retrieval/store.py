"""Chroma-backed chunk store: an embedded PersistentClient, or a Chroma server at CITEWISE_CHROMA_URL.

Chroma has no transactions; four rules make an index one unit that a crash or a second process cannot leave
half-written:

- One writer at a time: every write holds the data folder's write lock (retrieval/locks.py) from start to end.
- Write order: a version's chunks, then its registry record (source -> content hash, chunk count). The chunks of
  a replaced or removed version are deleted only after the write is published.
- Readers see the published view (retrieval/view.py): the records, chunk ids and BM25 index as of the end of the
  last write, swapped in whole. Before each read a reader checks the view's version stamp (one small file) and,
  when it changed, loads the new view and reopens embedded Chroma, which does not see other processes' writes
  until reopened (chroma-core/chroma#3792).
- Recovery: an ingest first reconciles. Chunks that neither a record nor the published view owns (a killed or
  failed write) are deleted; records missing chunks are indexed again. When the store holds exactly the chunks the
  registry names, that costs one count.
"""

import hashlib
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import chromadb
from chromadb.errors import InternalError, NotFoundError

from citewise.core.settings import Settings
from citewise.core.types import Chunk, DocumentRecord, source_label
from citewise.retrieval.clients import EmbeddedClient, server_client
from citewise.retrieval.drift import Drift, find_drift
from citewise.retrieval.embeddings import CitewiseEmbeddingFunction
from citewise.retrieval.errors import EmbeddingModelMismatch, IndexBusy, IndexReopened, StoreError
from citewise.retrieval.keyword import KeywordIndex
from citewise.retrieval.locks import IndexLocks, Waiting
from citewise.retrieval.view import IndexView, PublishedViews, ViewDamaged, fingerprint

__all__ = [
    "DocumentVersion",
    "EmbeddingModelMismatch",
    "IndexBusy",
    "IndexReopened",
    "Store",
    "StoreError",
    "source_key",
]

_EMBEDDING_KEY = "embedding_model"
_PLACEHOLDER_VECTOR = [1.0]  # registry records are looked up by id, never by similarity
# The id of the registry's version record: every registry write gives it a new stamp, so that a process on a
# Chroma server notices another's writes with one small read instead of reading the whole registry.
_REGISTRY_STAMP = "citewise:registry-stamp"
# Chunks embedded and written per Chroma call: bounds the memory of one call on a large document.
WRITE_BATCH = 256
# Dense search asks Chroma for the n nearest and drops chunks not in the published view (being written,
# replaced but not yet deleted, or left by a crash); when fewer than n remain, it asks for this many times more.
STRAY_REFETCH = 4
# Chunks read per Chroma call when reading them all (publishing, checking).
READ_PAGE = 5000
# Sources per Chroma read when the chunks of documents are read back to build a view.
_READ_SOURCES = 500
T = TypeVar("T")

# What a read on embedded Chroma raises when another process dropped the collections under it (a
# rebuild): NotFoundError once they are gone, InternalError ("Missing metadata segment") mid-drop.
DROPPED = (NotFoundError, InternalError)


@dataclass(frozen=True)
class DocumentVersion:
    """One version of a document to write: its record's fields and its chunks."""

    source: str
    title: str
    content_hash: str
    chunks: tuple[Chunk, ...]
    chars: int


def source_key(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _chunk_metadata(chunk: Chunk) -> dict[str, str | int]:
    return {
        "source": chunk.source,
        "title": chunk.title,
        "heading": chunk.heading,
        "start": chunk.start,
        "end": chunk.end,
        "doc_hash": chunk.doc_hash,
        "index": chunk.index,
    }


def _chunk_from(chunk_id: str, text: str, meta: dict) -> Chunk:
    return Chunk(
        id=chunk_id,
        source=str(meta["source"]),
        title=str(meta["title"]),
        heading=str(meta.get("heading", "")),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        doc_hash=str(meta["doc_hash"]),
        index=int(meta["index"]),
    )


def _record_from(meta: Mapping) -> DocumentRecord:
    return DocumentRecord(
        source=str(meta["source"]),
        title=str(meta["title"]),
        content_hash=str(meta["content_hash"]),
        chunks=int(meta["chunks"]),
        indexed_at=str(meta["indexed_at"]),
        chars=int(meta.get("chars", 0)),
    )


def embedding_text(chunk: Chunk) -> str:
    """What is embedded: the chunk prefixed by where it sits, so a passage keeps its topic."""
    context = source_label(chunk.title, chunk.heading)
    return f"{context}\n{chunk.text}" if context else chunk.text


class Store:
    """The chunks, the document registry and the published view of one citewise index.

    Reads (documents, chunks, searches) see the published view. Writes (`put_document`, `remove_document`, and
    anything inside `with store.writing(...)`) hold the write lock and publish when the outermost one ends.
    """

    def __init__(self, settings: Settings, rebuild: bool = False, on_wait: Waiting | None = None) -> None:
        """Open the index; `rebuild` drops it first (e.g. to change the embedding model). `on_wait` is told
        when a write has to wait for another process's."""
        self.settings = settings
        self.location = settings.chroma_url or str(settings.chroma_dir)
        self.embedding = CitewiseEmbeddingFunction(settings.embedding_model)
        self.locks = IndexLocks(settings.data_dir, settings.lock_timeout, on_wait)
        self.views = PublishedViews(settings.keyword_dir / settings.collection)
        self._embedded = None if settings.chroma_url else EmbeddedClient.of(settings.chroma_dir)
        self._guard = self._embedded.lock if self._embedded else threading.RLock()
        self._server: chromadb.ClientAPI | None = None
        self._generation = -1
        self._view: IndexView | None = None
        self._seen: str | None = None  # the version stamp self._view was loaded at
        self._followed: str | None = None  # the registry stamp whose records the view was last checked against
        # Taken before the load lock and the client's lock, never while holding them.
        self._view_lock = threading.RLock()
        self._replaced: set[str] = set()  # sources whose older chunks go once this write is published
        self._incomplete: set[str] = set()  # sources whose record names chunks that are gone
        self._written: dict[str, DocumentVersion] = {}  # versions this write put, for the next view's keyword rows
        if rebuild:
            # Drop and publish the empty view in one hold of the load lock: no reader finds the new, empty
            # collections with the old view, which lists documents whose chunks are gone.
            # (This object is new: no other thread holds its view lock, which _publish takes inside the load lock.)
            with self.locks.writing("ingest --rebuild"), self.locks.loading():
                self._open(reopen=True, drop=True)
                self._publish(force=True)
        else:
            self._open()

    # -- opening -----------------------------------------------------------------------------

    def _open(self, reopen: bool = False, drop: bool = False) -> None:
        """(Re)open the client and both collections under the load lock, loading their files there and then."""
        with self.locks.loading(), self._guard:
            if self._embedded is not None:
                if reopen or self._embedded.client is None:
                    self._embedded.reopen()
                    self._embedded.stamp = self.views.current()
                client, generation = self._embedded.client, self._embedded.generation
            else:
                if reopen or self._server is None:
                    self._server = server_client(str(self.settings.chroma_url))
                client, generation = self._server, 0
            assert client is not None
            if drop:
                self._drop_collections(client)
            self._open_collections(client)
            self._generation = generation

    def _open_collections(self, client: chromadb.ClientAPI) -> None:
        name = self.settings.collection
        try:
            self._chunks = client.get_or_create_collection(
                name,
                embedding_function=self.embedding,
                metadata={_EMBEDDING_KEY: self.settings.embedding_model},
            )
            self._registry = client.get_or_create_collection(f"{name}_documents", embedding_function=self.embedding)
            # The first use loads (and rewrites) the HNSW files: do it now, under the load lock.
            self._chunks.count()
            self._registry.count()
        except ValueError as exc:
            if "embedding function" in str(exc).lower():
                raise self._mismatch(str(exc)) from exc
            raise
        except Exception as exc:
            raise StoreError(f"Cannot open the index at {self.location}: {exc}") from exc
        built_with = (self._chunks.metadata or {}).get(_EMBEDDING_KEY)
        if built_with != self.settings.embedding_model:
            raise self._mismatch(str(built_with))

    def _mismatch(self, built_with: str) -> EmbeddingModelMismatch:
        return EmbeddingModelMismatch(
            f"The index at {self.location} was built with another embedding model ({built_with}) "
            f"than the configured one ({self.settings.embedding_model}). Set "
            "CITEWISE_EMBEDDING_MODEL back, or rebuild the index with the new model: "
            "`citewise ingest --rebuild [PATH...]`."
        )

    def _drop_collections(self, client: chromadb.ClientAPI) -> None:
        name = self.settings.collection
        existing = {c.name for c in client.list_collections()}
        for collection in (name, f"{name}_documents"):
            if collection in existing:
                client.delete_collection(collection)

    def _chroma(self, call: Callable[[], T]) -> T:
        """Run a Chroma call on current collections; once more after reopening if another process dropped and
        made them anew (`citewise ingest --rebuild`)."""
        try:
            with self._guard:
                if self._embedded is not None and self._embedded.generation != self._generation:
                    self._open()  # another Store of this process reopened the shared client
                return call()
        except DROPPED:
            self._open(reopen=True)
            with self._guard:
                return call()

    def _read(self, view: IndexView, call: Callable[[], T]) -> T:
        """A Chroma call whose result is read through `view`: if the collections were dropped under it, the
        view is stale too, so reopen and raise IndexReopened for the read to be done again."""
        try:
            with self._guard:
                if self._embedded is not None and self._embedded.generation != self._generation:
                    self._open()
                return call()
        except DROPPED as exc:
            self._open(reopen=True)
            with self._view_lock:
                self._view = None
            raise IndexReopened(f"the index at {self.location} was rebuilt during a read") from exc

    def _with_view(self, view: IndexView | None, read: Callable[[IndexView], T]) -> T:
        """`read` on the given view, or on the current one, and once more on the new one after a rebuild."""
        try:
            return read(view or self.view())
        except IndexReopened:
            if view is not None:
                raise
            return read(self.view())

    # -- reading: the published view ---------------------------------------------------------

    def view(self) -> IndexView:
        """The published view; reloaded, with embedded Chroma reopened, when a writer has published since."""
        stamp = self.views.current()
        with self._view_lock:
            if self._view is None or stamp != self._seen:
                self._load_view()
            if self.settings.chroma_url and not self.locks.holds_write():
                self._follow_other_writers()
            assert self._view is not None
            return self._view

    def _load_view(self) -> None:
        with self.locks.loading():
            # Under the load lock nobody writes or publishes: the files and the view read now belong together.
            stamp = self.views.current()
            stale = self._embedded is not None and self._embedded.stamp != stamp
            self._open(reopen=stale and not self.locks.holds_write())
            try:
                view = self.views.load()
            except ViewDamaged:
                view = None
        if view is None:
            view = self._repair_view()
        self._view, self._seen = view, view.version or stamp

    def _repair_view(self) -> IndexView:
        """No readable view is published: publish one from the store, or, while a writer is at work (it will
        publish when it ends), build one for this process alone."""
        with self.locks.writing_if_free("repair of the keyword index") as free:
            return self._publish(force=True) if free else self._build_view()

    def _follow_other_writers(self) -> None:
        """On a Chroma server, a process with another data folder (or on another machine) writes without our
        lock and publishes no view here: notice it by the registry's stamp (one small read) and, when the stamp
        is new, compare the registry's fingerprint and publish the view again if it changed."""
        assert self._view is not None
        stamp = self._registry_stamp()
        if stamp is not None and stamp == self._followed:
            return
        if fingerprint(self._registry_versions()) != self._view.fingerprint:
            with self.locks.writing_if_free("refresh of the keyword index") as free:
                if not free:
                    return  # a writer here will publish; look again next time
                self._publish()
        self._followed = stamp

    def _registry_stamp(self) -> str | None:
        """The registry's version stamp; None in an index no write has stamped yet."""
        got = self._chroma(lambda: self._registry.get(ids=[_REGISTRY_STAMP], include=["metadatas"]))
        metadatas = got["metadatas"] or []
        return str(metadatas[0].get("stamp")) if got["ids"] and metadatas and metadatas[0] else None

    def _stamp_registry(self) -> None:
        """Give the registry a new version stamp (call under the load lock, after changing its records)."""
        self._chroma(
            lambda: self._registry.upsert(
                ids=[_REGISTRY_STAMP], embeddings=[_PLACEHOLDER_VECTOR], metadatas=[{"stamp": uuid.uuid4().hex}]
            )
        )

    def documents(self) -> list[DocumentRecord]:
        """Every indexed document, sorted by source."""
        return list(self.view().records)

    def document(self, source: str) -> DocumentRecord | None:
        return next((d for d in self.view().records if d.source == source), None)

    def active_hashes(self) -> dict[str, str]:
        """source -> content hash of the version readers may see."""
        return dict(self.view().active)

    def fingerprint(self) -> str:
        """Changes whenever any document is added, replaced or removed."""
        return self.view().fingerprint

    def count_chunks(self) -> int:
        return sum(d.chunks for d in self.view().records)

    def chunks(self, sources: Iterable[str] | None = None, view: IndexView | None = None) -> list[Chunk]:
        """The visible chunks (of the given sources, or all), in document order."""
        wanted_sources = None if sources is None else list(sources)
        return self._with_view(view, lambda v: self._visible_chunks(wanted_sources, v))

    def _visible_chunks(self, sources: list[str] | None, view: IndexView) -> list[Chunk]:
        wanted = set(view.active) if sources is None else set(sources) & set(view.active)
        if not wanted:
            return []
        where = {"source": next(iter(wanted))} if len(wanted) == 1 else {"source": {"$in": sorted(wanted)}}
        got = self._read(view, lambda: self._chunks.get(where=where, include=["documents", "metadatas"]))
        chunks = [
            _chunk_from(i, d, m)
            for i, d, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
            if m and view.visible(str(m["source"]), str(m["doc_hash"]))
        ]
        return sorted(chunks, key=lambda c: (c.source, c.index))

    def get_chunks(self, ids: Sequence[str], view: IndexView | None = None) -> dict[str, Chunk]:
        """The visible chunks among `ids` (repeats allowed: two citations of one chunk), by id."""
        if not ids:
            return {}
        return self._with_view(view, lambda v: self._visible_by_id(list(dict.fromkeys(ids)), v))

    def _visible_by_id(self, ids: list[str], view: IndexView) -> dict[str, Chunk]:
        got = self._read(view, lambda: self._chunks.get(ids=ids, include=["documents", "metadatas"]))
        return {
            i: _chunk_from(i, d, m)
            for i, d, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
            if m and view.visible(str(m["source"]), str(m["doc_hash"]))
        }

    def dense_search(self, query: str, n: int, view: IndexView | None = None) -> list[tuple[Chunk, float]]:
        """The n visible chunks nearest to the query, with cosine similarity."""
        vector = self.embedding.embed_query([query])
        return self._with_view(view, lambda v: self._nearest(vector, n, v))

    def _nearest(self, vector: list, n: int, view: IndexView) -> list[tuple[Chunk, float]]:
        n = min(n, len(view.keyword.chunk_ids))  # no more hits than the view holds
        if n == 0:
            return []
        asked = n
        while True:
            got = self._read(
                view,
                lambda asked=asked: self._chunks.query(
                    query_embeddings=vector, n_results=asked, include=["documents", "metadatas", "distances"]
                ),
            )
            hits = [
                (_chunk_from(i, d, m), 1.0 - float(dist))
                for i, d, m, dist in zip(
                    got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0], strict=True
                )
                # A process that has not reopened Chroma can get ids of deleted chunks, without metadata.
                if m and view.visible(str(m["source"]), str(m["doc_hash"]))
            ]
            if len(hits) >= n or len(got["ids"][0]) < asked:  # enough, or Chroma holds no more
                return hits[:n]
            asked *= STRAY_REFETCH

    def keyword_search(self, query: str, n: int, view: IndexView | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the n best visible chunks for the query's words."""
        return (view or self.view()).keyword.search(query, n)

    # -- writing -----------------------------------------------------------------------------

    @contextmanager
    def writing(self, what: str = "ingest", publish: bool = True) -> Iterator[None]:
        """Hold the write lock for a whole write (nested calls join the outer one). At its start embedded Chroma
        is reopened, to build on what other processes wrote; when it ends, what it wrote is published and the
        chunks it replaced are deleted (`publish=False`: a check that writes nothing)."""
        if self.locks.holds_write():
            yield
            return
        with self.locks.writing(what):
            self._open(reopen=True)
            self._replaced, self._incomplete, self._written = set(), set(), {}
            try:
                yield
            except BaseException:
                if publish:
                    with suppress(Exception):
                        self._finish()
                raise
            if publish:
                self._finish()

    def drop(self, what: str = "kb delete") -> None:
        """Delete this index whole, its collections and its published views (a knowledge base being deleted);
        other collections of the data folder are not touched."""
        with self.locks.writing(what), self.locks.loading(), self._guard:
            client = self._embedded.client if self._embedded is not None else self._server
            if client is not None:
                self._drop_collections(client)
            shutil.rmtree(self.views.folder, ignore_errors=True)
            self._view = None

    def _finish(self) -> None:
        view = self._publish()
        for source in sorted(self._replaced):
            self._delete_replaced(source, view.active.get(source))
        self._replaced, self._written = set(), {}

    def registered(self) -> dict[str, DocumentRecord]:
        """The registry as it is now (writers' view; readers see `documents`), by source."""
        got = self._chroma(lambda: self._registry.get(include=["metadatas"]))
        return {
            record.source: record
            for record in (
                _record_from(meta)
                for chunk_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
                if chunk_id != _REGISTRY_STAMP
            )
        }

    def _registry_versions(self) -> dict[str, str]:
        return {source: record.content_hash for source, record in self.registered().items()}

    def indexed_versions(self, records: Mapping[str, DocumentRecord] | None = None) -> dict[str, str]:
        """source -> content hash of every document the registry (or `records`, as `registered` gave it) holds
        whole; a record found missing chunks (by `reconcile` or `check`) is left out, so that its file is
        indexed again."""
        records = self.registered() if records is None else records
        return {s: r.content_hash for s, r in records.items() if s not in self._incomplete}

    def reconcile(self, full: bool = False) -> Drift:
        """Repair what a killed or failed write left (call inside `writing`): delete chunks that no record and
        no published view owns, and note records missing chunks. Unless `full`, one count when the store holds
        as many chunks as the registry names."""
        records = self.registered()
        if not full and self._chroma(self._chunks.count) == sum(r.chunks for r in records.values()):
            return Drift()
        drift = self.check(records)
        self.delete_chunks(drift.orphans)
        self._replaced |= drift.leftover_sources
        return drift

    def check(self, records: Mapping[str, DocumentRecord] | None = None) -> Drift:
        """Compare every stored chunk with the registry (reads them all; call inside `writing`)."""
        records = self.registered() if records is None else records
        got = self._all_chunks(["metadatas"])
        stored = [
            (i, (str(m["source"]), str(m["doc_hash"])))
            for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)
            if m
        ]
        published = self.published()
        drift = find_drift(records, stored, published.active if published else {})
        self._incomplete |= {gap.record.source for gap in drift.incomplete}
        return drift

    def view_status(self, drift: Drift) -> str:
        """The published view: ok, missing, damaged, or stale (it lists other versions or chunks than the
        registry and the store hold); `drift` is what `check` found."""
        with self.locks.loading():
            try:
                view = self.views.load()
            except ViewDamaged:
                return "damaged"
        if view is None:
            return "missing"
        if view.fingerprint != fingerprint(self._registry_versions()) or set(view.keyword.chunk_ids) != set(
            drift.recorded_ids
        ):
            return "stale"
        return "ok"

    def published(self) -> IndexView | None:
        """The view as published on disk now; None when there is none or it cannot be read."""
        with self.locks.loading():
            try:
                return self.views.load()
            except ViewDamaged:
                return None

    def delete_chunks(self, ids: Sequence[str]) -> int:
        for start in range(0, len(ids), WRITE_BATCH):
            batch = list(ids[start : start + WRITE_BATCH])
            with self.locks.loading():
                self._chroma(lambda batch=batch: self._chunks.delete(ids=batch))
        return len(ids)

    def put_document(
        self,
        source: str,
        title: str,
        content_hash: str,
        chunks: Sequence[Chunk],
        chars: int,
        embeddings: Sequence[Sequence[float]] | None = None,
    ) -> None:
        """Add or replace one document (see `put_documents`)."""
        self.put_documents([DocumentVersion(source, title, content_hash, tuple(chunks), chars)], embeddings)

    def put_documents(
        self, versions: Sequence[DocumentVersion], embeddings: Sequence[Sequence[float]] | None = None
    ) -> None:
        """Add or replace documents: all their chunks, embedded together, then all their records in one registry
        write. Readers see them once the write is published; the replaced versions' chunks are deleted after
        that. A failure midway deletes what it wrote, for every one of them. `embeddings`: one vector per chunk
        (in order), of `embedding_text(chunk)` by this store's model, computed already (the benchmark's
        synthetic chunks); without them the chunks are embedded here."""
        if not versions:
            return
        count = sum(len(v.chunks) for v in versions)
        if embeddings is not None and len(embeddings) != count:
            raise ValueError(f"{versions[0].source}: {len(embeddings)} embeddings for {count} chunks")
        with self.writing():
            chunks = [c for v in versions for c in v.chunks]
            try:
                # One call: the model sorts all the texts by length and fills every batch.
                if embeddings is not None:
                    vectors = list(embeddings)
                else:
                    vectors = self.embedding.matrix([embedding_text(c) for c in chunks]) if chunks else []
                for start in range(0, len(chunks), WRITE_BATCH):
                    batch = chunks[start : start + WRITE_BATCH]
                    batch_vectors = vectors[start : start + WRITE_BATCH]
                    with self.locks.loading():
                        self._chroma(
                            lambda batch=batch, batch_vectors=batch_vectors: self._chunks.upsert(
                                ids=[c.id for c in batch],
                                documents=[c.text for c in batch],
                                embeddings=batch_vectors,
                                metadatas=[_chunk_metadata(c) for c in batch],
                            )
                        )
            except BaseException:
                with suppress(Exception):
                    self._delete_unused_versions(versions)
                raise
            keys = [source_key(v.source) for v in versions]
            had_record = set(self._chroma(lambda: self._registry.get(ids=keys, include=[])["ids"]))
            indexed_at = datetime.now(UTC).isoformat(timespec="seconds")
            records = [
                {
                    "source": v.source,
                    "title": v.title,
                    "content_hash": v.content_hash,
                    "chunks": len(v.chunks),
                    "indexed_at": indexed_at,
                    "chars": v.chars,
                }
                for v in versions
            ]
            with self.locks.loading():
                self._chroma(
                    lambda: self._registry.upsert(
                        ids=keys, embeddings=[_PLACEHOLDER_VECTOR] * len(keys), metadatas=records
                    )
                )
                self._stamp_registry()
            # A source without a record before this write has no older chunks that a reader may see
            # (those a crash left are reconcile's): nothing to delete for it after publishing.
            self._replaced |= {v.source for v, key in zip(versions, keys, strict=True) if key in had_record}
            self._incomplete -= {v.source for v in versions}
            self._written.update({v.source: v for v in versions})

    def remove_document(self, source: str) -> bool:
        """Drop a document; False when it was not indexed. Its chunks go once the write is published."""
        with self.writing("remove"):
            key = source_key(source)
            if not self._chroma(lambda: self._registry.get(ids=[key])["ids"]):
                return False
            with self.locks.loading():
                self._chroma(lambda: self._registry.delete(ids=[key]))
                self._stamp_registry()
            self._replaced.add(source)
            return True

    def _delete_unused_versions(self, versions: Sequence[DocumentVersion]) -> None:
        """Delete the chunks of these versions, except those the registry or the published view names."""
        published = self.published()
        registry = self._registry_versions()
        for version in versions:
            source, content_hash = version.source, version.content_hash
            if content_hash in {registry.get(source), published.active.get(source) if published else None}:
                continue
            where = {"$and": [{"source": source}, {"doc_hash": content_hash}]}
            with self.locks.loading():
                self._chroma(lambda where=where: self._chunks.delete(where=where))

    def _delete_replaced(self, source: str, current: str | None) -> None:
        """Delete every chunk of `source` but those of `current`, the version its record names (all, without)."""
        where: dict = {"source": source}
        if current is not None:
            where = {"$and": [{"source": source}, {"doc_hash": {"$ne": current}}]}
        with self.locks.loading():
            self._chroma(lambda: self._chunks.delete(where=where))

    # -- publishing --------------------------------------------------------------------------

    def _publish(self, force: bool = False) -> IndexView:
        """Make the view match the registry (hold the write lock): write a new one unless the published one
        already does, and switch readers to it in one step."""
        records = self.registered()
        published = None if force else self._published_now()
        versions = {source: r.content_hash for source, r in records.items()}
        if published is not None and published.fingerprint == fingerprint(versions):
            view = published
        else:
            view = self.views.write(self._build_view(records, published))
            with self.locks.loading():
                self.views.switch_to(str(view.version))
        with self._view_lock:
            self._view, self._seen = view, view.version
            if self._embedded is not None:
                self._embedded.stamp = view.version  # this process wrote it all: nothing to reread
        return view

    def _published_now(self) -> IndexView | None:
        """The published view: the one this process holds when it is still current, else read from disk."""
        with self._view_lock:
            if self._view is not None and self._view.version is not None and self._view.version == self.views.current():
                return self._view
        return self.published()

    def republish(self) -> IndexView:
        """Rebuild the view from the store and publish it (hold the write lock)."""
        return self._publish(force=True)

    def _all_chunks(self, include: list, where: dict | None = None) -> dict:
        """Every stored chunk (matching `where`), read in pages: one unpaged get of ~100k chunks fails on embedded
        Chroma ("too many SQL variables"). Call holding the write lock, so no page shifts under the next."""
        got: dict = {"ids": [], "documents": [], "metadatas": []}
        while True:
            page = self._chroma(
                lambda: self._chunks.get(where=where, include=include, limit=READ_PAGE, offset=len(got["ids"]))
            )
            for key in ("ids", *include):
                got[key] += page[key] or []
            if len(page["ids"]) < READ_PAGE:
                return got

    def _build_view(
        self, records: Mapping[str, DocumentRecord] | None = None, previous: IndexView | None = None
    ) -> IndexView:
        """The view of `records`: `previous` (the published view) edited. Its keyword rows of unchanged documents
        are kept, the chunks this write put are added, and only other documents' chunks are read back from
        Chroma (all of them when there is no `previous`)."""
        records = self.registered() if records is None else records
        versions = {source: r.content_hash for source, r in records.items()}
        written = {s: v for s, v in self._written.items() if versions.get(s) == v.content_hash}
        base = previous.keyword if previous is not None else KeywordIndex.empty()
        active = previous.active if previous is not None else {}
        keep = {s for s, h in active.items() if s not in written and versions.get(s) == h}
        added = [c for source in sorted(written) for c in sorted(written[source].chunks, key=lambda c: c.index)]
        missing = sorted(set(versions) - keep - set(written))
        for start in range(0, len(missing), _READ_SOURCES):
            wanted = missing[start : start + _READ_SOURCES]
            where = {"source": {"$in": wanted}} if len(wanted) > 1 else {"source": wanted[0]}
            got = self._all_chunks(["documents", "metadatas"], where)
            chunks = [
                _chunk_from(i, d, m)
                for i, d, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
                if m and versions.get(str(m["source"])) == m["doc_hash"]
            ]
            added += sorted(chunks, key=lambda c: (c.source, c.index))
        records_sorted = tuple(sorted(records.values(), key=lambda r: r.source))
        return IndexView(None, records_sorted, base.edited(keep, added))
