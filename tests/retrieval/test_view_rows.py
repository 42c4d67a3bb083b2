"""The BM25 index of each write is built from the saved rows of unchanged documents and the chunks the write
put: it must be the very index a full rebuild from the store gives."""

from pathlib import Path

from citewise.core.settings import Settings
from citewise.retrieval.keyword import load_rows
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


def test_saved_rows_name_each_rows_tokens_and_source(store: Store, settings: Settings) -> None:
    put(store, make_doc(settings, "/docs/boiler.md", BOILER))
    put(store, make_doc(settings, "/docs/fern.md", FERN))
    view = store.view()

    rows = load_rows(settings.keyword_dir / settings.collection / str(view.version), len(view.keyword.chunk_ids))

    assert rows is not None
    assert rows.sources == tuple(c.source for c in store.chunks())
    assert ("fern" in rows.tokens[-1]) and ("mist" in rows.tokens[-1])
    assert load_rows(settings.keyword_dir / settings.collection / str(view.version), len(rows.sources) + 1) is None
