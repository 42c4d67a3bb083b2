"""HTML for answers, passages and whole documents. Every piece of document or model text is escaped.

Streamlit reads most of its text parameters as Markdown (st.markdown, st.caption, the st.error/warning/
info/success bodies, labels, tab names, progress text, table cells): a title such as
`![x](http://host/b.png)` would make the browser fetch that URL. So text from a document, a file, a model
or a server is shown through these helpers, never handed to those parameters as it is.
"""

import re
from collections.abc import Sequence
from html import escape
from typing import Literal

# For a Streamlit parameter that is always read as Markdown (a label, a tab name, progress text, a table cell).
from citewise.core.markdown import markdown_literal as markdown_literal
from citewise.core.types import Chunk, VerifiedSentence, source_label

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")

# One stylesheet for the app, injected once per page run (st.html with only a <style> takes no space).
CSS = """<style>
[data-testid="stAppDeployButton"] { display: none; }  /* a local app: nothing to deploy */
.cw-answer, .cw-verified { font-size: 1.05rem; line-height: 1.6; }
.cw-ref { display: inline-block; min-width: 1.5em; padding: 0 .3em; margin-left: .15em;
  border-radius: .4em; background: #e8eefc; color: #1d4ed8; font-size: .8em; font-weight: 600;
  text-align: center; vertical-align: .1em; }
.cw-draft { color: #6b7280; font-style: italic; white-space: pre-wrap; }
.cw-unsupported { color: #b91c1c; margin: .25rem 0; }
.cw-unsupported del { text-decoration-thickness: 2px; }
.cw-source-head { font-weight: 600; }
.cw-heading { color: #4b5563; font-weight: 400; }
.cw-file { color: #6b7280; font-size: .8rem; margin-bottom: .4rem; word-break: break-all; }
.cw-passage { white-space: pre-wrap; font-size: .9rem; line-height: 1.5; max-height: 16rem;
  overflow-y: auto; padding: .5rem .75rem; background: #f9fafb; border-left: 3px solid #d1d5db;
  border-radius: .25rem; }
.cw-passage mark { background: #fde68a; padding: 0 .1em; border-radius: .15em; }
.cw-caption { color: rgba(49, 51, 63, .6); font-size: .875rem; }
.cw-notice { padding: .75rem 1rem; border-radius: .5rem; margin-bottom: .25rem; overflow-wrap: anywhere; }
.cw-notice-error { background: rgba(255, 43, 43, .09); color: #7d353b; }
.cw-notice-warning { background: rgba(255, 227, 18, .1); color: #926c05; }
.cw-notice-info { background: rgba(28, 131, 225, .1); color: #004280; }
.cw-notice-success { background: rgba(33, 195, 84, .1); color: #177233; }
.cw-good { color: #15803d; font-weight: 600; }
.cw-bad { color: #b91c1c; font-weight: 600; }
.cw-list { margin: 0 0 .5rem 0; padding-left: 1.25rem; }
</style>"""

DOCUMENT_CSS = """
body { font-family: "Source Sans Pro", system-ui, sans-serif; font-size: 15px; line-height: 1.55;
  margin: 0; padding: .75rem 1rem; color: #111827; }
pre { white-space: pre-wrap; word-wrap: break-word; font-family: inherit; margin: 0; }
.passage { background: #eef2ff; border-radius: .2em; }
mark { background: #fde68a; padding: 0 .1em; border-radius: .15em; }
"""


def answer_html(answer: str) -> str:
    """The verified answer with its [n] markers as badges."""
    return f'<div class="cw-answer">{_badged(answer)}</div>'


def verified_html(sentences: Sequence[VerifiedSentence]) -> str:
    """The sentences verified so far while the model writes on: supported ones with their [n] badge,
    dropped ones struck through."""
    parts = [
        f'<del class="cw-unsupported" title="not supported by the documents">{escape(s.claim.text)}</del>'
        if s.dropped
        else _badged(s.text)
        for s in sentences
    ]
    return f'<div class="cw-verified">{" ".join(parts)}</div>'


def _badged(text: str) -> str:
    """`text` escaped, its [n] markers as badges."""
    text = escape(_MARKER.sub(lambda m: f"\x00{m.group(1)}\x01", text))
    return re.sub(r"\x00([^\x01]*)\x01", lambda m: f'<span class="cw-ref">[{m.group(1)}]</span>', text)


def draft_html(draft: str) -> str:
    return f'<div class="cw-draft">{escape(draft)}▌</div>'


def unsupported_html(claims: Sequence[str], reasons: Sequence[str] = ()) -> str:
    """Sentences of the draft that no passage supports, struck through and labelled, each with why it was
    dropped where the verifier said (`reasons`, in the same order)."""
    why = list(reasons) + [""] * (len(claims) - len(reasons))
    rows = "".join(
        f'<div class="cw-unsupported"><del>{escape(claim)}</del> '
        "&mdash; <b>not supported by the documents</b>, left out of the answer"
        f"{f': {escape(reason)}' if reason else ''}</div>"
        for claim, reason in zip(claims, why, strict=True)
    )
    return f"<div>{rows}</div>"


def text_html(text: str, css_class: str = "", bold: bool = False) -> str:
    """Document, file or model text shown exactly as it is: escaped, never read as Markdown."""
    body = f"<b>{escape(text)}</b>" if bold else escape(text)
    return f'<div class="{css_class}">{body}</div>' if css_class else f"<div>{body}</div>"


NoticeKind = Literal["error", "warning", "info", "success"]


def notice_html(kind: NoticeKind, text: str) -> str:
    """An st.error/warning/info/success look-alike whose text is shown as it is, never read as Markdown."""
    return f'<div class="cw-notice cw-notice-{kind}">{escape(text)}</div>'


def list_html(items: Sequence[str]) -> str:
    """A bulleted list of text items, each escaped."""
    rows = "".join(f"<li>{escape(item)}</li>" for item in items)
    return f'<ul class="cw-list">{rows}</ul>'


def highlighted_passage_html(text: str, quotes: Sequence[str]) -> str:
    """A passage with every quote it contains (case and whitespace aside) marked; all of it escaped."""
    marks = []
    for quote in quotes:
        words = quote.split()
        if words:
            pattern = r"\s+".join(re.escape(word) for word in words)
            marks.extend((m.start(), m.end()) for m in re.finditer(pattern, text, re.IGNORECASE))
    out, pos = "", 0
    for start, end in sorted(marks):
        if start < pos:
            continue
        out += escape(text[pos:start]) + f"<mark>{escape(text[start:end])}</mark>"
        pos = end
    return f'<div class="cw-passage">{out + escape(text[pos:])}</div>'


def where(title: str, heading: str) -> str:
    """'Title › Heading › Subheading', the way a reader finds the passage in the document."""
    return source_label(title, heading, " › ")


def passage_html(n: int | None, title: str, heading: str, source: str, text: str, span: tuple[int, int] | None) -> str:
    """A source card: number, title and heading path, file, and the passage with `span` highlighted."""
    badge = f'<span class="cw-ref">[{n}]</span> ' if n is not None else ""
    path = source_label("", heading, " › ")
    heading_html = f' <span class="cw-heading">› {escape(path)}</span>' if path else ""
    if span is None:
        body = escape(text)
    else:
        start, end = span
        body = f"{escape(text[:start])}<mark>{escape(text[start:end])}</mark>{escape(text[end:])}"
    return (
        f'<div class="cw-source-head">{badge}{escape(title)}{heading_html}</div>'
        f'<div class="cw-file">{escape(source)}</div>'
        f'<div class="cw-passage">{body}</div>'
    )


def document_text(chunks: Sequence[Chunk]) -> str:
    """A document's text rebuilt from its chunks, every chunk at its own offsets.

    Chunks overlap, and the whitespace between sections was stripped; the gaps become newlines
    so that every offset stays exact.
    """
    text = ""
    for chunk in sorted(chunks, key=lambda c: (c.start, c.index)):
        if chunk.start >= len(text):
            text += "\n" * (chunk.start - len(text)) + chunk.text
        elif chunk.end > len(text):
            text += chunk.text[len(text) - chunk.start :]
    return text


def document_html(text: str, passage: tuple[int, int] | None, span: tuple[int, int] | None) -> str:
    """A whole document, the passage shaded and the span marked, scrolled to the span on load."""
    if passage is None:
        return f"<style>{DOCUMENT_CSS}</style><pre>{escape(text)}</pre>"
    p_start, p_end = passage
    s_start, s_end = span or passage
    s_start, s_end = max(s_start, p_start), min(s_end, p_end)
    body = (
        f'{escape(text[:p_start])}<span class="passage">{escape(text[p_start:s_start])}'
        f'<mark id="hit">{escape(text[s_start:s_end])}</mark>'
        f"{escape(text[s_end:p_end])}</span>{escape(text[p_end:])}"
    )
    # Scroll this frame only (scrollIntoView would also scroll the app around it).
    script = (
        "<script>window.addEventListener('load',()=>{const m=document.getElementById('hit');"
        "if(m){window.scrollTo(0,Math.max(0,m.offsetTop-window.innerHeight/3));}});</script>"
    )
    return f"<style>{DOCUMENT_CSS}</style><pre>{body}</pre>{script}"
