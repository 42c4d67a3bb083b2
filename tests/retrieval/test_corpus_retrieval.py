"""End to end on the bundled corpus: ingest it all, then ask a question it answers."""

from pathlib import Path

from citewise.core.settings import Settings
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.hybrid import HybridRetriever
from citewise.retrieval.store import Store

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def test_the_gpt1_parameter_count_ranks_first(store: Store, settings: Settings) -> None:
    report = ingest_paths(store, [CORPUS])
    assert report.failed == [] and report.added == len(list(CORPUS.glob("*.md")))

    result = HybridRetriever(store, settings).search("How many parameters did GPT-1 have?")

    assert "117 million" in result.hits[0].chunk.text
    assert result.hits[0].sources == ("dense", "keyword")
