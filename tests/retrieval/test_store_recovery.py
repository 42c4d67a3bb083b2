"""Chunks no record owns, and records whose chunks are gone: a failed write leaves neither, the next ingest
repairs what a crash (or an older version) left, and dense search is not starved by them meanwhile."""

from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

import citewise.retrieval.store as store_module
from citewise.core.settings import Settings
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.store import Store
from tests.retrieval.test_store_contract import BOILER, BOILER_V2, BREAD, make_doc, put

NOTE = "Check the flue and the condensate trap. " * 12
LONG_BOILER = BOILER + "\n".join(f"\n## Note {n}\n\n{NOTE}" for n in range(4))


def chunk_collection(settings: Settings) -> chromadb.Collection:
    """The store's chunk collection, opened behind its back, as a crashed process left it."""
    client = chromadb.PersistentClient(
        path=str(settings.chroma_dir), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    )
    return client.get_collection(settings.collection)


def raw_chunks(settings: Settings) -> set[tuple[str, str]]:
    """(source, doc hash) of every chunk Chroma holds, visible or not."""
    got = chunk_collection(settings).get(include=["metadatas"])
    return {(str(m["source"]), str(m["doc_hash"])) for m in got["metadatas"]}


def test_a_replacement_that_fails_midway_leaves_the_old_version_and_no_stray_chunks(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = make_doc(settings, "/docs/boiler.md", BOILER), make_doc(settings, "/docs/boiler.md", LONG_BOILER)
    put(store, old)
    monkeypatch.setattr(store_module, "WRITE_BATCH", 2)
    assert len(new.chunks) > 4
    # Chroma itself refuses the second batch: it repeats a chunk id.
    broken = [*new.chunks[:3], new.chunks[2], *new.chunks[4:]]

    with pytest.raises(Exception, match="unique"):
        store.put_document(new.source, new.title, new.content_hash, broken, new.chars)

    assert store.document(old.source).content_hash == old.content_hash
    assert store.chunks([old.source]) == old.chunks
    assert raw_chunks(settings) == {(old.source, old.content_hash)}


def test_dense_search_finds_k_real_hits_however_many_stray_chunks_are_nearer(store: Store, settings: Settings) -> None:
    boiler, bread = make_doc(settings, "/docs/boiler.md", BOILER), make_doc(settings, "/docs/bread.md", BREAD)
    put(store, boiler)
    put(store, bread)
    # Twenty copies of the boiler's chunks under a document no record names, as a crash leaves them.
    ghosts = [c for n in range(10) for c in make_doc(settings, f"/docs/ghost-{n}.md", BOILER).chunks]
    chunk_collection(settings).add(
        ids=[c.id for c in ghosts],
        documents=[c.text for c in ghosts],
        embeddings=store.embedding([c.text for c in ghosts]),
        metadatas=[store_module._chunk_metadata(c) for c in ghosts],
    )

    hits = store.dense_search("How do I bleed a radiator?", 3)

    assert len(hits) == 3
    assert {chunk.source for chunk, _ in hits} == {boiler.source, bread.source}


def write_docs(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    boiler, bread = folder / "boiler.md", folder / "bread.md"
    boiler.write_text(LONG_BOILER)
    bread.write_text(BREAD)
    return boiler.resolve(), bread.resolve()


def test_the_next_ingest_deletes_chunks_of_a_version_no_record_names(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    boiler, _ = write_docs(tmp_path / "docs")
    ingest_paths(store, [tmp_path / "docs"])
    stray = make_doc(settings, str(boiler), BOILER_V2)  # a newer version, written, never recorded
    chunk_collection(settings).add(
        ids=[c.id for c in stray.chunks],
        documents=[c.text for c in stray.chunks],
        embeddings=store.embedding([c.text for c in stray.chunks]),
        metadatas=[store_module._chunk_metadata(c) for c in stray.chunks],
    )

    report = ingest_paths(store, [tmp_path / "docs"])

    assert (report.added, report.updated, report.unchanged) == (0, 0, 2)
    assert raw_chunks(settings) == {(d.source, d.content_hash) for d in store.documents()}


def test_a_record_whose_chunks_are_missing_is_indexed_again(store: Store, settings: Settings, tmp_path: Path) -> None:
    boiler, _ = write_docs(tmp_path / "docs")
    ingest_paths(store, [tmp_path / "docs"])
    expected = store.chunks([str(boiler)])
    assert len(expected) > 2
    chunk_collection(settings).delete(ids=[expected[1].id])  # lost, as an unlocked second writer loses them

    report = ingest_paths(store, [tmp_path / "docs"])

    assert (report.updated, report.unchanged) == (1, 1)
    assert store.chunks([str(boiler)]) == expected
    assert store.document(str(boiler)).chunks == len(expected)
