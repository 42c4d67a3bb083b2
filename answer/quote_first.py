"""A quote before the answer: the evidence sentence the selector ranks best, shown as soon as the evidence is
chosen (well under a second), seconds before the model's first verified sentence.

It is shown only for the kinds of question whose best sentence held the answer in most cases on the tune
halves of the dev and SQLite sets (evals/history/2026-12-07-quote-first-and-diet.md): dates, numbers, people, yes/no
and other specific questions. For "why", definitions, lists and places one sentence held it in half of them or
fewer, so the user waits for the answer.
"""

from citewise.answer.asked import AskedType, asked_type
from citewise.core.types import EvidenceSet, Quote

QUOTED_KINDS: frozenset[AskedType] = frozenset({"date", "number", "person", "yesno", "other"})


def quote_first(question: str, evidence: EvidenceSet) -> Quote | None:
    """The best evidence sentence when the question is of a kind it usually answers; else None."""
    return evidence.best if asked_type(question) in QUOTED_KINDS else None
