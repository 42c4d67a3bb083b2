"""Grounding metrics, per item and summarized: retrieval, answers, citations (after ALCE), refusals, latency.

Every text comparison is on normalized text (case-folded, whitespace collapsed, [n] markers
removed from answers), and "contains" means substring.

- hit@k: a retrieved chunk contains one of the item's evidence strings.
- evidence recall@k: the share of the item's evidence strings that some retrieved chunk contains.
- MRR: 1 / rank of the first retrieved chunk that contains any evidence string (0 when none does).
- Evidence in context: what the model read (the evidence windows, not the whole chunks) contains
  one of the evidence strings; a question refused before the model read anything scores 0.
- Lost at retrieval / selection / model / verifier (answerable items answered wrong): the first
  stage that lost the answer; the four counts add up to the wrong answers.
- Answer accuracy (answerable items): not refused, and the answer contains one of `answers`; non-English
  accuracy: the same over the answerable items asked in another language than English.
- Citation recall (correct answers only; after ALCE's citation recall, with the gold evidence in
  place of an NLI judge): 1 when the full text of some cited chunk contains one of the item's
  evidence strings, else 0. A correct answer with no citation scores 0.
- Citation precision (over all citations of answerable items; ALCE asks whether each citation
  supports its statement): a citation supports its claim when its cited span (the part of the
  chunk the citation points at: the verifier's supporting sentences, or the whole numbered
  source the model saw when its own markers are taken as written) contains one of the gold
  `answers` or one of the evidence strings, or is itself part of an evidence string. Citations on
  unanswerable items are not judged: answering those at all is counted by refusal accuracy.
- Refusal accuracy: the share of unanswerable items refused. False-refusal rate: the share of
  answerable items refused.
- Wrong but cited: the share of the questions the model answered whose answer is wrong (an answerable
  item without an expected answer, or an unanswerable item not refused) and cites a passage: the answers
  that look sourced and are not.
- Latency p50/p95 per stage (retrieve, sources, first_token, first_verified: the first sentence verified
  while the model writes on, total), linear interpolation between ranks, over the items that reached the
  stage (a refusal before the model has no first token; a draft with no claim has no verified sentence).

Items are scored on what every configuration shares (`Outcome`), so the metrics never depend
on how a configuration produced its answer.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from citewise.answer.citations import strip_markers
from citewise.core.waterfall import WATERFALL_KEYS, WaterfallValue, stage_values
from citewise.evals.dataset import EvalItem

STAGES = ("retrieve", "sources", "first_token", "first_verified", "total")

# What each summary metric means, for the UI's tables and charts.
METRIC_MEANINGS = {
    "questions": "questions run",
    "k": "passages retrieved per question",
    "hit@k": "share of questions where a retrieved passage contains the expected evidence",
    "evidence_recall@k": "share of the expected evidence found in the retrieved passages",
    "mrr": "1 / rank of the first passage with the evidence, averaged",
    "evidence_in_context": "share of questions where what the model read contains the expected evidence",
    "context_tokens_p50": "tokens of evidence the model reads, median",
    "quote_shown": "answerable questions whose best evidence sentence is quoted before the answer",
    "quote_holds_answer": "answerable questions quoted first whose quote holds an expected answer",
    "lost_at_retrieval": "answerable questions answered wrong: the evidence was not retrieved",
    "lost_at_selection": "… retrieved, but left out of what the model read",
    "lost_at_model": "… read, but the model's draft does not contain the answer",
    "lost_at_verifier": "… the draft had the answer, but verification dropped it",
    "answer_accuracy": "answerable questions answered with an expected answer",
    "non_english_accuracy": "answerable questions asked in another language than English, answered right",
    "citation_recall": "correct answers citing a passage that contains the evidence",
    "citation_precision": "citations whose highlighted span holds the answer or its evidence",
    "cited_answers": "answers that cite at least one passage",
    "wrong_but_cited": "questions answered wrong, or answered when unanswerable, with a citation (lower is better)",
    "refusal_accuracy": "unanswerable questions refused (higher is better)",
    "false_refusal_rate": "answerable questions refused (lower is better)",
    "seconds_per_question": "wall time per question",
    "errors": "questions whose run failed",
}
# The stages where an answerable question can be lost, in pipeline order: the evidence was not retrieved;
# retrieved but not in what the model read; read but the model's draft missed the answer; the draft had it
# but verification dropped it.
FAILURES = ("retrieval", "selection", "model", "verifier")
# The few metrics a user picks a configuration by, in the order the Evals page shows them; a run without answers
# (retrieval or evidence only) is judged by what it retrieved and read.
DECIDING = ("answer_accuracy", "refusal_accuracy", "wrong_but_cited", "citation_precision", "seconds_per_question")
DECIDING_WITHOUT_ANSWERS = ("hit@k", "mrr", "evidence_in_context", "seconds_per_question")


def describe(metric: str) -> str:
    """What a summary metric means; the waterfall's (`stage_ms_p50`, `prompt_tokens_new_p50`) from their name."""
    if metric in METRIC_MEANINGS:
        return METRIC_MEANINGS[metric]
    stage, _, pct = metric.partition("_ms_")
    if pct:
        return f"{stage.replace('_', ' ')} time in ms, {pct}"
    figure, _, pct = metric.rpartition("_")
    return f"{figure.replace('_', ' ')}, {pct}" if pct in ("p50", "p95") and figure else ""


@dataclass(frozen=True)
class Cited:
    """One citation of an answer: the cited chunk's full text and the span it points at."""

    chunk: str
    span: str


@dataclass(frozen=True)
class Outcome:
    """What one configuration produced for one question; `answer` is None when only retrieving."""

    retrieved: tuple[str, ...]  # chunk texts, in rank order
    context: tuple[str, ...] | None = None  # what the model read (None: retrieval only); () = refused unread
    context_tokens: int | None = None
    draft: str | None = None  # the model's own text, before any verification
    answer: str | None = None
    refused: bool = False
    citations: tuple[Cited, ...] = ()
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    waterfall: Mapping[str, WaterfallValue] = field(default_factory=dict)  # core/waterfall.py's, when answered
    seconds: float = 0.0
    error: str | None = None
    quote: str | None = None  # the sentence quoted before the answer (None: none was)


@dataclass(frozen=True)
class ItemScores:
    """One item's metrics; None where a metric does not apply to it."""

    answerable: bool
    hit: float | None = None
    evidence_recall: float | None = None
    reciprocal_rank: float | None = None
    in_context: float | None = None  # what the model read holds an evidence string
    context_tokens: int | None = None
    quote_holds_answer: bool | None = None  # the quote shown first holds an answer (None: no quote, or unanswerable)
    quoted: bool = False
    failure: str | None = None  # where a wrong answer went wrong: one of FAILURES
    answered: bool = False  # the model was asked (not a retrieval-only run)
    refused: bool | None = None
    correct: bool | None = None
    citation_recall: float | None = None
    citations: int = 0
    supported_citations: int | None = None
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    waterfall: Mapping[str, WaterfallValue] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    language: str = "en"  # the question's


def normalize(text: str) -> str:
    """Case-folded, with every run of whitespace made one space."""
    return " ".join(text.casefold().split())


def contains(haystack: str, needle: str) -> bool:
    return normalize(needle) in normalize(haystack)


def evidence_found(evidence: Sequence[str], passages: Sequence[str]) -> list[bool]:
    """For each evidence string, whether some passage contains it."""
    normalized = [normalize(p) for p in passages]
    return [any(normalize(e) in p for p in normalized) for e in evidence]


def hit(evidence: Sequence[str], passages: Sequence[str]) -> float | None:
    """1.0 when a passage contains one of the evidence strings; None without evidence."""
    if not evidence:
        return None
    return float(any(evidence_found(evidence, passages)))


def evidence_recall(evidence: Sequence[str], passages: Sequence[str]) -> float | None:
    """The share of evidence strings some passage contains; None without evidence."""
    if not evidence:
        return None
    found = evidence_found(evidence, passages)
    return sum(found) / len(found)


def reciprocal_rank(evidence: Sequence[str], passages: Sequence[str]) -> float | None:
    """1 / rank of the first passage containing any evidence string, 0.0 if none; None without evidence."""
    if not evidence:
        return None
    for rank, passage in enumerate(passages, start=1):
        if any(evidence_found(evidence, [passage])):
            return 1.0 / rank
    return 0.0


def is_correct(answer: str, refused: bool, answers: Sequence[str]) -> bool:
    """Not refused, and the answer (markers removed) contains one of the gold answers."""
    text = strip_markers(answer)
    return not refused and any(contains(text, gold) for gold in answers)


def citation_recall(evidence: Sequence[str], citations: Sequence[Cited]) -> float:
    """1.0 when some cited chunk contains one of the evidence strings, else 0.0."""
    return float(any(evidence_found(evidence, [c.chunk for c in citations])))


def supports(citation: Cited, answers: Sequence[str], evidence: Sequence[str]) -> bool:
    """The cited span contains a gold answer or an evidence string, or is part of an evidence string."""
    span = normalize(citation.span)
    if not span:
        return False
    golds = [normalize(g) for g in (*answers, *evidence)]
    return any(g in span for g in golds) or any(span in normalize(e) for e in evidence)


def failure(item: EvalItem, outcome: Outcome, retrieved: float | None, in_context: float | None) -> str | None:
    """For a wrong answer to an answerable question, the first stage that lost it (FAILURES)."""
    if not item.answerable or outcome.answer is None or is_correct(outcome.answer, outcome.refused, item.answers):
        return None
    if not retrieved:
        return "retrieval"
    if not in_context:
        return "selection"
    if not is_correct(outcome.draft or "", False, item.answers):
        return "model"
    return "verifier"


def score_item(item: EvalItem, outcome: Outcome) -> ItemScores:
    """Every metric of one item under one configuration."""
    retrieval = {
        "hit": hit(item.evidence, outcome.retrieved),
        "evidence_recall": evidence_recall(item.evidence, outcome.retrieved),
        "reciprocal_rank": reciprocal_rank(item.evidence, outcome.retrieved),
    }
    if outcome.context is not None:
        retrieval["in_context"] = hit(item.evidence, outcome.context)
        retrieval["context_tokens"] = outcome.context_tokens
        retrieval["quoted"] = outcome.quote is not None
        if outcome.quote is not None and item.answerable:
            retrieval["quote_holds_answer"] = any(contains(outcome.quote, answer) for answer in item.answers)
    common = {
        "timings_ms": dict(outcome.timings_ms),
        "waterfall": dict(outcome.waterfall),
        "seconds": outcome.seconds,
        "error": outcome.error,
        "language": item.lang,
    }
    if outcome.answer is None:
        return ItemScores(item.answerable, **retrieval, **common)
    correct = is_correct(outcome.answer, outcome.refused, item.answers) if item.answerable else None
    return ItemScores(
        item.answerable,
        **retrieval,
        failure=failure(item, outcome, retrieval["hit"], retrieval.get("in_context")),
        answered=True,
        refused=outcome.refused,
        correct=correct,
        citation_recall=citation_recall(item.evidence, outcome.citations) if correct else None,
        citations=len(outcome.citations),
        supported_citations=(
            sum(supports(c, item.answers, item.evidence) for c in outcome.citations) if item.answerable else None
        ),
        **common,
    )


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100), interpolating linearly between ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _wrong_but_cited(scores: ItemScores) -> bool:
    """The model's answer is shown, cites a passage, and is wrong (or the item wanted a refusal)."""
    return not scores.refused and scores.citations > 0 and not scores.correct


def summarize(scores: Sequence[ItemScores]) -> dict[str, float | int | None]:
    """The summary of one configuration's item scores; answer metrics only when the model answered."""
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    summary: dict[str, float | int | None] = {
        "questions": len(scores),
        "hit@k": _mean(s.hit for s in scores),
        "evidence_recall@k": _mean(s.evidence_recall for s in scores),
        "mrr": _mean(s.reciprocal_rank for s in scores),
    }
    if any(s.in_context is not None for s in scores):
        summary["evidence_in_context"] = _mean(s.in_context for s in scores)
        summary["context_tokens_p50"] = percentile([s.context_tokens for s in scores if s.context_tokens], 50)
        summary["quote_shown"] = _share([s.quoted for s in answerable if s.in_context is not None])
        summary["quote_holds_answer"] = _share([bool(s.quote_holds_answer) for s in answerable if s.quoted])
    if any(s.answered for s in scores):
        judged = sum(s.citations for s in answerable)
        supported = sum(s.supported_citations or 0 for s in answerable)
        replies = [s for s in scores if s.answered and not s.refused]
        summary |= {
            "answer_accuracy": _share([bool(s.correct) for s in answerable]),
            "non_english_accuracy": _share([bool(s.correct) for s in answerable if s.language != "en"]),
            "citation_recall": _mean(s.citation_recall for s in answerable if s.correct),
            "citation_precision": supported / judged if judged else None,
            "cited_answers": _share([s.citations > 0 for s in replies]),
            "wrong_but_cited": _share([_wrong_but_cited(s) for s in scores if s.answered]),
            "refusal_accuracy": _share([bool(s.refused) for s in unanswerable]),
            "false_refusal_rate": _share([bool(s.refused) for s in answerable]),
        }
        summary |= {f"lost_at_{stage}": sum(s.failure == stage for s in answerable) for stage in FAILURES}
    waterfalls = [dict(s.waterfall) for s in scores if s.waterfall]
    for key in WATERFALL_KEYS:  # the stages in the order they run; runs kept before the waterfall have STAGES
        stage = key.removesuffix("_ms")
        if stage in STAGES:
            values = [s.timings_ms[stage] for s in scores if stage in s.timings_ms]
            if values:
                summary[f"{key}_p50"] = percentile(values, 50)
                summary[f"{key}_p95"] = percentile(values, 95)
        elif values := stage_values(waterfalls, key):
            summary[f"{key}_p50"] = percentile(values, 50)
    summary["seconds_per_question"] = _mean(s.seconds for s in scores)
    summary["errors"] = sum(s.error is not None for s in scores)
    return summary
