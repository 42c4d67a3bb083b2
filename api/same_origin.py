"""Same-origin only: the API answers requests addressed to its own names, and changes nothing for another site.

A web page the user visits can send requests to 127.0.0.1: by rebinding its own domain there (DNS rebinding)
it can even read the answers, and any page can POST a form (a "simple" cross-site request). The first carries
the page's name in `Host`, the second the page's origin in `Origin` (or `Referer`); clients that are not
browsers (curl, OpenAI's client) send neither header, and pass."""

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from citewise.api.errors import ApiError, error_response
from citewise.core.addresses import is_loopback

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_name(name: str) -> str:
    """`name` as Host headers are compared: lower case, without IPv6 brackets or a trailing dot."""
    return name.strip().strip("[]").rstrip(".").lower()


class SameOrigin:
    """ASGI middleware: 400 for a `Host` that is not one of the server's names (loopback names, plus
    `allowed_hosts`), 403 for a state-changing request from a page of another origin."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = {host_name(name) for name in allowed_hosts if name.strip()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self._refusal(scope)
            if refusal is not None:
                await error_response(refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def is_allowed(self, name: str) -> bool:
        name = host_name(name)
        return is_loopback(name) or name in self.allowed

    def _refusal(self, scope: Scope) -> ApiError | None:
        headers = Headers(scope=scope)
        host = _split_host(headers.get("host", ""))
        if host is None or not self.is_allowed(host[0]):
            names = ", ".join(["127.0.0.1", "localhost", "[::1]", *sorted(self.allowed)])
            return ApiError(
                400,
                f"Host {headers.get('host', '(none)')[:100]!r} is not a name of this server (it answers to {names}); "
                "a server reached under another name starts with `citewise serve --allowed-host NAME`.",
                "invalid_request_error",
                "host_not_allowed",
            )
        if scope["method"] not in STATE_CHANGING:
            return None
        page = headers.get("origin") or headers.get("referer")
        if page is None or _same_origin(page, host):
            return None
        return ApiError(
            403,
            f"Refused: a page of another site ({_origin_of(page)}) may not change this server's documents or "
            "ask it questions. Send the request from a program (no Origin header) or from the server's own origin.",
            "invalid_request_error",
            "cross_origin_request",
        )


def _split_host(value: str) -> tuple[str, int | None] | None:
    """A Host header's name and port, or None when it is not one."""
    if not value or any(c in value for c in "/?#@ \t"):
        return None
    try:
        parts = urlsplit(f"//{value}")
        return (parts.hostname or "", parts.port) if parts.hostname else None
    except ValueError:  # a port that is not a number
        return None


def _same_origin(page: str, host: tuple[str, int | None]) -> bool:
    """Whether the page's URL (an Origin or a Referer) has the name and port the request was sent to."""
    try:
        parts = urlsplit(page)
        port = parts.port
    except ValueError:
        return False
    default = _DEFAULT_PORTS.get(parts.scheme)
    if default is None or not parts.hostname:  # "null" (a sandboxed frame, a file://), another scheme
        return False
    name, sent_port = host
    return host_name(parts.hostname) == host_name(name) and (port or default) == (sent_port or default)


def _origin_of(page: str) -> str:
    """The scheme://host[:port] of a page's URL, for the error (never its path: it may hold anything)."""
    try:
        parts = urlsplit(page)
    except ValueError:
        return "an unreadable origin"
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else repr(page[:60])
