"""Chunks point exactly into their document's text, know their heading path and keep stable ids."""

import hashlib
from itertools import pairwise
from pathlib import Path

import pytest

from citewise.ingest.chunking import chunk_text, content_hash, split_sections
from citewise.ingest.loaders import load_file
from citewise.retrieval.store import source_key

CORPUS = sorted((Path(__file__).resolve().parents[2] / "corpus").glob("*.md"))
HASH = "ab" * 32


def section(words: str) -> str:
    return " ".join([words] * 6)


MANUAL = (
    "# Heat Pump Manual\n\n"
    + section("Read this manual before installing the heat pump.")
    + "\n\n## Installation\n\n"
    + section("Mount the outdoor unit on a level base away from bedrooms.")
    + "\n\n### Pipework\n\n"
    + section("Insulate every refrigerant pipe that runs outside.")
    + "\n\n## Maintenance\n\nShort.\n\n## Defrosting\n\n"
    + section("The unit defrosts itself when ice builds up on the coil.")
)


@pytest.mark.parametrize(("size", "overlap"), [(800, 120), (300, 60), (150, 0)])
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_chunk_offsets_point_exactly_at_the_chunk_text(path: Path, size: int, overlap: int) -> None:
    loaded = load_file(path)

    chunks = chunk_text(str(path), loaded.title, loaded.text, HASH, size, overlap)

    assert len(chunks) > 3
    for chunk in chunks:
        assert loaded.text[chunk.start : chunk.end] == chunk.text
        assert 0 < len(chunk.text) <= size
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_chunks_carry_their_heading_path() -> None:
    chunks = chunk_text("/docs/manual.md", "Heat Pump Manual", MANUAL, HASH, 800, 120)

    by_heading: dict[str, str] = {}
    for chunk in chunks:
        by_heading[chunk.heading] = by_heading.get(chunk.heading, "") + chunk.text
    assert list(by_heading) == ["Heat Pump Manual", "Installation", "Installation > Pipework", "Defrosting"]
    assert "Read this manual" in by_heading["Heat Pump Manual"]
    assert "Insulate every refrigerant pipe" in by_heading["Installation > Pipework"]
    # A section too short to stand alone is folded into the next, so no chunk is a bare heading.
    assert "## Maintenance\n\nShort." in by_heading["Defrosting"]
    assert all(c.title == "Heat Pump Manual" for c in chunks)


def test_sections_cover_the_text_without_gaps() -> None:
    sections = split_sections(MANUAL)

    assert sections[0].start == 0 and sections[-1].end == len(MANUAL)
    assert all(a.end == b.start for a, b in pairwise(sections))


def test_chunk_ids_are_stable_and_name_source_version_and_position() -> None:
    first = chunk_text("/docs/manual.md", "Heat Pump Manual", MANUAL, HASH, 300, 60)
    again = chunk_text("/docs/manual.md", "Heat Pump Manual", MANUAL, HASH, 300, 60)
    other_version = chunk_text("/docs/manual.md", "Heat Pump Manual", MANUAL, "cd" * 32, 300, 60)
    other_source = chunk_text("/docs/copy.md", "Heat Pump Manual", MANUAL, HASH, 300, 60)

    assert first == again
    assert [c.id for c in first] == [f"{source_key('/docs/manual.md')}-{HASH[:12]}-{i:04d}" for i in range(len(first))]
    assert not {c.id for c in first} & {c.id for c in other_version}
    assert not {c.id for c in first} & {c.id for c in other_source}


def test_content_hash_depends_on_bytes_and_chunk_settings() -> None:
    data = MANUAL.encode()

    assert content_hash(data, 800, 120) == content_hash(data, 800, 120)
    assert (
        len(
            {
                content_hash(data, 800, 120),
                content_hash(data + b" ", 800, 120),
                content_hash(data, 700, 120),
                content_hash(data, 800, 100),
                content_hash(data, 800, 120, "unwrapped"),
            }
        )
        == 5
    )
    # A kind of file whose reading never changed keeps the hash it was indexed under: no needless re-indexing.
    assert content_hash(data, 800, 120) == hashlib.sha256(data + b"|chunks:800:120:v1").hexdigest()
