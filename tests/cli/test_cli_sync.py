"""`citewise sync` as real processes: once (counts, the remembered folders, re-sync of all, forget) and with
--watch, where the index follows edits, new files and deletions while another process reads it."""

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from citewise.core.settings import Settings
from citewise.service import Citewise
from tests.processes import CITEWISE, citewise, citewise_env, citewise_json, finish, start, wait_for

KETTLE = "# Kettle\n\nDescale the kettle every month with citric acid so the element stays clean.\n"
KETTLE_V2 = "# Kettle\n\nNever boil the kettle dry; the thermal fuse trips and must be replaced.\n"
OVEN = "# Oven\n\nClean the oven door glass with a paste of baking soda and water.\n"
TOASTER = "# Toaster\n\nEmpty the toaster's crumb tray every week.\n"
FOLLOW_S = 5  # the index follows each change within this (the watcher batches a burst for about 0.3 s)
WATCH_START_S = 180  # the process's start and first full pass, on 2 busy cores


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "kettle.md").write_text(KETTLE)
    (folder / "oven.md").write_text(OVEN)
    return folder.resolve()


def test_sync_once_counts_remembers_resyncs_all_and_forgets(docs: Path, tmp_path: Path, embedding_model: str) -> None:
    env = citewise_env(tmp_path / "data")
    nothing = citewise("sync", env=env)
    assert nothing.returncode == 1 and "No folder is synced yet" in nothing.stderr

    [first] = citewise_json("sync", str(docs), env=env)
    assert (first["folder"], first["added"], first["updated"], first["removed"], first["failed"]) == (
        str(docs),
        2,
        0,
        0,
        [],
    )

    (docs / "kettle.md").write_text(KETTLE_V2)
    (docs / "oven.md").unlink()
    (docs / "toaster.md").write_text(TOASTER)
    (docs / "photo.png").write_bytes(b"\x89PNG\r\n")
    again = citewise("sync", "--json", env=env)  # no folder named: every remembered one
    assert again.returncode == 1  # one file could not be indexed; the rest was synced
    [second] = json.loads(again.stdout)
    assert (second["added"], second["updated"], second["unchanged"], second["removed"]) == (1, 1, 0, 1)
    assert second["removed_sources"] == [str(docs / "oven.md")]
    [failure] = second["failed"]
    assert failure["path"] == str(docs / "photo.png") and "unsupported file type '.png'" in failure["error"]

    [listed] = citewise_json("sync", "--list", env=env)
    assert listed["folder"] == str(docs)
    assert (listed["added"], listed["updated"], listed["removed"], listed["failed"]) == (1, 1, 1, 1)
    assert listed["errors"] == [f"{docs / 'photo.png'}: {failure['error']}"]
    assert listed["last_sync"]

    forgot = citewise("sync", "--forget", str(docs), env=env)
    assert forgot.returncode == 0, forgot.stderr
    assert "no longer synced" in forgot.stdout and "2 documents stay in the index" in forgot.stdout
    assert citewise_json("sync", "--list", env=env) == []
    indexed = {d["source"] for d in citewise_json("docs", env=env)}
    assert indexed == {str(docs / "kettle.md"), str(docs / "toaster.md")}


def test_a_damaged_record_of_synced_folders_is_one_line_naming_it(tmp_path: Path, embedding_model: str) -> None:
    record = tmp_path / "data" / "synced-folders" / "citewise.json"
    record.parent.mkdir(parents=True)
    record.write_text('{"folders": [')

    done = citewise("sync", "--list", env=citewise_env(tmp_path / "data"))

    assert done.returncode == 2
    assert str(record) in done.stderr and "cannot be read" in done.stderr and "Traceback" not in done.stderr


def test_watch_follows_edits_new_files_and_deletions_then_stops_on_ctrl_c(
    docs: Path, tmp_path: Path, make_settings: Callable[..., Settings], embedding_model: str
) -> None:
    data = tmp_path / "data"
    log, errors = tmp_path / "watch.jsonl", tmp_path / "watch.err"
    watcher = start([str(CITEWISE), "sync", str(docs), "--watch", "--json"], citewise_env(data), log, errors)
    try:
        wait_for(
            lambda: "watching" in errors.read_text() or watcher.poll() is not None,
            "the watcher to start",
            WATCH_START_S,
        )
        assert watcher.poll() is None, errors.read_text()
        reader = Citewise(make_settings(data))  # another process's view of the index, as the web UI has
        versions = lambda: {d.source: d.content_hash for d in reader.documents()}  # noqa: E731
        assert set(versions()) == {str(docs / "kettle.md"), str(docs / "oven.md")}
        kettle_before = versions()[str(docs / "kettle.md")]
        took: dict[str, float] = {}

        def follows(change: str, do: Callable[[], None], seen: Callable[[dict[str, str]], bool]) -> None:
            started = time.monotonic()
            do()
            wait_for(lambda: seen(versions()), f"the index to follow: {change}", FOLLOW_S)
            took[change] = time.monotonic() - started

        follows(
            "edit kettle.md",
            lambda: (docs / "kettle.md").write_text(KETTLE_V2),
            lambda v: v.get(str(docs / "kettle.md"), kettle_before) != kettle_before,
        )
        follows(
            "add toaster.md", lambda: (docs / "toaster.md").write_text(TOASTER), lambda v: str(docs / "toaster.md") in v
        )
        follows("delete oven.md", (docs / "oven.md").unlink, lambda v: str(docs / "oven.md") not in v)
        print("seconds from change to the index following it:", {k: round(v, 2) for k, v in took.items()})
        [kettle] = reader.chunks(str(docs / "kettle.md"))
        assert "thermal fuse" in kettle.text

        watcher.send_signal(signal.SIGINT)
        assert finish(watcher, 60) == 0, errors.read_text()
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert "stopped watching" in errors.read_text()
    syncs = [json.loads(line) for line in log.read_text().splitlines()]
    print("seconds each sync took in the watcher:", [s["seconds"] for s in syncs])
    assert (syncs[0]["added"], syncs[0]["updated"], syncs[0]["removed"]) == (2, 0, 0)  # the first full pass
    # then one batch per change, unless the OS reported one in two bursts
    assert [sum(s[count] for s in syncs[1:]) for count in ("added", "updated", "removed")] == [1, 1, 1]
    [remembered] = Citewise(make_settings(data)).synced_folders()
    assert remembered.folder == str(docs) and remembered.removed == 1  # the last batch's counts


def test_watch_tells_of_a_busy_index_and_applies_the_change_once_it_is_free(
    docs: Path, tmp_path: Path, make_settings: Callable[..., Settings], embedding_model: str
) -> None:
    data = tmp_path / "data"
    log, errors = tmp_path / "watch.jsonl", tmp_path / "watch.err"
    env = citewise_env(data, CITEWISE_LOCK_TIMEOUT="1")
    watcher = start([str(CITEWISE), "sync", str(docs), "--watch", "--json"], env, log, errors)
    try:
        wait_for(lambda: "watching" in errors.read_text() or watcher.poll() is not None, "the watcher", WATCH_START_S)
        assert watcher.poll() is None, errors.read_text()
        reader = Citewise(make_settings(data))
        with reader.store.locks.writing("ingest"):  # another writer holds the index
            (docs / "toaster.md").write_text(TOASTER)
            wait_for(lambda: "will try again" in log.read_text(), "the watcher to say the index is busy", 30)
        wait_for(lambda: reader.store.document(str(docs / "toaster.md")) is not None, "the retried change", 30)
        watcher.send_signal(signal.SIGINT)
        assert finish(watcher, 60) == 0, errors.read_text()
    finally:
        if watcher.poll() is None:
            watcher.kill()
    busy = next(json.loads(line) for line in log.read_text().splitlines() if "will try again" in line)
    assert busy["folder"] == str(docs) and f"pid {os.getpid()}" in busy["error"]


def test_watch_does_not_follow_a_folder_link_made_while_watching(
    docs: Path, tmp_path: Path, make_settings: Callable[..., Settings], embedding_model: str
) -> None:
    private = tmp_path / "private"
    (private / "sub").mkdir(parents=True)
    (private / "sub" / "deep.md").write_text("# Deep\n\nThe spare key is under the third stone.\n")
    data = tmp_path / "data"
    log, errors = tmp_path / "watch.jsonl", tmp_path / "watch.err"
    watcher = start([str(CITEWISE), "sync", str(docs), "--watch", "--json"], citewise_env(data), log, errors)
    try:
        wait_for(lambda: "watching" in errors.read_text() or watcher.poll() is not None, "the watcher", WATCH_START_S)
        assert watcher.poll() is None, errors.read_text()
        (docs / "p").symlink_to("../private", target_is_directory=True)
        wait_for(lambda: "not followed" in log.read_text(), "the watcher to skip the link", FOLLOW_S * 6)
        (private / "sub" / "late.md").write_text("# Late\n\nThe boat is moored at the north jetty.\n")
        (docs / "toaster.md").write_text(TOASTER)  # a change after the link: once indexed, the link was passed
        reader = Citewise(make_settings(data))
        wait_for(lambda: reader.store.document(str(docs / "toaster.md")) is not None, "the next change", FOLLOW_S * 6)
        watcher.send_signal(signal.SIGINT)
        assert finish(watcher, 60) == 0, errors.read_text()
    finally:
        if watcher.poll() is None:
            watcher.kill()
    indexed = {d.source for d in Citewise(make_settings(data)).documents()}
    assert indexed == {str(docs / name) for name in ("kettle.md", "oven.md", "toaster.md")}
    skipped = [s for line in log.read_text().splitlines() for s in json.loads(line).get("skipped", [])]
    assert str(docs / "p") in [s["path"] for s in skipped]


def test_sync_of_an_emptied_folder_keeps_its_documents_until_prune(
    docs: Path, tmp_path: Path, embedding_model: str
) -> None:
    env = citewise_env(tmp_path / "data")
    assert citewise("sync", str(docs), env=env).returncode == 0
    for path in docs.iterdir():
        path.unlink()  # what an unmounted drive leaves: an empty mount point

    kept = citewise("sync", str(docs), env=env)

    assert kept.returncode == 1
    assert f"{docs} is empty" in kept.stderr and "2 indexed documents kept" in kept.stderr
    assert "--prune" in kept.stderr
    assert len(citewise_json("docs", env=env)) == 2

    pruned = citewise("sync", "--prune", str(docs), env=env)

    assert pruned.returncode == 0, pruned.stderr
    assert "2 removed" in pruned.stdout
    assert citewise_json("docs", env=env) == []


def test_sync_names_each_link_out_of_the_folder_it_skips(docs: Path, tmp_path: Path, embedding_model: str) -> None:
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "secret.md").write_text("# Secret\n\nThe safe's code is 4711.\n")
    (docs / "link.md").symlink_to("../private/secret.md")
    env = citewise_env(tmp_path / "data")

    done = citewise("sync", str(docs), env=env)

    assert done.returncode == 0, done.stderr
    target = tmp_path.resolve() / "private" / "secret.md"
    assert f"skipped  {docs / 'link.md'}: a link to {target}, outside {docs}; not indexed" in done.stderr
    assert {d["source"] for d in citewise_json("docs", env=env)} == {str(docs / "kettle.md"), str(docs / "oven.md")}
