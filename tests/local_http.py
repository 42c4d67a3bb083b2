"""Helpers for tests that start a real server on 127.0.0.1: a free port, and "is it up yet?"."""

import socket
import urllib.error
import urllib.request

# Straight to 127.0.0.1, whatever proxy the environment names.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def responds(url: str) -> bool:
    """True when a GET of `url` answers 200 within a second."""
    try:
        with _DIRECT.open(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False
