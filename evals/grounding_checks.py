"""The rules a generated eval item must pass before it is kept; each failure is one named reason.

The model only proposes; these checks decide, so a kept answerable item is grounded verbatim in its passage
and a kept near miss asks for a kind of fact that no passage naming its entity states."""

import json
import re
from collections.abc import Iterable
from typing import Any

from citewise.evals.metrics import contains, normalize

ANSWER_TYPES = ("number", "date", "person", "place")
MAX_ANSWER_WORDS = 8

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# Deliberately broad: a near miss is only worth keeping when no passage could hold its answer, so a false
# "present" costs one rejected item while a false "absent" would put an answerable question among the refusals.
_TYPE_PATTERNS = {
    "number": re.compile(
        r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million|billion|trillion)\b"
        r"|[一二三四五六七八九十百千万亿]",
        re.IGNORECASE,
    ),
    "date": re.compile(
        rf"\b(1[5-9]|20)\d\d\b|\b({_MONTHS})\b|\d+\s*年|\d+\s*月|\b(century|decade|yesterday|today)\b", re.IGNORECASE
    ),
    "person": re.compile(
        r"\b(Mr|Mrs|Ms|Dr|Prof)\.?\s+[A-Z]|\b[A-Z][a-z]+\s+(?:[A-Z]\.\s+)?[A-Z][a-z]{2,}\b"
        r"|\b(founder|founded by|inventor|invented by|author|authored by|ceo|created by|led by|developed by)\b"
    ),
    "place": re.compile(
        r"\b(in|at|from|based in|headquartered in|located in|near)\s+(the\s+)?[A-Z][a-z]+"
        r"|\b(city|country|headquarters|headquartered|located)\b|[省市国州]",
        re.IGNORECASE,
    ),
}


class Rejected(Exception):
    """A proposal failed a check; `reason` is a short stable label, counted in the generation report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_reply(reply: str, fields: Iterable[str]) -> dict[str, str]:
    """The JSON object in a model's reply (code fences and chatter around it are skipped), with each of
    `fields` a non-empty string; `Rejected("not JSON")` or `Rejected("missing <field>")` otherwise."""
    start, end = reply.find("{"), reply.rfind("}")
    if start < 0 or end <= start:
        raise Rejected("not JSON")
    try:
        record: Any = json.loads(reply[start : end + 1])
    except json.JSONDecodeError:
        raise Rejected("not JSON") from None
    if not isinstance(record, dict):
        raise Rejected("not JSON")
    out = {}
    for name in fields:
        value = record.get(name)
        if not isinstance(value, str) or not value.strip():
            raise Rejected(f"missing {name}")
        out[name] = " ".join(value.split())
    return out


def find_verbatim(passage: str, text: str) -> str | None:
    """`text` as the passage writes it (case and runs of whitespace aside), or None when it is not there."""
    words = text.split()
    if not words:
        return None
    match = re.search(r"\s+".join(re.escape(word) for word in words), passage, re.IGNORECASE)
    return " ".join(match.group(0).split()) if match else None


def check_answerable(passage: str, question: str, answer: str, evidence: str) -> tuple[str, str]:
    """(answer, evidence) as the passage writes them, or `Rejected` naming the first rule broken."""
    found_answer = find_verbatim(passage, answer)
    if found_answer is None:
        raise Rejected("answer not verbatim in the passage")
    if len(found_answer.split()) > MAX_ANSWER_WORDS:
        raise Rejected("answer too long")
    found_evidence = find_verbatim(passage, evidence)
    if found_evidence is None:
        raise Rejected("evidence not verbatim in the passage")
    if not contains(found_evidence, found_answer):
        raise Rejected("answer not in the evidence")
    if contains(question, found_answer):
        raise Rejected("question contains the answer")
    return found_answer, found_evidence


def mentions(passage: str, entity: str) -> bool:
    return normalize(entity) in normalize(passage)


def states_answer_type(passage: str, entity: str, answer_type: str) -> bool:
    """Whether the passage holds something of `answer_type` besides the entity's own name (a "GPT-4" must
    not count as a number)."""
    rest = re.sub(re.escape(entity), " ", passage, flags=re.IGNORECASE)
    return _TYPE_PATTERNS[answer_type].search(rest) is not None


def check_near_miss(passages: Iterable[str], question: str, entity: str, answer_type: str) -> int:
    """How many passages name the entity, when none of them states anything of `answer_type`; else `Rejected`."""
    if answer_type not in ANSWER_TYPES:
        raise Rejected("unknown answer type")
    if not contains(question, entity):
        raise Rejected("question does not name the entity")
    naming = [p for p in passages if mentions(p, entity)]
    if not naming:
        raise Rejected("entity not in the documents")
    if any(states_answer_type(p, entity, answer_type) for p in naming):
        raise Rejected(f"a passage naming the entity states a {answer_type}")
    return len(naming)


def check_off_topic(passages: Iterable[str], question: str, keyword: str) -> None:
    """`Rejected` when a passage mentions the topic after all (the question might then be answerable)."""
    if any(mentions(p, keyword) for p in passages):
        raise Rejected("off-topic keyword found in the documents")
    if not question.strip():
        raise Rejected("missing question")
