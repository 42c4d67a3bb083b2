"""Synthetic chunks made of real sentences, for search at 1k-100k chunks without embedding 100k texts.

Embedding 100k chunks on 2 cores takes over an hour. Instead every unique sentence of the bundled corpus
is embedded once and cached; a synthetic chunk is 3-6 sentences
drawn with a fixed seed, and its vector the normalized mean of theirs. `fidelity` measures how close that
mean is to the true embedding of the chunk's text, so the reader knows what the figures stand on.
"""

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from citewise.core.types import Chunk
from citewise.ingest import BUNDLED_CORPUS
from citewise.retrieval.embeddings import CitewiseEmbeddingFunction
from citewise.retrieval.store import embedding_text, source_key

# Only the bundled articles, which do not change: the same seed then gives the same chunks on every
# commit, so runs compare (the README and results would add words, but change with every result).
SENTENCE_SOURCES = tuple(sorted(BUNDLED_CORPUS.glob("*.md")))
SENTENCES_PER_CHUNK = (3, 6)  # drawn uniformly, both ends included
CHUNKS_PER_DOCUMENT = 100
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+")
_MARKUP = re.compile(r"^\s*(?:[#>|*+-]|\d+\.)\s*|[`*_]+")


def split_sentences(text: str) -> list[str]:
    """Prose sentences of a Markdown text: headings, table rows, code and fragments under 5 words left out."""
    sentences = []
    for paragraph in re.split(r"\n\s*\n", text):
        if paragraph.lstrip().startswith(("#", "|", "```", "    ")):
            continue
        flat = " ".join(_MARKUP.sub("", line) for line in paragraph.splitlines()).strip()
        sentences.extend(s.strip() for s in _SENTENCE_END.split(flat) if len(s.split()) >= 5 and len(s) <= 400)
    return sentences


def real_sentences(sources: Sequence[Path] = SENTENCE_SOURCES) -> list[str]:
    """The unique sentences of `sources`, in first-seen order."""
    found: dict[str, None] = {}
    for path in sources:
        for sentence in split_sentences(path.read_text(encoding="utf-8")):
            found.setdefault(sentence, None)
    return list(found)


@dataclass(frozen=True)
class SentenceVectors:
    sentences: list[str]
    vectors: np.ndarray  # one unit-length row per sentence
    built_s: float | None  # seconds spent embedding them now; None when read from the cache
    cache_file: Path


def sentence_vectors(embedding: CitewiseEmbeddingFunction, cache_dir: Path) -> SentenceVectors:
    """Every real sentence's embedding, from the cache (keyed by the model and the sentences) or made now."""
    sentences = real_sentences()
    key = hashlib.sha256("\n".join([embedding.model, *sentences]).encode()).hexdigest()[:16]
    model = re.sub(r"[^A-Za-z0-9.-]+", "_", embedding.model)[-40:]
    cache_file = cache_dir / f"sentences-{model}-{key}.npy"
    if cache_file.exists():
        vectors = np.load(cache_file)
        if vectors.shape[0] == len(sentences):
            return SentenceVectors(sentences, vectors, None, cache_file)
    started = time.perf_counter()
    vectors = embedding.matrix(sentences)
    built_s = round(time.perf_counter() - started, 1)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_file.with_suffix(".part.npy")
    np.save(partial, vectors)
    partial.replace(cache_file)  # a killed run leaves no half-written cache
    return SentenceVectors(sentences, vectors, built_s, cache_file)


def draw_chunks(sentence_count: int, n: int, seed: int) -> list[tuple[int, ...]]:
    """The sentence numbers of n synthetic chunks. One generator draws them in order, so the first m chunks
    of a larger draw are the m of a smaller one (the scales grow one index)."""
    rng = np.random.default_rng(seed)
    low, high = SENTENCES_PER_CHUNK
    return [tuple(int(i) for i in rng.integers(0, sentence_count, rng.integers(low, high + 1))) for _ in range(n)]


def mean_vectors(vectors: np.ndarray, drawn: Sequence[tuple[int, ...]]) -> np.ndarray:
    """Each chunk's vector: the normalized mean of its sentences' vectors."""
    means = np.stack([vectors[list(ids)].mean(axis=0) for ids in drawn]).astype(np.float32)
    return means / np.linalg.norm(means, axis=1, keepdims=True)


@dataclass(frozen=True)
class SyntheticDocument:
    source: str
    title: str
    content_hash: str
    chunks: list[Chunk]
    chars: int
    vectors: np.ndarray


def synthetic_documents(
    base: SentenceVectors, drawn: Sequence[tuple[int, ...]], first: int = 0
) -> list[SyntheticDocument]:
    """Documents of CHUNKS_PER_DOCUMENT synthetic chunks each, numbered from chunk `first` (a multiple of
    CHUNKS_PER_DOCUMENT): chunks with offsets, a content hash and ids as ingest makes them."""
    documents = []
    for start in range(0, len(drawn), CHUNKS_PER_DOCUMENT):
        part = drawn[start : start + CHUNKS_PER_DOCUMENT]
        texts = [" ".join(base.sentences[i] for i in ids) for ids in part]
        body = "\n\n".join(texts)
        digest = hashlib.sha256(body.encode()).hexdigest()
        source = f"synthetic/document-{(first + start) // CHUNKS_PER_DOCUMENT:05d}.md"
        chunks, offset = [], 0
        for index, text in enumerate(texts):
            chunks.append(
                Chunk(
                    id=f"{source_key(source)}-{digest[:12]}-{index:04d}",
                    source=source,
                    title="",  # no title: the stored vector is the chunk text's, as the sentences were embedded
                    heading="",
                    text=text,
                    start=offset,
                    end=offset + len(text),
                    doc_hash=digest,
                    index=index,
                )
            )
            offset += len(text) + 2
        documents.append(SyntheticDocument(source, "", digest, chunks, len(body), mean_vectors(base.vectors, part)))
    return documents


def fidelity(embedding: CitewiseEmbeddingFunction, documents: Sequence[SyntheticDocument], sample: int = 200) -> float:
    """Mean cosine between the synthetic vector and the true embedding of the text the store would embed,
    over the first `sample` chunks."""
    chunks = [c for d in documents for c in d.chunks][:sample]
    synthetic = np.concatenate([d.vectors for d in documents])[: len(chunks)]
    true = embedding.matrix([embedding_text(c) for c in chunks])
    return round(float(np.mean(np.sum(true * synthetic, axis=1))), 4)
