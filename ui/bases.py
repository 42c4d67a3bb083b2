"""The sidebar's knowledge bases: choose the one the pages work on, make a new one, delete the chosen one
(after a confirmation). Names are shown as plain text, never as Markdown."""

import streamlit as st

from citewise.service import BaseError
from citewise.ui import render
from citewise.ui.state import KB, root_service, service

_NOTICE = "kb_notice"


def _create() -> None:
    name = st.session_state.get("kb_new_name", "").strip()
    try:
        root_service().create_base(name)
    except BaseError as exc:
        st.session_state[_NOTICE] = ("error", str(exc))
        return
    st.session_state[KB] = name
    st.session_state["kb_new_name"] = ""
    st.session_state[_NOTICE] = ("success", f"Created the knowledge base {name}: add documents to it.")


def _delete(name: str) -> None:
    root = root_service()
    try:
        root.delete_base(name)
    except BaseError as exc:
        st.session_state[_NOTICE] = ("error", str(exc))
        return
    st.session_state[KB] = root.kb
    st.session_state[_NOTICE] = ("success", f"Deleted the knowledge base {name}.")


def base_sidebar() -> None:
    """The selector, and making and deleting bases, in the sidebar of every page."""
    root = root_service()
    try:
        names = [base.name for base in root.knowledge_bases()]
    except BaseError as exc:
        st.sidebar.html(render.notice_html("error", str(exc)))
        return
    if st.session_state.get(KB) not in names:
        st.session_state[KB] = root.kb if root.kb in names else names[0]
    st.sidebar.selectbox(
        "Knowledge base",
        names,
        key=KB,
        help="The documents the pages show, add to and ask. Each base is a separate index.",
    )
    current = service()
    new, delete = st.sidebar.columns(2)
    with new.popover("New base", icon=":material/add:", width="stretch"):
        st.text_input(
            "Name of the new base", key="kb_new_name", placeholder="papers", help="Lowercase letters, digits, - or _."
        )
        st.button("Create", key="kb_create", type="primary", on_click=_create)
    if not current.base_info.is_default:
        with delete.popover("Delete base", icon=":material/delete:", width="stretch"):
            count = len(current.documents())
            st.html(
                render.text_html(
                    f"Delete the knowledge base {current.kb} and its {count} documents? Their passages, uploaded "
                    "files and eval runs go; other bases and your files elsewhere stay."
                )
            )
            st.button("Delete base", key="kb_delete", type="primary", on_click=_delete, args=(current.kb,))
    if notice := st.session_state.pop(_NOTICE, None):
        st.sidebar.html(render.notice_html(*notice))
