"""What a saved conversation holds: each turn's question, its answer as verified, the cited passages as they were
cited (text, span, chunk id and text hash, so a later look at the index tells whether they changed), the refusal
and its kind, the timings, the knowledge base and the model."""

from dataclasses import dataclass, field
from typing import Any

from citewise.core.base_names import DEFAULT_BASE
from citewise.core.serialize import citation_json, claim_json
from citewise.core.types import Answer, Citation, Claim
from citewise.core.waterfall import WaterfallValue, waterfall

CLOSEST = 3  # passages kept under a refusal, as the Ask page shows them
# Why an answer is a refusal: nothing retrieved was close enough to ask the model, or the model was asked and none
# of its sentences was kept (none supported by a passage, none answering what was asked, or it said it did not know).
NOTHING_CLOSE = "nothing-close"
NOT_SUPPORTED = "not-supported"


@dataclass(frozen=True)
class Passage:
    """A retrieved passage kept under a refusal (no span: it supports nothing)."""

    source: str
    title: str
    heading: str
    chunk_id: str
    text: str


@dataclass(frozen=True)
class SavedTurn:
    """One question and its verified answer, as the conversation store keeps it."""

    question: str  # as asked
    asked: str  # the standalone question that was searched for (a follow-up rewritten)
    answer: str
    refused: bool
    refusal: str | None  # NOTHING_CLOSE or NOT_SUPPORTED when refused
    claims: tuple[Claim, ...]
    citations: tuple[Citation, ...]
    closest: tuple[Passage, ...]
    backend: str
    model: str
    kb: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    waterfall: dict[str, WaterfallValue] = field(default_factory=dict)  # core/waterfall.py's ({}: saved before it)
    created_at: str = ""  # set by the store
    number: int = 0  # its place in its conversation, from 1 (0: not saved)

    @property
    def unsupported(self) -> list[Claim]:
        return [c for c in self.claims if not c.supported]


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str  # the first question, until renamed
    kb: str
    created_at: str
    updated_at: str
    turns: int


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    kb: str
    created_at: str
    updated_at: str
    turns: tuple[SavedTurn, ...]

    @property
    def history(self) -> list[tuple[str, str]]:
        """(standalone question, answer) pairs, oldest first: what a follow-up is rewritten from."""
        return [(t.asked, t.answer) for t in self.turns]

    @property
    def citations(self) -> list[Citation]:
        return [c for t in self.turns for c in t.citations]


def saved_turn(question: str, answer: Answer, kb: str = DEFAULT_BASE) -> SavedTurn:
    """The record of a verified Answer to `question`."""
    refusal = None
    if answer.refused:
        refusal = NOTHING_CLOSE if answer.evidence is None else NOT_SUPPORTED
    closest = tuple(
        Passage(h.chunk.source, h.chunk.title, h.chunk.heading, h.chunk.id, h.chunk.text)
        for h in (answer.retrieved.hits[:CLOSEST] if answer.refused else ())
    )
    return SavedTurn(
        question=question,
        asked=answer.question,
        answer=answer.answer,
        refused=answer.refused,
        refusal=refusal,
        claims=answer.claims,
        citations=answer.citations,
        closest=closest,
        backend=answer.backend,
        model=answer.model,
        kb=kb,
        timings_ms=dict(answer.timings_ms),
        waterfall=waterfall(answer),
    )


def turn_json(turn: SavedTurn) -> dict[str, Any]:
    """A turn as the store keeps it (and `citewise conversations show --json` prints it)."""
    return {
        "question": turn.question,
        "asked": turn.asked,
        "answer": turn.answer,
        "refused": turn.refused,
        "refusal": turn.refusal,
        "sentences": [claim_json(c) for c in turn.claims],
        "citations": [citation_json(c) for c in turn.citations],
        "closest": [vars(p) for p in turn.closest],
        "backend": turn.backend,
        "model": turn.model,
        "kb": turn.kb,
        "timings_ms": turn.timings_ms,
        "waterfall": turn.waterfall,
        "created_at": turn.created_at,
        "number": turn.number,
    }


def turn_from_json(data: dict[str, Any]) -> SavedTurn:
    """The turn `turn_json` wrote; KeyError, TypeError or ValueError when a record is malformed."""
    claims = tuple(
        Claim(
            text=s["text"],
            supported=s["kept"],
            score=s["support"],
            citation=s["citation"],
            model_markers=(),
            reason=s["reason"],
            chance_true=s["judge_p_true"],
            judged_by=s["judged_by"],
        )
        for s in data["sentences"]
    )
    citations = tuple(
        Citation(c["n"], c["source"], c["title"], c["heading"], c["chunk_id"], c["text"], (c["span"][0], c["span"][1]))
        for c in data["citations"]
    )
    return SavedTurn(
        question=data["question"],
        asked=data["asked"],
        answer=data["answer"],
        refused=bool(data["refused"]),
        refusal=data["refusal"],
        claims=claims,
        citations=citations,
        closest=tuple(Passage(**p) for p in data["closest"]),
        backend=data["backend"],
        model=data["model"],
        kb=data["kb"],
        timings_ms=dict(data["timings_ms"]),
        waterfall=dict(data.get("waterfall", {})),
        created_at=data.get("created_at", ""),
        number=data.get("number", 0),
    )


def conversation_json(conversation: Conversation) -> dict[str, Any]:
    return {**summary_json(conversation), "turns": [turn_json(t) for t in conversation.turns]}


def summary_json(conversation: Conversation | ConversationSummary) -> dict[str, Any]:
    turns = conversation.turns if isinstance(conversation.turns, int) else len(conversation.turns)
    return {
        "id": conversation.id,
        "title": conversation.title,
        "kb": conversation.kb,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "turns": turns,
    }
