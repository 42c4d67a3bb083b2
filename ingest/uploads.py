"""Uploaded files onto disk: a safe name inside the uploads folder, a size limit, no duplicates."""

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from citewise.ingest.loaders import SUPPORTED_SUFFIXES

MAX_UPLOAD_MB = 50
MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^\w.\- ]+")


class UploadRejected(ValueError):
    """The upload is not saved; the message says why and what to do."""


@dataclass(frozen=True)
class Saved:
    path: Path
    duplicate_of: Path | None = None  # the earlier upload with the same bytes, which is kept instead


def safe_filename(name: str) -> str:
    """A plain file name: the last path component only, letters, digits, '.', '-', '_' and spaces."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .")  # no hidden files, no '..', no trailing dots
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = suffix.lower()
    stem = stem[: MAX_NAME_CHARS - len(suffix) - 1].strip(" .") or "upload"
    return f"{stem}.{suffix}" if suffix else stem


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_upload(folder: Path, name: str, data: bytes) -> Saved:
    """Write an upload under `folder` with a safe name; the same bytes uploaded again are not copied twice."""
    safe = safe_filename(name)
    suffix = Path(safe).suffix
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = " ".join(SUPPORTED_SUFFIXES)
        raise UploadRejected(f"{name}: citewise cannot read '{suffix or 'no extension'}' files (it reads {kinds}).")
    megabytes = len(data) / 1_000_000
    if megabytes > MAX_UPLOAD_MB:
        raise UploadRejected(
            f"{name} is {megabytes:.1f} MB; the limit is {MAX_UPLOAD_MB} MB a file. "
            "Split it, or index it from disk with `citewise ingest PATH`."
        )
    if not data:
        raise UploadRejected(f"{name} is empty.")
    folder.mkdir(parents=True, exist_ok=True)
    digest = _digest(data)
    for existing in sorted(folder.iterdir()):
        if existing.is_file() and existing.stat().st_size == len(data) and _digest(existing.read_bytes()) == digest:
            return Saved(existing, duplicate_of=existing if existing.name != safe else None)
    path = folder / safe
    path.write_bytes(data)
    return Saved(path)


def is_stored_upload(folder: Path, path: Path) -> bool:
    """Whether `path` is a copy that `save_upload` keeps in `folder` (citewise's to delete)."""
    return path.resolve().parent == folder.resolve()
