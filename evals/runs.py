"""Eval runs kept as JSON, one file each under data_dir/eval-runs, in the shape `citewise eval --json` writes,
so runs from the CLI and the UI can be compared later."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from citewise.evals.dataset import EvalItem


@dataclass(frozen=True)
class EvalRun:
    """One run: what was asked of which configurations, the runner's result, and the gold answers."""

    id: str
    created: str
    dataset: str
    configs: tuple[str, ...]
    retrieval_only: bool
    summary: dict[str, dict[str, Any]]
    items: list[dict[str, Any]]
    gold: dict[str, dict[str, Any]]  # item id -> answers, evidence, answerable

    @property
    def label(self) -> str:
        when = datetime.fromisoformat(self.created).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        kind = "retrieval only" if self.retrieval_only else "answers"
        return f"{when} · {self.dataset} · {len(self.items)} questions · {kind} · {', '.join(self.configs)}"


def save_run(
    folder: Path,
    dataset: str,
    configs: Sequence[str],
    retrieval_only: bool,
    result: dict[str, Any],
    items: Sequence[EvalItem],
) -> EvalRun:
    """Keep a finished run; its id is its creation time, so runs sort oldest first."""
    now = datetime.now().astimezone()
    run = EvalRun(
        id=now.strftime("%Y%m%d-%H%M%S-%f"),
        created=now.isoformat(timespec="seconds"),
        dataset=dataset,
        configs=tuple(configs),
        retrieval_only=retrieval_only,
        summary=result["summary"],
        items=result["items"],
        gold={
            item.id: {"answers": list(item.answers), "evidence": list(item.evidence), "answerable": item.answerable}
            for item in items
        },
    )
    write_run(folder / f"{run.id}.json", run)
    return run


def write_run(path: Path, run: EvalRun) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**run.__dict__, "configs": list(run.configs)}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


@dataclass(frozen=True)
class SavedRuns:
    runs: list[EvalRun]  # newest first
    damaged: list[str]  # "file: why" for each kept file that cannot be read


def load_runs(folder: Path) -> SavedRuns:
    """Every readable past run, newest first; a damaged file is listed, not fatal."""
    runs: list[EvalRun] = []
    damaged: list[str] = []
    for path in sorted(folder.glob("*.json"), reverse=True):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            runs.append(EvalRun(**{**data, "configs": tuple(data["configs"])}))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            damaged.append(f"{path.name}: {type(exc).__name__}: {exc}")
    return SavedRuns(runs, damaged)
