"""Request bodies are counted before they are read: a body over its limit is refused with 413 from its
`Content-Length`, or once the bytes received pass the limit (a chunked body names no length), and what
was received is never more than the limit."""

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citewise.api.errors import ApiError, BodyTooLarge, error_response
from citewise.service import MB, megabytes

UPLOAD_PATH = "/v1/documents"
MAX_JSON_BODY_MB = 8  # any other request: a question with its history, a search
FORM_SLACK = MB  # an upload's multipart framing (boundaries, part headers) around its files


class BodyLimit:
    """ASGI middleware: an upload's body is at most `upload_mb` MB (CITEWISE_MAX_FILE_MB) plus its framing,
    any other body MAX_JSON_BODY_MB."""

    def __init__(self, app: ASGIApp, upload_mb: int) -> None:
        self.app = app
        self.upload_mb = upload_mb

    def limit(self, scope: Scope) -> tuple[int, str]:
        """The most bytes this request's body may have, and the rule's words."""
        if scope["method"] == "POST" and scope["path"] == UPLOAD_PATH:
            return self.upload_mb * MB + FORM_SLACK, (
                f"one upload request carries at most {self.upload_mb} MB of files (CITEWISE_MAX_FILE_MB, a setting "
                "of the server): send fewer or smaller files per request"
            )
        return MAX_JSON_BODY_MB * MB, f"a request other than an upload is at most {MAX_JSON_BODY_MB} MB"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, rule = self.limit(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await error_response(_too_large(f"is {megabytes(declared)}", rule))(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(_too_large(f"is more than {megabytes(limit)}", rule))
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:  # read outside FastAPI's request parsing, which answers it itself
            if started:
                raise
            await error_response(exc.error)(scope, receive, send)


def _too_large(size: str, rule: str) -> ApiError:
    return ApiError(413, f"The request body {size}: {rule}.", "invalid_request_error", "request_too_large")


def _content_length(scope: Scope) -> int | None:
    try:
        return int(Headers(scope=scope)["content-length"])
    except (KeyError, ValueError):  # none (a chunked body), or malformed: the HTTP server refuses that itself
        return None
