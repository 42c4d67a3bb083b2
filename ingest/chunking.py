"""Structure-aware chunking: split at Markdown headings, then by paragraphs within a section."""

import hashlib
import re
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from citewise.core.types import Chunk
from citewise.retrieval.store import source_key

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)
# Sections shorter than this are folded into the next one, so a lone heading never becomes a chunk.
_MIN_SECTION_CHARS = 200
_SEPARATORS = ["\n\n", "\n", "。", ". ", "? ", "! ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class Section:
    heading: str
    start: int
    end: int


def split_sections(text: str) -> list[Section]:
    """Sections of the text at its Markdown headings, each with its heading path ("A > B")."""
    starts: list[tuple[int, str]] = [(0, "")]
    path: list[tuple[int, str]] = []
    for match in _HEADING.finditer(text):
        level, name = len(match.group(1)), match.group(2).strip()
        path = [(lvl, n) for lvl, n in path if lvl < level] + [(level, name)]
        heading = " > ".join(n for lvl, n in path if lvl > 1 or len(path) == 1)
        starts.append((match.start(), heading))
    sections = [
        Section(heading, start, end)
        for (start, heading), (end, _) in zip(starts, [*starts[1:], (len(text), "")], strict=True)
        if text[start:end].strip()
    ]
    merged: list[Section] = []
    carry: int | None = None
    for section in sections:
        start = section.start if carry is None else carry
        if section.end - start < _MIN_SECTION_CHARS and section is not sections[-1]:
            carry = start
            continue
        merged.append(Section(section.heading, start, section.end))
        carry = None
    return merged


def chunk_text(source: str, title: str, text: str, doc_hash: str, size: int, overlap: int) -> list[Chunk]:
    """Chunks of one document; each knows its heading path and its offsets in `text`."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        separators=_SEPARATORS,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )
    chunks: list[Chunk] = []
    for section in split_sections(text):
        body = text[section.start : section.end]
        for piece in splitter.create_documents([body]):
            start = section.start + int(piece.metadata["start_index"])
            chunks.append(
                Chunk(
                    id=f"{source_key(source)}-{doc_hash[:12]}-{len(chunks):04d}",
                    source=source,
                    title=title,
                    heading=section.heading,
                    text=piece.page_content,
                    start=start,
                    end=start + len(piece.page_content),
                    doc_hash=doc_hash,
                    index=len(chunks),
                )
            )
    return chunks


def content_hash(data: bytes, size: int, overlap: int, reading: str = "") -> str:
    """Hash of a file's bytes, the chunking settings and how its kind of file is read (`reading`, empty for a
    kind read as at first): any of them changing means re-indexing."""
    digest = hashlib.sha256(data)
    digest.update(f"|chunks:{size}:{overlap}:v1".encode())
    if reading:
        digest.update(f"|read:{reading}".encode())
    return digest.hexdigest()
