"""Helpers for tests that start a real server on 127.0.0.1: a free port, and "is it up yet?"."""

import socket
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

# Straight to 127.0.0.1, whatever proxy the environment names.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def responds(url: str, headers: dict[str, str] | None = None) -> bool:
    """True when a GET of `url` (with `headers`) answers 200 within a second."""
    try:
        with _DIRECT.open(urllib.request.Request(url, headers=headers or {}), timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class LocalServer:
    """A real HTTP server on a free port of 127.0.0.1, served from a thread while the `with` block lasts;
    its handler reaches this object as `self.server.owner`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], path: str = "") -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.owner = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{path}"
        # A short poll keeps stop() quick; the default 0.5 s would add that to every test.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Shut the server down; later connections are refused."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
