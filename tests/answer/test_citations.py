"""The post-hoc attribution and verifier on hand-made passages, with the real embedding model."""

from citewise.answer.citations import (
    FRAMING_WORDS,
    NOT_IN_PASSAGES,
    NOT_VERIFIED,
    SentenceVerifier,
    take_markers_as_written,
    verify,
)
from citewise.answer.prompt import NOT_FOUND
from tests.answer.passages import passages_of

THRESHOLD = 0.55
GPT = "GPT-1 was released in 2018. It had 117 million parameters. GPT-2 followed in 2019 with 1.5 billion."
RLHF = "RLHF trains a reward model from human preference rankings. The policy is then optimized with PPO."
TOKYO = "Tokyo is the capital of Japan and its largest city."


def test_sentence_without_marker_is_cited_to_the_passage_that_supports_it(embed) -> None:
    passages = passages_of(RLHF, GPT, TOKYO)
    result = verify("GPT-1 had 117 million parameters.", passages, embed, THRESHOLD)
    assert not result.refused
    [citation] = result.citations
    assert citation.chunk_id == "c2"
    start, end = citation.span
    assert "117 million parameters" in citation.text[start:end]
    assert "GPT-2" not in citation.text[start:end]  # the span is the supporting sentence, not the chunk
    assert result.answer == "GPT-1 had 117 million parameters. [1]"


def test_marker_pointing_to_the_wrong_source_is_corrected(embed) -> None:
    passages = passages_of(RLHF, GPT)
    result = verify("GPT-1 had 117 million parameters [1].", passages, embed, THRESHOLD)
    [claim] = result.claims
    assert claim.model_markers == (1,)
    assert result.citations[0].chunk_id == "c2"


def test_marker_pointing_to_a_missing_source_is_replaced(embed) -> None:
    result = verify("The policy is optimized with PPO [7].", passages_of(GPT, RLHF), embed, THRESHOLD)
    assert [c.chunk_id for c in result.citations] == ["c2"]
    assert "[7]" not in result.answer and result.answer.endswith("[1]")


def test_correct_marker_is_kept(embed) -> None:
    result = verify("RLHF trains a reward model from human preferences [2].", passages_of(GPT, RLHF), embed, THRESHOLD)
    assert result.citations[0].chunk_id == "c2"


def test_unsupported_sentence_is_dropped_and_flagged(embed) -> None:
    answer = "GPT-1 had 117 million parameters. It was trained with a learning rate of 0.00025 on 8 GPUs."
    result = verify(answer, passages_of(GPT, RLHF), embed, THRESHOLD)
    supported = [c for c in result.claims if c.supported]
    flagged = [c for c in result.claims if not c.supported]
    assert [c.text for c in supported] == ["GPT-1 had 117 million parameters."]
    assert len(flagged) == 1 and "learning rate" in flagged[0].text
    assert "learning rate" not in result.answer


def test_invented_number_is_not_supported_even_when_the_words_match(embed) -> None:
    result = verify("GPT-1 had 340 million parameters.", passages_of(GPT), embed, THRESHOLD)
    assert result.refused
    assert result.answer == NOT_VERIFIED  # the passages were there; the draft did not hold up
    assert result.claims[0].reason == "a figure or date it gives is in no passage"


def test_no_supported_claim_turns_the_answer_into_a_refusal(embed) -> None:
    result = verify("Paris hosted the 2024 Olympic Games.", passages_of(GPT, RLHF, TOKYO), embed, THRESHOLD)
    assert result.refused and result.citations == ()


def test_model_saying_it_does_not_know_is_a_refusal(embed) -> None:
    assert verify(NOT_FOUND, passages_of(GPT), embed, THRESHOLD).refused


def test_same_span_cited_twice_gets_one_number(embed) -> None:
    answer = "GPT-1 had 117 million parameters. GPT-1 had 117 million parameters in total."
    result = verify(answer, passages_of(GPT), embed, THRESHOLD)
    assert len(result.citations) == 1
    assert result.answer.count("[1]") == 2


def test_baseline_takes_markers_as_written() -> None:
    result = take_markers_as_written("GPT-1 had 340 million parameters [2].", passages_of(GPT, RLHF))
    assert not result.refused
    assert [c.chunk_id for c in result.citations] == ["c2"]  # wrong, and the baseline cannot tell


def test_sentence_that_answers_another_question_is_not_supported(embed) -> None:
    """Most words are in the passage, but not the ones naming what was asked."""
    passages = passages_of("GPT-3 was trained on a large dataset and has 175 billion parameters.")
    answer = "The learning rate used to train GPT-3 was 175 billion parameters."
    assert not verify(answer, passages, embed, 0.45).refused  # without the question, it slips through
    result = verify(answer, passages, embed, 0.45, question="What learning rate was used to train GPT-3?")
    assert result.refused


def test_restating_the_question_is_fine_when_the_passage_is_about_it(embed) -> None:
    passages = passages_of(GPT)
    result = verify("GPT-1 had 117 million parameters.", passages, embed, 0.45, "How many parameters did GPT-1 have?")
    assert not result.refused


def test_sentences_checked_one_at_a_time_number_citations_as_the_whole_answer_does(embed) -> None:
    sentences = [
        "RLHF trains a reward model from human preference rankings.",
        "The documents don't say more.",
        "GPT-1 had 117 million parameters [1].",
        "It ran on 640 GPUs.",
        "The policy is then optimized with PPO.",
    ]
    passages = passages_of(GPT, RLHF)
    verifier = SentenceVerifier(passages, embed, THRESHOLD)
    verdicts = [verifier.check(sentence) for sentence in sentences]

    assert verdicts[1] is None  # claims nothing: neither kept nor dropped
    first, gpt, invented, ppo = (v for v in verdicts if v is not None)
    assert [v.index for v in (first, gpt, invented, ppo)] == [0, 1, 2, 3]
    assert (first.text, gpt.text) == (f"{sentences[0]} [1]", "GPT-1 had 117 million parameters. [2]")
    assert invented.dropped and invented.citation is None and invented.text == sentences[3]
    assert ppo.citation is not None and ppo.citation.n == 3  # RLHF's other sentence: a span of its own
    whole = verify(" ".join(sentences), passages, embed, THRESHOLD)
    assert verifier.result() == whole
    assert whole.answer == " ".join(v.text for v in (first, gpt, ppo))


def test_a_verifier_with_no_supported_sentence_refuses(embed) -> None:
    verifier = SentenceVerifier(passages_of(GPT), embed, THRESHOLD)
    verdict = verifier.check("Paris hosted the 2024 Olympic Games.")
    assert verdict is not None and verdict.dropped
    result = verifier.result()
    assert result.refused and result.answer == NOT_VERIFIED and result.claims == (verdict.claim,)
    assert verdict.claim.reason == "a figure or date it gives is in no passage"


def test_a_draft_that_only_says_the_documents_don_t_say_is_that_refusal(embed) -> None:
    verifier = SentenceVerifier(passages_of(GPT), embed, THRESHOLD)
    assert verifier.check(NOT_FOUND) is None
    assert verifier.result().answer == NOT_IN_PASSAGES  # the passages were close: not "the documents don't say"


def test_a_sentence_sharing_too_few_words_says_so_with_its_score(embed) -> None:
    verdict = SentenceVerifier(passages_of(GPT), embed, THRESHOLD).check("GPT-1 was a rather small model.")
    assert verdict is not None and verdict.dropped
    assert verdict.claim.reason == (
        f"no passage shares enough of its words and meaning (support {verdict.claim.score:.2f}, needs {THRESHOLD:.2f})"
    )


GLOSSARY = "Reinforcement learning: common algorithms include Q-learning, policy gradients and Deep Q-Networks (DQN)."


def test_words_naming_the_document_are_not_counted_against_a_sentence_with_framing(embed) -> None:
    """A real draft of the dev report half (list-08), dropped: the question asked what "the glossary mentions"."""
    question = "Name the common reinforcement learning algorithms the glossary mentions."
    claim = "The glossary mentions Q-learning, policy gradients, and Deep Q-Networks (DQN)."
    words = SentenceVerifier(passages_of(GLOSSARY), embed, THRESHOLD, question).check(claim)
    framed = SentenceVerifier(passages_of(GLOSSARY), embed, THRESHOLD, question, ignored=FRAMING_WORDS).check(claim)
    assert words is not None and words.dropped and words.claim.score == 0.0  # off topic: "glossary", "mention"
    assert framed is not None and not framed.dropped
    invented = "The glossary mentions SARSA and Monte Carlo tree search."
    still = SentenceVerifier(passages_of(GLOSSARY), embed, THRESHOLD, question, ignored=FRAMING_WORDS).check(invented)
    assert still is not None and still.dropped
