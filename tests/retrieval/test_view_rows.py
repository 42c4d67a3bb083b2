"""The keyword index of each write is the published one edited (rows of unchanged documents kept, the chunks
the write put added): it must search as the index a full rebuild from the store does."""

from pathlib import Path

from citewise.core.settings import Settings
from citewise.retrieval.keyword import KeywordIndex
from citewise.retrieval.store import Store
from tests.retrieval.test_store_contract import BOILER, BOILER_V2, BREAD, make_doc, put

FERN = "# Fern\n\nMist the fern twice a week and keep it out of direct sun.\n"
QUERIES = ["radiator boiler pressure", "bread dough proving", "fern sun mist", "flue condensate"]


def keyword_state(store: Store) -> tuple:
    view = store.view()
    return view.keyword.chunk_ids, [store.keyword_search(q, 10, view) for q in QUERIES]


def test_a_write_builds_the_same_keyword_index_as_a_full_rebuild(store: Store, settings: Settings) -> None:
    put(store, make_doc(settings, "/docs/boiler.md", BOILER))
    put(store, make_doc(settings, "/docs/bread.md", BREAD))
    with store.writing("ingest"):  # one write: one added, one replaced, one removed
        put(store, make_doc(settings, "/docs/fern.md", FERN))
        put(store, make_doc(settings, "/docs/boiler.md", BOILER_V2))
        store.remove_document("/docs/bread.md")
    incremental = keyword_state(store)

    with store.writing("repair"):
        store.republish()  # reads every chunk back from Chroma and tokenizes it

    assert keyword_state(store) == incremental
    assert {Path(s).name for s in store.active_hashes()} == {"boiler.md", "fern.md"}


def test_the_published_index_names_each_rows_source(store: Store, settings: Settings) -> None:
    put(store, make_doc(settings, "/docs/boiler.md", BOILER))
    put(store, make_doc(settings, "/docs/fern.md", FERN))

    saved = KeywordIndex.load(settings.keyword_dir / settings.collection / str(store.view().version))

    by_id = {c.id: c.source for c in store.chunks()}
    assert sorted(saved.chunk_ids) == sorted(by_id)
    assert [saved.sources[o] for o in saved.owners] == [by_id[i] for i in saved.chunk_ids]
    assert [i for i, _ in saved.search("fern mist", 1)] == [c.id for c in store.chunks(["/docs/fern.md"])][:1]
