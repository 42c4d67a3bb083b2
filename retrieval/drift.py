"""Where the chunks in Chroma and the document registry disagree: what a killed writer, or a second writer
without the lock, leaves behind."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from citewise.core.types import DocumentRecord

Version = tuple[str, str]  # (source, content hash)


@dataclass(frozen=True)
class Incomplete:
    """A record that names more (or fewer) chunks of its version than the store holds."""

    record: DocumentRecord
    found: int


@dataclass(frozen=True)
class Drift:
    orphans: tuple[str, ...] = ()  # ids of chunks of a version that no record (and no published view) names
    incomplete: tuple[Incomplete, ...] = ()
    leftover_sources: frozenset[str] = field(default_factory=frozenset)  # only the published view still names
    recorded_ids: frozenset[str] = field(default_factory=frozenset)  # the chunks of the versions records name

    @property
    def none(self) -> bool:
        return not self.orphans and not self.incomplete


def find_drift(
    records: Mapping[str, DocumentRecord], chunks: Iterable[tuple[str, Version]], published: Mapping[str, str]
) -> Drift:
    """Compare the registry (`records` by source) with every stored chunk ((id, version) pairs). A chunk of
    the published view's version is not an orphan while readers may still use it: it goes once a new view is
    published."""
    recorded = {(source, r.content_hash) for source, r in records.items()}
    owned = recorded | set(published.items())
    counts: dict[Version, int] = {}
    orphans: list[str] = []
    leftover: set[str] = set()
    current: set[str] = set()
    for chunk_id, version in chunks:
        counts[version] = counts.get(version, 0) + 1
        if version in recorded:
            current.add(chunk_id)
        elif version in owned:
            leftover.add(version[0])
        else:
            orphans.append(chunk_id)
    incomplete = tuple(
        Incomplete(r, counts.get((source, r.content_hash), 0))
        for source, r in sorted(records.items())
        if counts.get((source, r.content_hash), 0) != r.chunks
    )
    return Drift(tuple(sorted(orphans)), incomplete, frozenset(leftover), frozenset(current))
