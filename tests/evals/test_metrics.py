"""Every metric on hand-made cases whose values are worked out by hand."""

import pytest

from citewise.evals.dataset import EvalItem
from citewise.evals.metrics import (
    Cited,
    ItemScores,
    Outcome,
    citation_recall,
    contains,
    describe,
    evidence_recall,
    hit,
    is_correct,
    normalize,
    percentile,
    reciprocal_rank,
    score_item,
    summarize,
    supports,
)

GPT1 = EvalItem(
    id="a-1",
    question="How many parameters did GPT-1 have?",
    answers=("117 million", "117M"),
    evidence=("GPT-1 (2018): 117 million parameters", "its small parameter scale (117 million)"),
    answerable=True,
)
WORLD_CUP = EvalItem(id="u-1", question="Who won the 2022 FIFA World Cup?", answers=(), evidence=(), answerable=False)
CHUNK_A = "Milestones.\nGPT-1 (2018):   117 Million parameters\nGPT-2 (2019): 1.5 billion parameters"
CHUNK_B = "However, its small parameter scale (117 million) limited its ability."
OTHER = "Transformers were introduced in 2017."


def test_normalize_folds_case_and_collapses_whitespace() -> None:
    assert normalize("  GPT-1\n(2018):\t117  Million ") == "gpt-1 (2018): 117 million"
    assert contains(CHUNK_A, "gpt-1 (2018): 117 million PARAMETERS")
    assert not contains(CHUNK_A, "GPT-1 (2019)")


def test_hit_recall_and_reciprocal_rank() -> None:
    passages = [OTHER, CHUNK_A, OTHER]
    assert hit(GPT1.evidence, passages) == 1.0
    assert evidence_recall(GPT1.evidence, passages) == 0.5
    assert reciprocal_rank(GPT1.evidence, passages) == 0.5
    both = [OTHER, OTHER, CHUNK_B, CHUNK_A]
    assert evidence_recall(GPT1.evidence, both) == 1.0
    assert reciprocal_rank(GPT1.evidence, both) == pytest.approx(1 / 3)


def test_retrieval_misses_and_empty_retrieval_score_zero() -> None:
    assert hit(GPT1.evidence, [OTHER]) == 0.0
    assert evidence_recall(GPT1.evidence, [OTHER]) == 0.0
    assert reciprocal_rank(GPT1.evidence, [OTHER]) == 0.0
    assert (hit(GPT1.evidence, []), evidence_recall(GPT1.evidence, []), reciprocal_rank(GPT1.evidence, [])) == (
        0.0,
        0.0,
        0.0,
    )


def test_retrieval_metrics_do_not_apply_without_evidence() -> None:
    assert hit((), [OTHER]) is None
    assert evidence_recall((), [OTHER]) is None
    assert reciprocal_rank((), [OTHER]) is None


def test_answer_is_correct_when_it_contains_a_gold_answer_and_is_not_refused() -> None:
    assert is_correct("GPT-1 had 117   MILLION parameters [1].", False, GPT1.answers)
    assert is_correct("About 117M [1][2].", False, GPT1.answers)
    assert not is_correct("GPT-1 had 1.5 billion parameters [1].", False, GPT1.answers)
    assert not is_correct("117 million, but the documents don't say more.", True, GPT1.answers)


def test_markers_are_removed_before_matching() -> None:
    assert is_correct("Mixture of [1] Experts", False, ("Mixture of Experts",))


def test_citation_recall_looks_at_the_whole_cited_chunk() -> None:
    assert citation_recall(GPT1.evidence, [Cited(chunk=CHUNK_A, span="Milestones.")]) == 1.0
    assert citation_recall(GPT1.evidence, [Cited(OTHER, OTHER), Cited(CHUNK_B, "However")]) == 1.0
    assert citation_recall(GPT1.evidence, [Cited(OTHER, OTHER)]) == 0.0
    assert citation_recall(GPT1.evidence, []) == 0.0


def test_a_citation_supports_when_its_span_holds_a_gold_answer_or_evidence() -> None:
    assert supports(Cited(CHUNK_A, "GPT-1 (2018): 117 Million parameters"), GPT1.answers, GPT1.evidence)
    # The chunk holds the answer, but the span the citation points at does not.
    assert not supports(Cited(CHUNK_A, "GPT-2 (2019): 1.5 billion parameters"), GPT1.answers, GPT1.evidence)
    # A span that quotes part of an evidence string.
    assert supports(Cited(CHUNK_B, "its small parameter scale"), GPT1.answers, GPT1.evidence)
    assert not supports(Cited(CHUNK_A, ""), GPT1.answers, GPT1.evidence)


def test_score_item_correct_answer_with_one_good_and_one_bad_citation() -> None:
    outcome = Outcome(
        retrieved=(OTHER, CHUNK_A),
        answer="GPT-1 had 117 million parameters [1]. GPT-2 had 1.5 billion [2].",
        citations=(
            Cited(CHUNK_A, "GPT-1 (2018):   117 Million parameters"),
            Cited(CHUNK_A, "GPT-2 (2019): 1.5 billion parameters"),
        ),
        timings_ms={"retrieve": 10.0, "first_token": 900.0, "total": 1500.0},
        seconds=1.5,
    )
    scores = score_item(GPT1, outcome)
    assert (scores.hit, scores.evidence_recall, scores.reciprocal_rank) == (1.0, 0.5, 0.5)
    assert scores.answered and scores.correct and scores.refused is False
    assert scores.citation_recall == 1.0
    assert (scores.citations, scores.supported_citations) == (2, 1)


def test_score_item_without_citations_and_refused() -> None:
    uncited = score_item(GPT1, Outcome(retrieved=(CHUNK_A,), answer="It had 117 million."))
    assert uncited.correct and uncited.citation_recall == 0.0
    assert (uncited.citations, uncited.supported_citations) == (0, 0)
    refused = score_item(GPT1, Outcome(retrieved=(), answer="The documents don't say.", refused=True))
    assert refused.correct is False and refused.refused is True
    assert refused.citation_recall is None
    assert (refused.hit, refused.evidence_recall, refused.reciprocal_rank) == (0.0, 0.0, 0.0)


def test_score_item_unanswerable_is_not_judged_on_answers_or_citations() -> None:
    scores = score_item(
        WORLD_CUP, Outcome(retrieved=(OTHER,), answer="Argentina [1].", citations=(Cited(OTHER, OTHER),))
    )
    assert scores.correct is None and scores.refused is False
    assert scores.hit is None and scores.citation_recall is None
    assert (scores.citations, scores.supported_citations) == (1, None)


def test_retrieval_only_item_has_no_answer_metrics() -> None:
    scores = score_item(GPT1, Outcome(retrieved=(CHUNK_A,), timings_ms={"retrieve": 12.0}))
    assert not scores.answered and scores.correct is None and scores.refused is None
    summary = summarize([scores])
    assert summary["hit@k"] == 1.0 and summary["evidence_recall@k"] == 0.5
    assert "answer_accuracy" not in summary and "first_token_ms_p50" not in summary
    assert summary["retrieve_ms_p50"] == 12.0


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([400.0, 100.0, 300.0, 200.0], 50) == 250.0
    assert percentile([100.0, 200.0, 300.0, 400.0], 95) == pytest.approx(385.0)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def _answered(answerable: bool, **fields: object) -> ItemScores:
    return ItemScores(answerable=answerable, answered=True, **fields)  # type: ignore[arg-type]


def test_summary_of_a_mixed_run() -> None:
    scores = [
        # answerable, correct, both citations judged, one supports
        _answered(
            True,
            hit=1.0,
            evidence_recall=1.0,
            reciprocal_rank=1.0,
            refused=False,
            correct=True,
            citation_recall=1.0,
            citations=2,
            supported_citations=1,
            timings_ms={"retrieve": 10.0, "first_token": 1000.0, "first_verified": 1500.0, "total": 2000.0},
            seconds=2.0,
        ),
        # answerable, wrong, no citations
        _answered(
            True,
            hit=1.0,
            evidence_recall=0.5,
            reciprocal_rank=0.5,
            refused=False,
            correct=False,
            timings_ms={"retrieve": 20.0, "first_token": 3000.0, "first_verified": 3500.0, "total": 4000.0},
            seconds=4.0,
        ),
        # answerable, falsely refused, nothing retrieved
        _answered(
            True,
            hit=0.0,
            evidence_recall=0.0,
            reciprocal_rank=0.0,
            refused=True,
            correct=False,
            timings_ms={"retrieve": 30.0, "total": 30.0},
            seconds=0.03,
        ),
        # unanswerable, refused before the model
        _answered(False, refused=True, timings_ms={"retrieve": 40.0, "total": 40.0}, seconds=0.04),
        # unanswerable, answered with a citation (not judged for precision)
        _answered(
            False,
            refused=False,
            citations=1,
            supported_citations=None,
            timings_ms={"retrieve": 50.0, "first_token": 2000.0, "first_verified": 2500.0, "total": 3000.0},
            seconds=3.0,
        ),
    ]
    summary = summarize(scores)
    assert summary["questions"] == 5
    assert summary["hit@k"] == pytest.approx(2 / 3)
    assert summary["evidence_recall@k"] == pytest.approx(0.5)
    assert summary["mrr"] == pytest.approx(0.5)
    assert summary["answer_accuracy"] == pytest.approx(1 / 3)
    assert summary["citation_recall"] == 1.0
    assert summary["citation_precision"] == 0.5
    assert summary["cited_answers"] == pytest.approx(2 / 3)  # 2 of the 3 unrefused answers cite
    assert summary["wrong_but_cited"] == pytest.approx(1 / 5)  # the unanswerable one, answered with a citation
    assert summary["refusal_accuracy"] == 0.5
    assert summary["false_refusal_rate"] == pytest.approx(1 / 3)
    assert summary["retrieve_ms_p50"] == 30.0
    assert summary["first_token_ms_p50"] == 2000.0  # the three answers that reached the model
    assert summary["total_ms_p95"] == pytest.approx(3800.0)
    # the three answers that reached the model, each with a sentence verified before the end
    assert (summary["first_verified_ms_p50"], summary["first_verified_ms_p95"]) == (2500.0, pytest.approx(3400.0))
    assert "first verified" in describe("first_verified_ms_p95")
    assert summary["seconds_per_question"] == pytest.approx(9.07 / 5)
    assert summary["errors"] == 0


def test_summary_when_everything_is_refused() -> None:
    scores = [
        _answered(
            True, hit=1.0, evidence_recall=1.0, reciprocal_rank=1.0, refused=True, correct=False, supported_citations=0
        ),
        _answered(False, refused=True),
    ]
    summary = summarize(scores)
    assert summary["answer_accuracy"] == 0.0
    assert summary["citation_recall"] is None  # no correct answer to judge
    assert summary["citation_precision"] is None  # no citation at all
    assert summary["cited_answers"] is None  # no unrefused answer
    assert summary["wrong_but_cited"] == 0.0
    assert summary["refusal_accuracy"] == 1.0
    assert summary["false_refusal_rate"] == 1.0


def test_wrong_but_cited_counts_the_answers_that_look_sourced_and_are_not() -> None:
    scores = [
        _answered(True, refused=False, correct=False, citations=1, supported_citations=0),  # wrong, cited
        _answered(True, refused=False, correct=False),  # wrong, citing nothing
        _answered(True, refused=False, correct=True, citations=1, supported_citations=1),  # right, cited
        _answered(False, refused=False, citations=2),  # an unanswerable question answered, cited
    ]
    assert summarize(scores)["wrong_but_cited"] == 0.5
    assert "wrong_but_cited" not in summarize([ItemScores(answerable=True, hit=1.0)])  # retrieval only


def test_summary_of_an_empty_run_and_of_errors() -> None:
    assert summarize([])["hit@k"] is None
    failed = score_item(GPT1, Outcome(retrieved=(), answer="", error="RuntimeError: boom"))
    summary = summarize([failed])
    assert summary["errors"] == 1 and summary["answer_accuracy"] == 0.0 and summary["false_refusal_rate"] == 0.0


def _outcome(answer: str, draft: str, retrieved: tuple[str, ...], context: tuple[str, ...]) -> Outcome:
    return Outcome(retrieved, context=context, context_tokens=40, draft=draft, answer=answer, refused=False)


@pytest.mark.parametrize(
    ("retrieved", "context", "draft", "answer", "lost_at"),
    [
        ((OTHER,), (OTHER,), "It had 12 layers.", "It had 12 layers.", "retrieval"),
        ((CHUNK_B,), (OTHER,), "It had 12 layers.", "It had 12 layers.", "selection"),
        ((CHUNK_B,), (CHUNK_B,), "It had 12 layers.", "It had 12 layers.", "model"),
        ((CHUNK_B,), (CHUNK_B,), "It had 117 million.", "The documents don't say.", "verifier"),
        ((CHUNK_B,), (CHUNK_B,), "It had 117 million.", "It had 117 million. [1]", None),
    ],
)
def test_a_wrong_answer_is_lost_at_the_first_stage_that_missed_it(
    retrieved: tuple[str, ...], context: tuple[str, ...], draft: str, answer: str, lost_at: str | None
) -> None:
    scores = score_item(GPT1, _outcome(answer, draft, retrieved, context))
    assert scores.failure == lost_at
    assert scores.in_context == (1.0 if CHUNK_B in context else 0.0)


def test_summary_counts_evidence_in_context_and_where_answers_were_lost() -> None:
    scores = [
        score_item(GPT1, _outcome("It had 117 million. [1]", "It had 117 million.", (CHUNK_B,), (CHUNK_B,))),
        score_item(GPT1, _outcome("It had 12 layers.", "It had 12 layers.", (CHUNK_B,), (OTHER,))),
        score_item(GPT1, _outcome("It had 12 layers.", "It had 12 layers.", (OTHER,), (OTHER,))),
        score_item(WORLD_CUP, _outcome("Argentina.", "Argentina.", (OTHER,), (OTHER,))),
    ]
    summary = summarize(scores)
    assert summary["evidence_in_context"] == pytest.approx(1 / 3)
    assert summary["context_tokens_p50"] == 40
    lost = {key: value for key, value in summary.items() if key.startswith("lost_at_")}
    assert lost == {"lost_at_retrieval": 1, "lost_at_selection": 1, "lost_at_model": 0, "lost_at_verifier": 0}


def test_a_run_without_the_evidence_step_reports_no_context_metrics() -> None:
    summary = summarize([score_item(GPT1, Outcome((CHUNK_B,)))])
    assert "evidence_in_context" not in summary and "lost_at_model" not in summary


def test_non_english_accuracy_counts_the_answerable_questions_in_other_languages() -> None:
    scores = [
        _answered(True, correct=True, refused=False),  # English: left out
        _answered(True, correct=True, refused=False, language="zh"),
        _answered(True, correct=False, refused=True, language="de"),
        _answered(False, refused=True, language="fr"),  # unanswerable: left out
    ]

    summary = summarize(scores)

    assert summary["non_english_accuracy"] == 0.5
    assert summary["answer_accuracy"] == pytest.approx(2 / 3)
    assert summarize(scores[:1])["non_english_accuracy"] is None


def test_the_summary_gives_each_waterfall_stage_p50_in_the_order_they_run() -> None:
    stages = {"retrieve": 10.0, "select": 5.0, "sources": 20.0, "first_token": 900.0, "first_verified": 1000.0}
    timed = {**stages, "total": 1500.0}
    waterfall = {
        "retrieve_ms": 10.0,
        "select_ms": 5.0,
        "prompt_tokens_cached": 300,
        "prompt_tokens_new": 100,
        "prompt_eval_ms": 1000.0,
        "prompt_eval_tokens_per_s": 100.0,
        "verify_ms": [1.0, 3.0],
        "judge_ms": None,
    }
    scores = [
        _answered(True, timings_ms=timed, waterfall=waterfall),
        _answered(True, timings_ms=timed, waterfall=waterfall | {"select_ms": 7.0, "verify_ms": [5.0, 7.0]}),
        _answered(True, timings_ms=timed),  # kept before the waterfall: its timings only
    ]

    summary = summarize(scores)

    assert summary["select_ms_p50"] == 6.0 and summary["prompt_tokens_new_p50"] == 100
    assert summary["prompt_eval_ms_p50"] == 1000.0 and summary["prompt_eval_tokens_per_s_p50"] == 100.0
    assert summary["verify_ms_p50"] == 4.0  # each sentence's, over the answers
    assert "judge_ms_p50" not in summary and "network_ms_p50" not in summary  # nothing measured
    order = list(summary)
    named = ["retrieve_ms_p50", "select_ms_p50", "sources_ms_p50", "prompt_tokens_new_p50", "prompt_eval_ms_p50"]
    named += ["first_token_ms_p50", "verify_ms_p50", "first_verified_ms_p50", "total_ms_p50", "seconds_per_question"]
    assert [order.index(name) for name in named] == sorted(order.index(name) for name in named)
    assert describe("prompt_tokens_new_p50") == "prompt tokens new, p50"


def test_the_quote_shown_first_is_counted_and_scored_against_the_answers() -> None:
    """An evidence-only run: which answerable questions got a quote, and whether it holds an expected answer."""

    def read(quote: str | None, item: EvalItem = GPT1) -> ItemScores:
        return score_item(item, Outcome((CHUNK_B,), context=(CHUNK_B,), context_tokens=40, quote=quote))

    scores = [
        read("However, its small parameter scale (117 million) limited its ability."),
        read("GPT-2 (2019): 1.5 billion parameters"),
        read(None),
        read("The final was in Qatar.", WORLD_CUP),  # unanswerable: neither counted nor scored
    ]
    assert [s.quote_holds_answer for s in scores] == [True, False, None, None]
    summary = summarize(scores)
    assert summary["quote_shown"] == pytest.approx(2 / 3) and summary["quote_holds_answer"] == 0.5
