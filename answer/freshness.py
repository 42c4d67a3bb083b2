"""Has what an answer cited changed since? Each citation's chunk is looked up in the index as it is now."""

from collections.abc import Sequence
from typing import Literal

from citewise.core.types import Citation, passage_hash
from citewise.retrieval.store import Store

CitedState = Literal["current", "changed", "removed"]

STATE_NOTE: dict[CitedState, str] = {
    "changed": (
        "⚠ Source changed since this answer: the document was indexed again and no longer holds this passage as cited."
    ),
    "removed": "⚠ Source removed since this answer: its document is no longer indexed.",
}


def cited_states(store: Store, citations: Sequence[Citation]) -> dict[str, CitedState]:
    """chunk id -> whether the cited passage is still indexed as it was (`current`), its document was indexed
    again with other text there (`changed`), or the document is no longer indexed (`removed`).

    One lookup by chunk id; a chunk id names its document's version, so an edit elsewhere in the document gives
    the passage a new id: those documents' current chunks are read once more to find the same text."""
    if not citations:
        return {}
    view = store.view()  # both reads from one published view
    found = store.get_chunks([c.chunk_id for c in citations], view=view)
    states: dict[str, CitedState] = {}
    moved: list[Citation] = []
    for citation in citations:
        chunk = found.get(citation.chunk_id)
        if chunk is not None and passage_hash(chunk.text) == citation.text_hash:
            states[citation.chunk_id] = "current"
        elif citation.source not in view.active:
            states[citation.chunk_id] = "removed"
        else:
            moved.append(citation)
    if moved:
        texts = {passage_hash(c.text) for c in store.chunks({c.source for c in moved}, view=view)}
        for citation in moved:
            states[citation.chunk_id] = "current" if citation.text_hash in texts else "changed"
    return states
