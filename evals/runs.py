"""Eval runs kept as JSON, one file each under data_dir/eval-runs, in the shape `citewise eval --out` writes,
so runs from the CLI and the UI can be compared later."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from citewise.evals.dataset import EvalItem
from citewise.evals.results import ConfigSummary, Gold, ItemResult, RunResult


@dataclass(frozen=True)
class EvalRun:
    """One run: what was asked of which configurations, the runner's result, and the gold answers."""

    id: str
    created: str
    dataset: str
    configs: tuple[str, ...]
    retrieval_only: bool
    summary: tuple[ConfigSummary, ...]  # one per configuration, in the order they ran
    items: tuple[ItemResult, ...]
    gold: dict[str, Gold]  # item id -> what it expects

    @property
    def label(self) -> str:
        when = datetime.fromisoformat(self.created).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        kind = "retrieval only" if self.retrieval_only else "answers"
        return f"{when} · {self.dataset} · {len(self.items)} questions · {kind} · {', '.join(self.configs)}"

    @property
    def main_config(self) -> str:
        """The configuration the items are judged by first: the default when it ran, else the first one."""
        return next((item.config for item in self.items), self.configs[0] if self.configs else "")

    def gold_for(self, item: ItemResult) -> Gold:
        """What `item` expects; a run kept without its gold answers expects what the item says of itself."""
        return self.gold.get(item.id) or Gold((), (), item.answerable)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": self.created,
            "dataset": self.dataset,
            "configs": list(self.configs),
            "retrieval_only": self.retrieval_only,
            "summary": {s.name: s.metrics for s in self.summary},
            "items": [item.to_json() for item in self.items],
            "gold": {item_id: gold.to_json() for item_id, gold in self.gold.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "EvalRun":
        return cls(
            id=data["id"],
            created=data["created"],
            dataset=data["dataset"],
            configs=tuple(data["configs"]),
            retrieval_only=data["retrieval_only"],
            summary=tuple(ConfigSummary(name, metrics) for name, metrics in data["summary"].items()),
            items=tuple(ItemResult.from_json(item) for item in data["items"]),
            gold={item_id: Gold.from_json(gold) for item_id, gold in data["gold"].items()},
        )


def save_run(
    folder: Path,
    dataset: str,
    retrieval_only: bool,
    result: RunResult,
    items: Sequence[EvalItem],
) -> EvalRun:
    """Keep a finished run; its id is its creation time, so runs sort oldest first."""
    now = datetime.now().astimezone()
    run = EvalRun(
        id=now.strftime("%Y%m%d-%H%M%S-%f"),
        created=now.isoformat(timespec="seconds"),
        dataset=dataset,
        configs=tuple(result.configs),
        retrieval_only=retrieval_only,
        summary=result.summary,
        items=result.items,
        gold={item.id: Gold(tuple(item.answers), tuple(item.evidence), item.answerable) for item in items},
    )
    write_run(folder / f"{run.id}.json", run)
    return run


def write_run(path: Path, run: EvalRun) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")


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
            runs.append(EvalRun.from_json(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError, KeyError, AttributeError, StopIteration) as exc:
            damaged.append(f"{path.name}: {type(exc).__name__}: {exc}")
    return SavedRuns(runs, damaged)
