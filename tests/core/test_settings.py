"""The relevance floor follows the embedding model unless it is set."""

from pathlib import Path

from citewise.core.settings import RELEVANCE_FLOOR, Settings


def test_each_embedding_model_brings_its_own_relevance_floor(tmp_path: Path) -> None:
    for model, floor in RELEVANCE_FLOOR.items():
        assert Settings(data_dir=tmp_path, embedding_model=model).min_relevance == floor


def test_a_model_without_a_tuned_floor_leaves_the_refusal_to_bm25(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path, embedding_model=str(tmp_path / "my-model")).min_relevance == 0.0


def test_a_set_floor_wins(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CITEWISE_EMBEDDING_MODEL", "multilingual-e5-small")
    monkeypatch.setenv("CITEWISE_MIN_RELEVANCE", "0.5")
    assert Settings(data_dir=tmp_path).min_relevance == 0.5
    monkeypatch.delenv("CITEWISE_MIN_RELEVANCE")
    assert Settings(data_dir=tmp_path).min_relevance == 0.78
