"""Sentence boundaries, and which sentences of a text still being written are already closed."""

import pytest

from citewise.answer.sentences import closed_sentences, split_sentences

TEXTS = [
    "GPT-2 had 1.5 billion parameters, e.g. many more than GPT-1. GPT-1 had 117 million [1]. Done!",
    "First line\nSecond line.\n\nThird, i.e. the last one?  Yes",
    "GPT-1 有 1.17 亿个参数。GPT-2 更大！真的吗？",
    "A. Turing wrote it. [2] Then more.",
]


def _sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_split_keeps_decimals_and_abbreviations_inside_their_sentence() -> None:
    assert _sentences(TEXTS[0]) == [
        "GPT-2 had 1.5 billion parameters, e.g. many more than GPT-1.",
        "GPT-1 had 117 million [1].",
        "Done!",
    ]
    assert _sentences(TEXTS[1]) == ["First line", "Second line.", "Third, i.e. the last one?", "Yes"]


@pytest.mark.parametrize("text", TEXTS)
def test_a_closed_sentence_is_final_whatever_comes_after(text: str) -> None:
    whole = split_sentences(text)
    for end in range(len(text) + 1):
        closed, rest = closed_sentences(text[:end])
        assert closed == whole[: len(closed)], text[:end]
        assert all(e <= rest for _, e in closed) and rest <= end
        # The open rest holds at most one sentence, and the closed ones plus it are the whole split.
        assert split_sentences(text[:end])[: len(closed)] == closed


def test_a_sentence_closes_when_the_next_one_begins() -> None:
    assert closed_sentences("It costs 1.5") == ([], 0)
    assert closed_sentences("It costs 1.5 euros.") == ([], 0)  # the text may go on: "euros.com"
    assert closed_sentences("It costs 1.5 euros. ") == ([(0, 19)], 19)
    assert closed_sentences("It costs 1.5 euros.\nNext") == ([(0, 19)], 20)
