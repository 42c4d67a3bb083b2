"""How every `citewise` command reports a failure: one red line on stderr, then an exit code."""

import signal

import typer

from citewise.cli.terminal import secho


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `Error: message` and return the Exit to raise."""
    secho(f"Error: {message}", fg="red", err=True)
    return typer.Exit(code)


def stop_on_ctrl_c() -> None:
    """Make Ctrl-C (SIGINT) raise KeyboardInterrupt, even in a process started where SIGINT is ignored (a
    background job of a script inherits that): long commands catch it to stop cleanly."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
