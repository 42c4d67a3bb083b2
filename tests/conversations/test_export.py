"""Export: a conversation as Markdown with numbered sources and quotes, where nothing from a document, a model or a
title can start Markdown structure (checked by rendering it with a CommonMark parser); a cited passage that
changed or was removed since is marked, in the export and on reopening."""

import re
from pathlib import Path

from markdown_it import MarkdownIt

from citewise.conversations.export import conversation_markdown, turn_markdown, where
from citewise.conversations.records import NOTHING_CLOSE, Passage, SavedTurn
from citewise.conversations.store import FILE_NAME, ConversationStore
from citewise.core.base_names import DEFAULT_BASE
from citewise.core.types import Citation, Claim
from citewise.service import STATE_NOTE, Citewise
from tests.conversations.conftest import QUESTION, VALVES

# One of each thing Markdown (CommonMark and GitHub's tables) could make of text, and raw HTML.
HOSTILE_LINES = [
    "# Heading",
    "Title\n===",
    "- item",
    "1. item",
    "> quote",
    "    indented code",
    "```",
    "| a | b |\n|---|---|\n| c | d |",
    "![img](http://127.0.0.1:9/x.png) [link](http://127.0.0.1:9/) <http://127.0.0.1:9/auto> www.example.com",
    "<script>alert(1)</script> <img src=x onerror=alert(1)> &amp; *em* **strong** ~~del~~ `code` \\*",
    "---",
]
HOSTILE = "\n".join(HOSTILE_LINES)


def _render(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)


def _hostile_conversation(tmp_path: Path) -> str:
    store = ConversationStore(tmp_path / FILE_NAME)
    quote_start = HOSTILE.index("![img]")
    citation = Citation(1, f"/docs/{HOSTILE_LINES[8]}.md", HOSTILE, HOSTILE, "c1", HOSTILE, (quote_start, len(HOSTILE)))
    cited = SavedTurn(
        question=HOSTILE,
        asked=HOSTILE,
        answer=f"{HOSTILE} [1]",
        refused=False,
        refusal=None,
        claims=(Claim(HOSTILE, True, 1.0, 1, ()), Claim(HOSTILE, False, 0.0, None, (), HOSTILE)),
        citations=(citation,),
        closest=(),
        backend="ollama",
        model=HOSTILE,
        kb=DEFAULT_BASE,
    )
    refused = SavedTurn(
        "Banana bread?", "Banana bread?", HOSTILE, True, NOTHING_CLOSE, (), (),
        (Passage("/docs/b.md", HOSTILE, HOSTILE, "c2", HOSTILE),), "ollama", "m", DEFAULT_BASE,
    )  # fmt: skip
    conversation_id, _ = store.append(None, cited)
    store.append(conversation_id, refused)
    store.rename(conversation_id, HOSTILE[:200])
    return conversation_markdown(store.get(conversation_id), {"c1": STATE_NOTE["changed"]})


def test_document_model_and_title_text_cannot_start_markdown_structure(tmp_path: Path) -> None:
    html = _render(_hostile_conversation(tmp_path))

    tags = set(re.findall(r"<([a-z0-9]+)", html))
    assert tags <= {"h1", "h2", "p", "em", "strong", "blockquote", "s", "ul", "li", "br"}, tags
    assert html.count("<h1>") == 1 and html.count("<h2>") == 2  # the title, one per question
    assert html.count("<blockquote>") == 2  # the cited quote and the closest passage under the refusal
    assert html.count("<ul>") == 2  # the dropped sentence, the closest passages: the export's own lists
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "![img](http://127.0.0.1:9/x.png)" in html  # shown as typed


def test_sources_are_numbered_with_their_quotes(service: Citewise) -> None:
    answer = service.ask(QUESTION)
    conversation_id, turn = service.save_turn(None, QUESTION, answer)
    markdown = turn_markdown(turn, 1)
    html = _render(markdown)

    assert "35 bar" in answer.answer and answer.citations
    for citation in answer.citations:
        start, end = citation.span
        assert f"<p>{citation.n}. <strong>{where(citation.title, citation.heading)}</strong><br />" in html
        assert f"{citation.source}</p>" in html
        assert " ".join(citation.text[start:end].split()) in " ".join(html.split())
    name, whole = service.export(conversation_id)
    assert name == "at-what-pressure-does-the-xq-7734-valve-open.md"
    assert whole.startswith("# At what pressure does the XQ\\-7734 valve open\\?\n")
    assert service.export(conversation_id, 1)[1].startswith("# 1\\. At what pressure")


def test_a_changed_then_removed_passage_is_marked_on_reopening_and_in_the_export(
    service: Citewise, valves: Path
) -> None:
    conversation_id, _ = service.save_turn(None, QUESTION, service.ask(QUESTION))
    reopened = Citewise(service.settings).conversation(conversation_id)  # as a new process would
    assert Citewise(service.settings).passage_notes(reopened.citations) == {}
    assert "Source changed" not in service.export(conversation_id)[1]

    valves.write_text(VALVES.replace("35 bar", "40 bar"), encoding="utf-8")
    assert service.ingest([valves]).updated == 1
    notes = service.passage_notes(service.conversation(conversation_id).citations)
    assert set(notes.values()) == {STATE_NOTE["changed"]}
    assert "Source changed since this answer" in service.export(conversation_id)[1]

    assert service.remove(str(valves))
    notes = service.passage_notes(service.conversation(conversation_id).citations)
    assert set(notes.values()) == {STATE_NOTE["removed"]}
    assert "Source removed since this answer" in service.export(conversation_id)[1]
