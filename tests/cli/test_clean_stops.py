"""`citewise ui` and `citewise serve` stopped by a signal sent to the citewise process alone (a service manager,
`kill PID`): the port closes and no child is left serving it."""

import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.local_http import free_port, responds
from tests.processes import CITEWISE, UI_START_S, citewise_env, stop_group, wait_for

STOP_S = 60  # for the children to wind down after the signal


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _processes_naming(port: int) -> list[str]:
    """Command lines of running processes that hold `--server.port PORT` or `--port PORT`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # ended meanwhile
        if str(port).encode() in args and any(a in (b"--server.port", b"--port") for a in args):
            found.append(" ".join(a.decode(errors="replace") for a in args))
    return found


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("command", ["ui", "serve"])
def test_a_stop_signal_to_citewise_ends_its_children(
    command: str, stop: signal.Signals, tmp_path: Path, embedding_model: str
) -> None:
    port = free_port()
    health = f"http://127.0.0.1:{port}" + ("/_stcore/health" if command == "ui" else "/v1/models")
    log = tmp_path / f"{command}.log"
    env = citewise_env(tmp_path / "data", CITEWISE_LLM="ollama", CITEWISE_OLLAMA_HOST="http://127.0.0.1:9")
    with log.open("wb") as out:  # its own session: the cleanup below can stop whatever is left of it
        process = subprocess.Popen(
            [str(CITEWISE), command, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: responds(health) or process.poll() is not None, f"citewise {command}", UI_START_S)
        assert process.poll() is None, log.read_text(errors="replace")

        process.send_signal(stop)  # to citewise alone, not its process group

        process.wait(timeout=STOP_S)
        wait_for(lambda: not _listening(port), f"port {port} to close", STOP_S)
        wait_for(lambda: not _processes_naming(port), f"no process left serving port {port}", STOP_S)
    finally:
        stop_group(process)
