"""Synced folders: a full pass and a watcher's batch change only what is under the folder, and the record of
synced folders survives damage with a message that names its file."""

import json
from pathlib import Path

import pytest

from citewise.core.settings import Settings
from citewise.ingest.pipeline import FileFailure, IngestReport, ingest_paths
from citewise.ingest.sync import (
    MAX_ERRORS,
    FolderSync,
    SyncError,
    SyncRecord,
    apply_changes,
    sync_folder,
)
from citewise.retrieval.store import Store
from citewise.service import Citewise
from tests.ingest.test_pipeline import KETTLE_V2, write_three


def sources(store: Store) -> set[str]:
    return {d.source for d in store.documents()}


# -- the record ----------------------------------------------------------------------------------


def test_the_record_keeps_each_folder_and_its_last_sync(tmp_path: Path, store: Store) -> None:
    write_three(tmp_path / "docs")
    record = SyncRecord.load(tmp_path / "record.json")
    assert record.folders == {}  # none yet

    done = sync_folder(store, tmp_path / "docs")
    record.note(done)
    record.save()

    [again] = SyncRecord.load(tmp_path / "record.json").folders.values()
    assert again.folder == str((tmp_path / "docs").resolve())
    assert (again.added, again.updated, again.removed, again.failed, again.errors) == (3, 0, 0, 0, ())
    assert again.last_sync is not None
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []  # swapped in, nothing left over


@pytest.mark.parametrize(
    "content",
    ['{"folders": [{"folder": "/x", "added": 1', "[1, 2]", '{"folders": [{"place": "/x"}]}', "\udcff"],
    ids=["cut-short", "not-an-object", "wrong-fields", "not-utf8"],
)
def test_a_damaged_record_is_an_error_naming_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))

    with pytest.raises(SyncError) as raised:
        SyncRecord.load(path)

    message = str(raised.value)
    assert str(path) in message and "cannot be read" in message
    assert "citewise sync DIR" in message  # what to do next


def test_a_damaged_record_stops_a_sync_before_it_indexes_anything(
    tmp_path: Path, settings: Settings, embedding_model: str
) -> None:
    write_three(tmp_path / "docs")
    service = Citewise(settings)
    service.sync_record_path.parent.mkdir(parents=True)
    service.sync_record_path.write_text("{not json")

    with pytest.raises(SyncError, match=str(service.sync_record_path)):
        service.sync([tmp_path / "docs"])

    assert service.documents() == []


def test_the_record_keeps_at_most_a_few_errors(tmp_path: Path) -> None:
    failed = [FileFailure(f"/docs/{n}.png", "unsupported file type") for n in range(MAX_ERRORS + 5)]
    entry = SyncRecord(tmp_path / "r.json").note(FolderSync("/docs", IngestReport(failed=failed)))
    assert entry.failed == MAX_ERRORS + 5 and len(entry.errors) == MAX_ERRORS
    assert entry.errors[0] == "/docs/0.png: unsupported file type"


# -- a full pass and a batch ---------------------------------------------------------------------


def test_a_full_pass_adds_updates_and_removes_only_under_its_folder(tmp_path: Path, store: Store) -> None:
    kettle, oven, _ = write_three(tmp_path / "docs")
    elsewhere = write_three(tmp_path / "elsewhere")[1]
    ingest_paths(store, [tmp_path / "elsewhere"])
    assert sync_folder(store, tmp_path / "docs").report.added == 3  # type: ignore[union-attr]
    kettle.write_text(KETTLE_V2)
    oven.unlink()
    elsewhere.unlink()  # gone too, but not under the synced folder
    (tmp_path / "docs" / "new.md").write_text("# New\n\nThe new note is about toasters.\n")
    (tmp_path / "docs" / "photo.png").write_bytes(b"\x89PNG")

    done = sync_folder(store, tmp_path / "docs")

    report = done.report
    assert report is not None and done.error is None
    assert (report.added, report.updated, report.unchanged, report.removed) == (1, 1, 1, 1)
    assert report.removed_sources == [str(oven)]
    assert [(Path(f.path).name, "unsupported" in f.error) for f in report.failed] == [("photo.png", True)]
    assert str(oven) not in sources(store)
    assert str(elsewhere) in sources(store)  # a sync of docs/ leaves other folders' documents alone


def test_a_missing_folder_removes_nothing(tmp_path: Path, store: Store) -> None:
    write_three(tmp_path / "docs")
    sync_folder(store, tmp_path / "docs")
    (tmp_path / "docs").rename(tmp_path / "moved")

    done = sync_folder(store, tmp_path / "docs")

    assert done.report is None
    assert done.error is not None and str(tmp_path / "docs") in done.error and "nothing was changed" in done.error
    assert len(store.documents()) == 3


def test_a_batch_indexes_what_changed_and_drops_a_deleted_folder(tmp_path: Path, store: Store) -> None:
    kettle, _, fridge = write_three(tmp_path / "docs")
    sub = tmp_path / "docs" / "sub"
    write_three(sub)
    sync_folder(store, tmp_path / "docs")
    kettle.write_text(KETTLE_V2)
    for path in sub.iterdir():
        path.unlink()
    sub.rmdir()

    done = apply_changes(store, tmp_path / "docs", [kettle, sub])

    report = done.report
    assert report is not None
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 1, 0, 3)
    assert sources(store) == {str(p) for p in (tmp_path / "docs").iterdir()}
    assert str(fridge) in sources(store)


def test_the_facade_remembers_a_synced_folder_and_forgets_it_keeping_its_documents(
    tmp_path: Path, settings: Settings, embedding_model: str
) -> None:
    write_three(tmp_path / "docs")
    service = Citewise(settings)
    service.sync([tmp_path / "docs"])
    service.sync([tmp_path / "nowhere"])  # never synced: not remembered

    assert [f.folder for f in service.synced_folders()] == [str((tmp_path / "docs").resolve())]
    saved = json.loads(service.sync_record_path.read_text())
    assert saved["folders"][0]["added"] == 3

    kept = service.forget_folder(tmp_path / "docs")

    assert kept is not None and len(kept) == 3
    assert service.synced_folders() == []
    assert len(service.documents()) == 3
    assert service.forget_folder(tmp_path / "docs") is None


def test_a_batch_for_a_folder_that_is_gone_removes_nothing(tmp_path: Path, store: Store) -> None:
    write_three(tmp_path / "docs")
    sync_folder(store, tmp_path / "docs")
    (tmp_path / "docs").rename(tmp_path / "unmounted")

    done = apply_changes(store, tmp_path / "docs", [tmp_path / "docs"])

    assert done.report is None and done.error is not None and "is gone" in done.error
    assert len(store.documents()) == 3


# -- links and emptied folders -------------------------------------------------------------------


def test_a_link_out_of_the_folder_is_skipped_and_named_a_link_inside_is_indexed_once(
    tmp_path: Path, store: Store
) -> None:
    kettle = write_three(tmp_path / "sync")[0]
    private = tmp_path / "private"
    (private / "sub").mkdir(parents=True)
    (private / "secret.md").write_text("# Secret\n\nThe safe's code is 4711.\n")
    (private / "sub" / "deep.md").write_text("# Deep\n\nThe spare key is under the third stone.\n")
    (tmp_path / "sync" / "link.md").symlink_to("../private/secret.md")
    (tmp_path / "sync" / "p").symlink_to("../private", target_is_directory=True)
    (tmp_path / "sync" / "again.md").symlink_to("kettle.md")  # inside the folder: the target, once

    report = sync_folder(store, tmp_path / "sync").report

    assert report is not None
    indexed = sources(store)
    assert not any(s.startswith(str(private.resolve())) for s in indexed)
    assert str(kettle) in indexed and report.added == 3
    skipped = {Path(s.path).name: s.error for s in report.skipped}
    assert set(skipped) == {"link.md", "p"}
    assert str((private / "secret.md").resolve()) in skipped["link.md"] and "outside" in skipped["link.md"]
    assert "not followed" in skipped["p"]
    assert report.failed == []


def test_a_batch_skips_a_link_made_while_watching(tmp_path: Path, store: Store) -> None:
    write_three(tmp_path / "sync")
    (tmp_path / "private" / "sub").mkdir(parents=True)
    (tmp_path / "private" / "sub" / "deep.md").write_text("# Deep\n\nThe spare key is under the third stone.\n")
    (tmp_path / "private" / "secret.md").write_text("# Secret\n\nThe safe's code is 4711.\n")
    sync_folder(store, tmp_path / "sync")
    folder = (tmp_path / "sync").resolve()
    (folder / "p").symlink_to("../private", target_is_directory=True)
    (folder / "link.md").symlink_to("../private/secret.md")

    # what a watcher reports: the links, and files seen through the folder link
    done = apply_changes(store, folder, [folder / "p", folder / "link.md", folder / "p" / "sub" / "deep.md"])

    assert done.report is not None and done.report.added == 0
    assert {Path(s.path).name for s in done.report.skipped} == {"p", "link.md", "deep.md"}
    assert sources(store) == {str(p) for p in folder.iterdir() if not p.is_symlink()}


@pytest.mark.parametrize("how", ["emptied", "unmounted"])
def test_an_emptied_or_missing_folder_removes_nothing_unless_pruned(tmp_path: Path, store: Store, how: str) -> None:
    folder = tmp_path / "drive"
    write_three(folder)
    sync_folder(store, folder)
    for path in folder.iterdir():
        path.unlink()
    if how == "unmounted":
        folder.rmdir()

    kept = sync_folder(store, folder)

    assert kept.report is None and kept.error is not None
    assert str(folder.resolve()) in kept.error and "3 indexed documents kept" in kept.error
    assert "--prune" in kept.error
    assert len(store.documents()) == 3

    pruned = sync_folder(store, folder, prune=True)

    assert pruned.error is None and pruned.report is not None and pruned.report.removed == 3
    assert store.documents() == []
