"""The HTML the UI shows (ui/render.py): escaped text, highlighted spans, documents rebuilt exactly."""

from citewise.core.types import Citation, Claim, VerifiedSentence
from citewise.ingest.chunking import chunk_text
from citewise.ui.render import (
    answer_html,
    document_html,
    document_text,
    passage_html,
    unsupported_html,
    verified_html,
)
from tests.ui.conftest import MODELS_HISTORY


def test_answer_markers_become_badges_and_text_is_escaped() -> None:
    html = answer_html("Use <b>x</b> & y [1]. Also z [2, 3].")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in html
    assert '<span class="cw-ref">[1]</span>' in html and '<span class="cw-ref">[2, 3]</span>' in html


def test_sentences_verified_while_streaming_show_badges_or_strikes_and_are_escaped() -> None:
    citation = Citation(3, "/d.md", "T", "", "c1", "The valve opens at 35 bar.", (0, 26))
    html = verified_html(
        [
            VerifiedSentence(0, Claim("It opens at <b>35</b> bar.", True, 0.9, 3, ()), citation),
            VerifiedSentence(1, Claim("See ![x](http://h/x.png) & more.", False, 0.1, None, ()), None),
        ]
    )
    assert 'It opens at &lt;b&gt;35&lt;/b&gt; bar. <span class="cw-ref">[3]</span>' in html
    assert ">See ![x](http://h/x.png) &amp; more.</del>" in html and "<b>" not in html


def test_passage_marks_the_span_and_shows_where_it_sits() -> None:
    html = passage_html(2, "Title", "Part > Section", "/docs/a.md", "before <span> after", (7, 13))
    assert "before <mark>&lt;span&gt;</mark> after" in html
    assert '<span class="cw-ref">[2]</span> Title' in html and "› Part › Section" in html


def test_unsupported_claims_are_struck_through() -> None:
    html = unsupported_html(["It has <9> GPUs."])
    assert "<del>It has &lt;9&gt; GPUs.</del>" in html and "not supported by the documents" in html


def test_a_dropped_sentence_says_why_in_words_escaped() -> None:
    reason = "the passage gives 117 million for <GPT-1>, not for what was asked"
    html = unsupported_html(["GPT-2 had 117 million parameters.", "It is big."], [reason])
    assert "left out of the answer: the passage gives 117 million for &lt;GPT-1&gt;, not for what was asked" in html
    assert html.count("left out of the answer") == 2 and "<GPT-1>" not in html


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
