"""The configurations the evals compare, by name: citewise's pipelines and the textbook baseline.

`textbook` is the plain LangChain RAG pipeline that citewise must beat: each indexed document's
source file split by RecursiveCharacterTextSplitter(1000, 200) into an in-memory Chroma with the
same packaged embedding model, the 4 nearest chunks given whole to the model with a plain prompt,
and the model's own [n] markers taken as written (no relevance gate, no verifier). Every
configuration shares the index's documents and the one loaded generator.
"""

from __future__ import annotations

import dataclasses
import re
import time
import uuid
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from citewise.answer.answerer import Answerer, Pipeline, make_answer, timed_draft
from citewise.answer.citations import take_markers_as_written
from citewise.answer.llm.base import Generator, Message
from citewise.answer.prompt import SOURCE_LABEL_TOKENS, evidence_budget
from citewise.core.timing import ms_since
from citewise.core.types import Answer, Chunk, Evidence, EvidenceSet, Retrieved, ScoredChunk
from citewise.evals.parts import IndexParts
from citewise.ingest.loaders import LoadError, load_file
from citewise.retrieval.embeddings import CitewiseEmbeddingFunction
from citewise.retrieval.store import source_key

if TYPE_CHECKING:
    from langchain_chroma import Chroma

DEFAULT_CONFIG = "grounded+look-again+binding"
SMALL_MODEL = "qwen2.5-coder-0.5b"
# Each configuration is the default, a comparison (the baseline, the default it replaced), a candidate of the
# open issue 27, or wins on the measured axis its description names. The others were retired on 2026-12-07;
# their figures stay in evals/history/ and their code in git history.
CONFIGS: dict[str, str] = {
    "textbook": "LangChain baseline: 1000/200 chunks, dense k=4, whole chunks, the model's own markers",
    "grounded": "the default until 2026-12-07: hybrid retrieval, relevance gate, focused evidence (the best sentences "
    "of all retrieved passages, each with the note that qualifies it), verified citations with the "
    "cross-language verifier, the answer held to what was asked (near misses refused, partial answers)",
    "hybrid+verifier@v1": "the default until 2026-12-02: hybrid retrieval, relevance gate, one evidence window "
    "per top passage, verified citations (English rule)",
    "hybrid": "hybrid+verifier@v1 with the model's own markers (no verifier): the most correct answers of "
    "its run (0.798 against v1's 0.726), 44 % of its answers cited (evals/history/2026-11-26-full-run.md)",
    "grounded+binding": "grounded, and a sentence's figures and dates must be given in its passage for the "
    "entity the question asks about, not a neighbour (answer/binding.py)",
    "grounded+judge": "grounded+binding, and the answer model judges each sentence true or false against its "
    "best spans (answer/judge.py), sentences that share fewer words judged too",
    "grounded+look-again": "the default until 2026-12-07 (evening): grounded, and a refused draft asked once more, "
    "for a quote of the sentence that answers, verified like the first (answer/prompt.py LOOK_AGAIN)",
    "grounded+short-evidence": "grounded, and a date, number, person or yes/no question reads at most 800 "
    "characters of evidence, not 1300: a shorter prompt, a sooner first token (issue 24's prompt diet)",
    "grounded+look-again+english-search": "grounded+look-again, and a question in another language searched for "
    "in English: the answer model translates it for retrieval and evidence selection (answer/in_english.py)",
    "grounded+look-again+judge": "grounded+look-again, and each sentence shared words keep must hold by meaning: its "
    "figures and dates given for the asked subject, and the answer model's true/false judge of it against its best "
    "span at least 0.4 (answer/judge.py); the embedded model judges each sentence as it closes, a model server "
    "once the draft is done",
    "grounded+look-again+binding": "citewise's default: grounded+look-again, and a sentence's figures and dates must "
    "be given in its passage for the entity the question asks about, not a neighbour (answer/binding.py)",
    "grounded+look-again+framing": "grounded+look-again, and words naming the document or its act of saying "
    '("the glossary mentions") not counted against a sentence (answer/citations.py FRAMING_WORDS)',
    "qwen0.5b": "hybrid+verifier@v1 on the packaged Qwen2.5-Coder-0.5B (embedded; the `small-model` extra): the "
    "fastest, first token 3.9 s against 6.9 s, 3 of 25 answers fewer (evals/history/2026-12-01-prompt-size-0.5b.md)",
}


class ConfigError(RuntimeError):
    """A configuration cannot be built; the message says what to do."""


# `--config default` runs whatever the default is, so scripts keep working when it changes.
ALIASES = {"default": DEFAULT_CONFIG}
# What `citewise eval` runs when no --config is named: the default beside the one it replaced and the
# baseline; `--config all` runs every configuration.
COMPARED = ("default", "grounded+look-again", "textbook")
# The default until 2026-12-07, which the candidates of issue 27 were measured against.
GROUNDED = Pipeline(look_again=False, meaning="words")
# The default of 2026-12-07's afternoon; the candidates measured on it keep it.
LOOK_AGAIN = Pipeline(meaning="words")
# The default until 2026-12-02, kept so every later default is compared with it.
V1 = dataclasses.replace(GROUNDED, evidence="windows", crosslingual=False, asked=False)
_PIPELINES = {
    "grounded": GROUNDED,
    "hybrid+verifier@v1": V1,
    "hybrid": dataclasses.replace(V1, verify=False),
    "grounded+binding": dataclasses.replace(GROUNDED, meaning="binding"),
    "grounded+judge": dataclasses.replace(GROUNDED, meaning="entailment"),
    "qwen0.5b": V1,
    "grounded+look-again": LOOK_AGAIN,
    "grounded+short-evidence": dataclasses.replace(GROUNDED, short_answer_chars=800),
    "grounded+look-again+english-search": dataclasses.replace(LOOK_AGAIN, english_search=True),
    "grounded+look-again+framing": dataclasses.replace(LOOK_AGAIN, framing=True),
    "grounded+look-again+judge": Pipeline(meaning="entailment"),
    "grounded+look-again+binding": Pipeline(),
}
_EMBEDDED_MODELS = {"qwen0.5b": SMALL_MODEL}


def resolve(names: Sequence[str]) -> list[str]:
    """The configurations named (aliases resolved, each once, in order); ConfigError names the known ones."""
    expanded = [each for name in names for each in (CONFIGS if name == "all" else [name])]
    resolved = list(dict.fromkeys(ALIASES.get(name, name) for name in expanded))
    unknown = [name for name in resolved if name not in CONFIGS]
    if unknown:
        known = ", ".join([*CONFIGS, *ALIASES, "all"])
        raise ConfigError(f"unknown configuration {', '.join(unknown)}; known: {known}.")
    return resolved


TEXTBOOK_PROMPT = "Answer using the context. Cite sources like [1]. If you don't know, say you don't know."
TEXTBOOK_CHUNK_SIZE = 1000
TEXTBOOK_CHUNK_OVERLAP = 200
TEXTBOOK_K = 4
# The baseline's prompt asks it to "say you don't know", in words the citewise refusal
# patterns (written for its own prompt) do not all cover; a refusal is judged by what it says.
_TEXTBOOK_DONT_KNOW = re.compile(
    r"\b(?:do not|don.t|does not|doesn.t) know\b|"
    r"context (?:does not|doesn.t) (?:say|contain|mention|provide|specify|include)|"
    r"not (?:mentioned|stated|specified|provided|given|included) in the (?:context|text)|不知道",
    re.I,
)


class EvalConfig(Protocol):
    """One way of answering, run on every item: its retrieval alone, or the whole answer."""

    name: str
    default_k: int

    def prepare(self, answering: bool) -> None:
        """Build what the configuration needs before anything is timed (the model, when answering)."""
        ...

    def search(self, question: str, k: int | None) -> Retrieved: ...

    def evidence(self, question: str, k: int | None) -> tuple[Retrieved, EvidenceSet | None]:
        """What the model would read (None: refused before reading), without generating."""
        ...

    def ask(self, question: str, k: int | None) -> Answer: ...


class CitewiseConfig:
    """citewise's own Answerer with one set of Pipeline switches."""

    def __init__(self, name: str, service: IndexParts, pipeline: Pipeline, embedded_model: str | None = None) -> None:
        self.name = name
        self.service = service
        self.pipeline = pipeline
        self.embedded_model = embedded_model  # another packaged model than the index's own choice
        self.default_k = service.settings.top_k

    @cached_property
    def _answerer(self) -> Answerer:
        return self.service.answerer(pipeline=self.pipeline, embedded_model=self.embedded_model)

    def prepare(self, answering: bool) -> None:
        _ = self.service.retriever
        if answering:
            _ = self._answerer

    def search(self, question: str, k: int | None) -> Retrieved:
        return self.service.search(question, k)

    def evidence(self, question: str, k: int | None) -> tuple[Retrieved, EvidenceSet | None]:
        return self._answerer.evidence(question, k)

    def ask(self, question: str, k: int | None) -> Answer:
        return self._answerer.ask(question, k)


class _LangChainEmbeddings(Embeddings):
    """The index's packaged embedding model behind LangChain's interface (Chroma's default downloads)."""

    def __init__(self, function: CitewiseEmbeddingFunction) -> None:
        self.function = function

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [vector.tolist() for vector in self.function(texts)]

    def embed_query(self, text: str) -> list[float]:
        return self.function.embed_query([text])[0].tolist()


class TextbookConfig:
    """The LangChain baseline over the source files of the documents in the citewise index."""

    name = "textbook"
    default_k = TEXTBOOK_K

    def __init__(self, service: IndexParts) -> None:
        self.service = service

    @cached_property
    def _chunks(self) -> dict[str, Chunk]:
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=TEXTBOOK_CHUNK_SIZE, chunk_overlap=TEXTBOOK_CHUNK_OVERLAP, add_start_index=True
        )
        chunks: dict[str, Chunk] = {}
        for record in self.service.store.documents():
            try:
                loaded = load_file(Path(record.source))
            except (LoadError, OSError) as exc:
                # Leaving it out would handicap the baseline and skew the comparison.
                raise ConfigError(
                    f"textbook: cannot read the indexed document {record.source} ({exc}); "
                    f"restore it, or drop it from the index with `citewise remove {record.source}`."
                ) from exc
            for index, piece in enumerate(splitter.create_documents([loaded.text])):
                start = piece.metadata["start_index"]
                chunk_id = f"textbook-{source_key(record.source)}-{index}"
                chunks[chunk_id] = Chunk(
                    id=chunk_id,
                    source=record.source,
                    title=loaded.title,
                    heading="",
                    text=piece.page_content,
                    start=start,
                    end=start + len(piece.page_content),
                    doc_hash=record.content_hash,
                    index=index,
                )
        return chunks

    @cached_property
    def _vectorstore(self) -> Chroma:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma  # only the baseline needs it; it costs every command 0.4 s

        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True))
        store = Chroma(
            collection_name=f"textbook-{uuid.uuid4().hex[:12]}",
            embedding_function=_LangChainEmbeddings(self.service.store.embedding),
            client=client,
        )
        if self._chunks:
            store.add_documents(
                [Document(page_content=c.text, metadata={"chunk_id": c.id}) for c in self._chunks.values()],
                ids=list(self._chunks),
            )
        return store

    @cached_property
    def _generator(self) -> Generator:
        return self.service.answerer().generator

    def prepare(self, answering: bool) -> None:
        self.service.store.embedding.load()
        _ = self._vectorstore
        if answering:
            _ = self._generator

    def search(self, question: str, k: int | None) -> Retrieved:
        started = time.perf_counter()
        found = self._vectorstore.similarity_search_with_score(question, k=k or self.default_k)
        # Chroma's default space is squared L2; on unit vectors cosine = 1 - d / 2.
        hits = tuple(
            ScoredChunk(
                chunk=self._chunks[document.metadata["chunk_id"]],
                rank=rank,
                score=1.0 - distance / 2,
                dense=1.0 - distance / 2,
                sources=("dense",),
            )
            for rank, (document, distance) in enumerate(found, start=1)
        )
        elapsed = ms_since(started)
        return Retrieved(
            question=question,
            hits=hits,
            best_dense=max((h.score for h in hits), default=0.0),
            timings_ms={"dense": elapsed, "keyword": 0.0, "total": elapsed},
        )

    def _context(self, question: str, retrieved: Retrieved) -> EvidenceSet:
        """The whole retrieved chunks, numbered, as many as the model's context holds."""
        generator = self._generator
        budget = evidence_budget(generator, self.service.settings.answer_tokens, TEXTBOOK_PROMPT, question)
        passages: list[Evidence] = []
        dropped: list[str] = []
        used = 0
        for hit in retrieved.hits:
            tokens = generator.count_tokens(hit.chunk.text) + SOURCE_LABEL_TOKENS
            if used + tokens > budget:
                dropped.append(hit.chunk.id)
                continue
            passages.append(Evidence(len(passages) + 1, hit, 0, len(hit.chunk.text), tokens))
            used += tokens
        return EvidenceSet(tuple(passages), tuple(dropped), used)

    def evidence(self, question: str, k: int | None) -> tuple[Retrieved, EvidenceSet | None]:
        retrieved = self.search(question, k)
        return retrieved, self._context(question, retrieved)

    def ask(self, question: str, k: int | None) -> Answer:
        started = time.perf_counter()
        retrieved = self.search(question, k)
        timings = {"retrieve": retrieved.timings_ms["total"]}
        evidence = self._context(question, retrieved)
        context = "\n\n".join(f"[{p.n}] {p.text}" for p in evidence.passages)
        messages = [
            Message("system", TEXTBOOK_PROMPT),
            Message("user", f"Context:\n{context}\n\nQuestion: {question}"),
        ]
        draft = "".join(timed_draft(self._generator, messages, self.service.settings.answer_tokens, started, timings))
        taken = take_markers_as_written(draft, evidence.passages)
        taken = dataclasses.replace(taken, refused=taken.refused or bool(_TEXTBOOK_DONT_KNOW.search(draft)))
        call = self._generator.last_call
        return make_answer(question, taken, retrieved, evidence, self._generator, draft, timings, started, call)


def pipeline_of(name: str) -> Pipeline:
    """The Pipeline switches of a citewise configuration (ConfigError for the textbook baseline, or an unknown name)."""
    [name] = resolve([name])
    if name not in _PIPELINES:
        raise ConfigError(f"{name} is not a citewise pipeline.")
    return _PIPELINES[name]


def build_config(name: str, service: IndexParts) -> EvalConfig:
    """The named configuration (or alias) over `service`'s index; ConfigError names the known ones."""
    [name] = resolve([name])
    if name == "textbook":
        return TextbookConfig(service)
    return CitewiseConfig(name, service, _PIPELINES[name], _EMBEDDED_MODELS.get(name))
