"""A real HTTP server on 127.0.0.1 that records every request it gets: the stand-in for an outside
server that a document's text points a browser at (it answers each GET with a 1x1 PNG)."""

import base64
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.local_http import LocalServer

PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


class RecordingServer(LocalServer):
    """`url` is its address; `requests` the paths asked for so far, oldest first."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        super().__init__(_Handler)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.owner.requests.append(self.path)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PIXEL)))
        self.end_headers()
        self.wfile.write(PIXEL)
