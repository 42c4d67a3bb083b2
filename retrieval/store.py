"""Chroma-backed chunk store: an embedded PersistentClient, or a Chroma server at CITEWISE_CHROMA_URL.

Chroma has no transactions, so a document's replacement is made atomic for readers by a
registry: one record per document names its current content hash, and readers only see
chunks of that hash. Replacing writes the new chunks, flips the registry record, then deletes
the old chunks; a reader sees the old version or the new one, never both or neither.
"""

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings

from citewise.core.settings import Settings
from citewise.core.types import Chunk, DocumentRecord, source_label
from citewise.retrieval.embeddings import CitewiseEmbeddingFunction

_EMBEDDING_KEY = "embedding_model"
_PLACEHOLDER_VECTOR = [1.0]  # registry records are looked up by id, never by similarity
# Chunks embedded and written per Chroma call: bounds the memory of one call on a large document.
WRITE_BATCH = 256
# Dense search asks Chroma for this many times n: chunks of a replaced version may still sit in
# the collection for a moment (or after a crash) and are filtered out after the query.
OVERFETCH = 2


class StoreError(RuntimeError):
    """The store cannot be opened or used; the message says what to do."""


class EmbeddingModelMismatch(StoreError):
    """The index was built with another embedding model than the configured one."""


def _client(settings: Settings) -> chromadb.ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise StoreError(f"CITEWISE_CHROMA_URL={settings.chroma_url!r} is not a URL like http://host:8000")
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:
            raise StoreError(
                f"Cannot reach the Chroma server at {settings.chroma_url}: {exc}. "
                "Start it (`chroma run --path DIR --port PORT`) or unset CITEWISE_CHROMA_URL."
            ) from exc
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


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


class Store:
    """The chunks and the document registry of one citewise index."""

    def __init__(self, settings: Settings, rebuild: bool = False) -> None:
        """Open the index; `rebuild` drops it first (e.g. to change the embedding model)."""
        self.settings = settings
        self.location = settings.chroma_url or str(settings.chroma_dir)
        self.embedding = CitewiseEmbeddingFunction(settings.embedding_model)
        self._client = _client(settings)
        if rebuild:
            self._drop_collections()
        self._open_collections()

    def _open_collections(self) -> None:
        name = self.settings.collection
        try:
            self._chunks = self._client.get_or_create_collection(
                name,
                embedding_function=self.embedding,
                metadata={_EMBEDDING_KEY: self.settings.embedding_model},
            )
            self._registry = self._client.get_or_create_collection(
                f"{name}_documents", embedding_function=self.embedding
            )
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

    def _drop_collections(self) -> None:
        name = self.settings.collection
        existing = {c.name for c in self._client.list_collections()}
        for collection in (name, f"{name}_documents"):
            if collection in existing:
                self._client.delete_collection(collection)

    # -- documents ---------------------------------------------------------------------------

    def documents(self) -> list[DocumentRecord]:
        """Every indexed document, sorted by source."""
        got = self._registry.get(include=["metadatas"])
        records = [
            DocumentRecord(
                source=str(m["source"]),
                title=str(m["title"]),
                content_hash=str(m["content_hash"]),
                chunks=int(m["chunks"]),
                indexed_at=str(m["indexed_at"]),
                chars=int(m.get("chars", 0)),
            )
            for m in got["metadatas"] or []
        ]
        return sorted(records, key=lambda r: r.source)

    def document(self, source: str) -> DocumentRecord | None:
        return next((d for d in self.documents() if d.source == source), None)

    def active_hashes(self) -> dict[str, str]:
        """source -> content hash of the version readers may see."""
        got = self._registry.get(include=["metadatas"])
        return {str(m["source"]): str(m["content_hash"]) for m in got["metadatas"] or []}

    def fingerprint(self) -> str:
        """Changes whenever any document is added, replaced or removed."""
        pairs = sorted(self.active_hashes().items())
        return hashlib.sha256(repr(pairs).encode()).hexdigest()

    def put_document(self, source: str, title: str, content_hash: str, chunks: Sequence[Chunk], chars: int) -> None:
        """Add or replace one document's chunks; readers switch versions in one step."""
        if chunks:
            for start in range(0, len(chunks), WRITE_BATCH):
                batch = chunks[start : start + WRITE_BATCH]
                self._chunks.upsert(
                    ids=[c.id for c in batch],
                    documents=[c.text for c in batch],
                    embeddings=self.embedding([_embedding_text(c) for c in batch]),
                    metadatas=[_chunk_metadata(c) for c in batch],
                )
        self._registry.upsert(
            ids=[source_key(source)],
            embeddings=[_PLACEHOLDER_VECTOR],
            metadatas=[
                {
                    "source": source,
                    "title": title,
                    "content_hash": content_hash,
                    "chunks": len(chunks),
                    "indexed_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "chars": chars,
                }
            ],
        )
        self._chunks.delete(where={"$and": [{"source": source}, {"doc_hash": {"$ne": content_hash}}]})

    def remove_document(self, source: str) -> bool:
        """Drop a document and its chunks; False when it was not indexed."""
        if self.document(source) is None:
            return False
        self._registry.delete(ids=[source_key(source)])
        self._chunks.delete(where={"source": source})
        return True

    # -- chunks ------------------------------------------------------------------------------

    def count_chunks(self) -> int:
        return sum(d.chunks for d in self.documents())

    def chunks(self, sources: Iterable[str] | None = None) -> list[Chunk]:
        """The visible chunks (of the given sources, or all), in document order."""
        active = self.active_hashes()
        wanted = set(active) if sources is None else set(sources) & set(active)
        if not wanted:
            return []
        where = {"source": next(iter(wanted))} if len(wanted) == 1 else {"source": {"$in": sorted(wanted)}}
        got = self._chunks.get(where=where, include=["documents", "metadatas"])
        chunks = [
            _chunk_from(i, d, m)
            for i, d, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
            if active.get(str(m["source"])) == m["doc_hash"]
        ]
        return sorted(chunks, key=lambda c: (c.source, c.index))

    def get_chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """The visible chunks among `ids`, by id."""
        if not ids:
            return {}
        active = self.active_hashes()
        got = self._chunks.get(ids=list(ids), include=["documents", "metadatas"])
        return {
            i: _chunk_from(i, d, m)
            for i, d, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
            if active.get(str(m["source"])) == m["doc_hash"]
        }

    def dense_search(self, query: str, n: int) -> list[tuple[Chunk, float]]:
        """The n chunks nearest to the query, with cosine similarity."""
        active = self.active_hashes()
        total = self._chunks.count()
        if not active or total == 0:
            return []
        vector = self.embedding.embed_query([query])
        got = self._chunks.query(
            query_embeddings=vector,
            n_results=min(total, n * OVERFETCH),
            include=["documents", "metadatas", "distances"],
        )
        hits = [
            (_chunk_from(i, d, m), 1.0 - float(dist))
            for i, d, m, dist in zip(
                got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0], strict=True
            )
            if active.get(str(m["source"])) == m["doc_hash"]
        ]
        return hits[:n]


def _embedding_text(chunk: Chunk) -> str:
    """What is embedded: the chunk prefixed by where it sits, so a passage keeps its topic."""
    context = source_label(chunk.title, chunk.heading)
    return f"{context}\n{chunk.text}" if context else chunk.text
