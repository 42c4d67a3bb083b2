"""Generated items carry a review status: only reviewed ones run, and reviews are saved back to the file."""

import json
from pathlib import Path

import pytest

from citewise.evals.dataset import DatasetError, load_dataset
from citewise.evals.review import read_records, review_counts, save_review


def _item(item_id: str, review: str | None, answerable: bool = True) -> dict:
    record = {
        "id": item_id,
        "question": f"Question {item_id}?",
        "answers": ["citric acid"] if answerable else [],
        "evidence": ["Descale with citric acid."] if answerable else [],
        "answerable": answerable,
    }
    if review is not None:
        record |= {"review": review, "origin": {"generator": "ollama:test", "seed": 0, "kind": "answerable"}}
    return record


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    return _write(
        tmp_path / "mixed.jsonl",
        [
            _item("hand", None),
            _item("pending", "pending"),
            _item("kept", "kept"),
            _item("edited", "edited", answerable=False),
            _item("dropped", "dropped"),
        ],
    )


def test_only_hand_written_and_reviewed_items_run(mixed: Path) -> None:
    assert [item.id for item in load_dataset(mixed)] == ["hand", "kept", "edited"]


def test_include_pending_adds_pending_items_but_never_dropped_ones(mixed: Path) -> None:
    assert [item.id for item in load_dataset(mixed, include_pending=True)] == ["hand", "pending", "kept", "edited"]


def test_an_unknown_review_status_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl", [_item("a", "kept"), _item("b", "maybe")])
    with pytest.raises(DatasetError, match=r"bad\.jsonl:2: 'review' must be one of pending, kept"):
        load_dataset(path)


def test_a_malformed_item_fails_even_when_it_would_not_run(tmp_path: Path) -> None:
    broken = _item("b", "dropped") | {"answerable": "yes"}
    with pytest.raises(DatasetError, match=r":2: 'answerable' must be true or false"):
        load_dataset(_write(tmp_path / "d.jsonl", [_item("a", "kept"), broken]))


def test_counts_by_status(mixed: Path) -> None:
    counts = review_counts(read_records(mixed))
    assert counts == {"pending": 1, "kept": 1, "edited": 1, "dropped": 1, "hand-written": 1}


def test_keep_and_drop_are_saved_back_with_everything_else_untouched(mixed: Path) -> None:
    before = read_records(mixed)
    save_review(mixed, "pending", "kept")
    save_review(mixed, "kept", "dropped")
    after = read_records(mixed)
    assert [r["review"] for r in after if "review" in r] == ["kept", "dropped", "edited", "dropped"]
    assert [{k: v for k, v in r.items() if k != "review"} for r in after] == [
        {k: v for k, v in r.items() if k != "review"} for r in before
    ]
    assert [item.id for item in load_dataset(mixed)] == ["hand", "pending", "edited"]
    assert not list(mixed.parent.glob(".mixed.jsonl.*"))  # no temporary file left behind


def test_an_edit_replaces_the_question_and_answer(mixed: Path) -> None:
    saved = save_review(mixed, "pending", "edited", question="  What descales a kettle? ", answer="citric acid powder")
    assert saved["question"] == "What descales a kettle?" and saved["answers"] == ["citric acid powder"]
    (item,) = [i for i in load_dataset(mixed) if i.id == "pending"]
    assert item.question == "What descales a kettle?" and item.answers == ("citric acid powder",)


def test_an_edit_gives_no_answer_to_an_unanswerable_item(mixed: Path) -> None:
    saved = save_review(mixed, "edited", "edited", question="Who designed it?", answer="someone")
    assert saved["answers"] == [] and saved["question"] == "Who designed it?"


def test_reviewing_an_unknown_item_or_status_is_refused(mixed: Path) -> None:
    with pytest.raises(KeyError, match="no item 'nope'"):
        save_review(mixed, "nope", "kept")
    with pytest.raises(ValueError, match="not 'fine'"):
        save_review(mixed, "kept", "fine")
