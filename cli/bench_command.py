"""`citewise bench`: measure speed beside the targets, print one table (or JSON), write JSON."""

import sys
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from citewise.cli.errors import fail
from citewise.cli.terminal import json_text
from citewise.service import BenchOptions, Citewise, format_rows, machine_line

DEFAULTS = BenchOptions()  # every part, the default scales, the bundled corpus, the user's cache


class _Bars:
    """One tqdm bar per kind of step; a note (total 0) is a line on stderr."""

    def __init__(self) -> None:
        self.bars: dict[str, tqdm] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        if total == 0:
            typer.echo(what + "...", err=True)
            return
        bar = self.bars.get(what)
        if bar is None or bar.total != total or done < bar.n:
            if bar is not None:
                bar.close()
            bar = self.bars[what] = tqdm(total=total, desc=what, file=sys.stderr, mininterval=1.0, leave=False)
        bar.update(done - bar.n)
        if done == total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _scales(values: list[str]) -> list[int]:
    """`--scale 1000 10000`, `--scale 1000,10000` or `--scale 1000 --scale 10000`: positive chunk counts."""
    sizes = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if not all(size.isdigit() and int(size) > 0 for size in sizes):
        raise fail(f"--scale takes positive chunk counts, like --scale 1000 10000 100000; not {' '.join(sizes)}")
    return [int(size) for size in sizes]


def bench_command(
    out: Annotated[Path | None, typer.Option("--out", help="Also write the figures here, as JSON.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON, not the table.")] = False,
    scale: Annotated[
        list[str] | None,
        typer.Option("--scale", help="Index sizes in chunks for search: --scale 1000 10000 100000 (or 1000,10000)."),
    ] = None,
    more_scales: Annotated[list[str] | None, typer.Argument(hidden=True)] = None,
    only: Annotated[str, typer.Option("--only", help=f"Comma-separated parts: {','.join(DEFAULTS.only)}.")] = ",".join(
        DEFAULTS.only
    ),
    questions: Annotated[int, typer.Option("--questions", min=1, help="Dev questions the ask part answers.")] = 10,
    queries: Annotated[
        int | None, typer.Option("--queries", min=1, help="Dev questions searched per scale and mode (default: all).")
    ] = None,
    folder: Annotated[Path, typer.Option("--folder", help="What the ingest part indexes.")] = DEFAULTS.folder,
    cache_dir: Annotated[
        Path, typer.Option("--cache-dir", help="Where the synthetic chunks' sentence vectors are kept.")
    ] = DEFAULTS.cache_dir,
) -> None:
    """Measure ingest, search at 1k-100k chunks, adding a file, answers and start-up beside their targets."""
    parts = [part.strip() for part in only.split(",") if part.strip()]
    scales = _scales([*(scale or []), *(more_scales or [])]) if scale else list(DEFAULTS.scales)
    if more_scales and not scale:
        raise fail(f"unexpected arguments {' '.join(more_scales)}: sizes follow --scale")
    options = BenchOptions(scales, parts, questions, queries, folder, cache_dir)
    bars = _Bars()
    try:
        report = Citewise.bench(options, bars)
    except ValueError as exc:
        raise fail(f"{exc}") from exc
    finally:
        bars.close()
    data = {"command": " ".join(["citewise", *sys.argv[1:]])} | report.to_json()
    if as_json:
        typer.echo(json_text(data))
    else:
        typer.echo(f"Machine: {machine_line(report.machine)}")
        typer.echo(format_rows(report.rows))
        typer.echo(f"{len(report.rows)} rows in {report.seconds:.0f} s")
    if out:
        out.write_text(json_text(data), encoding="utf-8")
        typer.echo(f"Wrote {out}", err=True)
