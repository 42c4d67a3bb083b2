"""`citewise eval`: run configurations over a dataset, print one side-by-side table, write JSON."""

import sys
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from citewise.answer.llm.base import BackendUnavailable
from citewise.cli.errors import fail
from citewise.evals.configs import CONFIGS, ConfigError, resolve
from citewise.evals.dataset import SPLITS, DatasetError, corpus_for, load_dataset, split_items
from citewise.evals.runner import format_table
from citewise.evals.runs import write_run
from citewise.ingest import BUNDLED_CORPUS
from citewise.retrieval.store import StoreError
from citewise.service import Citewise


def _ensure_documents(service: Citewise, corpus: Path) -> None:
    """An empty index gets the dataset's corpus, so the bundled datasets run from a fresh clone."""
    if service.has_documents():
        return
    typer.echo(f"The index is empty: indexing {corpus} first.", err=True)
    report = service.ingest([corpus])
    if report.failed or report.chunks == 0:
        details = "; ".join(f"{f.path}: {f.error}" for f in report.failed) or "no chunks"
        raise fail(f"Could not index {corpus} ({details}).")
    typer.echo(f"Indexed {report.added} documents ({report.chunks} chunks).", err=True)


def eval_command(
    dataset: Annotated[
        Path, typer.Option("--dataset", help="JSONL questions: id, question, answers, evidence, answerable.")
    ],
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the run (summary, per-item results) here."),
    ] = None,
    retrieval_only: Annotated[bool, typer.Option("--retrieval-only", help="Score retrieval only; no model.")] = False,
    evidence_only: Annotated[
        bool,
        typer.Option("--evidence-only", help="Retrieval and what the model would read (its tokenizer), no generation."),
    ] = False,
    split: Annotated[
        str | None,
        typer.Option(
            "--split", help=f"Run one half of the dataset: {' or '.join(SPLITS)} (tune settings, report the other)."
        ),
    ] = None,
    config: Annotated[
        list[str] | None,
        typer.Option("--config", help=f"A configuration to run (repeatable): {', '.join(CONFIGS)} or default."),
    ] = None,
    k: Annotated[
        int | None, typer.Option("-k", min=1, help="Passages to retrieve (default: each configuration's own).")
    ] = None,
) -> None:
    """Measure retrieval, answers, citations and refusals on a dataset, configurations side by side."""
    try:
        items = split_items(load_dataset(dataset), split)
    except DatasetError as exc:
        raise fail(f"bad dataset: {exc}") from exc
    except OSError as exc:
        raise fail(f"cannot read the dataset {dataset}: {exc.strerror or exc}") from exc
    if not items:
        raise fail(f"{dataset} has no questions.")
    try:
        names = resolve(config or list(CONFIGS))
    except ConfigError as exc:
        raise fail(str(exc)) from exc

    try:
        service = Citewise()
        _ensure_documents(service, corpus_for(dataset) or BUNDLED_CORPUS)
        with tqdm(total=len(items) * len(names), desc="Evaluating", unit="q", file=sys.stderr, mininterval=1.0) as bar:

            def progress(done: int, total: int, label: str) -> None:
                bar.set_postfix_str(label, refresh=False)
                bar.update(done - bar.n)

            if not retrieval_only:
                bar.set_postfix_str("loading the model")
            label = f"{dataset.name} ({split} half)" if split else dataset.name
            run = service.evaluate(
                label, items, names, retrieval_only, k, progress=progress, evidence_only=evidence_only
            )
    except (StoreError, BackendUnavailable, ConfigError) as exc:
        raise fail(str(exc)) from exc

    typer.echo(format_table(run.summary))
    errors = sum(values["errors"] or 0 for values in run.summary.values())
    if errors:
        typer.secho(f"{errors} question runs failed; their errors are in the per-item results.", fg="yellow", err=True)
    typer.echo(f"Kept as eval run {run.id} (the web UI's Evals page lists it).", err=True)
    if json_out:
        write_run(json_out, run)
        typer.echo(f"Wrote {json_out}", err=True)
