"""`citewise ui` runs Streamlit as a child process. Stopping citewise (SIGTERM from a service manager or `kill`,
SIGINT from `kill -INT`, SIGHUP when its terminal closes) stops the child too, instead of leaving it serving the
port with no parent."""

import contextlib
import signal
import subprocess
import time
from types import FrameType

STOP_GRACE_S = 10  # for the child to end after the signal is passed on, before it is killed
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def run_child(command: list[str]) -> int:
    """Run `command` until it ends and return its exit status; a stop signal sent to this process is passed on
    to it, and a child still running STOP_GRACE_S later is killed."""
    child = subprocess.Popen(command)
    stop_by: float | None = None

    def pass_on(signum: int, _frame: FrameType | None) -> None:
        nonlocal stop_by
        stop_by = stop_by or time.monotonic() + STOP_GRACE_S
        child.send_signal(signum)  # does nothing once the child has ended

    previous = {sig: signal.signal(sig, pass_on) for sig in STOP_SIGNALS}
    try:
        while child.poll() is None:
            if stop_by is not None and time.monotonic() > stop_by:
                child.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return child.returncode
