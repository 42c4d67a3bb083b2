"""Index files into the store: skip what is unchanged, replace what changed, report what failed.

Embedding is the ingest's real work, so everything else keeps out of its way: a background thread reads,
hashes, parses and chunks the next files while the current batch embeds, and the chunks of many files are
embedded and written together (CITEWISE_EMBED_BATCH), one Chroma write and one registry write per batch.
"""

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from citewise.core.settings import Settings
from citewise.ingest.chunking import chunk_text, content_hash
from citewise.ingest.limits import Limits
from citewise.ingest.loaders import SUPPORTED_SUFFIXES, LoadError, load_file, read_file, reading_of, unsupported_reason
from citewise.retrieval.store import DocumentVersion, Store

# Files parsed ahead of the embedding (bounds the memory the chunks waiting for it take).
PREPARE_AHEAD = 64


@dataclass(frozen=True)
class FileFailure:
    path: str
    error: str


@dataclass(frozen=True)
class FileDone:
    """Progress of one file: its status is added, updated, unchanged or failed; then the run's totals so far."""

    path: str
    status: str
    chunks: int
    done: int
    total: int
    chunks_done: int = 0  # chunks embedded so far in this run
    elapsed_s: float = 0.0
    eta_s: float | None = None  # estimated by the bytes of the files still to do

    @property
    def chunks_per_s(self) -> float:
        return self.chunks_done / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[FileFailure] = field(default_factory=list)
    skipped: list[FileFailure] = field(default_factory=list)  # links out of the folder, with why
    removed_sources: list[str] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


Progress = Callable[[FileDone], None]


@dataclass(frozen=True)
class _Prepared:
    """One file after reading and parsing: a new version to write, or its outcome (unchanged, a failure)."""

    path: Path
    size: int
    outcome: str | FileFailure  # "write", "unchanged" or why it failed
    version: DocumentVersion | None = None


Found = tuple[list[Path], list[FileFailure], list[FileFailure]]


def discover(paths: Iterable[Path], within: Path | None = None) -> Found:
    """Files under `paths` (folders recursively, hidden entries skipped), paths that don't exist, and links
    skipped. A file found in a folder is kept only if its real path lies inside that folder (or inside
    `within`, when given, for every path): a link out of it is skipped, and links to folders are not followed,
    so a synced folder never indexes what lies outside it."""
    files: list[Path] = []
    missing: list[FileFailure] = []
    skipped: list[FileFailure] = []
    for path in paths:
        boundary = (within or path).resolve()
        if path.is_dir() and not (within and path.is_symlink()):
            for p in sorted(path.rglob("*")):
                if any(part.startswith(".") for part in p.relative_to(path).parts):
                    continue
                if p.is_symlink() and p.is_dir():
                    skipped.append(_folder_link(p))
                elif p.is_file():
                    _keep_inside(p, boundary, files, skipped)
        elif path.is_symlink() and path.is_dir():
            skipped.append(_folder_link(path))
        elif path.is_file() and within is None:
            files.append(path)  # named on its own: indexed wherever it points
        elif path.is_file():
            _keep_inside(path, boundary, files, skipped)
        else:
            missing.append(FileFailure(str(path), "no such file or folder"))
    return list(dict.fromkeys(p.resolve() for p in files)), missing, skipped


def _folder_link(path: Path) -> FileFailure:
    return FileFailure(str(path), f"a link to the folder {path.resolve()}; links to folders are not followed")


def _keep_inside(path: Path, boundary: Path, files: list[Path], skipped: list[FileFailure]) -> None:
    if path.resolve().is_relative_to(boundary):
        files.append(path)
    else:
        skipped.append(FileFailure(str(path), f"a link to {path.resolve()}, outside {boundary}; not indexed"))


def ingest_paths(
    store: Store,
    paths: Iterable[Path],
    prune: bool = False,
    progress: Progress | None = None,
    prune_within: Sequence[Path] | None = None,
    within: Path | None = None,
) -> IngestReport:
    """Index every supported file under `paths`; one bad file never stops the batch. `prune` drops the documents
    whose files are gone: every one, or those under `prune_within` (files or folders) when given. `within` keeps
    every file to that folder (`discover`).

    The whole run is one write of the store: it holds the index's lock, first repairs what an interrupted write
    left (a record missing chunks counts as changed), and readers see the result when it ends."""
    started = time.perf_counter()
    files, failures, skipped = discover(paths, within)
    report = IngestReport(failed=failures, skipped=skipped)
    with store.writing("ingest"):
        store.reconcile()
        recorded = store.registered()
        known = store.indexed_versions(recorded)  # one read of the registry for both
        tracker = _Tracker(files, report, progress, started)
        batch: list[_Prepared] = []
        for item in _prepare_ahead(files, known, store.settings):
            if item.version is None:
                tracker.done(item, item.outcome, 0)
                continue
            batch.append(item)
            if sum(len(p.version.chunks) for p in batch if p.version) >= store.settings.embed_batch:
                _write(store, batch, recorded, tracker)
                batch = []
        _write(store, batch, recorded, tracker)
        if prune:
            scope = None if prune_within is None else [p.resolve() for p in prune_within]
            for source in recorded:
                gone = not Path(source).exists()
                if gone and _within(source, scope) and store.remove_document(source):
                    report.removed += 1
                    report.removed_sources.append(source)
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _within(source: str, scope: Sequence[Path] | None) -> bool:
    return scope is None or any(Path(source).is_relative_to(path) for path in scope)


class _Tracker:
    """Counts each finished file into the report and tells `progress`, with chunks/s and an ETA."""

    def __init__(self, files: list[Path], report: IngestReport, progress: Progress | None, started: float) -> None:
        self.report, self.progress, self.started = report, progress, started
        self.total = len(files)
        self.bytes_total = sum(_size(p) for p in files)
        self.count = self.bytes_done = 0

    def done(self, item: _Prepared, outcome: str | FileFailure, chunks: int) -> None:
        report = self.report
        if isinstance(outcome, FileFailure):
            report.failed.append(outcome)
            status = "failed"
        else:
            status = outcome
            setattr(report, status, getattr(report, status) + 1)
            report.chunks += chunks
        self.count += 1
        self.bytes_done += item.size
        if self.progress:
            elapsed = time.perf_counter() - self.started
            left = self.bytes_total - self.bytes_done
            eta = elapsed * left / self.bytes_done if self.bytes_done else None
            self.progress(FileDone(str(item.path), status, chunks, self.count, self.total, report.chunks, elapsed, eta))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _write(store: Store, batch: list[_Prepared], recorded: dict, tracker: _Tracker) -> None:
    """Embed and write a batch of files together; if that fails, file by file, so a bad one fails alone."""
    if not batch:
        return
    versions = [p.version for p in batch if p.version]
    try:
        store.put_documents(versions)
        results: list[str | FileFailure] = [_written(p, recorded) for p in batch]
    except Exception:
        results = []
        for item in batch:
            try:
                store.put_documents([item.version] if item.version else [])
                results.append(_written(item, recorded))
            except Exception as exc:
                results.append(FileFailure(str(item.path), f"could not be indexed: {exc}"))
    for item, outcome in zip(batch, results, strict=True):
        chunks = 0 if isinstance(outcome, FileFailure) or not item.version else len(item.version.chunks)
        tracker.done(item, outcome, chunks)


def _written(item: _Prepared, recorded: dict) -> str:
    # A record found missing chunks (not in `known`) was indexed again: an update too.
    return "updated" if str(item.path) in recorded else "added"


def _prepare_ahead(files: list[Path], known: dict[str, str], settings: Settings) -> Iterator[_Prepared]:
    """`_prepare` of each file, in order, done by a background thread that keeps ahead of the caller."""
    ready: queue.Queue[_Prepared | None] = queue.Queue(maxsize=PREPARE_AHEAD)
    stop = threading.Event()
    limits = Limits.from_settings(settings)

    def work() -> None:
        try:
            for path in files:
                item = _prepare(path, known.get(str(path)), settings, limits)
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        finally:
            if not stop.is_set():
                ready.put(None)  # the end; the caller is still reading, so there will be room

    worker = threading.Thread(target=work, name="citewise-ingest-prepare", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not None:
            yield item
    finally:
        stop.set()
        worker.join()


def _prepare(path: Path, known_hash: str | None, settings: Settings, limits: Limits) -> _Prepared:
    """Read, hash and, when it changed, parse and chunk one file; any error becomes its failure."""
    source = str(path)
    size = _size(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return _Prepared(path, size, FileFailure(source, unsupported_reason(path)))
    try:
        data = read_file(path, limits)  # the one read: the hash and the loader both use these bytes
        digest = content_hash(data, settings.chunk_size, settings.chunk_overlap, reading_of(path))
        if digest == known_hash:
            return _Prepared(path, size, "unchanged")
        loaded = load_file(path, data, limits)
        chunks = chunk_text(source, loaded.title, loaded.text, digest, settings.chunk_size, settings.chunk_overlap)
    except LoadError as exc:
        return _Prepared(path, size, FileFailure(source, str(exc)))
    except Exception as exc:
        return _Prepared(path, size, FileFailure(source, f"could not be indexed: {exc}"))
    return _Prepared(
        path, size, "write", DocumentVersion(source, loaded.title, digest, tuple(chunks), len(loaded.text))
    )


def remove_source(store: Store, source: str) -> bool:
    """Drop one document (by its source path, as listed or relative to here)."""
    with store.writing("remove"):
        return store.remove_document(source) or store.remove_document(str(Path(source).resolve()))
