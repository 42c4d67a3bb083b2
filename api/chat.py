"""OpenAI chat completions over the facade: the question and its history from the messages, then the verified
answer as one `chat.completion` or as `chat.completion.chunk` Server-Sent Events."""

import json
import logging
import time
import uuid
from collections.abc import Generator, Iterator, Sequence
from typing import Any

from citewise.api.errors import ApiError, error_body
from citewise.api.schemas import MODEL_ID, ChatMessage
from citewise.core.serialize import citation_json, claim_json
from citewise.core.types import Answer, VerifiedSentence
from citewise.service import Citewise

log = logging.getLogger(__name__)


def question_and_history(messages: Sequence[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The last message (the user's) is the question; each earlier user turn answered by an assistant turn is
    a (question, answer) pair of the history. System messages are not used: citewise has its own rules."""
    turns = [(m.role, m.text) for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1][0] != "user" or not turns[-1][1].strip():
        raise ApiError(400, "The last message must be the user's question, with text.", "invalid_request_error")
    history: list[tuple[str, str]] = []
    asked: str | None = None
    for role, text in turns[:-1]:
        if role == "user":
            asked = text
        elif asked is not None:
            history.append((asked, text))
            asked = None
    return turns[-1][1], history


def base_of_model(model: str) -> str | None:
    """The knowledge base a chat request's `model` names: `citewise/NAME` is NAME, plain `citewise` the server's
    own (None); any other model is a 404 naming what is served."""
    if model == MODEL_ID:
        return None
    prefix, slash, name = model.partition("/")
    if prefix != MODEL_ID or not slash or not name:
        raise ApiError(
            404,
            f"The model {model!r} does not exist; citewise serves `{MODEL_ID}` and `{MODEL_ID}/NAME` for each "
            "knowledge base (GET /v1/models).",
            "invalid_request_error",
            "model_not_found",
        )
    return name


def model_id(kb: str, server_kb: str) -> str:
    """The model name a knowledge base is served as."""
    return MODEL_ID if kb == server_kb else f"{MODEL_ID}/{kb}"


def verified_text(
    service: Citewise, question: str, history: Sequence[tuple[str, str]]
) -> Generator[str | Answer, None, None]:
    """Pieces of the verified answer's text (never the unverified draft), each kept sentence with its [n]
    as soon as it is verified, while the model writes the next; then the Answer. A refusal is known only
    at the end (no sentence was supported): its text comes then. Every other event (each draft token) is
    an empty piece, a tick: a reader can stop the model there, between two tokens."""
    streamed = ""
    for event in service.stream(question, history):
        if isinstance(event, VerifiedSentence) and not event.dropped:
            piece = f" {event.text}" if streamed else event.text
            streamed += piece
            yield piece
        elif isinstance(event, Answer):
            if event.answer != streamed:  # a refusal: nothing was kept
                yield event.answer
            yield event
        else:
            yield ""


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def completion(answer: Answer, id_: str, model: str = MODEL_ID) -> dict[str, Any]:
    """The `chat.completion` of a verified answer, with its `citations`, `refused` and `sentences` (how each
    sentence of the draft was judged)."""
    return {
        "id": id_,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer}, "finish_reason": "stop"}],
        **_verdicts(answer),
    }


def completion_events(pieces: Iterator[str | Answer], id_: str, model: str = MODEL_ID) -> Generator[str, None, None]:
    """Server-Sent Events as OpenAI streams them: the role, the text's pieces, a last chunk with
    `finish_reason`, `citations` and `refused`, then `[DONE]`; each empty piece (a tick) passes as an empty
    string. A failure once streaming has begun is an `{"error": ...}` event (the status line has gone),
    which OpenAI clients raise."""
    created = int(time.time())

    def chunk(delta: dict[str, str], **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": extra.pop("finish_reason", None)}
        body = {"id": id_, "object": "chat.completion.chunk", "created": created, "model": model}
        return _event({**body, "choices": [choice], **extra})

    yield chunk({"role": "assistant", "content": ""})
    answer: Answer | None = None
    try:
        for piece in pieces:
            if isinstance(piece, Answer):
                answer = piece
            else:
                yield chunk({"content": piece}) if piece else ""
    except Exception as exc:
        log.exception("answering failed while streaming")
        yield _event(error_body(f"citewise failed while answering: {exc}", "server_error"))
        return
    if answer is None:
        yield _event(error_body("citewise ended without an answer.", "server_error"))
        return
    yield chunk({}, finish_reason="stop", **_verdicts(answer))
    yield "data: [DONE]\n\n"


def _verdicts(answer: Answer) -> dict[str, Any]:
    """What the last chunk and the completion add to OpenAI's shape: citations, refusal, each sentence's judgment."""
    return {
        "citations": [citation_json(c) for c in answer.citations],
        "refused": answer.refused,
        "sentences": [claim_json(c) for c in answer.claims],
    }


def _event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
