"""The Ask page's saved conversations: which one the page shows (its id in the session and in the URL, so a
reload or a link reopens it), and the sidebar that lists, reopens, renames, exports and deletes them."""

import streamlit as st

from citewise.service import Conversation, ConversationError, ConversationNotFound, ConversationSummary
from citewise.ui import render
from citewise.ui.state import service

CURRENT = "conversation"  # session key: the id of the conversation on the page
TURNS = "turns"  # session key: the page's turns (ui/views/ask.py)
PARAM = "c"  # the URL's query parameter that names it
NOTICE = "conversation_notice"
TITLE_CHARS = 60  # of a title, on its button in the list


def current_conversation() -> str | None:
    return st.session_state.get(CURRENT)


def remember(conversation_id: str) -> None:
    """The page now shows this conversation: its answers go on in it, and a reload reopens it."""
    st.session_state[CURRENT] = conversation_id
    st.query_params[PARAM] = conversation_id


def _forget() -> None:
    st.session_state.pop(CURRENT, None)
    st.session_state[TURNS] = []
    st.query_params.pop(PARAM, None)


def open_from_url() -> Conversation | None:
    """The saved conversation the URL names when the page does not show it yet (a reload, a link, a click in the
    list), else None; a URL without one gets the page's own back (coming back from another page)."""
    wanted = st.query_params.get(PARAM)
    current = current_conversation()
    if not wanted or wanted == current:
        if current:
            st.query_params[PARAM] = current
        return None
    try:
        conversation = service().conversation(wanted)
    except ConversationError as exc:
        st.html(render.notice_html("warning", f"The conversation in this page's address cannot be opened. {exc}"))
        st.query_params.pop(PARAM, None)
        return None
    st.session_state[CURRENT] = wanted
    return conversation


def _open(conversation_id: str) -> None:
    st.query_params[PARAM] = conversation_id


def _rename(conversation_id: str) -> None:
    try:
        title = service().rename_conversation(conversation_id, st.session_state[f"title-{conversation_id}"])
    except ConversationError as exc:
        st.session_state[NOTICE] = ("error", str(exc))
    else:
        st.session_state[NOTICE] = ("success", f"Renamed to {title}.")


def _delete(conversation_id: str, title: str) -> None:
    try:
        service().delete_conversation(conversation_id)
    except ConversationNotFound:
        pass  # deleted meanwhile, elsewhere
    except ConversationError as exc:
        st.session_state[NOTICE] = ("error", str(exc))
        return
    if current_conversation() == conversation_id:
        _forget()
    st.session_state[NOTICE] = ("success", f"Deleted the conversation {title}.")


def _clip(title: str) -> str:
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"


def _current_controls(conversation: ConversationSummary) -> None:
    """Rename, download and delete the conversation on the page."""
    key = conversation.id
    with st.sidebar.container(border=True):
        st.html(render.text_html(conversation.title, bold=True))
        st.text_input("Title", value=conversation.title, key=f"title-{key}", max_chars=200)
        st.button("Rename", key=f"rename-{key}", icon=":material/edit:", on_click=_rename, args=(key,))
        try:
            name, text = service().export(key)
        except ConversationError as exc:
            st.html(render.notice_html("error", str(exc)))
        else:
            st.download_button(
                "Download the conversation (Markdown)",
                text,
                file_name=name,
                mime="text/markdown",
                key=f"export-{key}",
                icon=":material/download:",
                on_click="ignore",
            )
        with st.popover("Delete", icon=":material/delete:"):
            st.html(render.text_html(f"Delete the conversation {conversation.title}? Its answers cannot be restored."))
            st.button("Delete", key=f"delete-{key}", type="primary", on_click=_delete, args=(key, conversation.title))


def conversation_sidebar() -> None:
    """New conversation; the one on the page (rename, download, delete); every saved one, newest first."""
    st.sidebar.button("New conversation", icon=":material/add_comment:", on_click=_forget)
    if notice := st.session_state.pop(NOTICE, None):
        st.sidebar.html(render.notice_html(*notice))  # it may name a title
    try:
        saved = service().conversations()
    except ConversationError as exc:
        st.sidebar.html(render.notice_html("error", str(exc)))
        return
    current = current_conversation()
    shown = next((c for c in saved if c.id == current), None)
    if shown is not None:
        _current_controls(shown)
    if saved:
        st.sidebar.caption("Saved conversations")
    for conversation in saved:
        st.sidebar.button(
            render.markdown_literal(_clip(conversation.title)),  # a label is read as Markdown
            key=f"open-{conversation.id}",
            on_click=_open,
            args=(conversation.id,),
            type="secondary" if conversation.id == current else "tertiary",  # the one on the page: framed
            width="stretch",
        )
