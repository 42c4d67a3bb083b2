"""The dev dataset is well-formed, large enough, and grounded verbatim in the corpus."""

import json
import re
from pathlib import Path

import pytest

from citewise.evals.dataset import SPLITS, DatasetError, EvalItem, half, load_dataset, split_items

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_DATASET = REPO_ROOT / "evals" / "datasets" / "dev.jsonl"
CORPUS_DIR = REPO_ROOT / "corpus"
CJK = re.compile(r"[\u4e00-\u9fff]")
VALID = {
    "id": "a-01",
    "question": "Q?",
    "answers": ["A"],
    "evidence": ["e"],
    "answerable": True,
}


def corpus_bodies() -> dict[str, str]:
    """Map each corpus file name to its text after the front matter."""
    bodies = {}
    for path in sorted(CORPUS_DIR.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, _, rest = text.partition("\n---\n")
        bodies[path.name] = rest
    return bodies


@pytest.fixture(scope="module")
def items() -> list[EvalItem]:
    return load_dataset(DEV_DATASET)


def test_dev_dataset_meets_minimum_counts(items: list[EvalItem]) -> None:
    answerable = [item for item in items if item.answerable]
    chinese = [item for item in items if item.id.startswith("zh-") and CJK.search(item.question)]
    assert len(answerable) >= 60
    assert len(items) - len(answerable) >= 15
    assert len(chinese) >= 5


def test_unanswerable_items_carry_no_answers_or_evidence(items: list[EvalItem]) -> None:
    offenders = [item.id for item in items if not item.answerable and (item.answers or item.evidence)]
    assert not offenders


def test_every_evidence_string_is_verbatim_in_the_corpus(items: list[EvalItem]) -> None:
    bodies = corpus_bodies().values()
    missing = [
        (item.id, evidence)
        for item in items
        for evidence in item.evidence
        if not any(evidence in body for body in bodies)
    ]
    assert not missing, f"evidence not found verbatim in any corpus body: {missing}"


def test_every_article_has_ten_questions(items: list[EvalItem]) -> None:
    bodies = corpus_bodies()
    assert bodies, f"no corpus articles in {CORPUS_DIR}"
    counts = {
        name: sum(any(evidence in body for evidence in item.evidence) for item in items)
        for name, body in bodies.items()
    }
    assert all(count >= 10 for count in counts.values()), counts


def write_lines(path: Path, *records: dict | str) -> Path:
    """Write records (dicts as JSON, strings verbatim) one per line."""
    lines = [json.dumps(record) if isinstance(record, dict) else record for record in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        ('{"id": "b-01", "question": ', "invalid JSON"),
        ('["not", "an", "object"]', "JSON object"),
        (
            {key: value for key, value in VALID.items() if key != "question"} | {"id": "b-01"},
            "missing key 'question'",
        ),
        (VALID | {"id": "b-01", "answers": "A"}, "'answers'"),
        (VALID | {"id": "b-01", "evidence": [1]}, "'evidence'"),
        (VALID | {"id": "b-01", "answerable": "yes"}, "'answerable'"),
        (VALID, "duplicate id"),
        (VALID | {"id": "b-01", "answers": []}, "no answers"),
        (VALID | {"id": "b-01", "kind": "riddle"}, "'kind' must be one of"),
        (VALID | {"id": "b-01", "kind": "near_miss"}, "'kind' must be one of"),
        (VALID | {"id": "b-01", "lang": "xx"}, "'lang' must be one of"),
        (VALID | {"id": "b-01", "partial": "yes"}, "'partial' must be a bool"),
        (VALID | {"id": "b-01", "partial": True}, "'answered_part'"),
        (VALID | {"id": "b-01", "split": "dev"}, "'split' must be one of"),
    ],
    ids=[
        "bad-json",
        "not-object",
        "missing-key",
        "answers-not-list",
        "evidence-not-strings",
        "answerable-not-bool",
        "duplicate-id",
        "answerable-without-answers",
        "unknown-kind",
        "unanswerable-kind-on-answerable",
        "unknown-language",
        "partial-not-bool",
        "partial-without-answered-part",
        "unknown-split",
    ],
)
def test_malformed_line_raises_with_line_number(tmp_path: Path, bad_line: dict | str, reason: str) -> None:
    path = write_lines(tmp_path / "bad.jsonl", VALID, "", bad_line)
    with pytest.raises(DatasetError, match=re.escape(f"{path}:3: ") + ".*" + re.escape(reason)):
        load_dataset(path)


def test_extra_keys_are_tolerated_and_blank_lines_skipped(tmp_path: Path) -> None:
    unanswerable = {
        "id": "u-01",
        "question": "Q?",
        "answers": [],
        "evidence": [],
        "answerable": False,
    }
    path = write_lines(
        tmp_path / "ok.jsonl",
        VALID | {"note": "extra", "tags": [1]},
        "  ",
        unanswerable,
    )
    assert load_dataset(path) == [
        EvalItem(id="a-01", question="Q?", answers=("A",), evidence=("e",), answerable=True),
        EvalItem(id="u-01", question="Q?", answers=(), evidence=(), answerable=False),
    ]


def test_the_two_halves_split_a_dataset_by_id_and_never_move() -> None:
    items = load_dataset(DEV_DATASET)
    tune, report = split_items(items, "tune"), split_items(items, "report")
    assert len(tune) + len(report) == len(items) and not {i.id for i in tune} & {i.id for i in report}
    assert min(len(tune), len(report)) > len(items) / 3
    # An item's half depends on its id only: the same halves from a shuffled, shortened copy.
    shuffled = list(reversed(items))[5:]
    assert {i.id for i in split_items(shuffled, "tune")} == {i.id for i in tune} & {i.id for i in shuffled}
    assert split_items(items, None) == items


def test_new_fields_load_and_an_item_may_name_its_half(tmp_path: Path) -> None:
    partial = VALID | {"kind": "number", "lang": "zh", "partial": True, "answered_part": "the count"}
    named = VALID | {"id": "a-02", "source": "x.md", "split": "report"}
    path = write_lines(tmp_path / "new.jsonl", partial, named)
    first, second = load_dataset(path)
    assert (first.kind, first.lang, first.partial, first.answered_part) == ("number", "zh", True, "the count")
    assert (second.source, second.split) == ("x.md", "report")
    # An item naming its half goes there, whatever its id would hash to; one that names none follows its id.
    for wanted in SPLITS:
        item = EvalItem(id="a-01", question="Q?", answers=("A",), evidence=("e",), answerable=True, split=wanted)
        assert split_items([item], wanted) == [item] and half(item) == wanted
    plain = EvalItem(id="a-01", question="Q?", answers=("A",), evidence=("e",), answerable=True)
    assert split_items([plain], half(plain)) == [plain]


def test_an_unknown_split_is_refused() -> None:
    with pytest.raises(DatasetError, match="unknown split 'dev'; use tune or report"):
        split_items([], "dev")
