"""One writer at a time, across processes: a second `citewise ingest` waits for the first and says so, or gives up
after CITEWISE_LOCK_TIMEOUT with exit code 2. Real processes; the first is paused just before it records a
document (tests/interrupted_cli.py), so the two overlap where it hurts."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from citewise.core.settings import Settings
from citewise.retrieval.locks import IndexLocks
from citewise.service import Citewise
from tests.processes import CITEWISE, citewise, citewise_env, finish, interrupted, start, wait_for

VERSION_A = "# Notes\n\nThe spare key hangs on the hook behind the pantry door.\n"
VERSION_B = "# Notes\n\nThe spare key now sits in the blue bowl on the hall table.\n"


@pytest.fixture
def paused_ingest(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Path, Path, int]]:
    """An ingest of notes.md (version A) in another process, paused holding whatever it holds at a point (by
    default just before it writes the document's record); yields (the folder, the signals folder, its pid).
    Released on teardown."""
    point = getattr(request, "param", "record")
    folder, signals = tmp_path / "docs", tmp_path / "signals"
    folder.mkdir()
    signals.mkdir()
    (folder / "notes.md").write_text(VERSION_A)
    env = citewise_env(tmp_path / "data")
    first = start(interrupted(point, "pause", "ingest", str(folder), signals=signals), env, tmp_path / "first.log")
    try:
        wait_for(lambda: (signals / "paused").exists() or first.poll() is not None, "the first ingest to pause")
        assert first.poll() is None, (tmp_path / "first.log").read_text()
        yield folder, signals, first.pid
    finally:
        (signals / "go").touch()
        finish(first)


def test_a_second_ingest_waits_for_the_first_and_the_index_stays_whole(
    paused_ingest: tuple[Path, Path, int], tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    folder, signals, first_pid = paused_ingest
    notes = folder / "notes.md"
    notes.write_text(VERSION_B)  # edited while the first ingest runs...
    log = tmp_path / "second.log"
    second = start([str(CITEWISE), "ingest", str(folder)], citewise_env(tmp_path / "data"), log)
    try:
        wait_for(lambda: second.poll() is not None or "waiting" in log.read_text(), "the second ingest")
        notes.write_text(VERSION_A)  # ...and the edit undone before either has finished
        (signals / "go").touch()
        assert finish(second) == 0, log.read_text()
    finally:
        if second.poll() is None:
            second.kill()
    again = citewise("ingest", str(folder), env=citewise_env(tmp_path / "data"))
    assert again.returncode == 0, again.stderr

    service = Citewise(make_settings(tmp_path / "data"))
    [record] = service.documents()
    chunks = service.chunks(record.source)
    assert record.chunks == len(chunks) > 0, f"the record names {record.chunks} chunks, the store holds {len(chunks)}"
    assert "pantry door" in chunks[0].text
    assert [h.chunk.id for h in service.search("Where is the spare key?", 1).hits] == [chunks[0].id]
    assert f"another ingest is running (pid {first_pid}); waiting" in log.read_text()


# Paused while it embeds, the first holds the write lock only; while it writes the record, the load lock too.
@pytest.mark.parametrize("paused_ingest", ["embed", "record"], indirect=True)
def test_a_writer_that_cannot_get_the_lock_in_time_exits_2_saying_what_to_do(
    paused_ingest: tuple[Path, Path, int], tmp_path: Path
) -> None:
    folder, _, first_pid = paused_ingest
    (folder / "other.md").write_text("# Other\n\nSomething else entirely.\n")

    done = citewise("ingest", str(folder), env=citewise_env(tmp_path / "data", CITEWISE_LOCK_TIMEOUT="1"))

    assert done.returncode == 2, done.stdout + done.stderr
    assert f"another ingest is running (pid {first_pid}); waiting" in done.stderr
    assert f"Error: another citewise process (pid {first_pid}) is still writing the index" in done.stderr
    assert "CITEWISE_LOCK_TIMEOUT" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def indexed(tmp_path: Path) -> Path:
    """A data folder with notes.md indexed."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.md").write_text(VERSION_A)
    assert citewise("ingest", str(folder), env=citewise_env(tmp_path / "data")).returncode == 0
    return tmp_path / "data"


def test_with_lock_timeout_0_a_reader_waits_out_a_moment_of_the_load_lock(indexed: Path, tmp_path: Path) -> None:
    # Another process holds the load lock for a moment (opening the index, or one Chroma write of an ingest):
    # CITEWISE_LOCK_TIMEOUT=0 is about writers waiting for writers; `citewise docs` waits for the moment.
    log, errors = tmp_path / "docs.log", tmp_path / "docs.err"
    env = citewise_env(indexed, CITEWISE_LOCK_TIMEOUT="0")
    with IndexLocks(indexed, timeout=0).loading():
        reader = start([str(CITEWISE), "docs"], env, log, errors)
        try:
            wait_for(lambda: "waiting" in errors.read_text() or reader.poll() is not None, "the reader to wait")
        except AssertionError:
            reader.kill()
            raise
    assert finish(reader) == 0, errors.read_text()
    assert "notes.md" in log.read_text() and "1 documents" in log.read_text()


@pytest.mark.parametrize("paused_ingest", ["embed"], indirect=True)  # holding the write lock only
def test_with_lock_timeout_0_readers_work_beside_a_running_writer(
    paused_ingest: tuple[Path, Path, int], tmp_path: Path
) -> None:
    env = citewise_env(tmp_path / "data", CITEWISE_LOCK_TIMEOUT="0")  # the paused ingest holds the write lock

    for args in (["docs"], ["search", "spare key"]):
        done = citewise(*args, env=env)
        assert done.returncode in (0, 1), done.stderr  # 1: nothing indexed yet, which search says
        assert "still writing" not in done.stderr and "Traceback" not in done.stderr
