"""The JSON shapes of search results and answers, as `citewise search/ask --json` print them."""

from typing import Any

from citewise.core.types import Answer, Retrieved


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
        "citations": [
            {
                "n": c.n,
                "source": c.source,
                "title": c.title,
                "heading": c.heading,
                "chunk_id": c.chunk_id,
                "text": c.text,
                "text_sha256": c.text_hash,
                "span": list(c.span),
            }
            for c in answer.citations
        ],
        "unsupported": [claim.text for claim in answer.claims if not claim.supported],
        "retrieved": retrieved_json(answer.retrieved),
        "context": {
            "passages": len(answer.evidence.passages) if answer.evidence else 0,
            "tokens": answer.evidence.tokens if answer.evidence else 0,
            "dropped": list(answer.evidence.dropped) if answer.evidence else [],
        },
        "draft": answer.draft,
        "backend": answer.backend,
        "model": answer.model,
        "timings_ms": answer.timings_ms,
    }
