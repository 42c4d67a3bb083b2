"""The HTTP API: parses requests, calls the `Citewise` facade, answers JSON (or Server-Sent Events).

Handlers are plain functions, which FastAPI runs in its thread pool, as Streamlit runs each UI session in a
thread: the facade builds the index's parts and loads each answer model once per process, and the embedded
llama.cpp model answers one request at a time (its generator holds a lock), so concurrent questions queue."""

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import FastAPI, File, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse

from citewise.api.chat import completion, completion_events, completion_id, question_and_history, verified_text
from citewise.api.errors import ApiError, error_response, install_error_handlers
from citewise.api.schemas import (
    MODEL_ID,
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
from citewise.ingest.loaders import SUPPORTED_SUFFIXES
from citewise.service import Citewise

DESCRIPTION = """Answers from your documents, every sentence cited; refuses what they don't say.

`POST /v1/chat/completions` speaks OpenAI's chat completions (point an OpenAI client's `base_url` at
`/v1`), with two extra top-level fields: `citations` (the passages behind the answer's [n] markers) and
`refused`. Streamed answers carry only verified text. Errors come as `{"error": {"message", "type"}}`.

When the server was started with `CITEWISE_API_TOKEN`, every request needs `Authorization: Bearer <token>`."""


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error responses a route documents (401 on every route: when a token is set)."""
    return {code: {"model": ErrorResponse} for code in (401, *codes)}


STREAM = {200: {"content": {"text/event-stream": {"schema": ChatCompletionChunk.model_json_schema()}}}}


def create_app(service: Citewise, token: str | None = None) -> FastAPI:
    """The API over `service`; with a `token`, every request must send it as a bearer token."""
    app = FastAPI(title="citewise", version="0.1.0", description=DESCRIPTION)
    install_error_handlers(app)
    if token:
        app.middleware("http")(_bearer(token))

    @app.get("/v1/models", response_model=ModelList, responses=_errors(), summary="The one model: citewise")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [Model().model_dump()]}

    @app.post(
        "/v1/chat/completions",
        response_model=ChatCompletion,
        responses={**STREAM, **_errors(400, 404, 503)},  # type: ignore[dict-item]
        summary="Answer the last user message from the documents, cited (OpenAI-compatible)",
    )
    def chat(request: ChatRequest) -> Any:
        if request.model != MODEL_ID:
            raise ApiError(
                404,
                f"The model {request.model!r} does not exist; citewise serves `{MODEL_ID}`.",
                "invalid_request_error",
                "model_not_found",
            )
        question, history = question_and_history(request.messages)
        if not request.stream:
            answer = service.ask(question, history)
            return completion(answer, completion_id())
        service.choose_backend()  # no model can answer (BackendUnavailable): a 503, before the stream begins
        events = completion_events(verified_text(service, question, history), completion_id())
        return StreamingResponse(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.post(
        "/v1/search",
        response_model=SearchResponse,
        responses=_errors(400, 503),
        summary="The passages that answer a query (no model)",
    )
    def search(request: SearchRequest) -> dict[str, Any]:
        result = service.search(request.query, request.k)
        return {"query": request.query, "hits": retrieved_json(result), "timings_ms": result.timings_ms}

    @app.get("/v1/documents", response_model=list[Document], responses=_errors(503), summary="The indexed documents")
    def documents() -> list[dict[str, Any]]:
        return documents_json(service.documents())

    @app.post(
        "/v1/documents", response_model=UploadResponse, responses=_errors(400, 503), summary="Upload and index files"
    )
    def upload(
        files: Annotated[list[UploadFile], File(description=f"One or more {' '.join(SUPPORTED_SUFFIXES)} files.")],
    ) -> dict[str, Any]:
        report = service.add_uploads([(file.filename or "upload", file.file.read()) for file in files])
        return {"files": [asdict(outcome) for outcome in report.files]}

    @app.delete("/v1/documents", response_model=Removed, responses=_errors(400, 404, 503), summary="Remove a document")
    def remove(source: Annotated[str, Query(description="The document's `source`, as GET lists it.")]) -> Any:
        if not service.remove(source):
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
        responses=_errors(503),
        summary="The index, and which model would answer",
    )
    def status() -> dict[str, Any]:
        current = service.status()
        return {**current.to_json(), "remote_notice": current.remote_notice}

    app.openapi = lambda: _without_422(FastAPI.openapi(app))  # type: ignore[method-assign]
    return app


def _without_422(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents a 422 for every request body; this API answers a malformed one with OpenAI's 400."""
    for operation in (op for path in schema.get("paths", {}).values() for op in path.values()):
        operation.get("responses", {}).pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    return schema


def _bearer(token: str) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """Middleware that answers 401 unless the request sends `Authorization: Bearer <token>` (the docs and the
    OpenAPI schema too: they are the server's)."""
    expected = token.encode()

    async def check(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            error = ApiError(
                401,
                "Missing or wrong API token: send the server's CITEWISE_API_TOKEN as `Authorization: Bearer <token>`.",
                "invalid_request_error",
                "invalid_api_key",
            )
            return error_response(error, {"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    return check
