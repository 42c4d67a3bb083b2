"""The JSON shapes of search results, answers and documents, as `citewise search/ask/docs --json` print them
(and `citewise serve` answers)."""

from dataclasses import asdict
from typing import Any

from citewise.core.types import Answer, Citation, Claim, DocumentRecord, EvidenceSet, Quote, Retrieved
from citewise.core.waterfall import waterfall


def retrieved_json(result: Retrieved) -> list[dict[str, Any]]:
    return [
        {
            "rank": hit.rank,
            "source": hit.chunk.source,
            "title": hit.chunk.title,
            "heading": hit.chunk.heading,
            "chunk_id": hit.chunk.id,
            "text": hit.chunk.text,
            "score": round(hit.score, 6),
            "dense": None if hit.dense is None else round(hit.dense, 4),
            "keyword": None if hit.keyword is None else round(hit.keyword, 4),
        }
        for hit in result.hits
    ]


def answer_json(answer: Answer) -> dict[str, Any]:
    """The `ask --json` shape (the evals reuse it per item)."""
    return {
        "question": answer.question,
        "answer": answer.answer,
        "refused": answer.refused,
        "citations": [citation_json(c) for c in answer.citations],
        "unsupported": [claim.text for claim in answer.claims if not claim.supported],
        "sentences": [claim_json(claim) for claim in answer.claims],
        "retrieved": retrieved_json(answer.retrieved),
        "context": {
            "passages": len(answer.evidence.passages) if answer.evidence else 0,
            "tokens": answer.evidence.tokens if answer.evidence else 0,
            "dropped": list(answer.evidence.dropped) if answer.evidence else [],
        },
        "quote": quote_json(answer.quote, answer.evidence) if answer.quote and answer.evidence else None,
        "draft": answer.draft,
        "backend": answer.backend,
        "model": answer.model,
        "timings_ms": answer.timings_ms,
        "waterfall": waterfall(answer),
    }


def quote_json(quote: Quote, evidence: EvidenceSet) -> dict[str, Any]:
    """The sentence shown before the answer: a quote of source `n` (span: its place in the chunk's text), not a
    verified answer."""
    chunk = next(p.hit.chunk for p in evidence.passages if p.n == quote.n)
    return {
        "n": quote.n,
        "text": quote.text,
        "source": chunk.source,
        "chunk_id": chunk.id,
        "span": [quote.start, quote.end],
    }


def claim_json(claim: Claim) -> dict[str, Any]:
    """One sentence of the draft and how it was judged: kept with its citation [n], or dropped with the reason in
    words; `support` is the shared-words score, `judge_p_true` the entailment judge's P(true) where it was asked."""
    return {
        "text": claim.text,
        "kept": claim.supported,
        "citation": claim.citation,
        "support": claim.score,
        "judged_by": claim.judged_by,
        "judge_p_true": claim.chance_true,
        "reason": claim.reason,
    }


def citation_json(citation: Citation) -> dict[str, Any]:
    """A cited passage: its whole chunk `text`, and the `quote` that supports the sentence, `span` [start, end)
    of `text`."""
    start, end = citation.span
    return {
        "n": citation.n,
        "source": citation.source,
        "title": citation.title,
        "heading": citation.heading,
        "chunk_id": citation.chunk_id,
        "text": citation.text,
        "text_sha256": citation.text_hash,
        "span": [start, end],
        "quote": citation.text[start:end],
    }


def documents_json(records: list[DocumentRecord]) -> list[dict[str, Any]]:
    """The `docs --json` shape: one object per indexed document."""
    return [asdict(record) for record in records]
