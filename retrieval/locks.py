"""Cross-process locks on one data folder (filelock): one writer at a time, and short holds around Chroma loads.

The write lock is held for a whole write (an ingest, a removal, a rebuild, a repair), so two writers never
interleave; a second one waits, saying who it waits for, and gives up after CITEWISE_LOCK_TIMEOUT seconds.

The load lock is held briefly: by a writer around each Chroma write, and by any process while it opens embedded
Chroma or a published view (CITEWISE_LOCK_TIMEOUT does not shorten the wait for it below LOAD_WAIT_S: a reader
never fails on another process's moment with it). Opening embedded Chroma loads the HNSW files and writes them
back, and a process does not see another's writes until it reopens (chroma-core/chroma#3792); a load in the middle
of another process's write leaves a broken index, so loads and writes take turns.

Not covered: processes on other machines, and processes using another data folder. With a Chroma server
(CITEWISE_CHROMA_URL) every process on this machine with the same data folder takes the same locks; a process
elsewhere does not, so its writes can interleave with ours. Readers still notice them (retrieval/store.py
compares the registry's fingerprint), but only one writer at a time is safe.
"""

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from citewise.retrieval.errors import IndexBusy

Waiting = Callable[[str], None]
# The load lock is normally held for milliseconds; a longer wait is worth a word to whoever waits.
QUIET_WAIT_S = 0.5
# The least any process waits for the load lock: it is held for one Chroma write or load at a time, and a reader
# (a search, `citewise docs`) only ever waits for that, whatever CITEWISE_LOCK_TIMEOUT says about writers.
LOAD_WAIT_S = 30.0


class IndexLocks:
    """The write lock and the load lock of one data folder."""

    def __init__(self, folder: Path, timeout: float, on_wait: Waiting | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.timeout = timeout
        self.on_wait = on_wait
        self._write = FileLock(folder / "write.lock")
        self._load = FileLock(folder / "load.lock")
        self._owner = folder / "write.owner"
        self._depth = threading.local()

    @contextmanager
    def writing(self, what: str) -> Iterator[None]:
        """Hold the write lock (re-entrant in one thread); wait for another writer, saying so, up to the timeout."""
        if not self._write_depth():
            self._acquire_write(what)
        self._depth.n = self._write_depth() + 1
        try:
            yield
        finally:
            self._depth.n -= 1
            if not self._depth.n:
                self._owner.unlink(missing_ok=True)
                self._write.release()

    @contextmanager
    def writing_if_free(self, what: str) -> Iterator[bool]:
        """Hold the write lock if no other process holds it now; yields whether it does."""
        if self._write_depth():
            yield True
            return
        try:
            self._write.acquire(timeout=0)
        except Timeout:
            yield False
            return
        try:
            self._claim(what)
            self._depth.n = 1
            yield True
        finally:
            self._depth.n = 0
            self._owner.unlink(missing_ok=True)
            self._write.release()

    def holds_write(self) -> bool:
        return self._write_depth() > 0

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Hold the load lock: nobody loads or writes Chroma's files meanwhile (holders keep it for a moment)."""
        self._acquire(self._load, QUIET_WAIT_S, max(self.timeout, LOAD_WAIT_S))
        try:
            yield
        finally:
            self._load.release()

    def _write_depth(self) -> int:
        return getattr(self._depth, "n", 0)

    def _acquire_write(self, what: str) -> None:
        self._acquire(self._write, 0, self.timeout)
        self._claim(what)

    def _acquire(self, lock: FileLock, quiet: float, timeout: float) -> None:
        """Take `lock`; after `quiet` seconds, say who we wait for; after `timeout`, raise IndexBusy."""
        try:
            lock.acquire(timeout=min(quiet, timeout))
            return
        except Timeout:
            pid, doing = self._holder()
        if self.on_wait:
            self.on_wait(
                f"another {doing} is running (pid {pid}); waiting…"
                if pid
                else "another citewise process is opening the index; waiting…"
            )
        try:
            lock.acquire(timeout=max(timeout - quiet, 0))
        except Timeout as exc:
            who = f"another citewise process (pid {pid})" if pid else "another citewise process"
            raise IndexBusy(
                f"{who} is still writing the index in {self.folder} ({doing}) after {timeout:.0f} s. "
                "Let it finish (or stop it), then run this again; CITEWISE_LOCK_TIMEOUT sets how many seconds "
                "to wait."
            ) from exc

    def _claim(self, what: str) -> None:
        """Say who holds the write lock, for the messages of those who wait (a unique temp name, then a swap)."""
        tmp = self._owner.with_name(f"{self._owner.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps({"pid": os.getpid(), "what": what}))
        os.replace(tmp, self._owner)

    def _holder(self) -> tuple[int | None, str]:
        """(pid, first word of what it does) of the process that holds the write lock, if one does."""
        try:
            owner = json.loads(self._owner.read_text())
            pid, doing = int(owner["pid"]), str(owner["what"]).split()[0]
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None, "write"
        try:
            os.kill(pid, 0)  # a killed writer leaves its note behind: is it still running?
        except ProcessLookupError:
            return None, "write"
        except PermissionError:
            pass  # running, as another user
        return pid, doing
