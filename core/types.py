"""Records that cross module boundaries."""

import hashlib
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Chunk:
    """A passage of one document, with where it sits in the document's extracted text."""

    id: str
    source: str
    title: str
    heading: str
    text: str
    start: int
    end: int
    doc_hash: str
    index: int


@dataclass(frozen=True)
class DocumentRecord:
    """One indexed document: its source, the hash of its content and what it was split into."""

    source: str
    title: str
    content_hash: str
    chunks: int
    indexed_at: str
    chars: int = 0


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk with its fused rank and the scores that put it there."""

    chunk: Chunk
    rank: int
    score: float
    dense: float | None = None
    keyword: float | None = None
    sources: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Retrieved:
    """The ranked passages for one question, and how long finding them took."""

    question: str
    hits: tuple[ScoredChunk, ...]
    best_dense: float
    timings_ms: dict[str, float]
    best_keyword: float = 0.0


@dataclass(frozen=True)
class Evidence:
    """One numbered source shown to the model: a window [start, end) of a retrieved chunk."""

    n: int
    hit: ScoredChunk
    start: int
    end: int
    tokens: int

    @property
    def text(self) -> str:
        return self.hit.chunk.text[self.start : self.end]


@dataclass(frozen=True)
class Quote:
    """The evidence sentence the selector ranks best for the question (with the sentence that qualifies or
    leads into it): [start, end) of source `n`'s chunk text. Shown before the model answers, as a quote."""

    n: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class EvidenceSet:
    passages: tuple[Evidence, ...]
    dropped: tuple[str, ...]  # chunk ids left out to fit the context budget
    tokens: int
    best: Quote | None = None  # the focused selection's top sentence, when its passage is among the sources


@dataclass(frozen=True)
class Citation:
    """A source passage an answer sentence rests on; `span` is the supporting part of `text`."""

    n: int
    source: str
    title: str
    heading: str
    chunk_id: str
    text: str
    span: tuple[int, int]

    @property
    def text_hash(self) -> str:
        """With `chunk_id`, the fingerprint of what was cited: a later check tells whether the passage changed."""
        return passage_hash(self.text)


# The check that decided a sentence's verdict (Claim.judged_by), as `ask --json` and the API name it.
JudgedBy = Literal["shared words", "binding check", "entailment judge"]
SHARED_WORDS: JudgedBy = "shared words"
BINDING_CHECK: JudgedBy = "binding check"
ENTAILMENT_JUDGE: JudgedBy = "entailment judge"


@dataclass(frozen=True)
class Claim:
    text: str
    supported: bool
    score: float
    citation: int | None  # number of its Citation when supported
    model_markers: tuple[int, ...]
    # How it was judged: why it was dropped, in words ("" when kept), the entailment judge's P(true) where the
    # judge was asked, and the check that decided.
    reason: str = ""
    chance_true: float | None = None
    judged_by: JudgedBy = SHARED_WORDS


@dataclass(frozen=True)
class VerifiedSentence:
    """One sentence of the draft, verified as soon as the model has finished it (while it writes the next).

    Final, never revised: `claim` is `Answer.claims[index]` and `citation` (when supported) the Answer's
    citation of the same number. Only whether the whole answer is a refusal waits for the draft's end:
    it is one exactly when none of its sentences is supported.
    """

    index: int
    claim: Claim
    citation: Citation | None

    @property
    def dropped(self) -> bool:
        return not self.claim.supported

    @property
    def text(self) -> str:
        """The sentence as the answer shows it, "... [n]"; a dropped one as the model wrote it, unmarked."""
        return self.claim.text if self.citation is None else f"{self.claim.text} [{self.citation.n}]"


@dataclass(frozen=True)
class ModelCall:
    """One streamed call to the answer model, as its server reported it; None where the server does not say
    (an OpenAI-compatible server gives no timings, Ollama no cache split: nothing is estimated)."""

    wall_ms: float  # the client's time from sending the request to the stream's end
    prompt_tokens: int | None = None  # the whole prompt
    cached_tokens: int | None = None  # of it, reused from the server's prompt cache
    new_tokens: int | None = None  # of it, evaluated for this call
    prompt_eval_ms: float | None = None
    generated_tokens: int | None = None
    generation_ms: float | None = None
    server_ms: float | None = None  # the remote server's whole time for the call (Ollama's total_duration)

    @property
    def prompt_tokens_per_s(self) -> float | None:
        """The prompt-evaluation speed these figures imply."""
        if not self.new_tokens or not self.prompt_eval_ms:
            return None
        return round(self.new_tokens / self.prompt_eval_ms * 1000, 1)

    @property
    def network_ms(self) -> float | None:
        """Network and queueing: the client's wall time less the server's own (remote servers only)."""
        return None if self.server_ms is None else round(self.wall_ms - self.server_ms, 1)


@dataclass(frozen=True)
class SentenceTime:
    """How long one sentence's verdict took: the verifier's checks, and the entailment judge's part of them
    (None: no judge was asked)."""

    verify_ms: float  # the judge's time excluded
    judge_ms: float | None = None


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    refused: bool
    citations: tuple[Citation, ...]
    claims: tuple[Claim, ...]
    retrieved: Retrieved
    evidence: EvidenceSet | None
    backend: str
    model: str
    draft: str  # the model's raw text, before verification
    timings_ms: dict[str, float] = field(default_factory=dict)
    model_call: ModelCall | None = None  # the draft's call as the model server reported it (None: not called)
    sentence_times: tuple[SentenceTime, ...] = ()  # per sentence verified, in the draft's order
    quote: Quote | None = None  # shown before the answer (answer/quote_first.py), as a quote of source `n`


@dataclass(frozen=True)
class Sources:
    """What the model is about to read, shown while it reads: the retrieved passages and the evidence."""

    retrieved: Retrieved
    evidence: EvidenceSet
    quote: Quote | None = None  # the best evidence sentence, shown as a quote before the answer


@dataclass(frozen=True)
class Token:
    """A piece of the model's draft, as it streams."""

    text: str


def passage_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def source_label(title: str, heading: str, separator: str = " > ") -> str:
    """Where a passage sits, "Title > Heading > Subheading", as the prompt, the CLI and the UI name it."""
    parts = [title, *(part.strip() for part in heading.split(">"))]
    return separator.join(part for part in parts if part)


def plural(n: int, word: str) -> str:
    """`n word`, with an s unless n is 1 ("1 passage", "3 passages")."""
    return f"{n} {word}{'' if n == 1 else 's'}"
