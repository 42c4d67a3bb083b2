"""The resource limits hold for `citewise ingest` as for the web UI, and `citewise ui` makes Streamlit itself
refuse an upload over the limit before it is in memory."""

import http.client
import select
import socket
import time
import urllib.parse
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import websockets.sync.client
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string
from typer.testing import CliRunner

from citewise.cli.main import app
from citewise.core.settings import get_settings
from tests import processes
from tests.environment import clean_environ, clear_citewise_variables
from tests.ingest.conftest import DocFactory

MiB = 1024 * 1024
START_S = 120


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    clear_citewise_variables(monkeypatch)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_ingest_applies_the_limits_from_the_environment(tmp_path: Path, clean_env: None, embedding_model: str):
    docs = DocFactory(tmp_path / "docs")
    big = docs.text("big.md", "# Big\n\n" + " " * (3 * MiB) + "\nThe end.\n")
    pages = docs.pdf("pages.pdf", [f"Page {n}." for n in range(1, 13)])
    bomb = docs.zip_bomb_docx("bomb.docx", inflated_mb=5)
    docs.text("kettle.md", "# Kettle\n\nDescale the kettle every month with citric acid.\n")
    env = {
        "CITEWISE_DATA_DIR": str(tmp_path / "data"),
        "CITEWISE_MAX_FILE_MB": "2",
        "CITEWISE_MAX_PDF_PAGES": "10",
        "CITEWISE_MAX_UNZIPPED_MB": "3",
    }

    result = CliRunner().invoke(app, ["ingest", str(docs.folder)], env=env)

    assert result.exit_code == 1, result.output
    assert f"failed: {big.resolve()}: the file is 3.0 MB; the limit is 2 MB a file" in result.stderr
    assert f"failed: {pages.resolve()}: the PDF has 12 pages; the limit is 10 pages" in result.stderr
    inflated = sum(member.file_size for member in zipfile.ZipFile(bomb).infolist()) / MiB
    assert f"failed: {bomb.resolve()}: the .docx inflates to {inflated:.1f} MB; the limit is 3 MB" in result.stderr
    for setting in ("CITEWISE_MAX_FILE_MB", "CITEWISE_MAX_PDF_PAGES", "CITEWISE_MAX_UNZIPPED_MB"):
        assert setting in result.stderr
    assert "1 added, 0 updated, 0 unchanged, 0 removed, 3 failed" in result.stdout


@contextmanager
def running_ui(data: Path, **env: str) -> Iterator[str]:
    """`citewise ui` on a free port of 127.0.0.1 (its own process group, stopped afterwards); yields its URL."""
    environ = clean_environ()
    environ |= {"CITEWISE_DATA_DIR": str(data), "CITEWISE_LLM": "embedded", **env}
    data.mkdir(parents=True, exist_ok=True)
    with processes.running_ui(environ, data.parent / "ui.log") as url:
        yield url


@contextmanager
def browser_session(url: str, xsrf: str) -> Iterator[str]:
    """What a browser tab does first: open Streamlit's websocket and ask for a run; yields the session id
    that uploads must name (the session lives while the socket is open)."""
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    with websockets.sync.client.connect(
        ws_url,
        subprotocols=["streamlit", xsrf],  # type: ignore[list-item]  # Streamlit's token-in-subprotocol scheme
        additional_headers={"Origin": url, "Cookie": f"_streamlit_xsrf={xsrf}"},
        max_size=None,
        open_timeout=30,
    ) as socket:
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        socket.send(rerun.SerializeToString())
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            message = ForwardMsg.FromString(socket.recv(timeout=START_S))
            if message.WhichOneof("type") == "new_session":
                yield message.new_session.initialize.session_id
                return
        pytest.fail("Streamlit sent no new_session message")


def put_upload(url: str, session_id: str, xsrf: str, size: int, sent_token: str | None = None) -> tuple[int, str]:
    """The HTTP status and body of the answer to an upload of `size` bytes, sent the way the browser's
    file_uploader sends it (`sent_token`: another XSRF token in the header than the cookie's, as a page of
    another site, which cannot read the cookie, would send).

    The body waits for the server's go-ahead (`Expect: 100-continue`). A server that refuses on the headers
    answers at once and closes the connection; a client still sending the body then gets a reset instead
    of the answer."""
    boundary = "citewiseboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.md"\r\n'
            f"Content-Type: text/markdown\r\n\r\n"
        ).encode()
        + b"x" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    address = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.putrequest("PUT", f"/_stcore/upload_file/{session_id}/file-{size}")
        for name, value in {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(body)),
            "Expect": "100-continue",
            "X-Xsrftoken": sent_token or xsrf,
            "Cookie": f"_streamlit_xsrf={xsrf}",
            "Origin": url,
        }.items():
            connection.putheader(name, value)
        connection.endheaders()
        assert connection.sock is not None
        answered, _, _ = select.select([connection.sock], [], [], 5)
        # No answer in 5 s: a server that ignores the header reads the body anyway.
        if not answered or connection.sock.recv(12, socket.MSG_PEEK | socket.MSG_WAITALL).endswith(b" 100"):
            connection.send(body)
        response = connection.getresponse()  # skips the 100 Continue
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def test_citewise_ui_makes_streamlit_refuse_an_upload_over_the_limit(tmp_path: Path) -> None:
    xsrf = generate_xsrf_token_string()
    with running_ui(tmp_path / "data", CITEWISE_MAX_FILE_MB="2") as url, browser_session(url, xsrf) as session:
        assert put_upload(url, session, xsrf, MiB) == (204, "")  # under the limit: taken
        assert put_upload(url, session, xsrf, 3 * MiB)[0] == 413  # over it: refused by Streamlit's server


def test_citewise_ui_keeps_streamlit_s_xsrf_protection_on_whatever_its_config_says(tmp_path: Path) -> None:
    xsrf = generate_xsrf_token_string()
    switched_off = {"STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION": "false", "STREAMLIT_SERVER_ENABLE_CORS": "false"}
    with running_ui(tmp_path / "data", **switched_off) as url, browser_session(url, xsrf) as session:
        forged = put_upload(url, session, xsrf, 1024, sent_token=generate_xsrf_token_string())
        assert forged[0] == 403, forged
        assert put_upload(url, session, xsrf, 1024) == (204, "")  # the page's own token: taken
