"""Uploaded files onto disk, inside the uploads folder and private to the user.

A stored name is safe and short (at most MAX_NAME_BYTES UTF-8 bytes, its extension kept); the same bytes
uploaded again are not copied twice; a new version under the very name it was uploaded as is written beside
the earlier one (`Saved.staged`), and replaces it only as it is indexed: `put_in_place` keeps the earlier
bytes beside it until `settle` drops them (the new version is indexed) or puts them back (it is not), so a
broken new version never destroys the good copy. Any other upload whose name comes out the same gets a name
of its own ("Report (2).pdf"), never someone else's file. Files are created with O_EXCL and O_NOFOLLOW (or
renamed into place), so a symlink in the folder is never written through.
"""

import hashlib
import json
import os
import re
import secrets
import stat
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from citewise.core.private import FILE_MODE, private_folder
from citewise.ingest.limits import DEFAULT_LIMITS, MB, megabytes
from citewise.ingest.loaders import SUPPORTED_SUFFIXES

# A stored name's limit in UTF-8 bytes, extension included: far under the usual 255-byte limit (and the
# 143 of an eCryptfs home), with a " (2)" fitting in by cutting the stem.
MAX_NAME_BYTES = 120
_MAX_SUFFIX_BYTES = 16
_MAX_COPIES = 999  # "name (999).pdf" is the last one tried
_UNSAFE = re.compile(r"[^\w.\- ]+")
_NAMES_FILE = ".upload-names.json"  # stored name -> the name it was uploaded as (hidden: never indexed)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_LOCK = threading.Lock()  # Streamlit runs each browser session in a thread of one process


class UploadRejected(ValueError):
    """The upload is not saved; the message says why and what to do."""


@dataclass(frozen=True)
class Saved:
    path: Path
    duplicate_of: Path | None = None  # the earlier upload with the same bytes, which is kept instead
    staged: Path | None = None  # a new version of `path`, written beside it (hidden) until it replaces it


def _cut(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` within `max_bytes` UTF-8 bytes (never half a character)."""
    return text.encode()[: max(max_bytes, 0)].decode("utf-8", "ignore")


def _join(stem: str, suffix: str, tag: str = "") -> str:
    """stem + tag + .suffix within MAX_NAME_BYTES, cutting the stem, never the extension or the tag."""
    ending = f"{tag}.{suffix}" if suffix else tag
    stem = _cut(stem, MAX_NAME_BYTES - len(ending.encode())).strip(" .") or "upload"
    return f"{stem}{ending}"


def _split(name: str) -> tuple[str, str]:
    stem, dot, suffix = name.rpartition(".")
    return (stem, suffix) if dot else (name, "")


def safe_filename(name: str) -> str:
    """A plain file name: the last path component only, letters, digits, '.', '-', '_' and spaces,
    at most MAX_NAME_BYTES bytes in UTF-8."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .")  # no hidden files, no '..', no trailing dots
    stem, suffix = _split(base)
    return _join(stem, _cut(suffix.lower(), _MAX_SUFFIX_BYTES))


def save_upload(folder: Path, name: str, data: bytes, max_mb: int = DEFAULT_LIMITS.file_mb) -> Saved:
    """Write an upload under `folder` with a safe name of its own; the same bytes uploaded again are not
    copied twice. Raises UploadRejected (or OSError when the disk refuses the write)."""
    safe = safe_filename(name)
    suffix = Path(safe).suffix
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = " ".join(SUPPORTED_SUFFIXES)
        raise UploadRejected(f"{name}: citewise cannot read '{suffix or 'no extension'}' files (it reads {kinds}).")
    if len(data) > max_mb * MB:
        raise UploadRejected(
            f"{name} is {megabytes(len(data))}; the limit is {max_mb} MB a file. "
            "Split it, or set CITEWISE_MAX_FILE_MB higher where citewise runs (it is read when citewise starts)."
        )
    if not data:
        raise UploadRejected(f"{name} is empty.")
    with _LOCK:
        private_folder(folder)
        names = _read_names(folder)
        same = _same_bytes(folder, data)
        if same is not None:
            again = same.name == safe or names.get(same.name) == name  # this very upload, not a copy of another
            return Saved(same, duplicate_of=None if again else same)
        earlier = _uploaded_as(folder, names, name)
        if earlier is not None:
            return Saved(earlier, staged=_write_beside(earlier, data))
        path = _create(folder, name, safe, data)
        names[path.name] = name
        _write_names(folder, names)
        return Saved(path)


def put_in_place(saved: Saved) -> Path | None:
    """Rename a staged new version over the stored one, whose bytes stay beside it under a hidden name (a hard
    link): the previous version, returned for `settle`; None when nothing was staged or stored."""
    if saved.staged is None:
        return None
    with _LOCK:
        previous: Path | None = saved.path.with_name(f".upload-{secrets.token_hex(8)}.previous")
        try:
            os.link(saved.path, previous, follow_symlinks=False)
        except FileNotFoundError:  # removed meanwhile: nothing to keep
            previous = None
        os.replace(saved.staged, saved.path)
        return previous


def settle(saved: Saved, previous: Path | None, indexed: bool) -> None:
    """After indexing: the previous version goes when the new one is indexed, else it comes back. A staged
    version that never was put in place is deleted."""
    with _LOCK:
        if saved.staged is not None:
            saved.staged.unlink(missing_ok=True)
        if previous is not None:
            if indexed:
                previous.unlink(missing_ok=True)
            else:
                os.replace(previous, saved.path)


def forget_upload(folder: Path, path: Path) -> None:
    """Delete a stored upload and what is remembered of it."""
    with _LOCK:
        path.unlink(missing_ok=True)
        names = _read_names(folder)
        if names.pop(path.name, None) is not None:
            _write_names(folder, names)


def is_stored_upload(folder: Path, path: Path) -> bool:
    """Whether `path` is a copy that `save_upload` keeps in `folder` (citewise's to delete)."""
    return path.resolve().parent == folder.resolve()


def _is_plain_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _same_bytes(folder: Path, data: bytes) -> Path | None:
    """The stored upload with exactly these bytes, if any (symlinks and hidden files are not looked at)."""
    digest = hashlib.sha256(data).hexdigest()
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or not _is_plain_file(entry) or entry.lstat().st_size != len(data):
            continue
        fd = os.open(entry, os.O_RDONLY | _NOFOLLOW)
        with open(fd, "rb") as handle:
            if hashlib.file_digest(handle, "sha256").hexdigest() == digest:
                return entry
    return None


def _uploaded_as(folder: Path, names: dict[str, str], name: str) -> Path | None:
    """The stored file that an earlier upload named exactly `name` became, if it is still there."""
    for stored, uploaded in names.items():
        if uploaded == name and _is_plain_file(folder / stored):
            return folder / stored
    return None


def _create(folder: Path, name: str, safe: str, data: bytes) -> Path:
    """A new file for the upload: `safe`, else "stem (2).ext", "stem (3).ext"...; O_EXCL claims the name,
    so nothing there already (a file, a symlink) is touched."""
    stem, suffix = _split(safe)
    for copy in range(1, _MAX_COPIES + 1):
        path = folder / (safe if copy == 1 else _join(stem, suffix, f" ({copy})"))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, FILE_MODE)
        except FileExistsError:
            continue
        try:
            with open(fd, "wb") as handle:
                handle.write(data)
        except OSError:
            path.unlink(missing_ok=True)
            raise
        return path
    raise UploadRejected(f"{name}: {_MAX_COPIES} uploads already have this name; rename the file and upload it.")


def _write_beside(path: Path, data: bytes) -> Path:
    """`data` in a new hidden 0600 file (O_EXCL) beside `path`, for a rename over it: a rename replaces a
    symlink there, never follows it."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".part")
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def _replace(path: Path, data: bytes) -> None:
    """Write `data` beside `path` and rename it over `path`."""
    temporary = _write_beside(path, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _read_names(folder: Path) -> dict[str, str]:
    path = folder / _NAMES_FILE
    if not _is_plain_file(path):
        return {}
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # unreadable: earlier uploads are then never replaced, only kept beside the new ones
    return {str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {}


def _write_names(folder: Path, names: dict[str, str]) -> None:
    _replace(folder / _NAMES_FILE, json.dumps(names, indent=0, sort_keys=True).encode())
