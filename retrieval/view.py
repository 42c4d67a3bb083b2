"""The published view of an index: what readers see, swapped in whole when a write ends.

A view is the document records, the ids of their chunks and the BM25 index over them, as of the end of one
write. Its folder, under keyword_dir/<collection>/, is:

    CURRENT     {"version": ID}: the version stamp, the one small file a reader reads before each read
    ID/         view.json (fingerprint, records) and the keyword index with its chunk ids (retrieval/keyword.py)

A writer (holding the write lock) writes ID/ under a fresh name, points CURRENT at it with os.replace, and
deletes the other folders (under the load lock, so that no reader is loading one then). A reader that finds
CURRENT changed loads the new ID/; one that finds it missing or damaged rebuilds the view from the store.
"""

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from citewise.core.types import Chunk, DocumentRecord
from citewise.retrieval.keyword import KeywordIndex, KeywordIndexDamaged

_CURRENT = "CURRENT"
_VIEW = "view.json"


def fingerprint(versions: Mapping[str, str]) -> str:
    """Of source -> content hash pairs: changes whenever a document is added, replaced or removed."""
    return hashlib.sha256(repr(sorted(versions.items())).encode()).hexdigest()


@dataclass(frozen=True)
class IndexView:
    """Documents, chunk ids and BM25 index of one moment; `version` is None for a view built but not published."""

    version: str | None
    records: tuple[DocumentRecord, ...]
    keyword: KeywordIndex
    active: dict[str, str] = field(init=False)  # source -> content hash of the version readers see
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        active = {r.source: r.content_hash for r in self.records}
        object.__setattr__(self, "active", active)
        object.__setattr__(self, "fingerprint", fingerprint(active))

    @classmethod
    def build(cls, records: Sequence[DocumentRecord], chunks: Sequence[Chunk]) -> "IndexView":
        """An unpublished view of `records` and their `chunks`."""
        return cls(None, tuple(sorted(records, key=lambda r: r.source)), KeywordIndex.build(chunks))

    def visible(self, source: str, doc_hash: str) -> bool:
        return self.active.get(source) == doc_hash


class ViewDamaged(Exception):
    """The published view cannot be read, or its parts do not match."""


class PublishedViews:
    """The published views of one collection, in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def current(self) -> str | None:
        """The version stamp: the published view's id, or None when there is none (or CURRENT is unreadable)."""
        try:
            return str(json.loads((self.folder / _CURRENT).read_text())["version"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def load(self) -> IndexView | None:
        """The published view; None when none is published. ViewDamaged when it cannot be read whole."""
        version = self.current()
        if version is None:
            return None
        where = self.folder / version
        try:
            saved = json.loads((where / _VIEW).read_text())
            records = tuple(DocumentRecord(**r) for r in saved["records"])
            keyword = KeywordIndex.load(where)
        except (OSError, ValueError, KeyError, TypeError, KeywordIndexDamaged) as exc:
            raise ViewDamaged(f"the published view {where} cannot be read: {exc}") from exc
        view = IndexView(version, records, keyword)
        if view.fingerprint != saved.get("fingerprint"):
            raise ViewDamaged(f"the records in {where / _VIEW} do not match their fingerprint")
        return view

    def write(self, view: IndexView) -> IndexView:
        """Write `view` under a new id, not yet in use; `switch_to` makes it current."""
        version = uuid.uuid4().hex
        where = self.folder / version
        view.keyword.save(where)
        saved = {"fingerprint": view.fingerprint, "records": [asdict(r) for r in view.records]}
        (where / _VIEW).write_text(json.dumps(saved, ensure_ascii=False))
        return IndexView(version, view.records, view.keyword)

    def switch_to(self, version: str) -> None:
        """Point CURRENT at `version` in one step, then delete every other view (call under the load lock)."""
        tmp = self.folder / f"{_CURRENT}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(json.dumps({"version": version}))
        os.replace(tmp, self.folder / _CURRENT)
        for entry in self.folder.iterdir():
            if entry.name in (_CURRENT, version):
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink(missing_ok=True)
