"""The review screen of a generated eval set: each item with its passage, Keep / Edit / Drop saved to the file."""

from pathlib import Path
from typing import Any

import streamlit as st

from citewise.service import REVIEWED, Citewise, DatasetError
from citewise.ui.render import highlighted_passage_html, notice_html, text_html

SHOWN = ("pending", "all", "kept", "edited", "dropped")
KIND_LABELS = {"answerable": "answerable", "near_miss": "near miss (unanswerable)", "off_topic": "off topic"}


def review(path: Path) -> list[dict[str, Any]] | None:
    """Render the review of `path`; its records, or None when it cannot be read (the reason is shown)."""
    try:
        records = Citewise.review_records(path)
    except FileNotFoundError:
        st.html(notice_html("error", f"No file at {path}: `citewise eval generate --out {path}` writes one."))
        return None
    except (DatasetError, OSError, UnicodeDecodeError) as exc:
        st.html(notice_html("error", f"Cannot read {path}: {exc}"))
        return None
    counts = Citewise.review_counts(records)
    summary = " · ".join(
        f"{counts[s]} {s}" for s in ("kept", "edited", "dropped", "pending") if counts[s] or s != "edited"
    )
    st.html(
        text_html(f"Reviewed: {summary}. An eval on this file runs the kept and edited items only.", "cw-review-counts")
    )
    shown = st.radio("Show", SHOWN, horizontal=True, key="review-filter")
    for record in records:
        status = record.get("review", "hand-written")
        if shown == "all" or status == shown:
            _item(path, record, status)
    return records


def _item(path: Path, record: dict[str, Any], status: str) -> None:
    origin = record.get("origin") or {}
    item_id = record["id"]
    with st.container(border=True):
        kind = KIND_LABELS.get(origin.get("kind", ""), "hand-written")
        about = ", ".join(
            f"{key.replace('_', ' ')}: {origin[key]}"
            for key in ("language", "entity", "answer_type", "topic")
            if origin.get(key)
        )
        st.html(text_html(f"{item_id} · {kind} · {status}" + (f" · {about}" if about else ""), "cw-caption"))
        st.html(text_html(record["question"], bold=True))
        if record.get("answerable"):
            st.html(text_html("Answer: " + ", ".join(f"“{a}”" for a in record.get("answers", []))))
        else:
            st.html(text_html("Expected: a refusal (the documents should not answer this)."))
        if origin.get("passage"):
            st.html(highlighted_passage_html(origin["passage"], record.get("evidence", []) + record.get("answers", [])))
        keep, drop, _ = st.columns([1, 1, 4])
        if keep.button("Keep", key=f"keep-{item_id}", disabled=status in REVIEWED):
            _save(path, item_id, "kept")
        if drop.button("Drop", key=f"drop-{item_id}", disabled=status == "dropped"):
            _save(path, item_id, "dropped")
        with st.expander("Edit"):
            question = st.text_input("Question", record["question"], key=f"question-{item_id}")
            answers = record.get("answers") or [""]
            answer = st.text_input("Answer", answers[0], key=f"answer-{item_id}", disabled=not record.get("answerable"))
            if st.button("Save the edit", key=f"edit-{item_id}"):
                _save(path, item_id, "edited", question, answer)


def _save(path: Path, item_id: str, status: str, question: str | None = None, answer: str | None = None) -> None:
    try:
        Citewise.save_review(path, item_id, status, question, answer)
    except (DatasetError, KeyError, OSError) as exc:
        st.html(notice_html("error", f"Could not save the review of {item_id}: {exc}"))
        return
    st.rerun()
