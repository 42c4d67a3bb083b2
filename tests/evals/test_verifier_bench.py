"""The verifier bench: its loader, its counts (real embedding model, no LLM) and `citewise eval --verifier-only`."""

import json
from pathlib import Path

import pytest

from citewise.evals.configs import DEFAULT_CONFIG, ConfigError
from citewise.evals.verifier_bench import (
    SUPPORTED_KINDS,
    UNSUPPORTED_KINDS,
    BenchError,
    BenchItem,
    Passage,
    Verdict,
    bench_verifiers,
    load_bench,
    needs_model,
    run_bench,
)
from citewise.ingest.loaders import load_file
from tests.processes import citewise, citewise_env

MAMBA = (
    "Most existing large models are based on the Transformer architecture. For instance, the state-space-based "
    "model Mamba proposed in December 2023 introduces selection mechanisms that significantly address the "
    "computational efficiency issues of existing Transformer architectures."
)
ATTENTION = (
    "Every modern LLM is built on the transformer, introduced in the 2017 paper Attention Is All You Need. "
    "The key innovation is self-attention - a mechanism that lets the model weigh how important each word is "
    "relative to every other word in the input."
)
INVERTED = {
    "id": "mamba-inverted",
    "question": "Who proposed the Transformer architecture, and in which paper?",
    "claim": "The Transformer architecture was proposed in December 2023 by Mamba.",
    "passages": [MAMBA],
    "supported": False,
    "kind": "roles-swapped",
    "origin": "written",
}
EXACT = INVERTED | {
    "id": "attention-exact",
    "question": "Which paper introduced the transformer?",
    "claim": "The transformer was introduced in the 2017 paper Attention Is All You Need.",
    "passages": [{"text": ATTENTION, "title": "LLMs", "heading": "Transformers"}],
    "supported": True,
    "kind": "exact",
}
# Right, in other words than the passage's: today's word-overlap verifier drops it.
REWORDED = EXACT | {
    "id": "attention-reworded",
    "question": "What is the key innovation of the transformer?",
    "claim": "Each token gets scored against all other tokens in the sequence.",
    "kind": "paraphrase",
}


def _write(path: Path, *records: dict | str) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_loader_reads_text_and_object_passages(tmp_path: Path) -> None:
    items = load_bench(_write(tmp_path / "bench.jsonl", INVERTED, "", EXACT))
    assert [item.id for item in items] == ["mamba-inverted", "attention-exact"]
    assert items[0].passages == (Passage(MAMBA),)
    assert items[1].passages == (Passage(ATTENTION, "LLMs", "Transformers"),)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("{not json", "invalid JSON"),
        (INVERTED | {"supported": "no"}, "'supported' must be true or false"),
        (INVERTED | {"passages": []}, "'passages' must be a non-empty list"),
        (INVERTED | {"kind": "wrong"}, "'kind' must be one of"),
        (INVERTED | {"supported": True}, "contradicts 'supported'"),
        (INVERTED | {"origin": "model-draft"}, "names the eval run"),
        (INVERTED | {"id": "attention-exact"}, "duplicate id"),
    ],
)
def test_loader_names_file_and_line_of_a_malformed_claim(tmp_path: Path, bad: dict | str, reason: str) -> None:
    path = _write(tmp_path / "bench.jsonl", EXACT, bad)
    with pytest.raises(BenchError, match=rf"bench\.jsonl:2: .*{reason}"):
        load_bench(path)


def test_counts_follow_the_gold_labels_whatever_the_judge_says() -> None:
    items = [
        BenchItem(r["id"], r["question"], r["claim"], (Passage("p"),), r["supported"], r["kind"], "written")
        for r in (INVERTED, EXACT, REWORDED)
    ]
    keep_all = run_bench(items, {"keeps": lambda item: Verdict(True, 1.0, "")})["summary"]["keeps"]
    drop_all = run_bench(items, {"drops": lambda item: Verdict(False, 0.0, "support")})["summary"]["drops"]
    assert (keep_all["total"]["false_accepts"], keep_all["total"]["false_rejects"]) == (1, 0)
    assert (keep_all["total"]["false_accept_rate"], keep_all["total"]["false_reject_rate"]) == (1.0, 0.0)
    assert drop_all["total"]["false_accepts"] == 0
    assert drop_all["total"]["false_rejects"] == 2
    assert drop_all["paraphrase"] == {
        "items": 1,
        "unsupported": 0,
        "false_accepts": 0,
        "false_accept_rate": None,
        "supported": 1,
        "false_rejects": 1,
        "false_reject_rate": 1.0,
    }


def _judged_against_both(*records: dict) -> list[BenchItem]:
    """The bench records as claims judged against both passages, the attention one and the Mamba one."""
    return [
        BenchItem(
            r["id"],
            r["question"],
            r["claim"],
            (Passage(ATTENTION), Passage(MAMBA)),
            r["supported"],
            r["kind"],
            "written",
        )
        for r in records
    ]


def test_todays_verifier_accepts_the_mamba_inversion_and_rejects_a_rewording() -> None:
    """The issue's inversion is a false accept of today's default, the rewording a false reject; the counts
    say so per kind (a verifier that reads meaning turns both into zeros)."""
    items = _judged_against_both(INVERTED, EXACT, REWORDED)
    result = bench_verifiers(items, ["default"], threshold=0.45)
    summary = result["summary"][DEFAULT_CONFIG]
    assert [item["verdicts"][DEFAULT_CONFIG]["kept"] for item in result["items"]] == [True, True, False]
    assert summary["roles-swapped"]["false_accepts"] == 1
    assert summary["paraphrase"]["false_rejects"] == 1
    assert summary["exact"]["false_rejects"] == 0
    assert (summary["total"]["false_accepts"], summary["total"]["false_rejects"]) == (1, 1)
    assert (summary["total"]["false_accept_rate"], summary["total"]["false_reject_rate"]) == (1.0, 0.5)


def test_the_binding_check_rejects_another_models_date_that_shared_words_accept() -> None:
    """The binding check reads which entity a date belongs to; the Mamba inversion, whose one sentence names
    both the Transformer and December 2023, is the entailment judge's to catch (tests/answer/test_judge.py)."""
    text = "GPT-1 was released by OpenAI in 2018. It had 117 million parameters.\n\nGPT-2 was released in 2019."
    items = [
        BenchItem(f"gpt2-{n}", "When was GPT-2 released?", claim, (Passage(text),), ok, kind, "written")
        for n, claim, ok, kind in [
            (1, "GPT-2 was released by OpenAI in 2018.", False, "other-entity-date"),
            (2, "GPT-2 was released in 2019.", True, "exact"),
        ]
    ]
    result = bench_verifiers(items, ["grounded", "grounded+binding"], threshold=0.45)
    kept = [
        (item["verdicts"]["grounded"]["kept"], item["verdicts"]["grounded+binding"]["kept"]) for item in result["items"]
    ]
    assert kept == [(True, False), (True, True)]
    assert result["summary"]["grounded+binding"]["total"]["false_accepts"] == 0


def test_each_verdict_keeps_the_judges_chance_so_a_threshold_can_be_chosen_from_one_run() -> None:
    """The judge's P(true) of every claim shared words pass is written out, whether the veto kept it or not;
    a claim shared words drop was never put to the judge."""
    chances = {"The transformer was introduced in the 2017 paper Attention Is All You Need.": 0.9}
    asked: list[str] = []

    def chance_true(messages) -> float:
        claim = messages[-1].content.split("Statement: ")[1].split("\n")[0]
        asked.append(claim)
        return chances.get(claim, 0.2)

    items = _judged_against_both(INVERTED, EXACT, REWORDED)
    result = bench_verifiers(items, ["grounded+judge"], threshold=0.45, chance_true=chance_true)
    verdicts = [item["verdicts"]["grounded+judge"] for item in result["items"]]
    assert [(v["kept"], v["chance_true"]) for v in verdicts] == [(False, 0.2), (True, 0.9), (False, None)]
    assert asked == [INVERTED["claim"], EXACT["claim"]]


def test_a_verifier_that_judges_with_the_model_needs_it_loaded() -> None:
    assert needs_model(["grounded+judge"]) and not needs_model(["default", "grounded+binding", "textbook"])
    with pytest.raises(ConfigError, match="judges with the answer model"):
        bench_verifiers([], ["grounded+judge"], threshold=0.45)


def test_cli_prints_the_table_and_writes_json(tmp_path: Path) -> None:
    bench = _write(tmp_path / "bench.jsonl", INVERTED, EXACT, REWORDED | {"split": "tune"})
    out = tmp_path / "out" / "bench.json"
    env = citewise_env(tmp_path / "data")
    done = citewise("eval", "--verifier-only", "--dataset", str(bench), "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert "| kind | items | false accepts | rate | false rejects | rate |" in done.stdout
    assert "| roles-swapped | 1 | 1/1 | 1.000 | 0/0 | - |" in done.stdout
    assert "| **total** | 3 | 1/1 | 1.000 | 1/2 | 0.500 |" in done.stdout
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["summary"][DEFAULT_CONFIG]["total"]["items"] == 3
    assert [item["id"] for item in written["items"]] == ["mamba-inverted", "attention-exact", "attention-reworded"]
    assert not (tmp_path / "data" / "chroma").exists()  # no index touched

    tune = citewise("eval", "--verifier-only", "--dataset", str(bench), "--split", "tune", env=env)
    assert "| **total** | 1 | 0/0 | - | 1/1 | 1.000 |" in tune.stdout


def test_cli_names_the_line_of_a_malformed_bench(tmp_path: Path) -> None:
    bench = _write(tmp_path / "bench.jsonl", INVERTED, INVERTED | {"id": "x", "supported": None})
    done = citewise("eval", "--verifier-only", "--dataset", str(bench), env=citewise_env(tmp_path / "data"))
    assert done.returncode != 0
    assert f"bad verifier bench: {bench}:2: 'supported' must be true or false" in done.stderr


BENCHES = ["verifier-dev", "verifier-sqlite", "verifier-generated"]


DATASETS = Path(__file__).resolve().parents[2] / "evals" / "datasets"


def _bundled(name: str) -> list[BenchItem]:
    return load_bench(DATASETS / f"{name}.jsonl")


@pytest.mark.parametrize("name", BENCHES)
def test_bundled_benches_load(name: str) -> None:
    items = _bundled(name)
    assert items
    assert {item.split for item in items} <= {"tune", "report"}
    assert all(item.item for item in items)  # each names the question it came from


@pytest.mark.parametrize("name", BENCHES)
def test_bundled_benches_hold_150_claims_with_every_kind_in_both_halves(name: str) -> None:
    items = _bundled(name)
    assert len(items) >= 150
    for half in ("tune", "report"):
        found = {item.kind for item in items if item.split == half}
        assert not set(SUPPORTED_KINDS + UNSUPPORTED_KINDS) - found, (half, found)


def test_the_sqlite_benchs_passages_are_its_pages_as_they_are_read_now() -> None:
    """Every passage is in its page as the HTML loader gives it (one line per paragraph since 2026-12-07), so the
    bench judges the spans the product cuts from those pages, not lines wrapped at 78 columns."""
    pages = [load_file(path).text for path in sorted((DATASETS.parent / "corpora" / "sqlite").glob("*.html"))]
    passages = {p.text for item in _bundled("verifier-sqlite") for p in item.passages}
    assert len(passages) > 50
    assert [p for p in passages if not any(p in page for page in pages)] == []


def test_most_dev_bench_claims_are_real_model_drafts() -> None:
    items = _bundled("verifier-dev")
    drafts = [item for item in items if item.origin == "model-draft"]
    assert len(drafts) > len(items) / 2
    assert all(item.run for item in drafts)
