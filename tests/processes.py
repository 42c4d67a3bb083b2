"""Run `citewise` as real processes: plain, or stopped at a named point by tests/interrupted_cli.py."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.environment import clean_environ
from tests.local_http import free_port, responds

CITEWISE = Path(sys.executable).parent / "citewise"
INTERRUPTED = Path(__file__).with_name("interrupted_cli.py")
PROCESS_TIMEOUT_S = 180


def citewise_env(data_dir: Path, **env: str) -> dict[str, str]:
    """This environment without any citewise variable (but the shared models), plus CITEWISE_DATA_DIR and `env`."""
    return clean_environ() | {"CITEWISE_DATA_DIR": str(data_dir)} | env


def interrupted(at: str, do: str, *args: str, nth: int = 1, signals: Path | None = None) -> list[str]:
    """The command line of `citewise ARGS` with the nth call of `at` killed, paused or slowed."""
    command = [sys.executable, str(INTERRUPTED), "--at", at, "--nth", str(nth), "--do", do]
    if signals is not None:
        command += ["--signals", str(signals)]
    return [*command, "--", *args]


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S)


def citewise(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run([str(CITEWISE), *args], env)


def citewise_json(*args: str, env: dict[str, str]) -> Any:
    done = citewise(*args, "--json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def start(command: list[str], env: dict[str, str], log: Path, errors: Path | None = None) -> subprocess.Popen[bytes]:
    """Start `command` in the background, its stdout going to `log`, its stderr to `errors` (default: `log`)."""
    with log.open("wb") as out:
        if errors is None:
            return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        with errors.open("wb") as err:
            return subprocess.Popen(command, env=env, stdout=out, stderr=err)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = PROCESS_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def finish(process: subprocess.Popen[bytes], timeout: float = PROCESS_TIMEOUT_S) -> int:
    """Wait for `process`; kill it if it outlives `timeout`."""
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


UI_START_S = 120  # `citewise ui` on 2 busy cores: Streamlit, the settings check, the first page's imports


@contextmanager
def running_ui(env: dict[str, str], log: Path, cwd: Path | None = None) -> Iterator[str]:
    """`citewise ui` on a free port of 127.0.0.1, in its own process group (it runs Streamlit as a child,
    and both must stop); yields its URL once Streamlit answers its health check."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with _running_until([str(CITEWISE), "ui", "--port", str(port)], f"{url}/_stcore/health", env, log, cwd):
        yield url


@contextmanager
def running_api(
    env: dict[str, str], log: Path, host: str = "127.0.0.1", token: str | None = None, start_s: float = UI_START_S
) -> Iterator[str]:
    """`citewise serve --host HOST` on a free port, reached through 127.0.0.1; yields its URL once /v1/models
    answers (sent with `token` as a bearer token, when given) within `start_s`."""
    with serving_api(env, log, host, token, start_s) as (url, _):
        yield url


@contextmanager
def serving_api(
    env: dict[str, str],
    log: Path,
    host: str = "127.0.0.1",
    token: str | None = None,
    start_s: float = UI_START_S,
    args: Sequence[str] = (),
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`running_api` with more arguments to `citewise serve`; yields the URL and the server's process."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"} if token else None
    command = [str(CITEWISE), "serve", "--host", host, "--port", str(port), *args]
    with _running_until(command, f"{url}/v1/models", env, log, headers=headers, start_s=start_s) as process:
        yield url, process


@contextmanager
def _running_until(
    command: list[str],
    health_url: str,
    env: dict[str, str],
    log: Path,
    cwd: Path | None = None,
    headers: dict[str, str] | None = None,
    start_s: float = UI_START_S,
) -> Iterator[subprocess.Popen[bytes]]:
    """`command` in its own process group while the block lasts, from when `health_url` answers 200."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True
        )
    try:
        deadline = time.monotonic() + start_s
        while not responds(health_url, headers):
            if process.poll() is not None or time.monotonic() > deadline:
                output = log.read_text(errors="replace")
                raise AssertionError(f"citewise {command[1]} did not start; its output:\n{output}")
            time.sleep(0.3)
        yield process
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started in its own session, and every process of its group (if any is left)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            os.killpg(process.pid, 0)  # raises once every process of the group is gone
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGKILL)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
