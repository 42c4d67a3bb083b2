"""Readers while another process writes: a long-lived `Citewise` (as the web UI holds one) keeps answering while
`citewise ingest` runs in another process, never sees a document half indexed, and sees the new documents when
the ingest ends, without a restart; `citewise docs` in a third process meanwhile lists whole documents only."""

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from citewise.core.settings import Settings
from citewise.retrieval.errors import IndexReopened
from citewise.service import Citewise
from tests.processes import CITEWISE, citewise_env, finish, interrupted, start

COLOURS = ["red", "green", "blue", "amber", "violet", "white", "black", "grey"]
KETTLE_V1 = "# Kettle\n\nDescale the kettle every month with citric acid so the element stays clean.\n"
KETTLE_V2 = "# Kettle\n\nNever boil the kettle dry; the thermal fuse trips and must be replaced.\n"
OVEN = "# Oven\n\nClean the oven door glass with a paste of baking soda and water.\n"
NEW_FILES = 24


def part(n: int) -> str:
    return f"# Part {n}\n\nWidget ZX-{n:03d} takes a {COLOURS[n % len(COLOURS)]} gasket, size {n + 10} mm.\n"


def question(n: int) -> str:
    return f"Which gasket does widget ZX-{n:03d} take?"


@pytest.fixture
def indexed(tmp_path: Path, make_settings: Callable[..., Settings], embedding_model: str) -> tuple[Path, Settings]:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "kettle.md").write_text(KETTLE_V1)
    (folder / "oven.md").write_text(OVEN)
    settings = make_settings(tmp_path / "data")
    assert Citewise(settings).ingest([folder]).added == 2
    return folder, settings


def listing(reader: Citewise) -> set[tuple[str, str, int]]:
    """The documents `reader` lists, each checked whole in the same published view: all the chunks its record
    names are there. (Two separate calls may each see a different view when a writer publishes between them.)"""
    while True:
        view = reader.store.view()
        try:
            for record in view.records:
                found = reader.store.chunks([record.source], view=view)
                assert len(found) == record.chunks, f"{record.source} is half indexed"
        except IndexReopened:
            continue  # a rebuild dropped the collections under this view: read the new one
        return {(d.source, d.content_hash, d.chunks) for d in view.records}


def check_whole(reader: Citewise, asked: str) -> set[tuple[str, str, int]]:
    """What `reader` lists and finds now is whole: every listed document has all its chunks, and every hit is of
    a version listed just before or just after the search (the writer may publish in between)."""
    before = listing(reader)
    hits = reader.search(asked, 5).hits
    after = listing(reader)
    listed = {(source, digest) for source, digest, _ in before | after}
    for hit in hits:
        assert (hit.chunk.source, hit.chunk.doc_hash) in listed, f"{hit.chunk.id} is not of a listed version"
    return after


def whole(records: list[dict]) -> set[tuple[str, str, int]]:
    return {(r["source"], r["content_hash"], r["chunks"]) for r in records}


def test_a_long_lived_reader_keeps_answering_during_an_ingest_and_sees_it_when_it_ends(
    indexed: tuple[Path, Settings], tmp_path: Path
) -> None:
    folder, settings = indexed
    reader = Citewise(settings)
    before = check_whole(reader, "descale the kettle")
    (folder / "kettle.md").write_text(KETTLE_V2)
    for n in range(NEW_FILES):
        (folder / f"part-{n:02d}.md").write_text(part(n))
    # One file per embedding batch, each embedding call slowed a little: the readers below run while it writes.
    env = citewise_env(settings.data_dir, CITEWISE_EMBED_BATCH="1")
    ingest = start(interrupted("embed", "slow", "ingest", str(folder)), env, tmp_path / "ingest.log")
    lister: subprocess.Popen[bytes] | None = None
    lister_started_mid_ingest = False
    seen: list[set[tuple[str, str, int]]] = []
    asked = 0
    try:
        while ingest.poll() is None or asked < 20:
            if lister is None and "added" in (tmp_path / "ingest.log").read_text():
                # A third process opens the index while the ingest writes, and lists the documents.
                lister = start([str(CITEWISE), "docs", "--json"], env, tmp_path / "docs.json", tmp_path / "docs.err")
                lister_started_mid_ingest = ingest.poll() is None
            seen.append(check_whole(reader, question(asked % NEW_FILES)))
            asked += 1
        assert finish(ingest) == 0, (tmp_path / "ingest.log").read_text()
        assert lister is not None and lister_started_mid_ingest, "the ingest ended before the lister started"
        assert finish(lister) == 0, (tmp_path / "docs.err").read_text()
    finally:
        for process in (ingest, lister):
            if process is not None and process.poll() is None:
                process.kill()

    after = check_whole(reader, "thermal fuse")
    assert len(after) == NEW_FILES + 2 and after != before
    assert all(state in (before, after) for state in seen), "a reader saw the index between two versions"
    assert whole(json.loads((tmp_path / "docs.json").read_text())) in (before, after)
    for n in (0, 7, NEW_FILES - 1):
        found = reader.search(question(n), 1, mode="keyword").hits
        assert [Path(h.chunk.source).name for h in found] == [f"part-{n:02d}.md"]
    dense = reader.search("What size of gasket does the widget take?", 5, mode="dense").hits
    assert all(Path(h.chunk.source).name.startswith("part-") for h in dense)
    [kettle] = reader.chunks(str((folder / "kettle.md").resolve()))
    assert "thermal fuse" in kettle.text
    assert reader.search("thermal fuse", 1, mode="dense").hits[0].chunk == kettle


def test_a_long_lived_reader_survives_a_rebuild_in_another_process(
    indexed: tuple[Path, Settings], tmp_path: Path
) -> None:
    folder, settings = indexed
    reader = Citewise(settings)
    before = check_whole(reader, "descale the kettle")
    env = citewise_env(settings.data_dir)
    ingest = start([str(CITEWISE), "ingest", "--rebuild", str(folder)], env, tmp_path / "log")
    try:
        while ingest.poll() is None:
            check_whole(reader, "descale the kettle")
        assert finish(ingest) == 0, (tmp_path / "log").read_text()
    finally:
        if ingest.poll() is None:
            ingest.kill()

    after = check_whole(reader, "descale the kettle")
    assert {(s, h) for s, h, _ in after} == {(s, h) for s, h, _ in before}
    assert reader.search("How do I descale the kettle?", 1, mode="dense").hits[0].chunk.title == "Kettle"
