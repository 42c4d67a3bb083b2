"""What every page shares: the one Citewise of this process, the knowledge base this browser session chose
(the sidebar's selector, ui/bases.py), and the answering backend's status."""

from dataclasses import dataclass

import streamlit as st

from citewise.service import BackendChoice, BackendUnavailable, BaseNotFound, Citewise, StoreError
from citewise.ui.render import notice_html

KB = "kb"  # the session's knowledge base (the sidebar's selector)
ASKED_KBS = "ask_kbs"  # the bases the Ask page asks (its multiselect)


@st.cache_resource(show_spinner="Opening the index and loading the embedding model…")
def _citewise() -> Citewise:
    service = Citewise()
    _ = service.retriever  # opens the store and loads the embedding model once, not on the first question
    return service


def root_service() -> Citewise:
    """The process's Citewise (of CITEWISE_KB); stops the page with the reason when the index cannot be opened."""
    try:
        return _citewise()
    except StoreError as exc:
        st.html(notice_html("error", f"The index cannot be opened. {exc}"))
        st.stop()


def service() -> Citewise:
    """The Citewise of the knowledge base this session chose; the process's own base when that one is gone."""
    root = root_service()
    try:
        return root.base(st.session_state.get(KB) or root.kb)
    except BaseNotFound:  # deleted meanwhile (another session, a terminal)
        st.session_state[KB] = root.kb
        return root
    except StoreError as exc:
        st.html(notice_html("error", f"The index cannot be opened. {exc}"))
        st.stop()


def asked_service() -> Citewise:
    """The Citewise that the Ask page asks: the bases chosen there, together; else the session's base."""
    names = st.session_state.get(ASKED_KBS) or [service().kb]
    try:
        return root_service().across(names)
    except BaseNotFound:
        return service()


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
