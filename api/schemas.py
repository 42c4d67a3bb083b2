"""The API's request and response bodies, as its OpenAPI schema describes them."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from citewise.core.types import JudgedBy

MODEL_ID = "citewise"
# Longest question or search query, longest message of a conversation, most messages in one (characters):
# a longer query only slows the search down; the body as a whole is limited too (api/body_limit.py).
MAX_QUERY_CHARS = 4000
MAX_MESSAGE_CHARS = 16000
MAX_MESSAGES = 100


class TextPart(BaseModel):
    type: Literal["text"] = "text"
    text: str


class ChatMessage(BaseModel):
    """One turn, as OpenAI clients send it (content as text, or a list of text parts)."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""

    @model_validator(mode="after")
    def _not_too_long(self) -> "ChatMessage":
        if len(self.text) > MAX_MESSAGE_CHARS:
            raise ValueError(f"a message is at most {MAX_MESSAGE_CHARS} characters, this one has {len(self.text)}")
        return self


class ChatRequest(BaseModel):
    """An OpenAI chat completion request. The last message must be the user's question; the earlier user and
    assistant turns are the conversation it follows on from. Sampling options are accepted and ignored:
    citewise decodes greedily and verifies every sentence."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(
        MODEL_ID,
        description=f"`{MODEL_ID}` (the server's knowledge base: CITEWISE_KB, else `default`) or `{MODEL_ID}/NAME` "
        "to ask the knowledge base NAME (GET /v1/models lists one per base).",
    )
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = Field(False, description="Server-Sent Events of `chat.completion.chunk`, ending `data: [DONE]`.")

    @model_validator(mode="after")
    def _question_not_too_long(self) -> "ChatRequest":
        asked = len(self.messages[-1].text)
        if asked > MAX_QUERY_CHARS:
            raise ValueError(f"the question (the last message) is at most {MAX_QUERY_CHARS} characters, it has {asked}")
        return self


class CitationOut(BaseModel):
    """The passage that supports the answer's sentences marked [n]."""

    n: int = Field(description="The number of the [n] marker in the answer.")
    source: str = Field(description="The document's path, as GET /v1/documents lists it.")
    title: str
    heading: str = Field(description="Where the passage sits in the document ('Part > Section').")
    chunk_id: str
    text: str = Field(description="The whole passage (chunk).")
    span: tuple[int, int] = Field(description="[start, end) of `quote` in `text`.")
    quote: str = Field(description="The part of the passage that supports the sentence.")


class SentenceOut(BaseModel):
    """One sentence of the model's draft and how it was judged."""

    text: str
    kept: bool = Field(description="Shown in the answer, with its [n]; false: dropped as unsupported.")
    citation: int | None = Field(description="The number of its citation, when kept.")
    support: float = Field(description="The shared-words support score of its best span.")
    judged_by: JudgedBy = Field(
        description="The check that decided: shared words (and cosine), the binding of its figures and dates to "
        "the asked subject (after shared words kept it), or the answer model's true/false judge."
    )
    judge_p_true: float | None = Field(description="The entailment judge's P(true), where it was asked.")
    reason: str = Field(description="Why it was dropped, in words ('' when kept).")


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str = Field(description="The verified answer, every sentence ending with its [n] marker.")


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    """An OpenAI `chat.completion`, plus `citations`, `refused` and `sentences`."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = MODEL_ID
    choices: list[Choice]
    citations: list[CitationOut] = Field(description="The passages the answer's [n] markers point to.")
    refused: bool = Field(description="True when the documents do not answer the question (the text says so).")
    sentences: list[SentenceOut] = Field(description="Each sentence of the model's draft, kept or dropped, and why.")


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(BaseModel):
    """One Server-Sent Event of a streamed answer: verified text only. The last chunk before `data: [DONE]`
    has `finish_reason: stop` and carries `citations`, `refused` and `sentences`."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str = MODEL_ID
    choices: list[ChunkChoice]
    citations: list[CitationOut] | None = None
    refused: bool | None = None
    sentences: list[SentenceOut] | None = None


class Model(BaseModel):
    id: str = MODEL_ID
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "citewise"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


KB_FIELD = "The knowledge base (default: the server's, CITEWISE_KB, else `default`)."


class SearchRequest(BaseModel):
    kb: str | None = Field(None, description=KB_FIELD)
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="What to find passages about.")
    k: int | None = Field(None, gt=0, le=100, description="How many passages (default: CITEWISE_TOP_K).")


class SearchHit(BaseModel):
    rank: int
    source: str
    title: str
    heading: str
    chunk_id: str
    text: str
    score: float = Field(description="The fused (reciprocal rank) score.")
    dense: float | None = Field(description="Cosine similarity, when the dense ranking found it.")
    keyword: float | None = Field(description="BM25 score, when the keyword ranking found it.")


class SearchResponse(BaseModel):
    query: str
    hits: list[SearchHit]
    timings_ms: dict[str, float]


class Document(BaseModel):
    source: str = Field(description="The document's path; DELETE /v1/documents?source= takes it.")
    title: str
    content_hash: str
    chunks: int
    indexed_at: str
    chars: int


class UploadResult(BaseModel):
    name: str = Field(description="The file's name as uploaded.")
    status: Literal["added", "updated", "unchanged", "failed", "rejected"]
    source: str | None = Field(description="The indexed document it became (none when not indexed).")
    chunks: int
    error: str | None = Field(description="Why it was rejected or failed, and what to do.")
    duplicate_of: str | None = Field(description="An earlier upload with the same content, kept instead.")


class UploadResponse(BaseModel):
    files: list[UploadResult]


class Removed(BaseModel):
    removed: str


class BackendStatus(BaseModel):
    name: str | None
    model: str | None
    reason: str | None


class OllamaStatus(BaseModel):
    host: str
    remote: bool
    reachable: bool
    models: list[str]


class StatusResponse(BaseModel):
    """What `citewise status --json` prints, and where prompts go when the model is on another machine."""

    data_dir: str
    kb: str = Field(description="The knowledge base these figures are of.")
    store: str
    location: str
    documents: int
    chunks: int
    embedding_model: str
    backend: BackendStatus
    ollama: OllamaStatus
    uploads_dir: str
    eval_runs_dir: str
    remote_notice: str | None


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    """OpenAI's error shape."""

    error: ErrorDetail
