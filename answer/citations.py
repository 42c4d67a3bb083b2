"""Post-hoc attribution and verification of an answer's sentences (after ALCE's post-hoc citing), one
sentence at a time so that an answer is verified while the model writes it.

The small model rarely writes [n] markers and sometimes invents facts, so code decides: each
answer sentence is matched against every source passage; it is cited to the passage that
supports it best, with the supporting span, or dropped when none does. A marker the model wrote
is kept only if its passage really supports the sentence.

Support of a sentence by a span = LEXICAL_WEIGHT x lexical recall (share of the sentence's content
words found in the span) + EMBEDDING_WEIGHT x embedding cosine; a quantity in the sentence that equals none
in the passage (answer/quantities.py: 175亿 is not 175 billion) caps support below any threshold, since
invented figures are the typical failure. With `crosslingual`, a sentence not in English is scored by
answer/crosslingual.py instead, against its own threshold.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from citewise.answer.crosslingual import CrossLingualSupport
from citewise.answer.judge import Judgment, Meaning, judge
from citewise.answer.prompt import NOT_FOUND
from citewise.answer.quantities import Quantity, all_supported, quantities, supplied
from citewise.answer.sentences import split_sentences
from citewise.core.types import SHARED_WORDS, Citation, Claim, Evidence, VerifiedSentence
from citewise.retrieval.embeddings import Encode
from citewise.retrieval.tokenize import tokenize

# Share of the question's words (those the sentence repeats) that its passage must contain.
QUESTION_COVERAGE = 0.5
# Words that name the document or its act of saying ("the glossary mentions ...", "according to the article"):
# no passage states them, so where a sentence has them they are not counted against it (Pipeline.framing).
FRAMING_WORDS = frozenset(
    tokenize(
        "article passage author glossary lesson lecture document mention mentions state states describe "
        "describes according say says give gives"
    )
)
# Support = LEXICAL_WEIGHT x lexical recall + EMBEDDING_WEIGHT x cosine. Words carry the facts
# (names, numbers) a small model gets wrong; the cosine forgives rephrasing. Tuned with the
# threshold on the dev set's drafts (evals/history/2026-11-26-verifier-threshold.md).
LEXICAL_WEIGHT = 0.6
EMBEDDING_WEIGHT = 0.4
_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_DONT_KNOW = re.compile(
    r"documents don.?t say|sources? (?:do(?:es)? not|don.?t) (?:say|contain|mention|provide)|"
    r"not (?:mentioned|stated|specified|provided) in the (?:sources|documents)|no information|"
    r"cannot (?:be )?(?:answer|determine)|文档中没有|没有提到|未提及",
    re.I,
)


# The refusal when the passages were close enough to answer from and the model drafted an answer, but none of
# its sentences held up: the documents may well say it (the model misread them), so not "the documents don't say".
NOT_VERIFIED = (
    "I could not verify an answer: the passages found are close to the question, "
    "but no sentence of the draft holds up against them."
)
# The refusal when the model itself said the sources don't answer: the passages it read were close enough to
# answer from (the gate let them through), so what is known is that these passages don't, not the documents.
NOT_IN_PASSAGES = "The passages closest to this question don't answer it; try asking in other words."


@dataclass(frozen=True)
class Verified:
    answer: str
    refused: bool
    claims: tuple[Claim, ...]
    citations: tuple[Citation, ...]


def _recall(sentence_tokens: list[str], span_tokens: set[str]) -> float:
    if not sentence_tokens:
        return 0.0
    return sum(t in span_tokens for t in sentence_tokens) / len(sentence_tokens)


def strip_markers(text: str) -> str:
    """`text` without its [n] citation markers."""
    return _MARKER.sub("", text)


def _split_markers(sentence: str) -> tuple[str, tuple[int, ...]]:
    """The sentence without its [n] markers, and the source numbers they name."""
    markers = tuple(int(n) for group in _MARKER.findall(sentence) for n in group.split(","))
    return strip_markers(sentence).strip(), markers


def _candidate_spans(text: str) -> list[tuple[int, int]]:
    """Single sentences and pairs of neighbours: a claim may join two source sentences."""
    spans = split_sentences(text)
    return spans + [(a[0], b[1]) for a, b in pairwise(spans)]


def _on_topic(tokens: list[str], question_tokens: set[str], passage_tokens: set[str]) -> bool:
    """The passage holds most of the words the sentence took from the question.

    Without this, "GPT-3's learning rate was 175 billion parameters" passes on a passage about
    GPT-3's size: most of its words are there, only the ones naming what was asked are not.
    """
    asked = {t for t in tokens if t in question_tokens}
    return not asked or len(asked & passage_tokens) / len(asked) >= QUESTION_COVERAGE


@dataclass(frozen=True)
class _Spans:
    """What every sentence is compared with: each passage's candidate spans, their vectors and words."""

    index: list[tuple[int, tuple[int, int]]]  # (passage position, span in its chunk)
    vectors: np.ndarray
    tokens: list[set[str]]
    passage_numbers: list[list[Quantity]]
    passage_tokens: list[set[str]]


class SentenceVerifier:
    """Verifies an answer one sentence at a time, in order, as the model finishes each.

    Every decision rests on the sentence and the passages alone, and citations are numbered in the order
    sentences first use them, so verifying the sentences as they come gives exactly what `verify` gives
    for the whole draft (`verify` is this class fed all sentences at once). Only the refusal needs the
    whole draft: `result()` refuses when no sentence was supported.
    """

    def __init__(
        self,
        passages: Sequence[Evidence],
        embed: Encode,
        threshold: float,
        question: str = "",
        crosslingual: CrossLingualSupport | None = None,
        meaning: Meaning | None = None,
        ignored: frozenset[str] = frozenset(),
    ) -> None:
        """`ignored`: words of a sentence that count neither for nor against it (FRAMING_WORDS, or none)."""
        self.passages = passages
        self.ignored = ignored
        self.crosslingual = crosslingual
        self.meaning = meaning
        self.embed = embed
        self.threshold = threshold
        self.question = question
        self.question_tokens = set(tokenize(question))
        self.verdicts: list[VerifiedSentence] = []
        self.citations: dict[tuple[str, tuple[int, int]], Citation] = {}
        self._spans: _Spans | None = None

    def check(self, sentence: str) -> VerifiedSentence | None:
        """The verdict on one sentence; None when it claims nothing ("the documents don't say", a bare [n])."""
        text, markers = _split_markers(sentence)
        if not text or _DONT_KNOW.search(text) or not self.passages:
            return None
        spans = self._spans or self._index_spans()
        claimed = quantities(text)
        if self.crosslingual is not None and self.crosslingual.applies(text):
            scores, threshold = self.crosslingual.scores(text, claimed, spans.index), self.crosslingual.threshold
        else:
            scores, threshold = self._scores(text, claimed, spans), self.threshold
        marked = {i for i, (p, _) in enumerate(spans.index) if self.passages[p].n in markers}
        # The model's own marker first where it is confirmed, then the best-supported spans.
        order = sorted(range(len(scores)), key=lambda i: (not (i in marked and scores[i] >= threshold), -scores[i]))
        why = self._why_unsupported(claimed, float(scores[order[0]]), threshold)
        unsupported = Judgment(False, why, by=SHARED_WORDS)
        if self.meaning is None:
            held = [order[0]] if scores[order[0]] >= threshold else []
            return self._verdict(text, markers, order[0], held, float(scores[order[0]]), unsupported)
        judged: list[tuple[int, Judgment]] = []
        for i in order[: self.meaning.spans]:
            if scores[i] <= 0 or scores[i] < threshold:
                break
            judged.append((i, self._judge(text, i)))
            if judged[-1][1].held:
                break
        held = [i for i, judgment in judged if judgment.held]
        last = judged[-1][1] if judged else unsupported
        best = held[0] if held else order[0]
        return self._verdict(text, markers, best, held, float(scores[best]), last)

    def _why_unsupported(self, claimed: list[Quantity], best: float, threshold: float) -> str:
        """Why shared words alone support the sentence by no passage, in words."""
        assert self._spans is not None
        if best > 0:
            return f"no passage shares enough of its words and meaning (support {best:.2f}, needs {threshold:.2f})"
        if claimed and not any(all_supported(claimed, offered) for offered in self._spans.passage_numbers):
            return "a figure or date it gives is in no passage"
        return "no passage speaks of what it takes from the question"

    def _judge(self, text: str, i: int) -> Judgment:
        assert self.meaning is not None and self._spans is not None
        p, (start, end) = self._spans.index[i]
        chunk = self.passages[p].hit.chunk
        return judge(self.meaning, self.question, text, chunk.text[start:end], chunk.text, chunk.heading)

    def _verdict(
        self,
        text: str,
        markers: tuple[int, ...],
        best: int,
        held: list[int],
        score: float,
        judgment: Judgment,
    ) -> VerifiedSentence:
        """The verdict on `text`: cited to span `best` when `held` (the spans that held), else dropped."""
        assert self._spans is not None
        index, score = len(self.verdicts), round(score, 3)
        chance_true, by = judgment.chance_true, judgment.by
        if not held:
            claim = Claim(text, False, score, None, markers, judgment.reason, chance_true, by)
            self.verdicts.append(VerifiedSentence(index, claim, None))
            return self.verdicts[-1]
        p_index, span = self._spans.index[best]
        chunk = self.passages[p_index].hit.chunk
        key = (chunk.id, span)
        if key not in self.citations:
            self.citations[key] = Citation(
                len(self.citations) + 1, chunk.source, chunk.title, chunk.heading, chunk.id, chunk.text, span
            )
        citation = self.citations[key]
        claim = Claim(text, True, score, citation.n, markers, "", chance_true, by)
        self.verdicts.append(VerifiedSentence(index, claim, citation))
        return self.verdicts[-1]

    def _scores(self, text: str, claimed: list[Quantity], spans: _Spans) -> np.ndarray:
        """The English rule's support of `text` by each span: word recall and cosine, 0 where the passage lacks
        one of its quantities or most of the words it took from the question."""
        # One sentence at a time, here and in `verify` alike: the same vector whichever way it came.
        cosine = spans.vectors @ self.embed([text])[0]
        tokens = [token for token in tokenize(text) if token not in self.ignored]
        grounded = [
            all_supported(claimed, spans.passage_numbers[p])
            and _on_topic(tokens, self.question_tokens, spans.passage_tokens[p])
            for p in range(len(self.passages))
        ]
        return np.array(
            [
                LEXICAL_WEIGHT * _recall(tokens, spans.tokens[i]) + EMBEDDING_WEIGHT * float(cosine[i])
                if grounded[p]
                else 0.0
                for i, (p, _) in enumerate(spans.index)
            ]
        )

    def result(self) -> Verified:
        """The answer from the sentences checked so far: the supported ones with their [n], or a refusal."""
        claims = tuple(v.claim for v in self.verdicts)
        kept = [v.text for v in self.verdicts if not v.dropped]
        if not kept:
            return Verified(NOT_VERIFIED if claims else NOT_IN_PASSAGES, True, claims, ())
        return Verified(" ".join(kept), False, claims, tuple(self.citations.values()))

    def _candidates(self) -> list[tuple[int, tuple[int, int]]]:
        """(passage position, span) of every span a sentence may be cited to: single sentences and pairs."""
        texts = [passage.hit.chunk.text for passage in self.passages]
        return [(p, span) for p, text in enumerate(texts) for span in _candidate_spans(text)]

    def _index_spans(self) -> _Spans:
        """The candidate spans, embedded once, when the first sentence needs them. The number and topic checks
        read the whole passage: "GPT-1 had 117 million parameters" rests on "It had 117 million parameters",
        the name "GPT-1" being a sentence before."""
        index = self._candidates()
        texts = [self.passages[p].hit.chunk.text[s:e] for p, (s, e) in index]
        self._spans = _Spans(
            index,
            self.embed(texts),
            [set(tokenize(t)) for t in texts],
            [supplied(p.hit.chunk.text) for p in self.passages],
            [set(tokenize(p.hit.chunk.text)) for p in self.passages],
        )
        return self._spans


def verify(
    answer: str,
    passages: Sequence[Evidence],
    embed: Encode,
    threshold: float,
    question: str = "",
    crosslingual: CrossLingualSupport | None = None,
    meaning: Meaning | None = None,
) -> Verified:
    """Attribute each sentence of `answer` to its best-supporting passage; drop the unsupported."""
    verifier = SentenceVerifier(passages, embed, threshold, question, crosslingual, meaning)
    for start, end in split_sentences(answer):
        verifier.check(answer[start:end])
    return verifier.result()


def take_markers_as_written(answer: str, passages: Sequence[Evidence]) -> Verified:
    """No verification (the baseline): the draft as the model wrote it, its [n] markers trusted."""
    by_number = {p.n: p for p in passages}
    citations: dict[int, Citation] = {}
    claims = []
    for start, end in split_sentences(answer):
        text, markers = _split_markers(answer[start:end])
        for n in markers:
            passage = by_number.get(n)
            if passage and n not in citations:
                chunk = passage.hit.chunk
                citations[n] = Citation(
                    n,
                    chunk.source,
                    chunk.title,
                    chunk.heading,
                    chunk.id,
                    chunk.text,
                    (passage.start, passage.end),
                )
        claims.append(Claim(text, True, 0.0, markers[0] if markers else None, markers))
    refused = not answer.strip() or bool(_DONT_KNOW.search(answer))
    return Verified(answer.strip() or NOT_FOUND, refused, tuple(claims), tuple(citations.values()))
