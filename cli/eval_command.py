"""`citewise eval`: run configurations over a dataset, print one side-by-side table, write JSON;
`citewise eval generate`: write a dataset about the indexed documents, for review."""

import sys
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from citewise.answer.llm.base import BackendUnavailable
from citewise.cli.errors import fail, stop_on_ctrl_c
from citewise.cli.terminal import echo, json_text, secho
from citewise.evals.configs import COMPARED, CONFIGS, ConfigError, resolve
from citewise.evals.dataset import SPLITS, DatasetError, corpus_for, load_dataset, split_items
from citewise.evals.generate import GenerateOptions, GenerationReport
from citewise.evals.review import read_records, review_counts
from citewise.evals.runner import format_table
from citewise.evals.runs import write_run
from citewise.evals.verifier_bench import BenchError, format_bench_table, load_bench
from citewise.ingest import BUNDLED_CORPUS
from citewise.retrieval.store import StoreError
from citewise.service import Citewise


def _ensure_documents(service: Citewise, corpus: Path) -> None:
    """An empty index gets the dataset's corpus, so the bundled datasets run from a fresh clone."""
    if service.has_documents():
        return
    echo(f"The index is empty: indexing {corpus} first.", err=True)
    report = service.ingest([corpus])
    if report.failed or report.chunks == 0:
        details = "; ".join(f"{f.path}: {f.error}" for f in report.failed) or "no chunks"
        raise fail(f"Could not index {corpus} ({details}).")
    echo(f"Indexed {report.added} documents ({report.chunks} chunks).", err=True)


def eval_command(
    ctx: typer.Context,
    dataset: Annotated[
        Path | None, typer.Option("--dataset", help="JSONL questions: id, question, answers, evidence, answerable.")
    ] = None,
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
        typer.Option(
            "--config",
            help=f"A configuration to run (repeatable): {', '.join(CONFIGS)}, default or all "
            f"(none named: {', '.join(COMPARED)}).",
        ),
    ] = None,
    k: Annotated[
        int | None, typer.Option("-k", min=1, help="Passages to retrieve (default: each configuration's own).")
    ] = None,
    include_pending: Annotated[
        bool,
        typer.Option("--include-pending", help="Also run generated items not reviewed yet (dropped ones never run)."),
    ] = False,
    verifier_only: Annotated[
        bool,
        typer.Option(
            "--verifier-only",
            help="The dataset is a verifier bench (claims, passages, gold verdicts): count the verifiers' false "
            "accepts and false rejects per kind; no model, no index.",
        ),
    ] = False,
) -> None:
    """Measure retrieval, answers, citations and refusals on a dataset, configurations side by side."""
    if ctx.invoked_subcommand is not None:
        return
    if dataset is None:
        raise fail("Missing option '--dataset': a JSONL question set (or `citewise eval generate` to make one).")
    if verifier_only:
        _bench_verifier(dataset, split, config or ["default"], json_out)
        return
    try:
        items = split_items(load_dataset(dataset, include_pending), split)
        _say_unreviewed(dataset, include_pending)
    except DatasetError as exc:
        raise fail(f"bad dataset: {exc}") from exc
    except OSError as exc:
        raise fail(f"cannot read the dataset {dataset}: {exc.strerror or exc}") from exc
    if not items:
        raise fail(f"{dataset} has no questions to run (generated items run once reviewed as kept).")
    try:
        names = resolve(config or list(COMPARED))
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

    echo(format_table(run.summary))
    errors = sum(values["errors"] or 0 for values in run.summary.values())
    if errors:
        secho(f"{errors} question runs failed; their errors are in the per-item results.", fg="yellow", err=True)
    echo(f"Kept as eval run {run.id} (the web UI's Evals page lists it).", err=True)
    if json_out:
        write_run(json_out, run)
        echo(f"Wrote {json_out}", err=True)


def _bench_verifier(bench: Path, split: str | None, configs: list[str], json_out: Path | None) -> None:
    try:
        items = load_bench(bench)
    except BenchError as exc:
        raise fail(f"bad verifier bench: {exc}") from exc
    except OSError as exc:
        raise fail(f"cannot read the verifier bench {bench}: {exc.strerror or exc}") from exc
    if split is not None:
        if split not in SPLITS:
            raise fail(f"unknown split {split!r}; use {' or '.join(SPLITS)}.")
        items = [item for item in items if item.split == split]
    if not items:
        raise fail(f"{bench} has no claims to judge{f' in the {split} half' if split else ''}.")
    try:
        result = Citewise().bench_verifier(items, configs)
    except ConfigError as exc:
        raise fail(str(exc)) from exc
    echo(format_bench_table(result["summary"]))
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        data = {"dataset": str(bench), "split": split, **result}
        json_out.write_text(json_text(data, indent=1), encoding="utf-8")
        echo(f"Wrote {json_out}", err=True)


def _say_unreviewed(dataset: Path, include_pending: bool) -> None:
    counts = review_counts(read_records(dataset))
    left_out = counts["dropped"] + (0 if include_pending else counts["pending"])
    if left_out:
        echo(
            f"{left_out} generated items left out: {counts['pending']} pending review, {counts['dropped']} dropped "
            "(review them on the web UI's Evals page; --include-pending runs the pending ones).",
            err=True,
        )


def generate_command(
    out: Annotated[Path, typer.Option("--out", help="The JSONL file to write (replaced if it exists).")],
    n: Annotated[int, typer.Option("--n", min=1, help="How many items to make.")] = 60,
    unanswerable: Annotated[
        float, typer.Option("--unanswerable", min=0.0, max=1.0, help="Share the documents cannot answer.")
    ] = 0.3,
    languages: Annotated[
        str,
        typer.Option(
            "--languages", help="Question languages, comma-separated (e.g. en,zh); evidence stays as written."
        ),
    ] = "en",
    seed: Annotated[int, typer.Option("--seed", help="Same seed, documents and model: the same file.")] = 0,
    backend: Annotated[
        str | None, typer.Option(help="auto, embedded, ollama or openai (default: CITEWISE_LLM).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Write an eval set about your indexed documents with the local model; review it before running it."""
    try:
        options = GenerateOptions(n, unanswerable, tuple(c.strip() for c in languages.split(",") if c.strip()), seed)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    service = Citewise()
    try:
        if not service.has_documents():
            raise fail("No documents are indexed yet: run `citewise ingest [PATH...]` first.", 1)
        with tqdm(total=n, desc="Generating", unit="item", file=sys.stderr, mininterval=1.0) as bar:

            def progress(done: int, total: int, label: str) -> None:
                bar.set_postfix_str(label, refresh=False)
                bar.update(done - bar.n)

            stop_on_ctrl_c()
            report = service.generate_eval_set(out, options, backend, progress)
    except (StoreError, BackendUnavailable) as exc:
        raise fail(str(exc)) from exc
    except ValueError as exc:
        raise fail(str(exc)) from exc
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}") from exc
    if as_json:
        echo(json_text(report.to_json()))
    else:
        _print_report(report)
        if report.path != out:
            echo(f"{out} is as it was before this run.")
    if report.interrupted:
        raise typer.Exit(130)


def _print_report(report: GenerationReport) -> None:
    made = ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in report.made.items()) or "nothing"
    echo(f"Wrote {sum(report.made.values())} of {report.planned} items to {report.path} ({made}).")
    if report.interrupted:
        secho(f"Stopped by Ctrl-C: {report.path} holds the items made until then.", fg="yellow")
    if report.rejected:
        echo("Rejected proposals:")
        for reason, count in report.rejected.most_common():
            echo(f"  {count:>4}  {reason}")
    echo(f"Review it on the web UI's Evals page, then run `citewise eval --dataset {report.path}` (kept items only).")


eval_app = typer.Typer(
    invoke_without_command=True,
    no_args_is_help=False,
    help="Measure retrieval, answers, citations and refusals on a question set; `generate` makes one.",
)
eval_app.callback()(eval_command)
eval_app.command("generate")(generate_command)
