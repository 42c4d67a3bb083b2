"""The keyword index scores as bm25s does, and an edited index is the index a full build gives."""

from pathlib import Path

import bm25s
import pytest

from citewise.core.types import Chunk
from citewise.evals.dataset import SQLITE_CORPUS
from citewise.ingest import BUNDLED_CORPUS
from citewise.ingest.chunking import chunk_text
from citewise.ingest.loaders import load_file
from citewise.retrieval.keyword import KeywordIndex, chunk_tokens
from citewise.retrieval.tokenize import tokenize

QUERIES = [
    "How many parameters did GPT-3 have?",
    "What is RLHF used for?",
    "transformer attention transformer",  # a word asked twice counts twice
    "Does SQLite enforce foreign keys by default?",
    "WAL mode checkpoint",
    "大模型的参数",
    "zzz-not-a-word",
]


def chunks_of(folder: Path, pattern: str, limit: int) -> list[Chunk]:
    chunks = []
    for path in sorted(folder.glob(pattern))[:limit]:
        loaded = load_file(path)
        chunks += chunk_text(str(path), loaded.title, loaded.text, path.name, 800, 120)
    return chunks


@pytest.fixture(scope="module")
def corpus_chunks() -> list[Chunk]:
    return chunks_of(BUNDLED_CORPUS, "*.md", 4) + chunks_of(SQLITE_CORPUS, "*.html", 8)


def test_scores_equal_bm25s_on_real_documents(corpus_chunks: list[Chunk]) -> None:
    index = KeywordIndex.build(corpus_chunks)
    reference = bm25s.BM25()  # Lucene BM25, k1 1.5, b 0.75: its defaults
    reference.index([chunk_tokens(c) for c in corpus_chunks], show_progress=False)
    compared = 0
    for query in QUERIES:
        ours = index.search(query, 10)
        known = [t for t in tokenize(query) if t in reference.vocab_dict]
        if not known:
            assert ours == []
            continue
        expected = reference.get_scores(known)
        for chunk_id, score in ours:
            row = index.chunk_ids.index(chunk_id)
            assert score == pytest.approx(float(expected[row]), rel=1e-5)
            compared += 1
        best = sorted(expected, reverse=True)[: len(ours)]
        assert [s for _, s in ours] == pytest.approx([float(s) for s in best if s > 0], rel=1e-5)
    assert compared >= 40


def test_an_edited_index_searches_as_a_full_build(corpus_chunks: list[Chunk]) -> None:
    sources = sorted({c.source for c in corpus_chunks})
    first, later = sources[:7], sources[7:]
    built = KeywordIndex.build([c for c in corpus_chunks if c.source in first])
    # One write: two documents kept, the rest of the first ones dropped, the later ones added.
    kept = first[:2]
    edited = built.edited(kept, [c for c in corpus_chunks if c.source in later])
    full = KeywordIndex.build([c for c in corpus_chunks if c.source in kept + later])

    assert sorted(edited.chunk_ids) == sorted(full.chunk_ids)
    assert set(edited.sources) == set(kept + later)
    for query in QUERIES:
        assert edited.search(query, 8) == full.search(query, 8)


def test_ties_are_cut_by_chunk_id_whatever_the_row_order() -> None:
    def chunk(chunk_id: str, source: str) -> Chunk:
        return Chunk(chunk_id, source, "T", "", "the valve on line two", 0, 21, "h", 0)

    one = KeywordIndex.build([chunk("c", "/a"), chunk("a", "/b"), chunk("b", "/c")])
    other = KeywordIndex.build([chunk("b", "/c"), chunk("c", "/a"), chunk("a", "/b")])

    assert [i for i, _ in one.search("valve", 2)] == ["a", "b"]
    assert one.search("valve", 2) == other.search("valve", 2)


def test_a_saved_index_loads_whole(corpus_chunks: list[Chunk], tmp_path: Path) -> None:
    index = KeywordIndex.build(corpus_chunks[:50])
    index.save(tmp_path)

    loaded = KeywordIndex.load(tmp_path)

    assert loaded.chunk_ids == index.chunk_ids and loaded.sources == index.sources
    for query in QUERIES:
        assert loaded.search(query, 5) == index.search(query, 5)
