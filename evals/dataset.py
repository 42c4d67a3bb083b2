"""Load evaluation datasets: JSONL, one question with its expected answers per line."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The hand-written questions about the bundled corpus/ (the sample articles).
DEV_SET = Path(__file__).resolve().parent / "datasets" / "dev.jsonl"


# A generated item carries a review status; only a reviewed one (kept, or kept after an edit) is run, unless
# pending ones are asked for. Dropped items never run. Items without a status (hand-written) always run.
REVIEW_STATUSES = ("pending", "kept", "edited", "dropped")
REVIEWED = ("kept", "edited")


class DatasetError(ValueError):
    """A dataset line is malformed; the message names the file and line number."""


@dataclass(frozen=True)
class EvalItem:
    """One evaluation question with the answers and corpus evidence that support it."""

    id: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[str, ...]
    answerable: bool


def _field(record: dict[str, Any], key: str) -> Any:
    if key not in record:
        raise ValueError(f"missing key '{key}'")
    return record[key]


def _string(record: dict[str, Any], key: str) -> str:
    value = _field(record, key)
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"'{key}' must be a non-empty string")
    return value


def _strings(record: dict[str, Any], key: str) -> tuple[str, ...]:
    value = _field(record, key)
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise TypeError(f"'{key}' must be a list of non-empty strings")
    return tuple(value)


def parse_record(line: str) -> dict[str, Any]:
    """One JSON line as a dict, with a valid `review` status if it has one."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg}") from exc
    if not isinstance(record, dict):
        raise TypeError("line must be a JSON object")
    if "review" in record and record["review"] not in REVIEW_STATUSES:
        raise ValueError(f"'review' must be one of {', '.join(REVIEW_STATUSES)}, not {record['review']!r}")
    return record


def runs_in_eval(record: dict[str, Any], include_pending: bool = False) -> bool:
    """Whether an eval runs this item: hand-written ones always, generated ones once reviewed as kept."""
    status = record.get("review")
    return status is None or status in REVIEWED or (include_pending and status == "pending")


def _item(record: dict[str, Any]) -> EvalItem:
    """Build an item from one record; unknown keys (`origin`, `review`) are ignored."""
    answerable = _field(record, "answerable")
    if not isinstance(answerable, bool):
        raise TypeError("'answerable' must be true or false")
    item = EvalItem(
        id=_string(record, "id"),
        question=_string(record, "question"),
        answers=_strings(record, "answers"),
        evidence=_strings(record, "evidence"),
        answerable=answerable,
    )
    if item.answerable and not item.answers:
        raise ValueError("answerable item has no answers")
    return item


def load_dataset(path: Path, include_pending: bool = False) -> list[EvalItem]:
    """Read a JSONL dataset, skipping blank lines and the items `runs_in_eval` leaves out (every line is
    still checked); DatasetError on a malformed line."""
    items: list[EvalItem] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = parse_record(line)
            item = _item(record)
            if item.id in seen:
                raise ValueError(f"duplicate id {item.id!r}")
        except (ValueError, TypeError) as exc:
            raise DatasetError(f"{path}:{number}: {exc}") from exc
        seen.add(item.id)
        if runs_in_eval(record, include_pending):
            items.append(item)
    return items


SPLITS = ("tune", "report")


def split_items(items: Sequence[EvalItem], split: str | None) -> list[EvalItem]:
    """The tuning or the report half of a dataset (None: all of it). An item's half follows from its id
    alone, so it never moves when items are added: tune thresholds on one half, report the other."""
    if split is None:
        return list(items)
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; use {' or '.join(SPLITS)}")
    return [item for item in items if SPLITS[hashlib.sha256(item.id.encode()).digest()[0] % 2] == split]
