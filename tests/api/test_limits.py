"""Limits before reading: `citewise serve` refuses a body over its limit with 413 before it is in memory (from its
Content-Length, or while a chunked body comes in), and a query or a message over its length with a 400."""

import select
import socket
import subprocess
from collections.abc import Callable, Iterator
from http.client import HTTPResponse
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from citewise.api.schemas import MAX_MESSAGES, MAX_QUERY_CHARS
from citewise.core.settings import Settings
from tests.api.conftest import served_index

MiB = 1024 * 1024
LIMIT_MB = 1
BODY = 64 * MiB  # far over the limit, and far over what the server's memory may grow by
BLOCK = MiB
WAIT_S = 120
NOBODY = "http://127.0.0.1:9"  # the discard port: no model answers (none is needed)


@pytest.fixture(scope="module")
def limited(
    tmp_path_factory: pytest.TempPathFactory, make_settings: Callable[..., Settings], embedding_model: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    root = tmp_path_factory.mktemp("limits")
    with served_index(root, make_settings, NOBODY, CITEWISE_MAX_FILE_MB=str(LIMIT_MB)) as served:
        yield served


@pytest.fixture
def api(limited: tuple[str, subprocess.Popen[bytes]]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=limited[0], trust_env=False, timeout=WAIT_S) as client:
        yield client


def memory_kb(pid: int) -> dict[str, int]:
    fields = (line.split(":") for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {name: int(value.split()[0]) for name, value in fields if name in ("VmRSS", "VmHWM")}


def upload(url: str, size: int, chunked: bool) -> tuple[int, str]:
    """The status and body of the answer to a multipart upload of one `size`-byte file, its length declared
    or the body chunked. The body waits for the server's go-ahead (`Expect: 100-continue`) and goes a block
    at a time, stopping once the server answers: the answer is read, not lost to a reset while sending."""
    boundary = "citewiseboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.md"\r\n'
        "Content-Type: text/markdown\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    blocks = [head, *[b"x" * BLOCK] * (size // BLOCK), tail]
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {sum(map(len, blocks))}"
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=WAIT_S) as sock:
        sock.sendall(
            f"POST /v1/documents HTTP/1.1\r\nHost: {address.netloc}\r\nExpect: 100-continue\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n{framing}\r\n\r\n".encode()
        )
        assert select.select([sock], [], [], WAIT_S)[0], "no answer to the headers"
        if sock.recv(12, socket.MSG_PEEK | socket.MSG_WAITALL).endswith(b" 100"):
            interim = b""
            while not interim.endswith(b"\r\n\r\n"):
                interim += sock.recv(1)
            for block in [*blocks, b""] if chunked else blocks:
                if select.select([sock], [], [], 0)[0]:
                    break  # answered: the rest is not read
                data = f"{len(block):x}\r\n".encode() + block + b"\r\n" if chunked else block
                try:
                    sock.sendall(data)
                except OSError:
                    break
        response = HTTPResponse(sock)
        response.begin()
        return response.status, response.read().decode(errors="replace")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_upload_over_the_limit_is_a_413_and_never_in_memory(
    limited: tuple[str, subprocess.Popen[bytes]], api: httpx.Client, chunked: bool
) -> None:
    url, server = limited
    before = {d["source"] for d in api.get("/v1/documents").json()}
    Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
    at_start = memory_kb(server.pid)["VmRSS"]

    status, body = upload(url, BODY, chunked)

    grown_mb = (memory_kb(server.pid)["VmHWM"] - at_start) / 1024
    assert grown_mb < BODY / MiB / 4, f"the server's memory grew by {grown_mb:.0f} MB"
    assert status == 413, body
    assert f"at most {LIMIT_MB} MB" in body and "CITEWISE_MAX_FILE_MB" in body
    assert "citewise ui" not in body
    assert {d["source"] for d in api.get("/v1/documents").json()} == before


def test_any_other_body_over_its_limit_is_a_413(api: httpx.Client) -> None:
    padding = "x" * (9 * MiB)
    response = api.post("/v1/search", json={"query": "GPT-2", "padding": padding})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "request_too_large" and "at most 8 MB" in error["message"]


def test_a_query_or_a_message_too_long_is_a_400_naming_the_limit(api: httpx.Client) -> None:
    long_query = "parameters " * (MAX_QUERY_CHARS // 10)
    search = api.post("/v1/search", json={"query": long_query})
    assert search.status_code == 400
    assert search.json()["error"]["param"] == "query" and str(MAX_QUERY_CHARS) in search.json()["error"]["message"]

    asked = api.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": long_query}]})
    assert asked.status_code == 400 and f"at most {MAX_QUERY_CHARS} characters" in asked.json()["error"]["message"]

    many = [{"role": "user", "content": "Hi"}] * (MAX_MESSAGES + 1)
    too_many = api.post("/v1/chat/completions", json={"messages": many})
    assert too_many.status_code == 400 and too_many.json()["error"]["param"] == "messages"
