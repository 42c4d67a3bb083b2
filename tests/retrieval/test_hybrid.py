"""Hybrid retrieval: RRF fusion, what each half finds alone, and the keyword index kept in step."""

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from citewise.core.settings import Settings
from citewise.core.types import ScoredChunk
from citewise.ingest.chunking import chunk_text, content_hash
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.hybrid import HybridRetriever, rrf_fuse
from citewise.retrieval.keyword import KeywordIndex, KeywordIndexDamaged
from citewise.retrieval.store import Store
from citewise.retrieval.view import PublishedViews

DOCS = {
    # The only passage naming XQ-7734, buried in unrelated shift news: only an exact match finds it.
    "handover.md": "# Shift handover\n\nThe canteen closes early on Friday and the car park barrier is stuck "
    "open again. New starters arrive on Monday and need badges from reception. Overnight, the XQ-7734 "
    "valve on line two was swapped for a spare.\n",
    # Look-alike part numbers that read much like the question to an embedding model.
    "stopcock.md": "# Stopcocks\n\nThe XQ-7743 stopcock shuts off the mains water supply to the whole building.\n",
    "regulator.md": "# Regulators\n\nPart XQ-7374 is a brass pressure regulator for the gas inlet, rated to "
    "four bar.\n",
    "tap.md": "# Taps\n\nThe XR-7734 mixer tap needs a new cartridge when it drips.\n",
    # Answers "How long do cats sleep?" without one word in common with it.
    "pets.md": "# Pets\n\nFelines doze for up to sixteen hours a day, mostly while the sun is up.\n",
    "comets.md": "# Comets\n\nA comet is a lump of ice and dust; near the Sun the ice turns to gas and streams "
    "away as a glowing tail.\n",
    "bread.md": "# Sourdough\n\nFeed the starter with equal weights of flour and water the evening before baking.\n",
}


@pytest.fixture
def indexed(store: Store, tmp_path: Path) -> Store:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text)
    report = ingest_paths(store, [folder])
    assert report.added == len(DOCS) and not report.failed
    return store


def names(hits: Sequence[ScoredChunk]) -> list[str]:
    return [Path(hit.chunk.source).name for hit in hits]


def test_rrf_adds_reciprocal_ranks_across_rankings() -> None:
    fused = rrf_fuse({"dense": ["a", "b", "c"], "keyword": ["c", "a", "d"]}, rrf_k=60)

    assert [(chunk_id, found_by) for chunk_id, _, found_by in fused] == [
        ("a", ("dense", "keyword")),
        ("c", ("dense", "keyword")),
        ("b", ("dense",)),
        ("d", ("keyword",)),
    ]
    scores = {chunk_id: score for chunk_id, score, _ in fused}
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["b"] == pytest.approx(1 / 62)
    assert scores["d"] == pytest.approx(1 / 63)


def test_rrf_k_flattens_or_sharpens_the_ranks() -> None:
    fused = rrf_fuse({"dense": ["x", "y"], "keyword": ["y"]}, rrf_k=1)

    assert [(i, s) for i, s, _ in fused] == [("y", pytest.approx(1 / 3 + 1 / 2)), ("x", pytest.approx(1 / 2))]


def test_rrf_breaks_ties_by_id_and_handles_empty_rankings() -> None:
    assert [i for i, _, _ in rrf_fuse({"dense": ["b"], "keyword": ["a"]}, rrf_k=60)] == ["a", "b"]
    assert rrf_fuse({"dense": [], "keyword": []}, rrf_k=60) == []


def test_a_rare_identifier_is_found_by_keywords_not_by_meaning(indexed: Store, settings: Settings) -> None:
    retriever = HybridRetriever(indexed, settings)
    question = "XQ-7734 valve"

    dense = retriever.search(question, k=3, mode="dense")
    keyword = retriever.search(question, k=3, mode="keyword")
    hybrid = retriever.search(question, k=3, mode="hybrid")

    assert names(dense.hits)[0] != "handover.md"
    assert names(keyword.hits) == ["handover.md"]
    assert names(hybrid.hits)[0] == "handover.md"
    top = hybrid.hits[0]
    assert top.sources == ("dense", "keyword") and top.keyword is not None and top.dense is not None
    assert [h.rank for h in hybrid.hits] == [1, 2, 3]
    assert hybrid.best_dense == pytest.approx(dense.hits[0].dense)
    assert set(hybrid.timings_ms) == {"dense", "keyword", "total"}


def test_a_paraphrase_is_found_by_meaning_not_by_keywords(indexed: Store, settings: Settings) -> None:
    retriever = HybridRetriever(indexed, settings)
    question = "How long do cats sleep?"

    keyword = retriever.search(question, k=3, mode="keyword")
    hybrid = retriever.search(question, k=3, mode="hybrid")

    assert keyword.hits == ()
    assert names(hybrid.hits)[0] == "pets.md"
    assert hybrid.hits[0].sources == ("dense",) and hybrid.hits[0].keyword is None


def test_search_returns_k_hits(indexed: Store, settings: Settings) -> None:
    retriever = HybridRetriever(indexed, settings)

    assert len(retriever.search("water", k=2).hits) == 2
    assert len(retriever.search("water").hits) == settings.top_k


def views(settings: Settings) -> PublishedViews:
    return PublishedViews(settings.keyword_dir / settings.collection)


def test_keyword_index_is_saved_and_loaded_without_a_rebuild(indexed: Store, settings: Settings) -> None:
    saved = views(settings).folder / str(views(settings).current())
    ids = json.loads((saved / "chunk_ids.json").read_text())
    assert ids["chunk_ids"] == [c.id for c in indexed.chunks()] and ids["rows"] == len(DOCS)
    assert json.loads((saved / "view.json").read_text())["fingerprint"] == indexed.fingerprint()
    assert {"keyword.npz", "keyword.json"} <= set(os.listdir(saved))
    # A rebuild writes a fresh folder and swaps it in, so an untouched folder means it was loaded.
    before = (views(settings).current(), saved.stat().st_ino, (saved / "chunk_ids.json").stat().st_mtime_ns)

    retriever = HybridRetriever(Store(settings), settings)  # as a new process would
    retriever.warm_up()
    hits = retriever.search("XQ-7734", k=3, mode="keyword").hits

    assert names(hits) == ["handover.md"]
    assert (views(settings).current(), saved.stat().st_ino, (saved / "chunk_ids.json").stat().st_mtime_ns) == before


def test_a_damaged_keyword_index_is_rebuilt(indexed: Store, settings: Settings) -> None:
    damaged = views(settings).current()
    (views(settings).folder / str(damaged) / "chunk_ids.json").write_text("{not json")

    hits = HybridRetriever(Store(settings), settings).search("XQ-7734", k=3, mode="keyword").hits

    assert names(hits) == ["handover.md"]
    assert views(settings).current() != damaged
    assert views(settings).load().fingerprint == indexed.fingerprint()


def test_bm25_rows_and_chunk_ids_that_do_not_match_are_refused(indexed: Store, settings: Settings) -> None:
    saved = views(settings).folder / str(views(settings).current())
    ids = json.loads((saved / "chunk_ids.json").read_text())
    shorter = ids["chunk_ids"][:-1]
    digest = hashlib.sha256("\n".join(shorter).encode()).hexdigest()
    (saved / "chunk_ids.json").write_text(json.dumps({"rows": len(shorter), "digest": digest, "chunk_ids": shorter}))

    with pytest.raises(KeywordIndexDamaged, match=f"has {len(DOCS)} rows for {len(DOCS) - 1} chunk ids"):
        KeywordIndex.load(saved)
    assert names(HybridRetriever(Store(settings), settings).search("XQ-7734", k=3, mode="keyword").hits) == [
        "handover.md"
    ]


def test_keyword_index_follows_changes_made_by_another_client(store_backend: Settings, tmp_path: Path) -> None:
    reader_store = Store(store_backend)
    retriever = HybridRetriever(reader_store, store_backend)
    # Another client: its own Store; on a server, even its own data dir (so none of our locks or views).
    if store_backend.chroma_url:
        other_settings = store_backend.model_copy(update={"data_dir": tmp_path / "other-client"})
    else:
        other_settings = store_backend
    other = Store(other_settings)
    text = "# Compressor\n\nThe ZK-551 compressor hums when its mounting bolts work loose.\n"
    digest = content_hash(text.encode(), other_settings.chunk_size, other_settings.chunk_overlap)
    chunks = chunk_text("/docs/compressor.md", "Compressor", text, digest, 800, 120)

    assert retriever.search("ZK-551 compressor", k=3, mode="keyword").hits == ()
    other.put_document("/docs/compressor.md", "Compressor", digest, chunks, len(text))

    hits = retriever.search("ZK-551 compressor", k=3, mode="keyword").hits
    assert [h.chunk.id for h in hits] == [chunks[0].id]
    assert views(store_backend).load().fingerprint == other.fingerprint()

    other.remove_document("/docs/compressor.md")
    assert retriever.search("ZK-551 compressor", k=3, mode="keyword").hits == ()


def test_rrf_weights_scale_each_ranking() -> None:
    fused = rrf_fuse({"dense": ["a"], "keyword": ["b"]}, rrf_k=60, weights={"dense": 0.5})
    assert [(i, round(s, 6)) for i, s, _ in fused] == [("b", round(1 / 61, 6)), ("a", round(0.5 / 61, 6))]
