"""Pick the evidence the model reads: the best window of sentences from each top passage.

A small model on 2 cores waits ~1 s per 150 prompt tokens before its first token, and long
context distracts it, so it gets the few sentences that matter, not whole chunks.
"""

from collections.abc import Callable, Sequence

import numpy as np

from citewise.answer.prompt import SOURCE_LABEL_TOKENS
from citewise.answer.sentences import split_sentences
from citewise.core.types import Evidence, EvidenceSet, ScoredChunk
from citewise.retrieval.tokenize import tokenize

Embed = Callable[[list[str]], np.ndarray]


def _overlap(question_tokens: set[str], text: str) -> float:
    if not question_tokens:
        return 0.0
    return len(question_tokens & set(tokenize(text))) / len(question_tokens)


def best_window(question: str, text: str, embed: Embed, max_chars: int) -> tuple[int, int]:
    """The span of `text` around its sentence most like the question, grown to about `max_chars`."""
    spans = split_sentences(text)
    if len(text) <= max_chars or len(spans) <= 1:
        return (spans[0][0], spans[-1][1]) if spans else (0, len(text))
    vectors = embed([question] + [text[s:e] for s, e in spans])
    question_tokens = set(tokenize(question))
    scores = vectors[1:] @ vectors[0] + 0.5 * np.array([_overlap(question_tokens, text[s:e]) for s, e in spans])
    best = int(np.argmax(scores))
    lo = hi = best
    while True:
        grow = [i for i in (lo - 1, hi + 1) if 0 <= i < len(spans)]
        grow = [i for i in grow if spans[max(hi, i)][1] - spans[min(lo, i)][0] <= max_chars]
        if not grow:
            break
        pick = max(grow, key=lambda i: scores[i])
        lo, hi = min(lo, pick), max(hi, pick)
    return spans[lo][0], spans[hi][1]


def select_evidence(
    question: str,
    hits: Sequence[ScoredChunk],
    embed: Embed,
    count_tokens: Callable[[str], int],
    budget_tokens: int,
    max_passages: int,
    window_chars: int,
) -> EvidenceSet:
    """Numbered windows of the best hits, in rank order, within `budget_tokens`."""
    passages: list[Evidence] = []
    dropped: list[str] = []
    used = 0
    for hit in hits:
        if len(passages) >= max_passages:
            dropped.append(hit.chunk.id)
            continue
        start, end = best_window(question, hit.chunk.text, embed, window_chars)
        tokens = count_tokens(hit.chunk.text[start:end]) + SOURCE_LABEL_TOKENS
        if used + tokens > budget_tokens:
            dropped.append(hit.chunk.id)
            continue
        passages.append(Evidence(len(passages) + 1, hit, start, end, tokens))
        used += tokens
    return EvidenceSet(tuple(passages), tuple(dropped), used)
