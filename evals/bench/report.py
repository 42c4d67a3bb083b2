"""The benchmark's rows, printed as one plain-text table beside their targets, and as JSON."""

import resource
from dataclasses import asdict, dataclass, field
from typing import Any

from citewise.evals.metrics import percentile


@dataclass(frozen=True)
class Row:
    """One measured figure: what it is, the result as read, the issue's target and whether it is met
    (None: no target, or nothing to compare), and the raw figures for the JSON."""

    benchmark: str
    result: str
    target: str = "-"
    met: bool | None = None
    peak_rss_mib: float | None = None  # this process's peak so far (or the measured subprocess's)
    figures: dict[str, Any] = field(default_factory=dict)


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def spread(values: list[float]) -> dict[str, float | int | None]:
    """p50/p95 (linear interpolation, as the evals) of millisecond timings, and how many there were."""
    if not values:
        return {"p50_ms": None, "p95_ms": None, "n": 0}
    return {"p50_ms": round(percentile(values, 50), 1), "p95_ms": round(percentile(values, 95), 1), "n": len(values)}


def spread_text(values: dict[str, float | int | None]) -> str:
    if not values["n"]:
        return "n/a"
    return f"p50 {values['p50_ms']:.0f} ms, p95 {values['p95_ms']:.0f} ms (n={values['n']})"


def _met(met: bool | None) -> str:
    return "-" if met is None else "yes" if met else "NO"


def format_rows(rows: list[Row]) -> str:
    """One pipe table: benchmark, result, target, met, peak RSS."""
    cells = [["benchmark", "result", "target", "met", "peak RSS MiB"]] + [
        [
            row.benchmark,
            row.result,
            row.target,
            _met(row.met),
            "-" if row.peak_rss_mib is None else f"{row.peak_rss_mib:.0f}",
        ]
        for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def rows_json(rows: list[Row]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]
