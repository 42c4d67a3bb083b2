"""`citewise eval`: run configurations over a dataset, print one side-by-side table, write JSON;
`citewise eval generate`: write a dataset about the indexed documents, for review."""

import sys
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from citewise.cli.errors import fail, stop_on_ctrl_c
from citewise.cli.kb_command import KbOption, open_base
from citewise.cli.terminal import echo, json_text, secho
from citewise.service import (
    COMPARED,
    CONFIGS,
    SPLITS,
    BackendUnavailable,
    BenchError,
    Citewise,
    ConfigError,
    CorpusNotIndexed,
    DatasetError,
    EvalSet,
    GenerateOptions,
    GenerationReport,
    StoreError,
    format_bench_table,
    format_table,
    write_run,
)


def eval_command(
    ctx: typer.Context,
    dataset: Annotated[
        Path | None, typer.Option("--dataset", help="JSONL questions: id, question, answers, evidence, answerable.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the run (summary, per-item results) here, as JSON."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the run (summary, per-item results) as JSON, not the table.")
    ] = False,
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
    kb: KbOption = None,
) -> None:
    """Measure retrieval, answers, citations and refusals on a dataset, configurations side by side."""
    if ctx.invoked_subcommand is not None:
        return
    if dataset is None:
        raise fail("Missing option '--dataset': a JSONL question set (or `citewise eval generate` to make one).")
    if verifier_only:
        _bench_verifier(dataset, split, config or ["default"], out, as_json)
        return
    try:
        eval_set = Citewise.eval_set(dataset, split, include_pending)
    except DatasetError as exc:
        raise fail(f"bad dataset: {exc}") from exc
    except OSError as exc:
        raise fail(f"cannot read the dataset {dataset}: {exc.strerror or exc}") from exc
    _say_unreviewed(eval_set)
    items = eval_set.items
    if not items:
        raise fail(f"{dataset} has no questions to run (generated items run once reviewed as kept).")
    try:
        names = Citewise.eval_configs(config or [])
    except ConfigError as exc:
        raise fail(str(exc)) from exc

    try:
        service = open_base(kb)
        indexed = service.index_eval_corpus(eval_set, _say_indexing)
        if indexed is not None:
            echo(f"Indexed {indexed.added} documents ({indexed.chunks} chunks).", err=True)
        with tqdm(total=len(items) * len(names), desc="Evaluating", unit="q", file=sys.stderr, mininterval=1.0) as bar:

            def progress(done: int, total: int, label: str) -> None:
                bar.set_postfix_str(label, refresh=False)
                bar.update(done - bar.n)

            if not retrieval_only:
                bar.set_postfix_str("loading the model")
            run = service.evaluate(
                eval_set.label, items, names, retrieval_only, k, progress=progress, evidence_only=evidence_only
            )
    except (StoreError, BackendUnavailable, ConfigError, CorpusNotIndexed) as exc:
        raise fail(str(exc)) from exc

    echo(json_text(run.to_json(), indent=1) if as_json else format_table(run.summary))
    errors = sum(config.errors for config in run.summary)
    if errors:
        secho(f"{errors} question runs failed; their errors are in the per-item results.", fg="yellow", err=True)
    echo(f"Kept as eval run {run.id} (the web UI's Evals page lists it).", err=True)
    if out:
        write_run(out, run)
        echo(f"Wrote {out}", err=True)


def _say_indexing(corpus: Path) -> None:
    echo(f"The index is empty: indexing {corpus} first.", err=True)


def _bench_verifier(bench: Path, split: str | None, configs: list[str], out: Path | None, as_json: bool) -> None:
    if split is not None and split not in SPLITS:
        raise fail(f"unknown split {split!r}; use {' or '.join(SPLITS)}.")
    try:
        items = Citewise.verifier_bench(bench, split)
    except BenchError as exc:
        raise fail(f"bad verifier bench: {exc}") from exc
    except OSError as exc:
        raise fail(f"cannot read the verifier bench {bench}: {exc.strerror or exc}") from exc
    if not items:
        raise fail(f"{bench} has no claims to judge{f' in the {split} half' if split else ''}.")
    try:
        result = Citewise().bench_verifier(items, configs)
    except ConfigError as exc:
        raise fail(str(exc)) from exc
    data = {"dataset": str(bench), "split": split, **result}
    echo(json_text(data, indent=1) if as_json else format_bench_table(result["summary"]))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json_text(data, indent=1), encoding="utf-8")
        echo(f"Wrote {out}", err=True)


def _say_unreviewed(eval_set: EvalSet) -> None:
    if eval_set.left_out:
        echo(
            f"{eval_set.left_out} generated items left out: {eval_set.pending} pending review, "
            f"{eval_set.dropped} dropped "
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
    kb: KbOption = None,
) -> None:
    """Write an eval set about your indexed documents with the local model; review it before running it."""
    try:
        options = GenerateOptions(n, unanswerable, tuple(c.strip() for c in languages.split(",") if c.strip()), seed)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    service = open_base(kb)
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
