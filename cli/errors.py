"""How every `citewise` command reports a failure: one red line on stderr, then an exit code."""

import typer


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `Error: message` and return the Exit to raise."""
    typer.secho(f"Error: {message}", fg="red", err=True)
    return typer.Exit(code)
