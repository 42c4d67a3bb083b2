"""Kept eval runs: one JSON shape for the CLI and the UI, and a damaged file named, not hidden."""

from pathlib import Path

from citewise.evals.dataset import EvalItem
from citewise.evals.runs import load_runs, save_run, write_run

ITEM = EvalItem("q1", "How many eggs a day?", ("2,000",), ("up to 2,000 eggs a day",), True)
RESULT = {"summary": {"dense": {"questions": 1, "hit@k": 1.0}}, "items": [{"id": "q1", "configs": {}}]}


def test_a_kept_run_reads_back_and_the_json_export_is_the_same_file(tmp_path: Path) -> None:
    run = save_run(tmp_path / "runs", "set.jsonl", ["dense"], True, RESULT, [ITEM])
    exported = tmp_path / "out" / "run.json"
    write_run(exported, run)

    [loaded] = load_runs(tmp_path / "runs").runs
    assert loaded == run
    assert exported.read_text(encoding="utf-8") == (tmp_path / "runs" / f"{run.id}.json").read_text(encoding="utf-8")
    assert loaded.gold["q1"] == {"answers": ["2,000"], "evidence": ["up to 2,000 eggs a day"], "answerable": True}


def test_a_damaged_run_is_listed_with_its_reason_and_the_others_still_load(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    run = save_run(folder, "set.jsonl", ["dense"], True, RESULT, [ITEM])
    (folder / "20200101-000000-000000.json").write_text('{"id": "x"', encoding="utf-8")

    saved = load_runs(folder)

    assert [r.id for r in saved.runs] == [run.id]
    [problem] = saved.damaged
    assert problem.startswith("20200101-000000-000000.json: JSONDecodeError")
