"""Load evaluation datasets: JSONL, one question with its expected answers per line."""

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

SPLITS = ("tune", "report")
T = TypeVar("T")

_HERE = Path(__file__).resolve().parent
# The hand-written questions about the bundled corpus/ (the sample articles).
DEV_SET = _HERE / "datasets" / "dev.jsonl"
# Questions about a corpus nobody on the project wrote: the SQLite documentation, vendored in the repo.
SQLITE_SET = _HERE / "datasets" / "sqlite.jsonl"
SQLITE_CORPUS = _HERE / "corpora" / "sqlite"

# What a question asks for; the kinds of an unanswerable question say why the corpus cannot answer it:
# a near miss (the corpus states a neighbouring fact, not the asked one) or a question off the topic.
ANSWERABLE_KINDS = ("fact", "number", "list", "table", "yesno", "why", "howto", "compare", "conflict")
UNANSWERABLE_KINDS = ("near_miss", "off_topic")
LANGUAGES = ("en", "zh", "es", "de", "fr", "ja")


def corpus_for(dataset: Path) -> Path | None:
    """The vendored corpus a bundled dataset asks about, when it is not the sample articles (None: it is them,
    or the dataset is the user's own)."""
    return SQLITE_CORPUS if dataset.resolve() == SQLITE_SET else None


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
    kind: str = ""  # one of ANSWERABLE_KINDS or UNANSWERABLE_KINDS; "": not classified (the older items)
    lang: str = "en"
    # A question in two parts, one the corpus answers (`answers`, `evidence`) and one it does not;
    # `answered_part` says which is which.
    partial: bool = False
    answered_part: str = ""
    source: str = ""  # the corpus file the evidence is in ("": any)
    split: str = ""  # "tune" or "report" when set by hand; else the id decides (see split_items)


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


def _optional(record: dict[str, Any], key: str, default: Any, allowed: tuple[Any, ...] | None = None) -> Any:
    value = record.get(key, default)
    if not isinstance(value, type(default)):
        raise TypeError(f"'{key}' must be a {type(default).__name__}")
    if allowed is not None and value not in allowed:
        raise ValueError(f"'{key}' must be one of {', '.join(map(str, allowed))}, not {value!r}")
    return value


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
        kind=_optional(record, "kind", "", ("", *(ANSWERABLE_KINDS if answerable else UNANSWERABLE_KINDS))),
        lang=_optional(record, "lang", "en", LANGUAGES),
        partial=_optional(record, "partial", False),
        answered_part=_optional(record, "answered_part", ""),
        source=_optional(record, "source", ""),
        split=_optional(record, "split", "", ("", *SPLITS)),
    )
    if item.answerable and not item.answers:
        raise ValueError("answerable item has no answers")
    if item.partial and not (item.answerable and item.answered_part.strip()):
        raise ValueError("a partial item is answerable and says which part is answered ('answered_part')")
    return item


def read_jsonl(path: Path, parse: Callable[[str], T], id_of: Callable[[T], str], error: type[DatasetError]) -> list[T]:
    """Every non-blank line of a JSONL file, parsed; `error` names the file and line of a malformed one (or of a
    repeated id)."""
    parsed: list[T] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = parse(line)
            if id_of(value) in seen:
                raise ValueError(f"duplicate id {id_of(value)!r}")
        except (ValueError, TypeError) as exc:
            raise error(f"{path}:{number}: {exc}") from exc
        seen.add(id_of(value))
        parsed.append(value)
    return parsed


def load_dataset(path: Path, include_pending: bool = False) -> list[EvalItem]:
    """Read a JSONL dataset, skipping blank lines and the items `runs_in_eval` leaves out (every line is
    still checked); DatasetError on a malformed line."""

    def parse(line: str) -> tuple[EvalItem, bool]:
        record = parse_record(line)
        return _item(record), runs_in_eval(record, include_pending)

    lines = read_jsonl(path, parse, lambda parsed: parsed[0].id, DatasetError)
    return [item for item, runs in lines if runs]


def split_items(items: Sequence[EvalItem], split: str | None) -> list[EvalItem]:
    """The tuning or the report half of a dataset (None: all of it): tune thresholds on one half, report the
    other. An item's half is its own `split` when it names one (the newer items, dealt out so each kind and
    language is halved evenly), else follows from its id alone; either way it never moves when items are added."""
    if split is None:
        return list(items)
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; use {' or '.join(SPLITS)}")
    return [item for item in items if half(item) == split]


def half(item: EvalItem) -> str:
    """The half an item belongs to: its own `split`, else one chosen by a hash of its id."""
    return item.split or SPLITS[hashlib.sha256(item.id.encode()).digest()[0] % 2]
