"""The eval runner and command on a tiny real index (real Chroma, real embedding model)."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import citewise.service as service_module
from citewise.cli import eval_command as command
from citewise.core.settings import Settings, get_settings
from citewise.evals.configs import COMPARED, CONFIGS, DEFAULT_CONFIG, ConfigError, resolve
from citewise.evals.dataset import EvalItem
from citewise.evals.runner import format_table, run_evaluation
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.store import Store
from citewise.service import Citewise

# Plain prose: the small model reads it reliably (markdown headings inside one chunk confuse it).
BEES = (
    "A honey bee colony has a single queen and tens of thousands of workers. "
    "In spring the queen lays up to 2,000 eggs a day. "
    "Forager bees use the waggle dance to show where flowers are.\n"
)
VOLCANOES = (
    "Mount Tambora is a volcano in Indonesia. It erupted in April 1815, the largest eruption in recorded history. "
    "The year after became known as the Year Without a Summer.\n"
)
ITEMS = [
    EvalItem(
        id="bees-1",
        question="How many eggs does the queen lay a day?",
        answers=("2,000", "2000"),
        evidence=("the queen lays up to 2,000 eggs a day",),
        answerable=True,
    ),
    EvalItem(
        id="volcano-1",
        question="When did Mount Tambora erupt?",
        answers=("April 1815", "1815"),
        evidence=("It erupted in April 1815", "Year Without a Summer"),
        answerable=True,
    ),
    EvalItem(
        id="missing-1",
        question="What colour are the queen's wings?",
        answers=("clear",),
        evidence=("The queen has clear wings",),
        answerable=True,
    ),
    EvalItem(id="off-1", question="Who won the 2022 FIFA World Cup?", answers=(), evidence=(), answerable=False),
]


def _write_docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bees.txt").write_text(BEES, encoding="utf-8")
    (folder / "volcanoes.txt").write_text(VOLCANOES, encoding="utf-8")
    return folder


@pytest.fixture
def service(store: Store, settings: Settings, tmp_path: Path) -> Citewise:
    """A citewise service on a fresh index holding the two small documents."""
    report = ingest_paths(store, [_write_docs(tmp_path / "docs")])
    assert report.added == 2 and not report.failed
    return Citewise(settings)


def test_retrieval_only_run_scores_every_configuration(service: Citewise) -> None:
    seen: list[tuple[int, int, str]] = []
    result = run_evaluation(
        ITEMS, list(CONFIGS), retrieval_only=True, service=service, progress=lambda *args: seen.append(args)
    )

    summary = {config.name: config.metrics for config in result.summary}
    assert list(summary) == list(CONFIGS)
    for name, values in summary.items():
        assert values["questions"] == 4
        assert values["k"] == (4 if name == "textbook" else service.settings.top_k)
        # Each document is one chunk, found first; the third item's evidence is in neither.
        assert values["hit@k"] == pytest.approx(2 / 3)
        assert values["evidence_recall@k"] == pytest.approx(2 / 3)
        assert values["mrr"] == pytest.approx(2 / 3)
        assert values["errors"] == 0
        assert values["retrieve_ms_p50"] is not None
        assert "answer_accuracy" not in values
    assert len(seen) == 4 * len(CONFIGS) and seen[-1][:2] == (4 * len(CONFIGS),) * 2

    first = result.items[0]
    assert first.id == "bees-1" and first.config == DEFAULT_CONFIG
    assert first.main.answer is None and first.main.refused is None and first.main.citations == ()
    assert "the queen lays up to 2,000 eggs" in first.passages[0]
    assert first.main.scores.hit == 1.0 and first.main.scores.reciprocal_rank == 1.0
    assert set(first.configs) == set(CONFIGS)
    assert first.configs["textbook"].retrieved[0].startswith("textbook-")

    table = format_table(result.summary)
    header = table.splitlines()[0]
    assert all(name in header for name in CONFIGS)
    assert "| hit@k" in table and "0.667" in table


def test_k_overrides_every_configuration(service: Citewise) -> None:
    result = run_evaluation(ITEMS[:1], ["textbook", "hybrid"], retrieval_only=True, k=1, service=service)
    assert {config.name: config.value("k") for config in result.summary} == {"textbook": 1, "hybrid": 1}
    assert len(result.items[0].passages) == 1
    assert result.items[0].config == "textbook"  # the default configuration did not run


def test_unknown_configuration_is_refused(service: Citewise) -> None:
    with pytest.raises(ConfigError, match="unknown configuration nope"):
        run_evaluation(ITEMS, ["nope"], retrieval_only=True, service=service)


def test_textbook_refuses_to_run_without_an_indexed_source_file(service: Citewise, tmp_path: Path) -> None:
    (tmp_path / "docs" / "bees.txt").unlink()
    with pytest.raises(ConfigError, match=r"bees\.txt"):
        run_evaluation(ITEMS, ["textbook"], retrieval_only=True, service=service)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(command.eval_command)
    return app


@pytest.fixture
def data_dir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedding_model: str) -> Iterator[Path]:
    """CITEWISE_DATA_DIR on a fresh folder, for the command that reads settings from the environment."""
    for name in ("CITEWISE_CHROMA_URL", "CITEWISE_COLLECTION", "CITEWISE_EMBEDDING_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CITEWISE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def _dataset(path: Path, items: list[EvalItem]) -> Path:
    lines = [
        json.dumps(
            {
                "id": i.id,
                "question": i.question,
                "answers": list(i.answers),
                "evidence": list(i.evidence),
                "answerable": i.answerable,
            }
        )
        for i in items
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_command_indexes_an_empty_store_and_writes_json(
    data_dir_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "BUNDLED_CORPUS", _write_docs(tmp_path / "corpus"))
    out = tmp_path / "out" / "result.json"
    result = CliRunner().invoke(
        _app(),
        [
            "--dataset",
            str(_dataset(tmp_path / "set.jsonl", ITEMS)),
            "--retrieval-only",
            "--config",
            "hybrid",
            "--config",
            "hybrid+verifier@v1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "The index is empty" in result.output
    assert "| metric" in result.output and "hybrid+verifier@v1" in result.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert list(written["summary"]) == ["hybrid", "hybrid+verifier@v1"]
    assert [item["id"] for item in written["items"]] == [i.id for i in ITEMS]


def test_bad_dataset_line_fails_with_its_line_number(tmp_path: Path) -> None:
    bad = _dataset(tmp_path / "bad.jsonl", ITEMS[:1])
    bad.write_text(bad.read_text(encoding="utf-8") + '{"id": "x", "question": \n', encoding="utf-8")
    result = CliRunner().invoke(_app(), ["--dataset", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:2" in result.output and "invalid JSON" in result.output


def test_unknown_configuration_fails_before_any_work(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path / "set.jsonl", ITEMS[:1])
    result = CliRunner().invoke(_app(), ["--dataset", str(dataset), "--config", "nope"])
    assert result.exit_code == 2 and "unknown configuration nope" in result.output


@pytest.fixture(scope="module")
def model_path() -> Path:
    """The embedded model, assembled once where `citewise prepare` puts it."""
    from citewise.answer.llm.model_files import ensure_model

    return ensure_model(Settings().models_dir)


@pytest.mark.slow
def test_default_configuration_with_the_embedded_model(
    store: Store, settings: Settings, tmp_path: Path, model_path: Path, make_settings: Callable[..., Settings]
) -> None:
    ingest_paths(store, [_write_docs(tmp_path / "docs")])
    service = Citewise(make_settings(settings.data_dir, llm="embedded", model_path=model_path))
    items = [ITEMS[1], ITEMS[3]]
    result = run_evaluation(items, [DEFAULT_CONFIG], service=service)

    [default] = result.summary
    summary = default.metrics
    assert default.name == DEFAULT_CONFIG and summary["answer_accuracy"] == 1.0
    assert summary["refusal_accuracy"] == 1.0
    assert summary["false_refusal_rate"] == 0.0
    assert summary["citation_recall"] == 1.0
    answered, refused = (item.to_json() for item in result.items)
    assert "April 1815" in answered["answer"] and answered["refused"] is False
    assert "It erupted in April 1815" in answered["citations"][0]["text"]
    assert answered["backend"] == "embedded" and "first_token" in answered["timings_ms"]
    assert answered["timings_ms"]["first_verified"] <= answered["timings_ms"]["total"]
    assert summary["first_verified_ms_p50"] == answered["timings_ms"]["first_verified"]
    assert refused["refused"] is True


def test_default_is_an_alias_for_the_default_configuration() -> None:
    assert resolve(["default", DEFAULT_CONFIG, "textbook"]) == [DEFAULT_CONFIG, "textbook"]
    with pytest.raises(ConfigError, match=r"unknown configuration nope; known: .*, default, all"):
        resolve(["nope"])


def test_the_default_comparison_and_all() -> None:
    """Without --config: the default beside the default it replaced and the baseline; `all`: every one."""
    assert resolve(list(COMPARED)) == [DEFAULT_CONFIG, "grounded+look-again", "textbook"]
    assert resolve(["textbook", "all"]) == ["textbook", *(name for name in CONFIGS if name != "textbook")]


def test_evidence_only_run_measures_what_the_model_would_read(
    service: Citewise, tmp_path: Path, model_path: Path, make_settings: Callable[..., Settings]
) -> None:
    """The model's tokenizer counts the evidence; nothing is generated, so this runs in seconds."""
    service = Citewise(make_settings(service.settings.data_dir, llm="embedded", model_path=model_path))
    result = run_evaluation(ITEMS, ["default", "hybrid+verifier@v1", "textbook"], service=service, evidence_only=True)

    for config in result.summary:
        name, values = config.name, config.metrics
        assert values["hit@k"] == pytest.approx(2 / 3), name
        assert values["evidence_in_context"] == pytest.approx(2 / 3), name
        assert values["context_tokens_p50"] > 0
        assert "answer_accuracy" not in values
    first = result.items[0]
    assert first.main.answer is None and first.main.scores.in_context == 1.0
