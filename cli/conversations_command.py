"""`citewise conversations list|show|rename|delete` and `citewise export`: the saved conversations, as the web UI
and `citewise ask` keep them."""

from pathlib import Path
from typing import Annotated

import typer

from citewise.cli.errors import fail
from citewise.cli.terminal import echo, json_text, secho
from citewise.core.types import plural, source_label
from citewise.service import Citewise, ConversationError, SavedTurn, conversation_json, summary_json

conversations_app = typer.Typer(
    no_args_is_help=True, help="The saved conversations: list, show, rename, delete (`citewise export ID` too)."
)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
IdArgument = Annotated[str, typer.Argument(help="The conversation's id, as `citewise conversations list` shows it.")]


def _failed(exc: ConversationError) -> typer.Exit:
    return fail(str(exc), 1)


@conversations_app.command("list")
def list_conversations(as_json: JsonFlag = False) -> None:
    """Every saved conversation, the one added to last first."""
    try:
        saved = Citewise().conversations()
    except ConversationError as exc:
        raise _failed(exc) from exc
    if as_json:
        echo(json_text([summary_json(c) for c in saved]))
        return
    for c in saved:
        echo(f"{c.id}  {c.updated_at[:16].replace('T', ' ')}  {plural(c.turns, 'answer'):>10}  {c.title}")
    echo(plural(len(saved), "conversation"))


@conversations_app.command()
def show(conversation_id: IdArgument, as_json: JsonFlag = False) -> None:
    """A saved conversation's questions, answers and sources; a passage changed since is marked."""
    service = Citewise()
    try:
        conversation = service.conversation(conversation_id)
    except ConversationError as exc:
        raise _failed(exc) from exc
    if as_json:
        echo(json_text(conversation_json(conversation)))
        return
    notes = service.notes_of(conversation)
    secho(conversation.title, bold=True)
    for turn in conversation.turns:
        echo()
        _print_turn(turn, notes)


def _print_turn(turn: SavedTurn, notes: dict[str, str]) -> None:
    secho(f"{turn.number}. {turn.question}", bold=True)
    if turn.asked != turn.question:
        secho(f"   searched for: {turn.asked}", dim=True)
    secho(turn.answer, fg="yellow" if turn.refused else None)
    for claim in turn.unsupported:
        secho(f"  (dropped, no source supports it: {claim.text})", fg="red")
    for c in turn.citations:
        start, end = c.span
        echo(f"[{c.n}] {source_label(c.title, c.heading)}  ({c.source})")
        echo(f'    "{c.text[start:end]}"')
        if c.chunk_id in notes:
            secho(f"    {notes[c.chunk_id]}", fg="yellow")


@conversations_app.command()
def rename(
    conversation_id: IdArgument, title: Annotated[str, typer.Argument(help="Its new title (one line).")]
) -> None:
    """Give a conversation a title of its own (it is listed by its first question until then)."""
    try:
        saved = Citewise().rename_conversation(conversation_id, title)
    except ConversationError as exc:
        raise _failed(exc) from exc
    echo(f"renamed {conversation_id}: {saved}")


@conversations_app.command()
def delete(conversation_id: IdArgument) -> None:
    """Delete a saved conversation, its questions and answers."""
    try:
        Citewise().delete_conversation(conversation_id)
    except ConversationError as exc:
        raise _failed(exc) from exc
    echo(f"deleted {conversation_id}")


def export_command(
    conversation_id: IdArgument,
    answer: Annotated[
        int | None, typer.Option("--answer", min=1, help="Export only this answer (1: the first).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the Markdown to this file (default: stdout).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """A saved conversation, or one of its answers, as Markdown with numbered sources and their quotes."""
    try:
        _, text = Citewise().export(conversation_id, answer)
    except ConversationError as exc:
        raise _failed(exc) from exc
    if out is not None:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise fail(f"--out {out}: cannot write it ({exc.strerror or exc}).") from exc
    if as_json:
        echo(json_text({"id": conversation_id, "answer": answer, "file": str(out) if out else None, "markdown": text}))
    elif out is not None:
        echo(f"wrote {out}")
    else:
        echo(text, nl=False)
