"""Kept eval runs: one JSON shape for the CLI and the UI, read back as types, runs kept before the types
load, and a damaged file named, not hidden."""

import json
import shutil
from pathlib import Path

from citewise.evals.dataset import EvalItem
from citewise.evals.metrics import ItemScores
from citewise.evals.results import CitedQuote, ConfigResult, ConfigSummary, Gold, ItemResult, RunResult
from citewise.evals.runs import load_runs, save_run, write_run
from citewise.evals.verdicts import item_right, verdict_checks

ITEM = EvalItem("q1", "How many eggs a day?", ("2,000",), ("up to 2,000 eggs a day",), True)
SCORES = ItemScores(answerable=True, hit=1.0, evidence_recall=1.0, reciprocal_rank=1.0, seconds=0.5)
RESULT = RunResult(
    (ConfigSummary("dense", {"k": 5, "questions": 1, "hit@k": 1.0, "errors": 0}),),
    (
        ItemResult(
            "q1",
            ITEM.question,
            True,
            "dense",
            {"question": ITEM.question, "answer": None, "refused": None, "citations": [], "retrieved": []},
            {"dense": ConfigResult(SCORES, ("c1", "c2"))},
        ),
    ),
)
# A run kept on 2026-12-07 by the code before these types (one answered item, one refusal; two passages each).
KEPT_BEFORE = Path(__file__).parent / "data" / "run-kept-2026-12-07.json"


def test_a_kept_run_reads_back_and_the_json_export_is_the_same_file(tmp_path: Path) -> None:
    run = save_run(tmp_path / "runs", "set.jsonl", True, RESULT, [ITEM])
    exported = tmp_path / "out" / "run.json"
    write_run(exported, run)

    [loaded] = load_runs(tmp_path / "runs").runs
    assert loaded == run
    assert exported.read_text(encoding="utf-8") == (tmp_path / "runs" / f"{run.id}.json").read_text(encoding="utf-8")
    assert loaded.gold["q1"] == Gold(("2,000",), ("up to 2,000 eggs a day",), True)
    assert loaded.configs == ("dense",) and loaded.summary[0].errors == 0
    assert loaded.items[0].main.retrieved == ("c1", "c2") and loaded.items[0].main.scores.seconds == 0.5


def test_a_run_kept_before_the_types_loads_and_writes_back_the_same_file(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    shutil.copy(KEPT_BEFORE, folder / KEPT_BEFORE.name)

    saved = load_runs(folder)

    assert saved.damaged == []
    [run] = saved.runs
    assert run.dataset == "dev-chunk-00g.jsonl" and run.configs == ("grounded",) and not run.retrieval_only
    [summary] = run.summary
    assert summary.name == "grounded" and summary.value("answer_accuracy") == 1.0 and summary.errors == 0
    answered, refused = run.items
    assert (
        answered.config == "grounded"
        and answered.main.answer == "The sparse expert model developed by Google is GlaM. [1]"
    )
    assert answered.main.scores.correct is True and answered.main.scores.context_tokens == 278
    assert answered.main.citations[0] == CitedQuote(
        1, "fa78d1e4fad1d362-3bba87dbb43a-0053", (325, 779), answered.main.citations[0].quote
    )
    assert "GlaM" in answered.passages[0]
    assert run.gold_for(answered).answers == ("GlaM",)
    assert item_right(answered.main, retrieval_only=False) and item_right(refused.main, retrieval_only=False)
    assert [(c.verdict, c.right) for c in verdict_checks(refused.main, run.gold_for(refused), answered=True)] == [
        ("Right", True)
    ]
    assert [c.verdict for c in verdict_checks(answered.main, run.gold_for(answered), answered=True)] == [
        "Retrieval right",
        "Right",
        "",
    ]
    written = tmp_path / "again.json"
    write_run(written, run)
    assert json.loads(written.read_text(encoding="utf-8")) == json.loads(KEPT_BEFORE.read_text(encoding="utf-8"))
    assert written.read_text(encoding="utf-8") == KEPT_BEFORE.read_text(encoding="utf-8")


def test_a_damaged_run_is_listed_with_its_reason_and_the_others_still_load(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    run = save_run(folder, "set.jsonl", True, RESULT, [ITEM])
    (folder / "20200101-000000-000000.json").write_text('{"id": "x"', encoding="utf-8")

    saved = load_runs(folder)

    assert [r.id for r in saved.runs] == [run.id]
    [problem] = saved.damaged
    assert problem.startswith("20200101-000000-000000.json: JSONDecodeError")


def test_an_items_waterfall_is_kept_and_read_back() -> None:
    waterfall = {"select_ms": 5.0, "prompt_tokens_new": 100, "verify_ms": [1.0, 3.0], "network_ms": None}
    result = ConfigResult(ItemScores(answerable=True, answered=True, waterfall=waterfall), ("c1",), "2,000", False)

    data = json.loads(json.dumps(result.to_json()))

    assert data["waterfall"] == waterfall
    assert ConfigResult.from_json(data, answerable=True) == result
    assert "waterfall" not in ConfigResult(SCORES, ("c1",)).to_json()  # as runs kept before it were written
