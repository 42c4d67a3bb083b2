"""Why one item counted as right or wrong under one configuration, check by check, from its kept result."""

from dataclasses import dataclass

from citewise.answer.citations import strip_markers
from citewise.evals.metrics import contains
from citewise.evals.results import ConfigResult, Gold


@dataclass(frozen=True)
class Check:
    """One line of the verdict: `verdict` ("Right", "Retrieval wrong"; empty for a plain note), then why."""

    reason: str
    verdict: str = ""
    right: bool = False


def item_right(result: ConfigResult, retrieval_only: bool) -> bool:
    """Whether one kept result counts as a success: the evidence retrieved (retrieval only), else a correct
    answer, or a refusal of an unanswerable question."""
    scores = result.scores
    if retrieval_only:
        return bool(scores.hit)
    return bool(scores.correct) if scores.answerable else bool(scores.refused)


def verdict_checks(result: ConfigResult, gold: Gold, answered: bool) -> list[Check]:
    """The checks behind the item's verdict: the run's error, retrieval, then (when the model answered) the
    answer or refusal and its citations."""
    m = result.scores
    lines = []
    if result.error:
        lines.append(Check(result.error, "The run failed"))
    if m.hit is not None:
        if m.hit:
            rank = round(1 / m.reciprocal_rank) if m.reciprocal_rank else "?"
            recall = f"{m.evidence_recall:.0%}" if m.evidence_recall is not None else "?"
            found = f"the evidence is in passage {rank}; {recall} of the expected evidence was found."
            lines.append(Check(found, "Retrieval right", right=True))
        else:
            lines.append(Check("no retrieved passage contains the expected evidence.", "Retrieval wrong"))
    if not answered:
        return lines
    if not gold.answerable:
        if m.refused:
            lines.append(Check("refused; the documents don't answer this question.", "Right", right=True))
        else:
            lines.append(Check("answered a question the documents don't answer.", "Wrong"))
        return lines
    if m.refused:
        lines.append(Check("refused, though the documents answer it.", "Wrong"))
    elif m.correct:
        found = next((g for g in gold.answers if contains(strip_markers(result.answer or ""), g)), "")
        lines.append(Check(f"the answer contains the expected “{found}”.", "Right", right=True))
    else:
        expected = ", ".join(f"“{g}”" for g in gold.answers)
        lines.append(Check(f"the answer contains none of the expected answers ({expected}).", "Wrong"))
    if m.citations:
        lines.append(
            Check(
                f"Citations: {m.supported_citations or 0} of {m.citations} point at a span "
                "holding the answer or its evidence."
            )
        )
    return lines
