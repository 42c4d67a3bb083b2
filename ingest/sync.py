"""Folders kept in step with the index: a full pass over a folder (new files added, changed ones indexed again,
documents whose files are gone from it removed), the batches of changes a file watcher reports, and the record
of which folders an index syncs. All of it goes through `ingest_paths`, one write of the store per pass."""

import json
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from threading import Event

import watchfiles

from citewise.core.types import plural
from citewise.ingest.pipeline import IngestReport, Progress, ingest_paths
from citewise.retrieval.store import Store

MAX_ERRORS = 20  # of the last pass, kept in the record (a folder of 10,000 bad files must not bloat it)
# watchfiles groups the changes of a burst (a save writes a file several times): it yields once nothing changed
# for STEP_MS, or after DEBOUNCE_MS of steady changes.
STEP_MS = 300
DEBOUNCE_MS = 1600
# How often the watcher returns to Python with nothing to report: the first return says it is watching.
WAKE_MS = 500


class SyncError(Exception):
    """A folder cannot be synced, or the record of synced folders cannot be read; the message says why."""


@dataclass(frozen=True)
class SyncedFolder:
    """One remembered folder and how its last sync went."""

    folder: str
    last_sync: str | None = None  # ISO time, UTC
    added: int = 0
    updated: int = 0
    removed: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()  # "file: reason" of the last sync, at most MAX_ERRORS

    def to_json(self) -> dict:
        return asdict(self) | {"errors": list(self.errors)}


@dataclass(frozen=True)
class FolderSync:
    """What one sync of one folder did: the ingest's report, or why the folder was not synced."""

    folder: str
    report: IngestReport | None
    error: str | None = None

    def to_json(self) -> dict:
        report = self.report.to_json() if self.report else None
        return {"folder": self.folder, "error": self.error, **(report or {})}


@dataclass
class SyncRecord:
    """The synced folders of one index, in one JSON file, replaced whole on every change."""

    path: Path
    folders: dict[str, SyncedFolder] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "SyncRecord":
        """The record at `path` (empty when there is none); SyncError naming the file when it cannot be read."""
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            raise _damaged(path, exc) from exc
        try:
            folders = [
                SyncedFolder(**{**entry, "errors": tuple(entry.get("errors", ()))}) for entry in saved["folders"]
            ]
        except (KeyError, TypeError) as exc:
            raise _damaged(path, exc) from exc
        return cls(path, {f.folder: f for f in folders})

    def save(self) -> None:
        """Write a temporary file beside the record, then swap it in: a reader sees the old record or the new."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        saved = {"folders": [f.to_json() for f in sorted(self.folders.values(), key=lambda f: f.folder)]}
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps(saved, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, self.path)

    def note(self, done: FolderSync) -> SyncedFolder:
        """Remember the folder and how this sync went (save to keep it)."""
        report = done.report
        errors = [f"{f.path}: {f.error}" for f in report.failed] if report else []
        if done.error:
            errors.insert(0, done.error)
        entry = SyncedFolder(
            folder=done.folder,
            last_sync=datetime.now(UTC).isoformat(timespec="seconds"),
            added=report.added if report else 0,
            updated=report.updated if report else 0,
            removed=report.removed if report else 0,
            failed=len(report.failed) if report else 1,
            errors=tuple(errors[:MAX_ERRORS]),
        )
        self.folders[done.folder] = entry
        return entry


def _damaged(path: Path, exc: Exception) -> SyncError:
    return SyncError(
        f"The record of synced folders {path} cannot be read ({exc}). Delete it and run "
        "`citewise sync DIR` again for each folder to keep in sync (the indexed documents are not affected)."
    )


def folder_key(folder: Path) -> str:
    """The name a folder is remembered by: its absolute path, links resolved."""
    return str(folder.expanduser().resolve())


def sync_folder(store: Store, folder: Path, progress: Progress | None = None, prune: bool = False) -> FolderSync:
    """One full pass: index what is new or changed under `folder`, drop its documents whose files are gone.
    A missing or empty folder (an unmounted drive, or the mount point left behind) that has documents indexed
    removes nothing unless `prune` confirms it: the reason and the count are reported instead."""
    key = folder_key(folder)
    root = Path(key)
    if root.exists() and not root.is_dir():
        return FolderSync(key, None, f"{key} is not a folder; nothing was changed in the index.")
    if not prune and _is_empty(root) and (kept := _indexed_under(store, root)):
        return FolderSync(
            key,
            None,
            f"{key} {_why_empty(root)}; nothing was changed in the index ({plural(kept, 'indexed document')} kept); "
            f"run `citewise sync --prune {key}` to remove them.",
        )
    if not root.exists() and not prune:
        return FolderSync(key, None, f"{key} does not exist; nothing was changed in the index.")
    scanned = [root] if root.exists() else []
    report = ingest_paths(store, scanned, prune=True, prune_within=[root], progress=progress, within=root)
    return FolderSync(key, report)


def _is_empty(folder: Path) -> bool:
    """No entry at all, no folder, or none that can be read: what an unmounted drive leaves, and what a full pass
    would take for a folder whose files were all deleted."""
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:
        return True


def _why_empty(folder: Path) -> str:
    if not folder.exists():
        return "does not exist (moved, or on a drive not mounted?)"
    return "is empty" if os.access(folder, os.R_OK | os.X_OK) else "cannot be read"


def _indexed_under(store: Store, folder: Path) -> int:
    return sum(1 for d in store.documents() if Path(d.source).is_relative_to(folder))


def apply_changes(store: Store, folder: Path, changed: Iterable[Path], progress: Progress | None = None) -> FolderSync:
    """One batch of a watcher's changes under `folder`: index the changed paths that exist, drop the documents
    of those that are gone (a deleted subfolder takes its documents with it). Only what lies inside the folder
    counts: a link created in it to a file or folder elsewhere is skipped, as in a full pass."""
    key = folder_key(folder)
    root = Path(key)
    if not root.is_dir():  # removed or unmounted while watched: as in a full pass, nothing is removed
        return FolderSync(key, None, f"{key} is gone; nothing was changed in the index.")
    paths = sorted(set(changed))
    present = [p for p in paths if p.exists()]
    inside = [p for p in paths if p.resolve().is_relative_to(root)]  # a link's target elsewhere is not pruned
    report = ingest_paths(store, present, prune=True, prune_within=inside, progress=progress, within=root)
    return FolderSync(key, report)


def watch_changes(
    folders: Iterable[Path], stop: Event | None = None, ignore: Iterable[Path] = ()
) -> Iterator[dict[Path, list[Path]]]:
    """Batches of changed paths, by the watched folder they are under, and an empty one every WAKE_MS when
    nothing changed; the first comes once the watcher runs (changes made after that are seen). Hidden files and
    `ignore`d folders are left out. Ends when `stop` is set; Ctrl-C raises KeyboardInterrupt."""
    roots = [Path(folder_key(f)) for f in folders]
    skipped = [Path(folder_key(p)) for p in ignore]
    for changes in watchfiles.watch(
        *roots,
        debounce=DEBOUNCE_MS,
        step=STEP_MS,
        rust_timeout=WAKE_MS,
        yield_on_timeout=True,
        stop_event=stop,
    ):
        yield _by_folder((Path(path) for _, path in changes), roots, skipped)


def _by_folder(paths: Iterable[Path], roots: list[Path], skipped: list[Path]) -> dict[Path, list[Path]]:
    batch: dict[Path, list[Path]] = {}
    for path in paths:
        if any(path.is_relative_to(s) for s in skipped):
            continue  # the index's own files, when the data folder sits inside a synced one
        root = max((r for r in roots if path.is_relative_to(r)), key=lambda r: len(r.parts), default=None)
        if root is None or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue  # hidden, as a full pass skips them
        batch.setdefault(root, []).append(path)
    return batch
