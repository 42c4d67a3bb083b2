"""A `chroma run` server on 127.0.0.1 for the benchmark's server rows, stopped when the block ends."""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT_S = 120
# Straight to 127.0.0.1, whatever proxy the environment names.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    """True when a GET of `url` answers 200 within a second."""
    try:
        with _DIRECT.open(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def chroma_server(folder: Path, start_timeout_s: float = START_TIMEOUT_S) -> Iterator[str]:
    """`chroma run --path folder` on a free port of 127.0.0.1; yields its URL once its heartbeat answers
    (the tests' session server too)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    chroma = Path(sys.executable).parent / "chroma"  # beside this interpreter, in the virtual environment
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder.parent / "chroma-server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(chroma), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + start_timeout_s
        while not answers(f"{url}/api/v2/heartbeat"):
            if process.poll() is not None or time.monotonic() > deadline:
                why = f"exited with {process.returncode}" if process.poll() is not None else "timed out"
                output = log_path.read_text(errors="replace")
                raise RuntimeError(f"`chroma run` at {url} {why}; its output:\n{output}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
