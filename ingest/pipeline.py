"""Index files into the store: skip what is unchanged, replace what changed, report what failed."""

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from citewise.ingest.chunking import chunk_text, content_hash
from citewise.ingest.limits import Limits
from citewise.ingest.loaders import SUPPORTED_SUFFIXES, LoadError, load_file, read_file, unsupported_reason
from citewise.retrieval.store import Store


@dataclass(frozen=True)
class FileFailure:
    path: str
    error: str


@dataclass(frozen=True)
class FileDone:
    """Progress of one file: its status is added, updated, unchanged or failed."""

    path: str
    status: str
    chunks: int
    done: int
    total: int


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[FileFailure] = field(default_factory=list)
    removed_sources: list[str] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


Progress = Callable[[FileDone], None]


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[FileFailure]]:
    """Files under `paths` (folders recursively, hidden entries skipped), and paths that don't exist."""
    files: list[Path] = []
    missing: list[FileFailure] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append(FileFailure(str(path), "no such file or folder"))
    return list(dict.fromkeys(p.resolve() for p in files)), missing


def ingest_paths(
    store: Store,
    paths: Iterable[Path],
    prune: bool = False,
    progress: Progress | None = None,
    prune_within: Sequence[Path] | None = None,
) -> IngestReport:
    """Index every supported file under `paths`; one bad file never stops the batch. `prune` drops the documents
    whose files are gone: every one, or those under `prune_within` (files or folders) when given.

    The whole run is one write of the store: it holds the index's lock, first repairs what an interrupted write
    left (a record missing chunks counts as changed), and readers see the result when it ends."""
    started = time.perf_counter()
    settings = store.settings
    files, failures = discover(paths)
    report = IngestReport(failed=list(failures))
    with store.writing("ingest"):
        store.reconcile()
        recorded = store.registered()
        known = store.indexed_versions(recorded)  # one read of the registry for both
        limits = Limits.from_settings(settings)
        for done, path in enumerate(files, start=1):
            source = str(path)
            status, chunks = _ingest_one(
                store, path, known.get(source), settings.chunk_size, settings.chunk_overlap, limits
            )
            if isinstance(status, FileFailure):
                report.failed.append(status)
                status_name = "failed"
            else:
                if status == "added" and source in recorded:
                    status = "updated"  # its record had lost chunks: indexed again
                status_name = status
                setattr(report, status, getattr(report, status) + 1)
                report.chunks += chunks
            if progress:
                progress(FileDone(source, status_name, chunks, done, len(files)))
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


def _ingest_one(
    store: Store, path: Path, known_hash: str | None, size: int, overlap: int, limits: Limits
) -> tuple[str | FileFailure, int]:
    source = str(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return FileFailure(source, unsupported_reason(path)), 0
    try:
        data = read_file(path, limits)  # the one read: the hash and the loader both use these bytes
    except LoadError as exc:
        return FileFailure(source, str(exc)), 0
    digest = content_hash(data, size, overlap)
    if digest == known_hash:
        return "unchanged", 0
    try:
        loaded = load_file(path, data, limits)
        chunks = chunk_text(source, loaded.title, loaded.text, digest, size, overlap)
        store.put_document(source, loaded.title, digest, chunks, len(loaded.text))
    except LoadError as exc:
        return FileFailure(source, str(exc)), 0
    except Exception as exc:
        return FileFailure(source, f"could not be indexed: {exc}"), 0
    return ("updated" if known_hash else "added"), len(chunks)


def remove_source(store: Store, source: str) -> bool:
    """Drop one document (by its source path, as listed or relative to here)."""
    with store.writing("remove"):
        return store.remove_document(source) or store.remove_document(str(Path(source).resolve()))
