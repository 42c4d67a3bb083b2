"""Pick the evidence the model reads: a few windows of sentences from the top passages.

A small model on 2 cores waits ~1 s per 150 prompt tokens before its first token, and long
context distracts it, so it gets the few sentences that matter, not whole chunks. Two ways:
`select_evidence` (hybrid+verifier@v1) grows one window per passage around its sentence most like the
question; `select_focused` (the default) ranks every sentence of the retrieved passages together and
spends one budget of characters on the best of them, the notes that qualify them and their neighbours,
wherever they are.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from citewise.answer.prompt import SOURCE_LABEL_TOKENS
from citewise.answer.sentences import split_sentences
from citewise.core.types import Evidence, EvidenceSet, Quote, ScoredChunk
from citewise.retrieval.embeddings import Encode
from citewise.retrieval.tokenize import tokenize

OVERLAP_WEIGHT = 0.5  # a sentence's share of the question's words, against its cosine (tuned with best_window)
# Each rank down the retrieved list costs a sentence this much score, so a tie goes to the better passage.
RANK_PENALTY = 0.03


def _overlap(question_tokens: set[str], text: str) -> float:
    if not question_tokens:
        return 0.0
    return len(question_tokens & set(tokenize(text))) / len(question_tokens)


def _sentence_scores(question: str, sentences: list[str], embed: Encode) -> np.ndarray:
    """How well each sentence matches the question: cosine + 0.5 x share of the question's words it has."""
    vectors = embed([question, *sentences])
    question_tokens = set(tokenize(question))
    overlap = np.array([_overlap(question_tokens, sentence) for sentence in sentences])
    return vectors[1:] @ vectors[0] + OVERLAP_WEIGHT * overlap


def best_window(question: str, text: str, embed: Encode, max_chars: int) -> tuple[int, int]:
    """The span of `text` around its sentence most like the question, grown to about `max_chars`."""
    spans = split_sentences(text)
    if len(text) <= max_chars or len(spans) <= 1:
        return (spans[0][0], spans[-1][1]) if spans else (0, len(text))
    scores = _sentence_scores(question, [text[s:e] for s, e in spans], embed)
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
    embed: Encode,
    count_tokens: Callable[[str], int],
    budget_tokens: int,
    max_passages: int,
    window_chars: int,
) -> EvidenceSet:
    """Numbered windows of the best hits, in rank order, within `budget_tokens`."""
    return _within_budget(
        hits,
        lambda hit: best_window(question, hit.chunk.text, embed, window_chars),
        count_tokens,
        budget_tokens,
        max_passages,
    )


def _within_budget(
    hits: Sequence[ScoredChunk],
    window_of: Callable[[ScoredChunk], tuple[int, int] | None],
    count_tokens: Callable[[str], int],
    budget_tokens: int,
    max_passages: int,
) -> EvidenceSet:
    """Each hit's window, in rank order, numbered, until `max_passages` are taken or `budget_tokens` is spent;
    a hit with no window, or one that does not fit, is named among the dropped."""
    passages: list[Evidence] = []
    dropped: list[str] = []
    used = 0
    for hit in hits:
        window = window_of(hit) if len(passages) < max_passages else None
        tokens = count_tokens(hit.chunk.text[slice(*window)]) + SOURCE_LABEL_TOKENS if window else 0
        if window is None or used + tokens > budget_tokens:
            dropped.append(hit.chunk.id)
            continue
        passages.append(Evidence(len(passages) + 1, hit, window[0], window[1], tokens))
        used += tokens
    return EvidenceSet(tuple(passages), tuple(dropped), used)


def _sentences_of(hits: Sequence[ScoredChunk]) -> tuple[list[list[tuple[int, int]]], list[tuple[int, int]], list[str]]:
    """Each hit's sentence spans, every (hit, sentence) pair in order, and the text of each."""
    spans = [split_sentences(hit.chunk.text) for hit in hits]
    flat = [(p, s) for p, passage_spans in enumerate(spans) for s in range(len(passage_spans))]
    return spans, flat, [hits[p].chunk.text[slice(*spans[p][s])] for p, s in flat]


def _windows_as_evidence(
    hits: Sequence[ScoredChunk],
    spans: list[list[tuple[int, int]]],
    windows: dict[int, tuple[int, int]],
    count_tokens: Callable[[str], int],
    budget_tokens: int,
) -> EvidenceSet:
    """The windows (hit position -> first and last sentence) as numbered evidence, in rank order, within
    `budget_tokens`."""
    chosen = {hits[p].chunk.id: (spans[p][first][0], spans[p][last][1]) for p, (first, last) in windows.items()}
    return _within_budget(hits, lambda hit: chosen.get(hit.chunk.id), count_tokens, budget_tokens, len(hits))


# A sentence that qualifies the one before it, or leans on it: kept with it, whichever is picked.
_FOLLOW_ON = re.compile(
    r"^(?:note|however|but|caveat|warning|important|this|that|these|those|it|they|otherwise|unless|except|so|"
    r"therefore|thus|hence|also|because|for example|in that case|instead)\b",
    re.I,
)


def _keyword_overlap(question: str, sentences: list[str]) -> np.ndarray:
    """The share of the question's words each sentence has, each word weighted by how rare it is among
    these sentences (a word every sentence has, like the product's name, tells them apart the least)."""
    question_tokens = set(tokenize(question))
    tokens = [set(tokenize(s)) for s in sentences]
    if not question_tokens or not sentences:
        return np.zeros(len(sentences))
    weight = {t: np.log(1 + len(sentences) / (1 + sum(t in s for s in tokens))) for t in question_tokens}
    total = sum(weight.values()) or 1.0
    return np.array([sum(weight[t] for t in question_tokens & s) / total for s in tokens])


def select_focused(
    question: str,
    hits: Sequence[ScoredChunk],
    embed: Encode,
    count_tokens: Callable[[str], int],
    budget_tokens: int,
    max_passages: int,
    total_chars: int,
) -> EvidenceSet:
    """Every sentence of the retrieved passages scored together (cosine and the rarity-weighted share of
    the question's words); the best are taken, each with the sentence that qualifies it or that it leans on, into
    at most `max_passages` windows of `total_chars` characters in all, then grown by neighbours.
    The budget follows the question: when the top passage's sentences score best, it gets most of it."""
    spans, flat, texts = _sentences_of(hits)
    if not flat:
        return EvidenceSet((), tuple(hit.chunk.id for hit in hits), 0)
    vectors = embed([question, *texts])
    rank = np.array([p for p, _ in flat])
    scores = vectors[1:] @ vectors[0] + OVERLAP_WEIGHT * _keyword_overlap(question, texts) - RANK_PENALTY * rank
    index = {ps: i for i, ps in enumerate(flat)}

    def unit(p: int, s: int) -> tuple[int, int]:
        """Sentence s with the next one when that qualifies it, and the one before when s leans on it."""
        first, last = s, s
        if s + 1 < len(spans[p]) and _FOLLOW_ON.match(texts[index[(p, s + 1)]]):
            last = s + 1
        if s > 0 and _FOLLOW_ON.match(texts[index[(p, s)]]):
            first = s - 1
        return first, last

    picks = [(*flat[i], *unit(*flat[i])) for i in np.argsort(-scores)]
    windows = _spend(spans, picks, total_chars, max_passages)
    evidence = _windows_as_evidence(hits, spans, windows, count_tokens, budget_tokens)
    return replace(evidence, best=_quote(evidence, hits, spans, picks[0]))


_ENDS_A_SENTENCE = re.compile(r"[.!?。！？]['\")\]]*\s*$")


def _quote(
    evidence: EvidenceSet, hits: Sequence[ScoredChunk], spans: list[list[tuple[int, int]]], pick: tuple[int, ...]
) -> Quote | None:
    """The best pick's unit as a quote of the source that holds it (None when that passage was left out)."""
    p, _, first, last = pick
    passage = next((e for e in evidence.passages if e.hit.chunk.id == hits[p].chunk.id), None)
    if passage is None:
        return None
    text, inside = hits[p].chunk.text, [(s, e) for s, e in spans[p] if passage.start <= s and e <= passage.end]
    unit = [(s, e) for s, e in inside if spans[p][first][0] <= s and e <= spans[p][last][1]]
    if not unit:
        return None
    start, end = unit[0][0], unit[-1][1]
    # A heading, or a line the sentence splitter cut short, says nothing alone: the quote reads on to its sentence
    # (within what the model reads).
    for s, e in inside:
        if s >= end and not _ENDS_A_SENTENCE.search(text[start:end]):
            end = e
    return Quote(passage.n, start, end, text[start:end])


def _spend(
    spans: list[list[tuple[int, int]]],
    picks: list[tuple[int, int, int, int]],
    total_chars: int,
    max_windows: int,
) -> dict[int, tuple[int, int]]:
    """One window (first, last sentence) per passage. Each pick (passage, sentence, and the first and last
    sentence of its unit), best first, widens its passage's window to cover the unit - or the sentence
    alone - when the windows still fit `total_chars` and `max_windows`; then every window grows by its
    neighbours, the next sentence first, while they fit."""
    windows: dict[int, tuple[int, int]] = {}

    def width(p: int, window: tuple[int, int]) -> int:
        return spans[p][window[1]][1] - spans[p][window[0]][0]

    def fits(p: int, window: tuple[int, int]) -> bool:
        if p not in windows and len(windows) >= max_windows:
            return False
        return sum(width(q, w) for q, w in windows.items() if q != p) + width(p, window) <= total_chars

    for p, s, lo, hi in picks:
        first, last = windows.get(p, (s, s))
        for window in ((min(first, lo), max(last, hi)), (min(first, s), max(last, s))):
            if fits(p, window):
                windows[p] = window
                break
    grown = True
    while grown:
        grown = False
        for p, (first, last) in sorted(windows.items()):
            for window in ((first, last + 1), (first - 1, last)):
                if window[0] >= 0 and window[1] < len(spans[p]) and fits(p, window):
                    windows[p] = window
                    grown = True
                    break
    return windows
