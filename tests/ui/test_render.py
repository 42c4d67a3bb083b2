"""The HTML the UI shows (ui/render.py): escaped text, highlighted spans, documents rebuilt exactly."""

from citewise.ingest.chunking import chunk_text
from citewise.ui.render import answer_html, document_html, document_text, passage_html, unsupported_html
from tests.ui.conftest import MODELS_HISTORY


def test_answer_markers_become_badges_and_text_is_escaped() -> None:
    html = answer_html("Use <b>x</b> & y [1]. Also z [2, 3].")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in html
    assert '<span class="cw-ref">[1]</span>' in html and '<span class="cw-ref">[2, 3]</span>' in html


def test_passage_marks_the_span_and_shows_where_it_sits() -> None:
    html = passage_html(2, "Title", "Part > Section", "/docs/a.md", "before <span> after", (7, 13))
    assert "before <mark>&lt;span&gt;</mark> after" in html
    assert '<span class="cw-ref">[2]</span> Title' in html and "› Part › Section" in html


def test_unsupported_claims_are_struck_through() -> None:
    html = unsupported_html(["It has <9> GPUs."])
    assert "<del>It has &lt;9&gt; GPUs.</del>" in html and "not supported by the documents" in html


def test_document_rebuilt_from_chunks_keeps_every_offset() -> None:
    chunks = chunk_text("/d.md", "T", MODELS_HISTORY * 8, "h" * 64, 200, 40)
    assert len(chunks) > 5
    text = document_text(list(reversed(chunks)))
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text


def test_document_html_marks_the_span_inside_the_passage() -> None:
    text = "Intro. The <key> sentence. Outro."
    html = document_html(text, (7, 26), (11, 16))
    assert '<span class="passage">The <mark id="hit">&lt;key&gt;</mark> sentence.</span> Outro.' in html
    assert "scrollTo" in html
