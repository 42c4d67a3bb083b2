"""Records that cross module boundaries."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Chunk:
    """A passage of one document, with where it sits in the document's extracted text."""

    id: str
    source: str
    title: str
    heading: str
    text: str
    start: int
    end: int
    doc_hash: str
    index: int


@dataclass(frozen=True)
class DocumentRecord:
    """One indexed document: its source, the hash of its content and what it was split into."""

    source: str
    title: str
    content_hash: str
    chunks: int
    indexed_at: str
    chars: int = 0


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk with its fused rank and the scores that put it there."""

    chunk: Chunk
    rank: int
    score: float
    dense: float | None = None
    keyword: float | None = None
    sources: tuple[str, ...] = field(default=())
