"""Ask: a chat whose answers stream, each sentence shown verified as soon as the model has finished it,
then are replaced by the verified answer and its sources."""

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from citewise.core.types import Answer, Sources, Token, VerifiedSentence, plural
from citewise.core.waterfall import model_call_text
from citewise.service import (
    BackendUnavailable,
    ConversationError,
    ConversationNotFound,
    Rewritten,
    SavedTurn,
    saved_turn,
)
from citewise.ui import render
from citewise.ui.conversations import TURNS, conversation_sidebar, current_conversation, open_from_url, remember
from citewise.ui.state import ASKED_KBS, asked_service, backend_status, root_service, service

EXAMPLES = (
    "How many parameters did GPT-1 have?",
    "What is in-context learning?",
    "When did OpenAI release ChatGPT?",
)


@dataclass(frozen=True)
class Turn:
    question: str
    asked: str  # the standalone question that was searched for
    answer: SavedTurn | None  # as saved in the conversation (or as it would have been, when it could not be)
    error: str | None = None


def _turns() -> list[Turn]:
    return st.session_state.setdefault(TURNS, [])


@st.dialog("Document", width="large")
def _open_document(source: str, chunk_id: str, span: tuple[int, int] | None) -> None:
    chunks = asked_service().chunks(source)
    if not chunks:
        st.html(render.notice_html("warning", f"{source} is no longer indexed."))
        return
    chunk = next((c for c in chunks if c.id == chunk_id), None)
    st.html(render.text_html(render.where(chunks[0].title, chunk.heading if chunk else ""), bold=True))
    st.html(render.text_html(source, "cw-file"))
    if chunk is None:
        st.info("The document changed since this answer; showing its current text without the passage marked.")
        passage, marked = None, None
    else:
        passage = (chunk.start, chunk.end)
        marked = (chunk.start + span[0], chunk.start + span[1]) if span else None
    st.iframe(
        render.document_html(render.document_text(chunks), passage, marked),
        height=520,
        alt=f"The text of {Path(source).name}",
    )


def _source_card(
    key: str,
    n: int | None,
    chunk_id: str,
    source: str,
    title: str,
    heading: str,
    text: str,
    span: tuple[int, int] | None,
    note: str | None = None,
) -> None:
    with st.container(border=True):
        if note:
            st.html(render.notice_html("warning", note))
        st.html(render.passage_html(n, title, heading, source, text, span))
        if st.button("Open the document at this passage", key=key, icon=":material/article:", type="tertiary"):
            _open_document(source, chunk_id, span)


def _closest(key: str, turn: SavedTurn) -> None:
    for i, p in enumerate(turn.closest, 1):
        _source_card(f"{key}-near-{i}", None, p.chunk_id, p.source, p.title, p.heading, p.text, None)


def _timings(turn: Turn) -> str:
    answer = turn.answer
    assert answer is not None
    t = answer.timings_ms
    parts = [f"{answer.backend} · {answer.model}"]
    if "rewrite" in t:
        parts.append(f"follow-up rewrite {t['rewrite'] / 1000:.1f} s")
    parts.append(f"retrieve {t.get('retrieve', 0):.0f} ms")
    if "select" in t:
        parts.append(f"select {t['select']:.0f} ms")
    if prompt := model_call_text(answer.waterfall):
        parts.append(prompt)
    if "first_token" in t:
        parts.append(f"first token {t['first_token'] / 1000:.1f} s")
    if "first_verified" in t:
        parts.append(f"first verified sentence {t['first_verified'] / 1000:.1f} s")
    parts.append(f"total {t.get('total', 0) / 1000:.1f} s")
    return " · ".join(parts)


def _show_answer(index: int, turn: Turn) -> None:
    if turn.asked != turn.question:
        st.html(render.text_html(f"Searched for: {turn.asked}", "cw-file"))
    if turn.error:
        st.html(render.notice_html("error", turn.error))
        return
    answer = turn.answer
    assert answer is not None
    unsupported = [c for c in answer.claims if not c.supported]
    if answer.refused:
        st.html(render.notice_html("warning", answer.answer))
        if unsupported:
            st.caption("The model's draft said this, but no passage supports it:")
            st.html(render.unsupported_html([c.text for c in unsupported], [c.reason for c in unsupported]))
        if answer.closest:
            st.markdown("**Closest passages in your documents**")
            _closest(f"t{index}", answer)
    else:
        st.html(render.answer_html(answer.answer))
        if unsupported:
            st.html(render.unsupported_html([c.text for c in unsupported], [c.reason for c in unsupported]))
        st.markdown(f"**Sources** ({len(answer.citations)})")
        changed = service().passage_notes(answer.citations, answer.kb)  # no longer indexed as cited: marked
        for c in answer.citations:
            note = changed.get(c.chunk_id)
            _source_card(f"t{index}-src-{c.n}", c.n, c.chunk_id, c.source, c.title, c.heading, c.text, c.span, note)
    st.html(render.text_html(_timings(turn), "cw-caption"))  # names the model (a file name, for a GGUF)
    _download_answer(index, turn)


def _download_answer(index: int, turn: Turn) -> None:
    conversation = current_conversation()
    if conversation is None or turn.answer is None or not turn.answer.number:
        return
    try:
        name, text = service().export(conversation, turn.answer.number)
    except ConversationError as exc:
        st.html(render.notice_html("error", str(exc)))
        return
    st.download_button(
        "Download this answer (Markdown)",
        text,
        file_name=name,
        mime="text/markdown",
        key=f"t{index}-export",
        icon=":material/download:",
        type="tertiary",
        on_click="ignore",
    )


def _history() -> list[tuple[str, str]]:
    return [(t.asked, t.answer.answer) for t in _turns() if t.answer is not None]


def _saved(question: str, answer: Answer) -> Turn:
    """Keep the answer in the page's conversation (a new one on its first question) and put its id in the URL."""
    kb = asked_service().kb  # the bases it was asked in
    try:
        try:
            conversation, saved = service().save_turn(current_conversation(), question, answer, kb)
        except ConversationNotFound:  # deleted meanwhile (in another tab): this answer starts a new one
            conversation, saved = service().save_turn(None, question, answer, kb)
    except ConversationError as exc:
        st.html(render.notice_html("error", f"This answer was not saved: {exc}"))
        return Turn(question, answer.question, saved_turn(question, answer))
    remember(conversation)
    return Turn(question, answer.question, saved)


def _reading(sources: Sources) -> None:
    """The passages the model reads, on screen while it reads them (seconds before its first word), under the
    quote of the best sentence where the question gets one."""
    quote = sources.quote
    if quote is not None:
        c = next(p.hit.chunk for p in sources.evidence.passages if p.n == quote.n)
        st.caption("Closest sentence in your documents (a quote, not the answer; that is being written):")
        st.html(render.passage_html(quote.n, c.title, c.heading, c.source, quote.text, None))
    st.caption(f"Reading {plural(len(sources.evidence.passages), 'passage')} from your documents:")
    for p in sources.evidence.passages:
        c = p.hit.chunk
        st.html(render.passage_html(p.n, c.title, c.heading, c.source, c.text, (p.start, p.end)))


def _writing(verified: list[VerifiedSentence], pending: str) -> None:
    """The answer while the model writes it: the sentences verified so far, then its draft of the next."""
    if verified:
        st.caption("Checked against the sources so far:")
        st.html(render.verified_html(verified))
    st.caption("Draft, being checked against the sources…")
    st.html(render.draft_html(pending.lstrip()))


def _ask(question: str) -> Turn:
    """Rewrite a follow-up, then stream the draft; the caller shows the verified answer in its place."""
    citewise = asked_service()
    live = st.empty()
    history = _history()
    try:
        with live.container():
            with st.spinner("Loading the answer model (the first question takes longer)…"):
                citewise.answerer()
            events = citewise.stream(question, history)
            if history:
                with st.spinner("Reading the conversation to understand the follow-up…"):
                    rewritten = next(events)
                assert isinstance(rewritten, Rewritten)
                if rewritten.standalone != question:
                    st.html(render.text_html(f"Searched for: {rewritten.standalone}", "cw-file"))
            with st.spinner("Searching your documents…"):
                event = next(events)
            if isinstance(event, Sources):
                _reading(event)
                with st.spinner("The model is reading these passages…"):
                    event = next(events)
            box = st.empty()
            draft, verified, judged = "", [], 0  # judged: how much of the draft the verdicts cover
            while isinstance(event, Token | VerifiedSentence):
                if isinstance(event, Token):
                    draft += event.text
                else:
                    verified.append(event)
                    judged = len(draft)  # a verdict comes right after the text it judges
                with box.container():
                    _writing(verified, draft[judged:])
                event = next(events)
    except BackendUnavailable as exc:
        return Turn(question, question, None, f"No model can answer right now: {exc}")
    finally:
        live.empty()
    assert isinstance(event, Answer)
    return _saved(question, event)


def _header() -> bool:
    """The page's notices; False when nothing can be asked yet."""
    st.title("Ask your documents")
    _bases()
    documents = asked_service().documents()
    status = backend_status()
    if status.problem:
        st.html(
            render.notice_html(
                "error",
                f"No model can answer: {status.problem}. Or set CITEWISE_LLM=auto to answer with the "
                "embedded model when Ollama is away.",
            )
        )
    if not documents:
        st.info(
            "No documents are indexed yet, so there is nothing to answer from. Add some on the "
            "Documents page (or run `citewise ingest PATH`).",
            icon=":material/upload_file:",
        )
        st.page_link("views/documents.py", label="Add documents", icon=":material/arrow_forward:")
        return False
    if status.choice:
        st.caption(
            f"{len(documents)} documents · answers by the **{status.choice.backend}** model "
            f"{render.markdown_literal(status.choice.model)} · every sentence is checked against the passage "
            "it cites, and citewise says so when the documents don't answer."
        )
        if status.choice.backend == "embedded" and "Ollama" in status.choice.reason:
            st.html(render.text_html(f"ⓘ {status.choice.reason}.", "cw-caption"))  # the models Ollama listed
    return status.problem is None


def _bases() -> None:
    """Which knowledge bases to ask: the sidebar's, or several (their passages fused as one base's are)."""
    names = [base.name for base in root_service().knowledge_bases()]
    if len(names) < 2:
        return
    current = service().kb
    chosen = st.session_state.get(ASKED_KBS) or []
    if st.session_state.get("ask_kbs_for") != current:  # another base chosen in the sidebar: ask that one
        st.session_state["ask_kbs_for"], st.session_state[ASKED_KBS] = current, [current]
    elif any(name not in names for name in chosen):  # one was deleted meanwhile
        st.session_state[ASKED_KBS] = [name for name in chosen if name in names]
    st.multiselect(
        "Ask in",
        names,
        key=ASKED_KBS,
        help="One or several knowledge bases; several are searched together.",
    )


def _examples() -> str | None:
    """Example questions about the sample articles, for a first visit; the one clicked, if any."""
    if _turns() or not service().sample_articles_indexed():
        return None
    box = st.empty()
    with box.container():
        st.markdown("Try a question about the sample articles, or type your own below:")
        clicked = [st.button(q, key=f"example-{i}", icon=":material/help:") for i, q in enumerate(EXAMPLES)]
    chosen = next((q for q, hit in zip(EXAMPLES, clicked, strict=True) if hit), None)
    if chosen:
        box.empty()
    return chosen


ready = _header()
opened = open_from_url()
if opened is not None:  # a saved conversation, reopened (a link, a reload, the sidebar)
    st.session_state[TURNS] = [Turn(t.question, t.asked, t) for t in opened.turns]
for i, turn in enumerate(_turns()):
    with st.chat_message("user"):
        st.html(render.text_html(turn.question))
    with st.chat_message("assistant"):
        _show_answer(i, turn)

typed = st.chat_input("Ask a question about your documents", disabled=not ready)
prompt = typed or (_examples() if ready else None)  # examples only until something is asked
if prompt and prompt.strip():
    with st.chat_message("user"):
        st.html(render.text_html(prompt))
    with st.chat_message("assistant"):
        new = _ask(prompt.strip())
        _turns().append(new)
        _show_answer(len(_turns()) - 1, new)

conversation_sidebar()
