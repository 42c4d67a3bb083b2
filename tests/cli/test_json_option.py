"""`--json` means one thing in every command: print JSON on stdout; `eval` and `bench` write a file with `--out`,
and their old `--json OUT` still runs, with a note (real `citewise` processes)."""

import json
from pathlib import Path

from citewise.cli.json_option import old_json_out
from citewise.evals.configs import DEFAULT_CONFIG
from tests.processes import citewise, citewise_env

BUNDLED_BENCH = Path(__file__).resolve().parents[2] / "evals" / "datasets" / "verifier-dev.jsonl"


def _bench(path: Path) -> Path:
    """One claim of the bundled verifier bench: the verifier judges it without a model or an index."""
    path.write_text(BUNDLED_BENCH.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    return path


def test_eval_json_prints_the_result_and_out_writes_it(tmp_path: Path) -> None:
    bench, out = _bench(tmp_path / "bench.jsonl"), tmp_path / "out" / "bench.json"
    env = citewise_env(tmp_path / "data")

    done = citewise("eval", "--verifier-only", "--dataset", str(bench), "--json", "--out", str(out), env=env)

    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)  # the JSON alone, no table
    assert printed["dataset"] == str(bench) and printed["summary"][DEFAULT_CONFIG]["total"]["items"] == 1
    assert json.loads(out.read_text(encoding="utf-8")) == printed
    assert "note:" not in done.stderr


def test_the_old_json_out_form_still_writes_the_file_with_a_note(tmp_path: Path) -> None:
    bench, out = _bench(tmp_path / "bench.jsonl"), tmp_path / "bench.json"
    env = citewise_env(tmp_path / "data")

    done = citewise("eval", "--verifier-only", "--dataset", str(bench), "--json", str(out), env=env)

    assert done.returncode == 0, done.stderr
    assert "| **total** | 1 |" in done.stdout  # the table, as before
    assert json.loads(out.read_text(encoding="utf-8"))["summary"][DEFAULT_CONFIG]["total"]["items"] == 1
    assert "`citewise eval --json OUT` is now `--out OUT`" in done.stderr


def test_only_an_old_file_argument_of_eval_or_bench_is_renamed() -> None:
    assert old_json_out(["bench", "--scale", "200", "--json", "b.json"])[0] == [
        "bench",
        "--scale",
        "200",
        "--out",
        "b.json",
    ]
    assert old_json_out(["eval", "--json=r.json", "--dataset", "d"])[0] == ["eval", "--out", "r.json", "--dataset", "d"]
    for unchanged in (
        ["eval", "--dataset", "d", "--json"],
        ["eval", "--json", "--dataset", "d"],
        ["eval", "generate", "--out", "g.jsonl", "--json"],
        ["bench", "--json", "10000"],  # a chunk count, not a file
        ["ask", "--json", "what is a token?"],
        ["status", "--json"],
    ):
        assert old_json_out(unchanged) == (unchanged, None)
