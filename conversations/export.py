"""A saved answer or a whole conversation as Markdown: each answer with its numbered sources and their quotes.

Every piece of text from a document, a model or a person (titles, questions, answers, passages, file names) is
written as a literal: each ASCII punctuation mark backslash-escaped (core/markdown.py), each line's leading
spaces dropped (four would start a code block). So no heading, list, link, image, HTML tag, table, code or
emphasis can start inside it, and a passage's line breaks stay inside its `> ` quote. The structure around the
text is the export's own.
"""

from collections.abc import Mapping, Sequence

from citewise.conversations.records import NOT_SUPPORTED, NOTHING_CLOSE, Conversation, SavedTurn
from citewise.core.markdown import markdown_literal
from citewise.core.types import plural, source_label

CLOSEST_CHARS = 300  # of each closest passage under a refusal
REFUSALS = {
    NOTHING_CLOSE: "refused before asking the model: no passage is close to the question",
    NOT_SUPPORTED: "refused after asking the model: none of its sentences was kept as a supported answer",
}


def literal(text: str) -> str:
    """One line of text, shown as typed."""
    return markdown_literal(" ".join(text.split()))


def quoted(text: str) -> list[str]:
    """`text` as a Markdown quote, line by line, each line shown as typed."""
    return [f"> {markdown_literal(line.strip())}".rstrip() for line in text.strip().splitlines()] or [">"]


def where(title: str, heading: str) -> str:
    return source_label(title, heading, " › ")


def _seconds(ms: float | None) -> str:
    return f"{(ms or 0) / 1000:.1f} s"


def turn_markdown(turn: SavedTurn, number: int, notes: Mapping[str, str] = {}, level: int = 2) -> str:
    """One answer: its question as a heading, the answer, the sentences left out, and its numbered sources with
    the words quoted that support it. `notes`: chunk id -> a note for a cited passage that changed since."""
    lines = [f"{'#' * level} {number}\\. {literal(turn.question)}", ""]
    if turn.asked != turn.question:
        lines += [f"*Searched for:* {literal(turn.asked)}", ""]
    if turn.refused:
        lines += [f"**{REFUSALS.get(turn.refusal or '', 'refused')}**", ""]
    lines += [*_paragraphs(turn.answer), ""]
    if turn.unsupported:
        lines += ["Left out, not supported by the documents:", ""]
        lines += [f"- ~~{literal(c.text)}~~" for c in turn.unsupported] + [""]
    if turn.citations:
        lines += [f"**Sources** ({len(turn.citations)})", ""]
        for c in turn.citations:
            start, end = c.span
            lines += [f"{c.n}\\. **{literal(where(c.title, c.heading))}**  ", f"   {literal(c.source)}", ""]
            lines += [*quoted(c.text[start:end] or c.text), ""]
            if c.chunk_id in notes:
                lines += [f"*{literal(notes[c.chunk_id])}*", ""]
    if turn.closest:
        lines += ["**Closest passages in the documents**", ""]
        for p in turn.closest:
            text = p.text if len(p.text) <= CLOSEST_CHARS else p.text[: CLOSEST_CHARS - 1] + "…"
            lines += [f"- **{literal(where(p.title, p.heading))}**  ", f"  {literal(p.source)}", ""]
            lines += [*quoted(text), ""]
    timing = f"total {_seconds(turn.timings_ms.get('total'))}"
    lines += [f"*{literal(f'{turn.backend} · {turn.model} · {timing} · knowledge base {turn.kb}')}*", ""]
    return "\n".join(lines)


def _paragraphs(text: str) -> list[str]:
    """Model text, its paragraphs kept apart and every line shown as typed."""
    return [markdown_literal(line.strip()) for line in text.strip().splitlines()]


def conversation_markdown(conversation: Conversation, notes: Mapping[str, str] = {}) -> str:
    """The whole conversation: its title, then every answer (`turn_markdown`) in order."""
    questions = plural(len(conversation.turns), "question")
    started = conversation.created_at[:19].replace("T", " ")
    about = f"Saved by citewise · {questions} · started {started} UTC · knowledge base {conversation.kb}"
    head = [f"# {literal(conversation.title)}", "", f"*{literal(about)}*", ""]
    return "\n".join(head + [turn_markdown(t, i, notes) for i, t in enumerate(conversation.turns, 1)])


def answer_markdown(turn: SavedTurn, number: int, notes: Mapping[str, str] = {}) -> str:
    """One answer alone, as a file of its own."""
    return turn_markdown(turn, number, notes, level=1)


def export_name(title: str, turns: Sequence[int] = ()) -> str:
    """A file name for an export: the title's letters and digits, then the answer's number."""
    stem = "".join(ch if ch.isalnum() else "-" for ch in title.lower())[:60].strip("-") or "conversation"
    stem = "-".join(part for part in stem.split("-") if part)
    return f"{stem}{''.join(f'-answer-{n}' for n in turns)}.md"
