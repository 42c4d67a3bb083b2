"""Review a generated eval set: read its items, record Keep / Edit / Drop, and write the file back whole."""

import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from citewise.evals.dataset import REVIEW_STATUSES, DatasetError, parse_record


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every item of the file as written (blank lines skipped); DatasetError naming the line when one is malformed."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = parse_record(line)
        except (ValueError, TypeError) as exc:
            raise DatasetError(f"{path}:{number}: {exc}") from exc
        if not isinstance(record.get("id"), str):
            raise DatasetError(f"{path}:{number}: missing key 'id'")
        records.append(record)
    return records


def review_counts(records: list[dict[str, Any]]) -> dict[str, int]:
    """How many items have each status (`hand-written` for items without one)."""
    counts = Counter(record.get("review", "hand-written") for record in records)
    return {status: counts[status] for status in (*REVIEW_STATUSES, "hand-written")}


def save_review(
    path: Path, item_id: str, status: str, question: str | None = None, answer: str | None = None
) -> dict[str, Any]:
    """Set one item's review status (and, for `edited`, its new question and answer) and rewrite the file
    atomically, so a crash leaves the old file or the new one. Returns the updated item."""
    if status not in REVIEW_STATUSES:
        raise ValueError(f"review status must be one of {', '.join(REVIEW_STATUSES)}, not {status!r}")
    records = read_records(path)
    record = next((r for r in records if r["id"] == item_id), None)
    if record is None:
        raise KeyError(f"{path} has no item {item_id!r}")
    if status == "edited":
        if question is not None and question.strip():
            record["question"] = question.strip()
        if answer is not None and answer.strip() and record.get("answerable"):
            record["answers"] = [answer.strip()]
    record["review"] = status
    _write_atomically(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return record


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
