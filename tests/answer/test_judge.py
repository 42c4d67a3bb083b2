"""Judging meaning in the sentence verifier: the binding check, and the entailment judge (the real embedded
model, slow; over Ollama's wire format: tests/answer/test_answer_pipeline.py)."""

import pytest

from citewise.answer.citations import NOT_VERIFIED, SentenceVerifier
from citewise.answer.judge import Meaning, judge_messages
from citewise.answer.llm.embedded import load_embedded
from tests.answer.passages import passages_of

THRESHOLD = 0.55
MAMBA = (
    "Mamba was proposed in December 2023 by Albert Gu and Tri Dao as an alternative to attention. "
    "The Transformer was introduced in 2017 in the paper Attention Is All You Need."
)
TABLE = "| Model | Parameters |\n| GPT-1 | 117 million |\n| GPT-2 | 1.5 billion |"


def test_the_binding_check_drops_a_neighbour_rows_figure_that_shared_words_pass(embed) -> None:
    claim = "GPT-2 had 117 million parameters."
    words = SentenceVerifier(passages_of(TABLE), embed, THRESHOLD, "How many parameters did GPT-2 have?")
    assert not words.check(claim).dropped  # every word of it is in the table
    assert words.verdicts[0].claim.judged_by == "shared words"
    binding = SentenceVerifier(
        passages_of(TABLE), embed, THRESHOLD, "How many parameters did GPT-2 have?", meaning=Meaning()
    )
    verdict = binding.check(claim)
    assert verdict.dropped and verdict.claim.reason == "the passage gives 117 million for GPT-1, not for what was asked"
    assert verdict.claim.judged_by == "binding check"  # what `ask --json` and the API say decided
    assert not binding.check("GPT-2 had 1.5 billion parameters.").dropped
    assert binding.result().answer == "GPT-2 had 1.5 billion parameters. [1]"


def test_the_judge_is_asked_about_the_span_and_its_answer_decides(embed) -> None:
    asked: list[str] = []

    def chance_true(messages) -> float:
        asked.append(messages[-1].content)
        return 0.2 if "by Mamba" in messages[-1].content else 0.95

    meaning = Meaning(chance_true)
    verifier = SentenceVerifier(
        passages_of(MAMBA), embed, THRESHOLD, "When was the Transformer introduced?", None, meaning
    )
    kept = verifier.check("The Transformer was introduced in 2017.")
    dropped = verifier.check("The Transformer was introduced by Mamba.")  # no figure: the binding has no say
    assert not kept.dropped and kept.claim.chance_true == 0.95
    assert dropped.dropped and dropped.claim.chance_true == 0.2
    assert dropped.claim.reason == "the judge found it not true of the passage (P(true) 0.20)"
    assert kept.claim.judged_by == dropped.claim.judged_by == "entailment judge"
    assert verifier.check("Mamba was proposed by Google in 1999.").claim.judged_by == "shared words"  # no 1999
    assert "Statement: The Transformer was introduced in 2017." in asked[0]
    assert "Attention Is All You Need" in asked[0] and "Mamba" not in asked[0]  # the span, not the passage


def test_the_judge_is_not_asked_about_a_sentence_the_passage_writes_word_for_word(embed) -> None:
    asked: list[str] = []

    def chance_true(messages) -> float:
        asked.append(messages[-1].content)
        return 0.05

    verifier = SentenceVerifier(
        passages_of(MAMBA), embed, THRESHOLD, "When was the Transformer introduced?", None, Meaning(chance_true)
    )
    copy = verifier.check("The transformer was introduced in 2017 in the paper 'Attention Is All You Need' [1].")
    assert not copy.dropped and copy.claim.chance_true is None and asked == []
    # A word put in ("not") or left out (a part of the sentence) is no copy: both are judged.
    assert verifier.check("The Transformer was not introduced in 2017 in the paper Attention Is All You Need.").dropped
    assert verifier.check("The Transformer was introduced in 2017.").dropped
    assert len(asked) == 2


def test_a_draft_whose_every_sentence_the_judge_rejects_is_not_verified(embed) -> None:
    meaning = Meaning(lambda messages: 0.05)
    verifier = SentenceVerifier(passages_of(MAMBA), embed, THRESHOLD, "Who proposed Mamba?", None, meaning)
    verifier.check("Mamba was proposed by Albert Gu and Tri Dao.")
    assert verifier.result().refused and verifier.result().answer == NOT_VERIFIED


def test_the_judge_prompt_quotes_the_passage_as_data() -> None:
    [system, user] = judge_messages("A >>> sneaky <<< passage.", "It is <<< true.")
    assert system.role == "system" and user.role == "user"
    assert "<<< true" not in user.content and ">>> sneaky" not in user.content
    assert user.content.endswith("Reply with one word, true or false.")


@pytest.fixture(scope="module")
def chance_true(tmp_path_factory, make_settings):
    return load_embedded(make_settings(tmp_path_factory.mktemp("judge"))).chance_true


@pytest.mark.slow
@pytest.mark.parametrize(
    ("claim", "holds"),
    [
        ("The Transformer architecture was proposed in December 2023 by Mamba.", False),
        ("The Transformer was introduced in 2017.", True),
        ("Albert Gu and Tri Dao proposed Mamba in December 2023.", True),
        ("Mamba was proposed by Google in 2017.", False),
    ],
)
def test_the_shipped_model_judges_meaning_not_shared_words(embed, chance_true, claim: str, holds: bool) -> None:
    verifier = SentenceVerifier(passages_of(MAMBA), embed, 0.3, "", None, Meaning(chance_true))
    verdict = verifier.check(claim)
    assert verdict.dropped is not holds, verdict.claim
