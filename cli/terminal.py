"""What `citewise` prints: text from documents and models may hold terminal control sequences (OSC 52 writes the
clipboard, CSI moves the cursor or recolours), so every control character is shown as an escape, never obeyed."""

import json
from typing import Any

import typer

# C0 (but newline and tab, which lay out the output), DEL and C1: shown as \x1b and the like.
_TEXT_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in "\n\t"}
# json.dumps escapes C0 itself; DEL and C1 stay raw with ensure_ascii=False (a terminal may obey U+009B as CSI).
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)}


def terminal_safe(text: str) -> str:
    """`text` with every control character but newline and tab written as a visible escape."""
    return text.translate(_TEXT_ESCAPES)


def echo(message: Any = None, **kwargs: Any) -> None:
    """typer.echo, control characters escaped."""
    typer.echo(None if message is None else terminal_safe(str(message)), **kwargs)


def secho(message: Any = None, **kwargs: Any) -> None:
    """typer.secho, control characters escaped (before the styling adds its own)."""
    typer.secho(None if message is None else terminal_safe(str(message)), **kwargs)


def json_text(data: Any, indent: int | None = 2) -> str:
    """JSON for stdout with no raw control character in it: still valid JSON, the same values once parsed."""
    return json.dumps(data, ensure_ascii=False, indent=indent).translate(_JSON_ESCAPES)
