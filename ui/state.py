"""What every page shares: the one Citewise of this process and the answering backend's status."""

from dataclasses import dataclass

import streamlit as st

from citewise.service import BackendChoice, BackendUnavailable, Citewise, StoreError
from citewise.ui.render import notice_html


@st.cache_resource(show_spinner="Opening the index and loading the embedding model…")
def _citewise() -> Citewise:
    service = Citewise()
    _ = service.retriever  # opens the store and loads the embedding model once, not on the first question
    return service


def service() -> Citewise:
    """The process's Citewise; stops the page with the reason when the index cannot be opened."""
    try:
        return _citewise()
    except StoreError as exc:
        st.html(notice_html("error", f"The index cannot be opened. {exc}"))
        st.stop()


@dataclass(frozen=True)
class BackendStatus:
    choice: BackendChoice | None
    problem: str | None  # why no backend can answer (only when CITEWISE_LLM=ollama and it is down)


@st.cache_data(ttl=15, show_spinner=False)
def backend_status() -> BackendStatus:
    """Which backend would answer now; probed at most every 15 s, as Ollama may come and go."""
    try:
        return BackendStatus(_citewise().choose_backend(), None)
    except BackendUnavailable as exc:
        return BackendStatus(None, str(exc))
