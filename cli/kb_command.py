"""`citewise kb`: make, list, rename and delete knowledge bases; `--kb NAME`, which every command that reads or
writes documents takes, and the facade of the base it names."""

from typing import Annotated

import typer

from citewise.cli.errors import fail
from citewise.cli.terminal import echo, json_text
from citewise.service import BaseError, Citewise, StoreError, Waiting

KbOption = Annotated[
    str | None,
    typer.Option("--kb", help="The knowledge base (default: CITEWISE_KB, else `default`; `citewise kb list`)."),
]

kb_app = typer.Typer(no_args_is_help=True, help="Knowledge bases: named sets of documents in one data folder.")


def open_base(kb: str | None, on_wait: Waiting | None = None) -> Citewise:
    """The facade of the base `kb` (None: CITEWISE_KB), or exit 2 with one line naming it and what to do."""
    try:
        return Citewise(on_wait=on_wait, kb=kb)
    except StoreError as exc:
        raise fail(str(exc)) from exc


@kb_app.command("list")
def list_bases(as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False) -> None:
    """The knowledge bases, with how many documents each holds."""
    service = open_base(None)
    rows = []
    for base in service.knowledge_bases():
        facade = service.base(base.name)
        records = facade.documents()
        rows.append(
            {
                "name": base.name,
                "documents": len(records),
                "chunks": sum(r.chunks for r in records),
                "collection": facade.settings.collection,
                "created_at": base.created_at or None,
            }
        )
    if as_json:
        echo(json_text(rows))
        return
    for row in rows:
        echo(f"{row['name']:<24} {row['documents']:>5} documents  {row['chunks']:>6} chunks")


@kb_app.command("create")
def create(name: str) -> None:
    """Make a new, empty knowledge base."""
    try:
        open_base(None).create_base(name)
    except BaseError as exc:
        raise fail(str(exc)) from exc
    echo(f"created {name}: add documents with `citewise ingest --kb {name} PATH`")


@kb_app.command("rename")
def rename(name: str, new_name: str) -> None:
    """Rename a knowledge base; its documents, uploads, synced folders and eval runs stay as they are."""
    try:
        open_base(None).rename_base(name, new_name)
    except BaseError as exc:
        raise fail(str(exc)) from exc
    echo(f"renamed {name} to {new_name}")


@kb_app.command("delete")
def delete(
    name: str,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a knowledge base: its documents' chunks, keyword index, uploaded files, synced folders and eval
    runs. Other bases are not touched, nor are your files elsewhere."""
    service = open_base(None)
    try:
        target = service.base(name)
        documents = len(target.documents())
    except StoreError as exc:
        raise fail(str(exc)) from exc
    yes = yes or target.base_info.is_default  # nothing to confirm: delete_base refuses it, saying why
    if not yes and not typer.confirm(f"Delete the knowledge base {name} and its {documents} documents?"):
        raise fail("Nothing was deleted.", 1)
    try:
        service.delete_base(name)
    except BaseError as exc:
        raise fail(str(exc)) from exc
    echo(f"deleted {name} ({documents} documents)")
