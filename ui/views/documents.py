"""Documents: upload files, keep folders in sync, see what is indexed, re-index or delete a document."""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from citewise.core.types import DocumentRecord, plural
from citewise.service import (
    SUPPORTED_SUFFIXES,
    FileDone,
    FolderSync,
    IngestReport,
    StoreError,
    SyncedFolder,
    SyncError,
)
from citewise.ui import render
from citewise.ui.state import service

_SAID_ICON = {"added": "✓", "updated": "↻", "unchanged": "–"}
_SAID = {
    "added": "added",
    "updated": "updated (replaces the earlier version)",
    "unchanged": "unchanged, already indexed",
}


def _progress(
    label: str, count: int | None, names: dict[str, str]
) -> tuple[Callable[[FileDone], None], Callable[[], None]]:
    """A progress bar with one line per file (`names` maps a source to its shown name), and its closer."""
    bar = st.progress(0.0, text=f"{label} {plural(count, 'file')}…" if count is not None else f"{label}…")
    lines = st.container()

    def progress(event: FileDone) -> None:
        name = names.get(event.path, Path(event.path).name)
        shown = render.markdown_literal(name)  # progress text is read as Markdown
        rate = f"{plural(event.chunks_done, 'passage')}, {event.chunks_per_s:.1f}/s"
        left = "" if event.eta_s is None else f", about {event.eta_s:.0f} s left"
        bar.progress(event.done / event.total, text=f"{label} {event.done} of {event.total} ({rate}{left}): {shown}")
        if event.status in _SAID:
            chunks = f" ({plural(event.chunks, 'passage')})" if event.chunks else ""
            lines.html(render.text_html(f"{_SAID_ICON[event.status]} {name} {_SAID[event.status]}{chunks}"))

    return progress, bar.empty


def _failures(report: IngestReport, names: dict[str, str]) -> None:
    for failure in report.failed:
        name = names.get(failure.path, Path(failure.path).name)
        st.html(render.notice_html("error", f"{name} was not indexed: {failure.error}"))


def _index(paths: list[Path], names: dict[str, str], label: str) -> IngestReport:
    """Index `paths` with a progress bar and one line per file."""
    progress, done = _progress(label, len(paths), names)
    with st.spinner(f"{label} (embedding every passage)…"):
        report = service().ingest(paths, progress=progress)
    done()
    _failures(report, names)
    return report


def _add_uploads(files: list[UploadedFile]) -> None:
    progress, done = _progress("Indexing", len(files), {})
    with st.spinner("Indexing (embedding every passage)…"):
        result = service().add_uploads([(upload.name, upload.getvalue()) for upload in files], progress=progress)
    done()
    for message in result.rejected:
        st.html(render.notice_html("error", message))
    for name, earlier in result.duplicates:
        st.html(render.notice_html("info", f"{name} has the same content as {earlier}, already uploaded."))
    if result.ingest is not None:
        _failures(result.ingest, result.names)
        st.success(_summary(result.ingest), icon=":material/task_alt:")


def _summary(report: IngestReport) -> str:
    return (
        f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.failed)} failed · {plural(report.chunks, 'passage')} embedded in {report.seconds:.1f} s"
    )


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def _indexed_at(record: DocumentRecord) -> str:
    return _local_time(record.indexed_at)


# -- synced folders ----------------------------------------------------------------------------

SYNC_NOTICES = "sync_notices"  # what the last sync said, shown once the page has run again with its results


def _sync(folder: Path) -> None:
    """Sync one folder with a progress bar and a line per changed file; its outcome is shown after the rerun."""
    progress, done = _progress(f"Syncing {render.markdown_literal(str(folder))}", None, {})
    with st.spinner("Syncing (embedding every new or changed passage)…"):
        try:
            [result] = service().sync([folder], progress=progress)
        except (SyncError, StoreError) as exc:  # a damaged record; the index busy with another writer too long
            result = FolderSync(str(folder), None, str(exc))
    done()
    st.session_state[SYNC_NOTICES] = _sync_notices(result)
    st.rerun()


def _sync_notices(result: FolderSync) -> list[tuple[render.NoticeKind, str]]:
    report = result.report
    if report is None:
        return [("error", result.error or f"{result.folder} was not synced.")]
    notices: list[tuple[render.NoticeKind, str]] = [
        ("error", f"{Path(f.path).name} was not indexed: {f.error}") for f in report.failed
    ]
    notices.append(
        (
            "success",
            f"{result.folder}: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.removed} removed, {len(report.failed)} failed · {plural(report.chunks, 'passage')} embedded "
            f"in {report.seconds:.1f} s",
        )
    )
    return notices


def _synced_folder_row(folder: SyncedFolder) -> None:
    with st.container(border=True):
        info, action = st.columns([5, 1.3], vertical_alignment="center")
        info.html(render.text_html(folder.folder, bold=True))
        when = _local_time(folder.last_sync) if folder.last_sync else "never"
        info.html(
            render.text_html(
                f"last sync {when} · {folder.added} added, {folder.updated} updated, {folder.removed} removed, "
                f"{folder.failed} failed",
                "cw-file",
            )
        )
        if folder.errors:
            info.html(render.list_html(folder.errors))
        if action.button(
            "Sync now",
            key=f"sync-{folder.folder}",
            icon=":material/sync:",
            width="stretch",
            help="Add new files, index changed ones again, remove documents whose files are gone.",
        ):
            _sync(Path(folder.folder))


def _synced_folders() -> None:
    st.subheader("Synced folders")
    for kind, text in st.session_state.pop(SYNC_NOTICES, []):
        st.html(render.notice_html(kind, text))
    try:
        folders = service().synced_folders()
    except SyncError as exc:
        st.html(render.notice_html("error", str(exc)))
        return
    st.caption(
        "New, changed and deleted files in these folders are picked up by **Sync now**, or as they happen "
        "while `citewise sync --watch` runs. Forgetting a folder (`citewise sync --forget DIR`) keeps its documents."
    )
    for folder in folders:
        _synced_folder_row(folder)
    with st.form("sync-folder", clear_on_submit=True, border=False):
        typed = st.text_input("Add a folder to keep in sync", placeholder="/home/me/notes")
        added = st.form_submit_button("Sync this folder", icon=":material/create_new_folder:")
    if added:
        if typed.strip():
            _sync(Path(typed.strip()).expanduser())
        else:
            st.warning("Type the path of a folder on this computer first.")


def _delete(record: DocumentRecord) -> None:
    service().remove(record.source)
    st.session_state["documents_notice"] = f"Removed {record.title} from the index."


def _document_row(record: DocumentRecord) -> None:
    with st.container(border=True):
        info, reindex, delete = st.columns([5, 1.3, 1.3], vertical_alignment="center")
        uploaded = service().is_upload(record.source)
        info.html(render.text_html(record.title, bold=True))
        where = f"uploaded · {Path(record.source).name}" if uploaded else record.source
        info.html(
            render.text_html(f"{where} · {plural(record.chunks, 'passage')} · indexed {_indexed_at(record)}", "cw-file")
        )
        key = record.source
        if reindex.button(
            "Re-index",
            key=f"reindex-{key}",
            icon=":material/refresh:",
            width="stretch",
            help="Read the file again and update the index if it changed.",
        ):
            report = _index([Path(record.source)], {record.source: record.title}, "Re-indexing")
            if report.failed and not Path(record.source).exists():
                st.warning("The file is gone from disk. Delete the document, or put the file back and re-index.")
        with delete.popover("Delete", icon=":material/delete:", width="stretch"):
            st.html(render.text_html(f"Remove {record.title} from the index?"))
            st.button("Delete", key=f"delete-{key}", type="primary", on_click=_delete, args=(record,))


st.title("Documents")
documents = service().documents()
passages = sum(d.chunks for d in documents)
st.caption(
    f"{plural(len(documents), 'document')}, {plural(passages, 'passage')}. Uploaded files are copied to "
    f"{render.markdown_literal(str(service().uploads_dir))}; uploading the same file again changes nothing."
)
if notice := st.session_state.pop("documents_notice", None):
    st.html(render.notice_html("success", notice))  # it names the document

max_mb = service().settings.max_file_mb  # Streamlit's server.maxUploadSize too, set by `citewise ui`
with st.form("upload", clear_on_submit=True, border=True):
    files = st.file_uploader(
        f"Add documents ({' '.join(SUPPORTED_SUFFIXES)}; up to {max_mb} MB each)",
        type=[s.lstrip(".") for s in SUPPORTED_SUFFIXES],
        accept_multiple_files=True,
        max_upload_size=max_mb,
    )
    submitted = st.form_submit_button("Upload and index", type="primary", icon=":material/upload:")
if submitted:
    if files:
        _add_uploads(files)
        documents = service().documents()
    else:
        st.warning("Choose one or more files first (drag them onto the box above).")

if not documents:
    st.info(
        "Nothing is indexed yet. Upload your own files above, or start with the four sample "
        "articles about large language models that come with citewise."
    )
    if st.button("Index the sample articles", icon=":material/library_add:"):
        report = _index(service().sample_articles(), {}, "Indexing")
        st.success(_summary(report), icon=":material/task_alt:")
        documents = service().documents()

_synced_folders()
documents = service().documents()

if documents:
    header, action = st.columns([4, 1.4], vertical_alignment="bottom")
    header.subheader("In the knowledge base")
    if action.button("Re-index all", icon=":material/refresh:", help="Pick up changes to any indexed file."):
        _index([Path(d.source) for d in documents], {d.source: d.title for d in documents}, "Re-indexing")
        documents = service().documents()
    for record in documents:
        _document_row(record)
