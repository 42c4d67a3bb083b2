"""Every error as OpenAI sends it: `{"error": {"message", "type", "param", "code"}}` with a fitting status."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from citewise.service import BackendUnavailable, StoreError


class ApiError(Exception):
    """An error to answer with: HTTP `status`, OpenAI error `type` (and `code`)."""

    def __init__(
        self, status: int, message: str, type_: str, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code = status, message, type_, code
        self.headers = headers or {}


class BodyTooLarge(HTTPException):
    """An ApiError (413) raised while a request body is received: FastAPI passes HTTPExceptions raised while
    it reads a body on as they are, where it would turn any other error into a 400."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.status, error.message)
        self.error = error


def error_body(message: str, type_: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        error_body(error.message, error.type, error.code), error.status, headers={**error.headers, **(headers or {})}
    )


def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for problem in exc.errors():
        where = ".".join(str(part) for part in problem["loc"] if part != "body")
        problems.append(f"{where}: {problem['msg']}" if where else problem["msg"])
    first = exc.errors()[0]["loc"] if exc.errors() else ()
    param = ".".join(str(part) for part in first if part != "body") or None
    return JSONResponse(
        error_body("Invalid request: " + "; ".join(problems) + ".", "invalid_request_error", param=param), 400
    )


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
    return JSONResponse(error_body(str(exc.detail), kind), exc.status_code, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, lambda request, exc: error_response(exc))  # type: ignore[arg-type]
    app.add_exception_handler(BodyTooLarge, lambda request, exc: error_response(exc.error))  # type: ignore[attr-defined]
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(
        BackendUnavailable, lambda request, exc: error_response(ApiError(503, str(exc), "backend_unavailable"))
    )
    app.add_exception_handler(StoreError, lambda request, exc: error_response(ApiError(503, str(exc), "index_error")))
    app.add_exception_handler(
        Exception,
        lambda request, exc: error_response(
            ApiError(
                500, f"citewise failed: {type(exc).__name__}: {exc}. The server's log has the details.", "server_error"
            )
        ),
    )
