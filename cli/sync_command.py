"""`citewise sync`: keep folders and the index in step, once or while watching; list and forget synced folders."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from citewise.cli.errors import fail, stop_on_ctrl_c
from citewise.cli.kb_command import KbOption, open_base
from citewise.cli.terminal import echo, json_text, secho, terminal_safe
from citewise.service import Citewise, FileDone, FolderSync, StoreError, SyncError


def _say(message: str) -> None:
    echo(message, err=True)


def _line(data: Any) -> None:
    """One JSON object per line: `--watch --json` prints one per sync as it happens."""
    echo(json_text(data, indent=None))


class _Lines:
    """Per-file lines (and a bar on a terminal) on stderr; files found unchanged say nothing."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: tqdm | None = None

    def progress(self, event: FileDone) -> None:
        if self.quiet:
            return
        if sys.stderr.isatty():
            if self.bar is None:
                self.bar = tqdm(desc="Syncing", unit="file", file=sys.stderr, leave=False)
            self.bar.total = event.total
            self.bar.update(1)
        if event.status not in ("unchanged", "failed"):  # failures are printed with their reason below
            self._write(f"{event.status:>9}  {event.path}  ({event.chunks} chunks)")

    def done(self, sync: FolderSync) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.quiet:
            return
        report = sync.report
        if report is None:
            secho(f"failed: {sync.error}", fg="red", err=True)
            return
        for source in report.removed_sources:
            self._write(f"{'removed':>9}  {source}")
        for failure in report.failed:
            secho(f"   failed  {failure.path}: {failure.error}", fg="red", err=True)
        for link in report.skipped:
            self._write(f"{'skipped':>9}  {link.path}: {link.error}")
        echo(
            f"{sync.folder}: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.removed} removed, {len(report.failed)} failed ({report.seconds:.1f} s)"
        )

    def _write(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(terminal_safe(text), file=sys.stderr)
        else:
            echo(text, err=True)


def sync_command(
    folders: Annotated[
        list[Path] | None, typer.Argument(help="Folders to sync (default: every folder synced before).")
    ] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Keep syncing as files change, until Ctrl-C.")] = False,
    forget: Annotated[
        Path | None, typer.Option("--forget", help="Stop syncing this folder (its documents stay indexed).")
    ] = None,
    listed: Annotated[bool, typer.Option("--list", help="List the synced folders and their last sync.")] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Also when a folder is empty or missing: remove its documents (otherwise kept)."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    kb: KbOption = None,
) -> None:
    """Add new files, index changed ones again, drop documents whose files are gone from the folders."""
    service = open_base(kb, _say)
    try:
        if forget is not None:
            _forget(service, forget, as_json)
        elif listed:
            _list(service, as_json)
        elif watch:
            _watch(service, folders or [], as_json)
        else:
            _sync_once(service, folders or [], as_json, prune)
    except (SyncError, StoreError) as exc:
        raise fail(str(exc)) from exc


def _sync_once(service: Citewise, folders: list[Path], as_json: bool, prune: bool) -> None:
    if not folders and not service.synced_folders():
        raise fail("No folder is synced yet: `citewise sync DIR` syncs one and remembers it.", 1)
    lines = _Lines(quiet=as_json)
    done: list[FolderSync] = []
    for folder in folders or [Path(f.folder) for f in service.synced_folders()]:
        [sync] = service.sync([folder], progress=lines.progress, prune=prune)
        lines.done(sync)
        done.append(sync)
    if as_json:
        echo(json_text([d.to_json() for d in done]))
    if any(d.error or (d.report and d.report.failed) for d in done):
        raise typer.Exit(1)


def _watch(service: Citewise, folders: list[Path], as_json: bool) -> None:
    lines = _Lines(quiet=as_json)

    def on_sync(sync: FolderSync) -> None:
        lines.done(sync)
        if as_json:
            _line(sync.to_json())

    def on_watching(watched: list[str]) -> None:
        _say(f"watching {', '.join(watched)} for changes (Ctrl-C stops)")

    stop_on_ctrl_c()
    try:
        service.watch(folders, on_sync, on_watching, progress=lines.progress)
    except KeyboardInterrupt:
        _say("stopped watching")


def _forget(service: Citewise, folder: Path, as_json: bool) -> None:
    kept = service.forget_folder(folder)
    if kept is None:
        raise fail(f"{folder} is not a synced folder; `citewise sync --list` lists them.", 1)
    if as_json:
        echo(json_text({"forgotten": str(folder.resolve()), "documents_kept": kept}))
        return
    echo(
        f"{folder} is no longer synced. Its {len(kept)} documents stay in the index; `citewise remove PATH` drops one."
    )


def _list(service: Citewise, as_json: bool) -> None:
    folders = service.synced_folders()
    if as_json:
        echo(json_text([f.to_json() for f in folders]))
        return
    for f in folders:
        echo(
            f"{f.folder}  last sync {f.last_sync or 'never'}: {f.added} added, {f.updated} updated, "
            f"{f.removed} removed, {f.failed} failed"
        )
        for error in f.errors:
            secho(f"    {error}", fg="red")
    echo(f"{len(folders)} synced folders")
