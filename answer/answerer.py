"""Answer a question from the documents: retrieve, gate, select evidence, generate, verify."""

import time
from collections.abc import Generator as Generator_
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from citewise.answer.asked import AskedType, answer_what_was_asked, asked_type
from citewise.answer.citations import FRAMING_WORDS, SentenceVerifier, Verified, take_markers_as_written
from citewise.answer.crosslingual import CrossLingualSupport
from citewise.answer.evidence import select_evidence, select_focused
from citewise.answer.in_english import in_english
from citewise.answer.judge import Meaning, TimedChance, meaning_for
from citewise.answer.llm.base import Generator, Message
from citewise.answer.prompt import SYSTEM_RULES, build_messages, evidence_budget, look_again, without_the_instruction
from citewise.answer.quote_first import quote_first
from citewise.answer.sentences import closed_sentences, split_sentences
from citewise.core.settings import Settings
from citewise.core.timing import ms_since
from citewise.core.types import (
    Answer,
    EvidenceSet,
    ModelCall,
    Quote,
    Retrieved,
    SentenceTime,
    Sources,
    Token,
    VerifiedSentence,
)
from citewise.retrieval.embeddings import (
    ATTRIBUTION_MODEL,
    MULTILINGUAL_USE,
    CitewiseEmbeddingFunction,
    Encode,
    Remembered,
)
from citewise.retrieval.hybrid import HybridRetriever

NOTHING_RELEVANT = "The documents don't say: nothing in them is close to this question."
DRAFT_BREAK = "\n\n"  # between a refused draft and the second attempt, in the streamed draft
# The kinds of question whose evidence was as often in what the model read with 800 characters as with 1300 (dev
# and SQLite tune halves, evals/history/2026-12-07-quote-first-and-diet.md).
SHORT_ANSWERS: frozenset[AskedType] = frozenset({"date", "number", "person", "yesno"})


@dataclass(frozen=True)
class Pipeline:
    """The switches the evals compare; the defaults are citewise's configuration."""

    verify: bool = True  # post-hoc attribution; off = the model's own markers, taken as written
    # "windows" (hybrid+verifier@v1): one window of CITEWISE_EVIDENCE_WINDOW_CHARS per top passage
    # (select_evidence); "focused": the best sentences of all retrieved passages, the question's words weighted
    # by their rarity, each sentence kept with the note or caveat that qualifies it, CITEWISE_EVIDENCE_CHARS
    # (1300: about the v1 windows' ~300 tokens on the dev set) over every retrieved passage (select_focused).
    evidence: Literal["windows", "focused"] = "focused"
    # A sentence not in English is supported by a multilingual cosine and exact quantities and names
    # (answer/crosslingual.py); English sentences keep the English rule.
    crosslingual: bool = True
    # Hold the verified answer to what the question asks (answer/asked.py): refuse a near miss, and answer
    # the parts of a question the documents answer, saying which part they don't.
    asked: bool = True
    # What a sentence must pass beyond shared words (answer/judge.py): "words", nothing; "binding", its figures
    # and dates given for the asked subject (the default since 2026-12-07 evening: no answer lost on either half,
    # fewer wrong answers shown; evals/RESULTS.md, Grounding 3); "entailment", that and the answer model's
    # true/false judge (the embedded model judges each sentence as it closes; a model server once the draft ends).
    meaning: Literal["words", "binding", "entailment"] = "binding"
    # When the draft is refused (the model said the documents don't say, or none of its sentences held up)
    # although the passages are close: ask once more, the same prompt with another last line (a quote of the
    # sentence that answers: answer/prompt.py LOOK_AGAIN), and verify that draft like the first. The default
    # since 2026-12-07: one answer more on each report half, none lost (evals/RESULTS.md, Grounding 3).
    look_again: bool = True
    # The evidence budget following the question (issue 24's prompt diet): a date, number, person or yes/no
    # question reads at most this many characters of evidence (None: CITEWISE_EVIDENCE_CHARS for every question).
    short_answer_chars: int | None = None
    # A question in another language than English translated by the answer model for retrieval and evidence
    # selection (answer/in_english.py); the model and the verifier read the question as asked.
    english_search: bool = False
    # Words naming the document or its act of saying ("the glossary mentions") not counted against a sentence
    # (answer/citations.py FRAMING_WORDS).
    framing: bool = False

    @property
    def ignored_words(self) -> frozenset[str]:
        """The words of a sentence the verifier counts neither for nor against it."""
        return FRAMING_WORDS if self.framing else frozenset()


class Answerer:
    """Answers questions with one retriever and one generator, both loaded once."""

    def __init__(
        self,
        retriever: HybridRetriever,
        generator: Generator,
        settings: Settings,
        pipeline: Pipeline | None = None,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.settings = settings
        self.pipeline = pipeline or Pipeline()
        self.reason = ""  # why this backend answers (set by whoever chose it)
        self.attribution = CitewiseEmbeddingFunction(ATTRIBUTION_MODEL)
        self.attribution.load()
        self.multilingual = CitewiseEmbeddingFunction(MULTILINGUAL_USE)
        if self.pipeline.crosslingual:
            self.multilingual.load()

    def meaning(self, judge: TimedChance | None = None) -> Meaning | None:
        """What the verifier checks beyond shared words, by the pipeline's `meaning` (`judge`: the generator's
        `chance_true`, timed, by default untimed)."""
        return meaning_for(self.pipeline.meaning, judge or self.generator.chance_true)

    def is_relevant(self, retrieved: Retrieved) -> bool:
        """False when nothing retrieved is close enough to answer from: refuse without the model."""
        return bool(retrieved.hits) and (
            retrieved.best_dense >= self.settings.min_relevance
            or retrieved.best_keyword >= self.settings.min_keyword_score
        )

    def select_evidence(self, question: str, retrieved: Retrieved, embed: Encode | None = None) -> EvidenceSet:
        """What the model will read of the retrieved passages, by the pipeline's `evidence` rule (`embed`:
        the attribution model, by default)."""
        budget = evidence_budget(self.generator, self.settings.answer_tokens, SYSTEM_RULES, question)
        embed, count, settings = embed or self.attribution.matrix, self.generator.count_tokens, self.settings
        if self.pipeline.evidence == "focused":
            hits, chars = retrieved.hits, settings.evidence_chars
            if self.pipeline.short_answer_chars and asked_type(question) in SHORT_ANSWERS:
                chars = min(chars, self.pipeline.short_answer_chars)
            return select_focused(question, hits, embed, count, budget, len(hits), chars)
        passages, window_chars = settings.evidence_passages, settings.evidence_window_chars
        return select_evidence(question, retrieved.hits, embed, count, budget, passages, window_chars)

    def evidence(
        self, question: str, k: int | None = None, embed: Encode | None = None
    ) -> tuple[Retrieved, EvidenceSet | None]:
        """Retrieval and the evidence the model would read, without generating (None: refused by the gate)."""
        searched = self.searched(question)
        retrieved = self.retriever.search(searched, k)
        if not self.is_relevant(retrieved):
            return retrieved, None
        return retrieved, self.select_evidence(searched, retrieved, embed)

    def searched(self, question: str) -> str:
        """What is searched for: the question, or with `english_search` its English translation."""
        return in_english(question, self.generator) if self.pipeline.english_search else question

    def stream(self, question: str, k: int | None = None) -> Iterator[Sources | Token | VerifiedSentence | Answer]:
        """The passages the model is about to read (before it starts: seconds before its first token),
        then the tokens of its draft as they come, each sentence's verdict as soon as the next one begins
        (`VerifiedSentence`, right after the tokens that end that sentence), then the verified Answer."""
        started = time.perf_counter()
        # Selection and the verifier embed the same sentences: each once.
        embed = Remembered(self.attribution.matrix)
        searched = self.searched(question)
        translated = {"translate": ms_since(started)} if searched != question else {}
        retrieved = self.retriever.search(searched, k)
        timings = {**translated, "retrieve": retrieved.timings_ms["total"]}
        if not self.is_relevant(retrieved):
            verified = Verified(NOTHING_RELEVANT, True, (), ())
            yield make_answer(question, verified, retrieved, None, self.generator, "", timings, started)
            return
        select_started = time.perf_counter()
        evidence = self.select_evidence(searched, retrieved, embed)
        timings["select"] = ms_since(select_started)
        timings["sources"] = ms_since(started)
        quote = quote_first(searched, evidence)
        if quote is not None:
            timings["quote"] = timings["sources"]
        yield Sources(retrieved, evidence, quote)
        messages = build_messages(question, evidence.passages)
        pieces = timed_draft(self.generator, messages, self.settings.answer_tokens, started, timings)
        if not self.pipeline.verify:
            draft = ""
            for piece in pieces:
                draft += piece
                yield Token(piece)
            verified = take_markers_as_written(draft, evidence.passages)
            call = self.generator.last_call
            yield make_answer(
                question, verified, retrieved, evidence, self.generator, draft, timings, started, call, quote=quote
            )
            return
        crosslingual = (
            CrossLingualSupport(evidence.passages, self.multilingual.matrix) if self.pipeline.crosslingual else None
        )
        clock = Clock(started, timings, TimedChance(self.generator.chance_true))
        verifier = SentenceVerifier(
            evidence.passages,
            embed,
            self.settings.support_threshold,
            question,
            crosslingual,
            self.meaning(clock.judge),
            self.pipeline.ignored_words,
        )
        # The judge runs on the model that writes the draft: a model server's judges the sentences once the draft
        # is done; the embedded model's judges each as it closes, the draft's state kept aside meanwhile.
        after_draft = self.pipeline.meaning == "entailment" and not self.generator.judges_while_drafting
        draft = yield from _drafted(verify_as_written(pieces, verifier, clock, after_draft))
        call = self.generator.last_call  # the first draft's call (a second attempt's is not kept)
        verified = self._held_to_the_question(question, verifier)
        if self.pipeline.look_again and not any(claim.supported for claim in verified.claims):
            again_started = time.perf_counter()
            yield Token(DRAFT_BREAK)
            pieces = timed_draft(self.generator, look_again(messages), self.settings.answer_tokens, started, {})
            second = yield from _drafted(Token(piece) for piece in pieces)
            quoted = without_the_instruction(second)  # verified once written: an echo of the prompt is cut first
            yield from _judge(quoted, split_sentences(quoted), verifier, clock)
            draft += DRAFT_BREAK + second
            timings["look_again"] = ms_since(again_started)
            verified = _second_or_first(verified, self._held_to_the_question(question, verifier))
        yield make_answer(
            question,
            verified,
            retrieved,
            evidence,
            self.generator,
            draft,
            timings,
            started,
            call,
            clock.sentences,
            quote,
        )

    def _held_to_the_question(self, question: str, verifier: SentenceVerifier) -> Verified:
        verified = verifier.result()
        return answer_what_was_asked(question, verified) if self.pipeline.asked else verified

    def ask(self, question: str, k: int | None = None) -> Answer:
        """The verified answer (the draft's tokens are consumed silently)."""
        for event in self.stream(question, k):
            if isinstance(event, Answer):
                return event
        raise AssertionError("Answerer.stream ended without an Answer")


def _drafted(events: Iterator[Token | VerifiedSentence]) -> Generator_[Token | VerifiedSentence, None, str]:
    """Passes the events on; returns the draft their tokens make."""
    draft = ""
    for event in events:
        if isinstance(event, Token):
            draft += event.text
        yield event
    return draft


def _second_or_first(first: Verified, second: Verified) -> Verified:
    """The second attempt's answer when it holds up; else the first refusal, in its words, with the claims of
    both drafts (each `VerifiedSentence` index stays that of its claim)."""
    if not second.refused:
        return second
    return replace(first, claims=second.claims)


@dataclass
class Clock:
    """One answer's times as they are taken: since `started`, the stages in `timings`, and each verified
    sentence's time, the judge's part (`judge`, the generator's timed `chance_true`) apart."""

    started: float
    timings: dict[str, float]
    judge: TimedChance
    sentences: list[SentenceTime] = field(default_factory=list)


def verify_as_written(
    pieces: Iterator[str], verifier: SentenceVerifier, clock: Clock, after_draft: bool = False
) -> Iterator[Token | VerifiedSentence]:
    """Tokens of the draft, and the verdict on each sentence once it is closed (`first_verified` timed), or
    with `after_draft` every verdict once the model stops (a judge that runs on the same model waits for it).

    A piece that closes a sentence is cut where the next sentence begins, so the verdict comes right
    after the text it judges; the last sentence is judged when the model stops.
    """
    draft, done = "", 0
    for piece in pieces:
        if after_draft:
            draft += piece
            yield Token(piece)
            continue
        before = len(draft)
        draft += piece
        spans, rest = closed_sentences(draft)
        if len(spans) == done:
            yield Token(piece)
            continue
        if rest > before:
            yield Token(piece[: rest - before])
        yield from _judge(draft, spans[done:], verifier, clock)
        done = len(spans)
        if piece[rest - before :]:
            yield Token(piece[rest - before :])
    yield from _judge(draft, split_sentences(draft)[done:], verifier, clock)


def _judge(
    draft: str, spans: list[tuple[int, int]], verifier: SentenceVerifier, clock: Clock
) -> Iterator[VerifiedSentence]:
    for start, end in spans:
        checked = time.perf_counter()
        verdict = verifier.check(draft[start:end])
        spent, judged = ms_since(checked), clock.judge.take()
        if verdict is not None:
            clock.sentences.append(SentenceTime(round(spent - (judged or 0.0), 1), judged))
            clock.timings.setdefault("first_verified", ms_since(clock.started))
            yield verdict


def timed_draft(
    generator: Generator,
    messages: list[Message],
    max_tokens: int,
    started: float,
    timings: dict[str, float],
) -> Iterator[str]:
    """The model's pieces as they come; records `first_token` (since `started`) and `generate` in `timings`
    (the checks of the sentences it finished included, as they run between its pieces)."""
    generate_start = time.perf_counter()
    for piece in generator.stream(messages, max_tokens):
        if "first_token" not in timings:
            timings["first_token"] = ms_since(started)
        yield piece
    timings["generate"] = ms_since(generate_start)


def make_answer(
    question: str,
    verified: Verified,
    retrieved: Retrieved,
    evidence: EvidenceSet | None,
    generator: Generator,
    draft: str,
    timings: dict[str, float],
    started: float,
    call: ModelCall | None = None,
    sentence_times: list[SentenceTime] | None = None,
    quote: Quote | None = None,
) -> Answer:
    """The Answer, its total time measured now; `call`: the draft's, as the model server reported it; `quote`: the
    sentence shown before it."""
    return Answer(
        question=question,
        answer=verified.answer,
        refused=verified.refused,
        citations=verified.citations,
        claims=verified.claims,
        retrieved=retrieved,
        evidence=evidence,
        backend=generator.backend,
        model=generator.model,
        draft=draft,
        timings_ms={**timings, "total": ms_since(started)},
        model_call=call,
        sentence_times=tuple(sentence_times or ()),
        quote=quote,
    )
