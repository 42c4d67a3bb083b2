"""Evidence selection on hand-made passages, with the real embedding model and a word-count tokenizer."""

from citewise.answer.evidence import select_evidence, select_focused
from citewise.core.types import Chunk, ScoredChunk

FILLER = "The museum opens at nine. Tickets are sold at the door. The café is on the second floor. "
# The answer to "Is the library open on Sundays?" is a caveat two sentences after the words of the question.
LIBRARY = (
    "The library lends books to every resident. The library is open from Monday to Saturday. "
    + FILLER
    + "Note: it is closed on Sundays and public holidays."
)
GARDEN = "The garden is open every day. " + FILLER
PARK = "The park has a lake and a playground. " + FILLER


def _hits(*texts: str) -> list[ScoredChunk]:
    return [
        ScoredChunk(Chunk(f"c{n}", f"/d/{n}.md", f"Doc {n}", "", text, 0, len(text), "h", 0), n, 1.0 / n)
        for n, text in enumerate(texts, start=1)
    ]


def words(text: str) -> int:
    return len(text.split())


def test_focused_reaches_evidence_in_the_fifth_passage_the_windows_never_read(embed) -> None:
    """The windows rule gives the first 4 passages a window each; the 5th passage's answer is never read."""
    answer = "The planetarium shows start at noon on weekdays."
    hits = _hits(GARDEN, PARK, FILLER, FILLER + "The museum has a shop.", answer)
    question = "When do the planetarium shows start?"

    windows = select_evidence(question, hits, embed, words, 1000, 4, 200)
    focused = select_focused(question, hits, embed, words, 1000, len(hits), 400)

    assert not any("planetarium" in p.text for p in windows.passages)
    assert any(answer in p.text for p in focused.passages)
    assert sum(len(p.text) for p in focused.passages) <= 400


def test_focused_respects_the_token_budget_and_names_what_did_not_fit(embed) -> None:
    hits = _hits(LIBRARY, GARDEN, PARK)
    chosen = select_focused("Is the garden open every day?", hits, embed, words, 30, 3, 2000)

    assert [p.n for p in chosen.passages] == list(range(1, len(chosen.passages) + 1))
    assert chosen.tokens <= 30 and chosen.dropped
    assert all(p.text == p.hit.chunk.text[p.start : p.end] for p in chosen.passages)


# The reason sits three sentences after the words of the question, and shares none of them.
OPENING_HOURS = (
    "The reading room closes at six on weekdays. Readers may borrow up to ten books. "
    + FILLER
    + "Because the last bus leaves at half past six, the staff lock the doors early."
)


def test_focused_reads_the_reason_of_a_why_question_within_the_windows_budget(embed) -> None:
    question = "Why does the reading room close at six?"
    hits = _hits(OPENING_HOURS, GARDEN, PARK)

    windows = select_evidence(question, hits, embed, words, 1000, 3, 150)
    focused = select_focused(question, hits, embed, words, 1000, 3, 450)

    assert not any("last bus" in p.text for p in windows.passages)
    assert any("last bus" in p.text and "closes at six" in p.text for p in focused.passages)
    assert sum(len(p.text) for p in focused.passages) <= 450


def test_focused_keeps_a_note_with_the_sentence_it_qualifies(embed) -> None:
    pool = "The pool is open all year. Note: it is not heated in winter. " + FILLER + "The sauna is next to it."
    focused = select_focused("Is the pool open all year?", _hits(pool, GARDEN), embed, words, 1000, 2, 60)
    assert [p.text for p in focused.passages] == ["The pool is open all year. Note: it is not heated in winter."]


def test_focused_uses_at_most_max_passages_numbered_in_rank_order(embed) -> None:
    hits = _hits(LIBRARY, GARDEN, PARK, FILLER)
    focused = select_focused("Is the garden open every day?", hits, embed, words, 1000, 2, 2000)

    assert len(focused.passages) == 2
    assert [p.n for p in focused.passages] == [1, 2]
    assert [p.hit.rank for p in focused.passages] == sorted(p.hit.rank for p in focused.passages)
    assert all(p.text == p.hit.chunk.text[p.start : p.end] for p in focused.passages)
    assert select_focused("Anything?", [], embed, words, 100, 4, 1000).passages == ()


def test_the_best_sentence_is_quoted_from_the_source_the_model_reads(embed) -> None:
    answer = "The planetarium shows start at noon on weekdays."
    hits = _hits(GARDEN, PARK, FILLER + answer)

    focused = select_focused("When do the planetarium shows start?", hits, embed, words, 1000, 3, 400)

    quote = focused.best
    assert quote is not None and quote.text == answer
    passage = next(p for p in focused.passages if p.n == quote.n)
    assert passage.hit.chunk.text[quote.start : quote.end] == answer
    assert passage.start <= quote.start and quote.end <= passage.end


def test_a_heading_ranked_best_is_quoted_with_the_sentence_under_it(embed) -> None:
    """A heading line alone says nothing: the quote reads on to the end of the sentence after it."""
    text = "**Maximum Number Of Attached Databases**\nThe default limit on attached databases is 10. " + FILLER
    focused = select_focused("Maximum number of attached databases?", _hits(text, GARDEN), embed, words, 1000, 2, 400)

    assert focused.best is not None
    assert focused.best.text.endswith("The default limit on attached databases is 10.")
