"""Judging a claim by meaning, on the span the shared-words score chose: a veto on what overlap passed.

Shared words cannot tell "The Transformer was proposed in 2017" from "The Transformer was proposed in
December 2023 by Mamba" when the passage holds both names and both dates; two checks can:
- the binding check (answer/binding.py, no model): the claim's figures and dates are given, in the passage,
  for the entity the question asks about, not for its neighbour in the table or paragraph;
- the entailment judge: the answer model asked whether the statement is true according to the span, read
  from the probabilities of its one-word reply "true"/"false" (no text is generated).

The judge only vetoes: the shared-words rule already keeps almost every correct sentence (on the dev report
half it lost 5 of 90 answers, retrieval and the model 24), and the shipped model's P(true) on correct
sentences of real drafts spreads from 0.4 to 1.0: asked to confirm (0.7) it refused 13 right answers.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from citewise.answer.binding import subject_of, unbound_values
from citewise.answer.llm.base import Message
from citewise.answer.prompt import SYSTEM_RULES, defused
from citewise.answer.sentences import split_sentences
from citewise.core.timing import ms_since
from citewise.core.types import BINDING_CHECK, ENTAILMENT_JUDGE, JudgedBy

# A sentence whose P(true) is below this is dropped; chosen on the dev verifier bench's tune half: there, of
# the claims shared words keep, it drops 12 of 25 false ones and no true one (0.5: 18 and 2).
JUDGE_THRESHOLD = 0.4
# A claim of fewer words is judged even when it is a sentence of the passage ("Yes, it does.").
COPY_MIN_WORDS = 4
# Spans judged per sentence, best shared-words score first (each costs a forward pass over span and claim).
JUDGED_SPANS = 1

ChanceTrue = Callable[[list[Message]], float]


def judge_messages(context: str, claim: str) -> list[Message]:
    """The judge's prompt: the answer's own rules as the system message, so that llama.cpp's cached prefix
    serves the judge and the next question alike (with rules of its own, each judge call pushed the answer's
    rules out of the cache: measured, the same false accepts and rejects either way), then the span and the
    statement."""
    user = (
        f"Check a statement against a passage. Passage:\n<<<\n{defused(context)}\n>>>\n\n"
        f"Statement: {defused(claim)}\n\n"
        "Is the statement true according to the passage? Reply with one word, true or false."
    )
    return [Message("system", SYSTEM_RULES), Message("user", user)]


@dataclass(frozen=True)
class Meaning:
    """What the verifier checks beyond shared words on the best `spans` spans shared words support: the binding
    of values, and (with `chance_true`, the answer model's) the entailment judge."""

    chance_true: ChanceTrue | None = None
    threshold: float = JUDGE_THRESHOLD
    spans: int = JUDGED_SPANS


class TimedChance:
    """A `ChanceTrue` that keeps the milliseconds spent in it, for the waterfall's judge time per sentence."""

    def __init__(self, chance_true: ChanceTrue) -> None:
        self._chance_true = chance_true
        self._ms: float | None = None

    def __call__(self, messages: list[Message]) -> float:
        started = time.perf_counter()
        try:
            return self._chance_true(messages)
        finally:
            self._ms = round((self._ms or 0.0) + ms_since(started), 1)

    def take(self) -> float | None:
        """The time spent since the last take (None: not asked since)."""
        spent, self._ms = self._ms, None
        return spent


def meaning_for(kind: str, chance_true: ChanceTrue | None) -> Meaning | None:
    """What a pipeline's `meaning` switch checks ("words": nothing; "binding"; "entailment": binding and judge)."""
    if kind == "words":
        return None
    return Meaning(chance_true if kind == "entailment" else None)


@dataclass(frozen=True)
class Judgment:
    held: bool
    reason: str  # why it failed, in words; "" when it held
    chance_true: float | None = None  # the judge's P(true), when it was asked
    by: JudgedBy = BINDING_CHECK  # the check that decided


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def copied(claim: str, passage: str) -> bool:
    """Whether the claim is one of the passage's sentences, word for word (case, punctuation and spacing aside).
    The judge reads only span and claim, so of a copy it can only say true (a fifth to two fifths of the sentences
    it was asked about in eval runs), and asking costs a forward pass. A part of a sentence is no copy: "SQLite
    does full Unicode case folding" is in "It is a myth that SQLite does full Unicode case folding"."""
    words = _words(claim)
    return len(words) >= COPY_MIN_WORDS and any(_words(passage[a:b]) == words for a, b in split_sentences(passage))


def judge(meaning: Meaning, question: str, claim: str, span: str, passage: str, heading: str) -> Judgment:
    """Whether `claim` holds on `span` of `passage` by meaning: its values bound to the asked subject, then (with
    a judge) the judge's P(true) at least its threshold."""
    unbound = unbound_values(claim, subject_of(question, claim), passage, heading)
    if unbound:
        owners = ", ".join(unbound[0].bound_to) or "another entity"
        return Judgment(False, f"the passage gives {unbound[0].value} for {owners}, not for what was asked")
    if meaning.chance_true is None or copied(claim, passage):
        return Judgment(True, "")
    p = round(meaning.chance_true(judge_messages(span, claim)), 3)
    if p < meaning.threshold:
        return Judgment(False, f"the judge found it not true of the passage (P(true) {p:.2f})", p, ENTAILMENT_JUDGE)
    return Judgment(True, "", p, ENTAILMENT_JUDGE)
