"""`citewise ui` on a network address: the UI has no login, so say who can then reach the documents."""

import typer

from citewise.core.addresses import is_loopback


def warn_if_exposed(host: str, port: int) -> None:
    """A warning on stderr unless `host` is a loopback address, which only this machine can reach."""
    if is_loopback(host):
        return
    typer.secho(
        f"Warning: the citewise UI has no login: anyone who can reach port {port} of {host} can read, add and "
        "delete your documents and ask about them. Use --host 127.0.0.1 to keep it on this machine.",
        fg="yellow",
        err=True,
    )
