"""`citewise doctor`: compare the parts of an index and repair what a killed write or a stray process left.

It reports chunks that no document record owns, records whose chunks are missing, and a published view (the
keyword index and document list readers see) that does not match the store. With `repair` it deletes the stray
chunks, indexes again each document whose file still exists, and publishes a fresh view."""

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.store import Store


@dataclass(frozen=True)
class MissingChunks:
    source: str
    expected: int
    found: int
    file_exists: bool


@dataclass(frozen=True)
class Repairs:
    deleted_orphan_chunks: int
    reindexed: list[str]
    not_reindexed: list[str]  # the file is gone: only `citewise remove` can settle these
    keyword_index_rebuilt: bool


@dataclass(frozen=True)
class DoctorReport:
    documents: int
    chunks: int
    orphan_chunks: int
    missing_chunks: list[MissingChunks]
    keyword_index: str  # ok, missing, damaged or stale
    repaired: Repairs | None = None

    @property
    def healthy(self) -> bool:
        return not self.orphan_chunks and not self.missing_chunks and self.keyword_index == "ok"

    def to_json(self) -> dict[str, Any]:
        return {"healthy": self.healthy, **asdict(self)}


def doctor(store: Store, repair: bool = False) -> DoctorReport:
    """What is amiss in the index, found under its write lock (so that a running ingest is not mistaken for
    damage); with `repair`, also repaired."""
    with store.writing("doctor --repair" if repair else "doctor", publish=repair):
        records = store.registered()
        drift = store.check(records)
        view = store.view_status(drift)
        report = DoctorReport(
            documents=len(records),
            chunks=sum(r.chunks for r in records.values()),
            orphan_chunks=len(drift.orphans),
            missing_chunks=[
                MissingChunks(gap.record.source, gap.record.chunks, gap.found, Path(gap.record.source).is_file())
                for gap in drift.incomplete
            ],
            keyword_index=view,
        )
        if not repair or report.healthy:
            return report
        store.reconcile(full=True)
        files = [Path(m.source) for m in report.missing_chunks if m.file_exists]
        if files:
            ingest_paths(store, files)
        if view != "ok":
            store.republish()
        repairs = Repairs(
            deleted_orphan_chunks=len(drift.orphans),
            reindexed=[str(f) for f in files],
            not_reindexed=[m.source for m in report.missing_chunks if not m.file_exists],
            keyword_index_rebuilt=view != "ok",
        )
        return replace(report, repaired=repairs)
