"""The HTTP API: parses requests, calls the `Citewise` facade, answers JSON (or Server-Sent Events).

Handlers are plain functions, which FastAPI runs in its thread pool, as Streamlit runs each UI session in a
thread: the facade builds the index's parts and loads each answer model once per process. Questions run apart,
in a bounded queue of their own (api/questions.py): the embedded llama.cpp model answers one at a time, and
the questions waiting for it must not take the threads that search, documents and status answer in.

Only the server's own names and origin are served (api/same_origin.py), and request bodies are counted
before they are read (api/body_limit.py)."""

import hmac
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Annotated, Any, TypeVar

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.responses import PlainTextResponse, StreamingResponse
from starlette.background import BackgroundTask
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from citewise.api.body_limit import BodyLimit
from citewise.api.chat import (
    base_of_model,
    completion,
    completion_events,
    completion_id,
    model_id,
    question_and_history,
    verified_text,
)
from citewise.api.errors import ApiError, error_response, install_error_handlers
from citewise.api.questions import QuestionQueue
from citewise.api.same_origin import SameOrigin
from citewise.api.schemas import (
    KB_FIELD,
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    Document,
    ErrorResponse,
    Model,
    ModelList,
    Removed,
    SearchRequest,
    SearchResponse,
    StatusResponse,
    UploadResponse,
)
from citewise.core.serialize import documents_json, retrieved_json
from citewise.core.types import Answer
from citewise.service import (
    SUPPORTED_SUFFIXES,
    BaseNotFound,
    Citewise,
    ConversationError,
    ConversationNotFound,
    conversation_json,
    summary_json,
)

DESCRIPTION = """Answers from your documents, every sentence cited; refuses what they don't say.

`POST /v1/chat/completions` speaks OpenAI's chat completions (point an OpenAI client's `base_url` at
`/v1`), with three extra top-level fields: `citations` (the passages behind the answer's [n] markers),
`refused` and `sentences` (how each sentence of the draft was judged). Streamed answers carry only verified
text. Errors come as `{"error": {"message", "type"}}`.

When the server was started with `CITEWISE_API_TOKEN`, every request needs `Authorization: Bearer <token>`.
Requests must name the server by one of its names (`Host`), and a browser page of another origin cannot
upload, delete or ask. At most `CITEWISE_API_QUEUE` questions are taken at once (503 with `Retry-After`
past that); an upload request carries at most `CITEWISE_MAX_FILE_MB` (413 past that)."""


T = TypeVar("T")


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error responses a route documents (401 on every route: when a token is set)."""
    return {code: {"model": ErrorResponse} for code in (401, *codes)}


STREAM = {200: {"content": {"text/event-stream": {"schema": ChatCompletionChunk.model_json_schema()}}}}


def create_app(service: Citewise, token: str | None = None, allowed_hosts: Iterable[str] = ()) -> FastAPI:
    """The API over `service`; with a `token`, every request must send it as a bearer token. It answers
    requests addressed to a loopback name or one of `allowed_hosts`. No /docs page: Swagger UI would load
    its code from a CDN, into the API's origin (the schema is at /openapi.json)."""
    app = FastAPI(title="citewise", version="0.1.0", description=DESCRIPTION, docs_url=None, redoc_url=None)
    install_error_handlers(app)
    if token:
        app.add_middleware(_Bearer, token=token)
    app.add_middleware(BodyLimit, upload_mb=service.settings.max_file_mb)
    app.add_middleware(SameOrigin, allowed_hosts=allowed_hosts)  # the outermost: before anything else
    questions = QuestionQueue(service.settings.api_queue)

    def base(kb: str | None) -> Citewise:
        """The facade of the knowledge base `kb` (None: the server's); 404 naming it when there is none."""
        try:
            return service.base(kb or service.kb)
        except BaseNotFound as exc:
            raise ApiError(404, str(exc), "not_found_error", "kb_not_found") from exc

    KbQuery = Annotated[str | None, Query(description=KB_FIELD)]

    @app.get("/v1/models", response_model=ModelList, responses=_errors(), summary="One model per knowledge base")
    def models() -> dict[str, Any]:
        names = [model_id(b.name, service.kb) for b in service.knowledge_bases()]
        return {"object": "list", "data": [Model(id=name).model_dump() for name in sorted(names)]}

    @app.post(
        "/v1/chat/completions",
        response_model=ChatCompletion,
        responses={**STREAM, **_errors(400, 403, 404, 413, 503)},  # type: ignore[dict-item]
        summary="Answer the last user message from the documents, cited (OpenAI-compatible)",
    )
    async def chat(request: ChatRequest, http: Request) -> Any:
        asked = base(base_of_model(request.model))
        model = model_id(asked.kb, service.kb)
        question, history = question_and_history(request.messages)
        slot = questions.take()
        streaming = False
        try:
            await questions.run(asked.choose_backend)  # no model can answer: a 503, before any stream begins
            pieces = verified_text(asked, question, history)
            if not request.stream:
                answer = None
                async for event in questions.events(pieces, gone=http.is_disconnected):
                    answer = event if isinstance(event, Answer) else answer
                if answer is None:  # the client went away, and the model was stopped (nginx's 499: nobody reads it)
                    raise ApiError(499, "The client closed the request.", "invalid_request_error")
                return completion(answer, completion_id(), model)
            events = questions.events(completion_events(pieces, completion_id(), model), slot=slot)
            streaming = True
            return StreamingResponse(
                events,
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache"},
                background=BackgroundTask(slot.release),  # also when the stream never began (the client left)
            )
        finally:
            if not streaming:
                slot.release()

    @app.post(
        "/v1/search",
        response_model=SearchResponse,
        responses=_errors(400, 403, 404, 413, 503),
        summary="The passages that answer a query (no model)",
    )
    def search(request: SearchRequest) -> dict[str, Any]:
        result = base(request.kb).search(request.query, request.k)
        return {"query": request.query, "hits": retrieved_json(result), "timings_ms": result.timings_ms}

    @app.get(
        "/v1/documents", response_model=list[Document], responses=_errors(404, 503), summary="The indexed documents"
    )
    def documents(kb: KbQuery = None) -> list[dict[str, Any]]:
        return documents_json(base(kb).documents())

    @app.post(
        "/v1/documents",
        response_model=UploadResponse,
        responses=_errors(400, 403, 404, 413, 503),
        summary="Upload and index files",
    )
    def upload(
        files: Annotated[list[UploadFile], File(description=f"One or more {' '.join(SUPPORTED_SUFFIXES)} files.")],
        kb: KbQuery = None,
    ) -> dict[str, Any]:
        report = base(kb).add_uploads([(file.filename or "upload", file.file.read()) for file in files])
        return {"files": [asdict(outcome) for outcome in report.files]}

    @app.delete(
        "/v1/documents", response_model=Removed, responses=_errors(400, 403, 404, 503), summary="Remove a document"
    )
    def remove(
        source: Annotated[str, Query(description="The document's `source`, as GET lists it.")], kb: KbQuery = None
    ) -> Any:
        if not base(kb).remove(source):
            raise ApiError(
                404,
                f"{source} is not indexed; GET /v1/documents lists what is.",
                "not_found_error",
                "document_not_found",
            )
        return {"removed": source}

    @app.get(
        "/v1/status",
        response_model=StatusResponse,
        responses=_errors(404, 503),
        summary="The index, and which model would answer",
    )
    def status(kb: KbQuery = None) -> dict[str, Any]:
        current = base(kb).status()
        return {**current.to_json(), "remote_notice": current.remote_notice}

    @app.get("/v1/conversations", responses=_errors(503), summary="The saved conversations, newest first")
    def conversations() -> list[dict[str, Any]]:
        return [summary_json(c) for c in _conversations(service.conversations)]

    @app.get("/v1/conversations/{conversation_id}", responses=_errors(404, 503), summary="A saved conversation")
    def conversation(conversation_id: str) -> dict[str, Any]:
        return conversation_json(_conversations(lambda: service.conversation(conversation_id)))

    @app.get(
        "/v1/conversations/{conversation_id}/export",
        response_class=PlainTextResponse,
        responses=_errors(404, 503),
        summary="A saved conversation (or one answer) as Markdown",
    )
    def export(
        conversation_id: str,
        answer: Annotated[int | None, Query(ge=1, description="Only this answer (1: the first).")] = None,
    ) -> PlainTextResponse:
        name, text = _conversations(lambda: service.export(conversation_id, answer))
        disposition = f'attachment; filename="{name}"'  # export_name: letters, digits and dashes only
        return PlainTextResponse(text, media_type="text/markdown", headers={"Content-Disposition": disposition})

    app.openapi = lambda: _without_422(FastAPI.openapi(app))  # type: ignore[method-assign]
    return app


def _conversations(read: Callable[[], T]) -> T:
    """A read of the saved conversations, its ConversationError as the API's error (404: no such one)."""
    try:
        return read()
    except ConversationNotFound as exc:
        raise ApiError(404, str(exc), "not_found_error", "conversation_not_found") from exc
    except ConversationError as exc:
        raise ApiError(503, str(exc), "server_error", "conversations_unavailable") from exc


def _without_422(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents a 422 for every request body; this API answers a malformed one with OpenAI's 400."""
    for operation in (op for path in schema.get("paths", {}).values() for op in path.values()):
        operation.get("responses", {}).pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    return schema


class _Bearer:
    """ASGI middleware that answers 401 unless the request sends `Authorization: Bearer <token>` (the OpenAPI
    schema too: it is the server's). Plain ASGI, so a streamed answer's end reaches the handler as it is."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scheme, _, given = Headers(scope=scope).get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self.expected):
                error = ApiError(
                    401,
                    "Missing or wrong API token: send the server's CITEWISE_API_TOKEN as "
                    "`Authorization: Bearer <token>`.",
                    "invalid_request_error",
                    "invalid_api_key",
                )
                await error_response(error, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
                return
        await self.app(scope, receive, send)
