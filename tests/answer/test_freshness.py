"""Whether an answer's cited passages changed since: checked against the index as it is now."""

from pathlib import Path

from citewise.answer.freshness import cited_states
from citewise.core.types import Chunk, Citation
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.store import Store

KETTLE = "# Kettle\n\n## Care\n\nDescale the kettle every month with citric acid so the element stays clean.\n"
OVEN = "# Oven\n\nClean the oven door glass with a paste of baking soda and water.\n"
LONG = "\n\n".join(f"## Part {n}\n\n" + f"Widget {n} takes a gasket of size {n} mm. " * 12 for n in range(6))


def cite(chunk: Chunk, n: int = 1) -> Citation:
    return Citation(n, chunk.source, chunk.title, chunk.heading, chunk.id, chunk.text, (0, 10))


def test_cited_passages_are_current_changed_or_removed(store: Store, tmp_path: Path) -> None:
    kettle, oven = tmp_path / "kettle.md", tmp_path / "oven.md"
    kettle.write_text(KETTLE)
    oven.write_text(OVEN)
    ingest_paths(store, [tmp_path])
    [k] = store.chunks([str(kettle.resolve())])
    [o] = store.chunks([str(oven.resolve())])
    cited = [cite(k, 1), cite(o, 2)]
    assert cited_states(store, cited) == {k.id: "current", o.id: "current"}

    kettle.write_text(KETTLE.replace("every month", "every week"))
    oven.unlink()
    ingest_paths(store, [tmp_path], prune=True)

    assert cited_states(store, cited) == {k.id: "changed", o.id: "removed"}
    assert cited_states(store, []) == {}


def test_an_edit_elsewhere_in_the_document_leaves_the_passage_current(store: Store, tmp_path: Path) -> None:
    """A new version gives every chunk a new id; the cited text, still there, is found by its hash."""
    manual = tmp_path / "manual.md"
    manual.write_text("# Manual\n\n" + LONG)
    ingest_paths(store, [manual])
    chunks = store.chunks([str(manual.resolve())])
    assert len(chunks) > 2
    first, last = chunks[0], chunks[-1]

    manual.write_text("# Manual\n\n" + LONG.replace("Widget 5 takes", "Widget 5 needs"))
    ingest_paths(store, [manual])

    assert store.get_chunks([first.id]) == {}  # the id is gone with the old version
    assert cited_states(store, [cite(first, 1), cite(last, 2)]) == {first.id: "current", last.id: "changed"}
