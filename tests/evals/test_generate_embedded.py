"""The real embedded model writes a few eval items; whatever it proposes, only checked items reach the file."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from citewise.core.settings import Settings
from citewise.evals.dataset import load_dataset
from citewise.evals.generate import GenerateOptions
from citewise.evals.grounding_checks import find_verbatim
from citewise.service import Citewise
from tests.evals.test_generate_cli import DOCS


@pytest.mark.slow
def test_the_embedded_model_generates_checked_items(
    tmp_path: Path, embedding_model: str, make_settings: Callable[..., Settings]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    service = Citewise(make_settings(tmp_path / "data", llm="embedded"))
    assert not service.ingest([docs]).failed
    out = tmp_path / "generated.jsonl"

    report = service.generate_eval_set(out, GenerateOptions(n=3, seed=0))

    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert report.planned == 3 and len(records) == sum(report.made.values()) == 3 - report.given_up
    assert records, f"no proposal passed the checks: {dict(report.rejected)}"
    assert report.generator.startswith("embedded:Qwen2.5")
    for record in records:
        origin = record["origin"]
        assert record["review"] == "pending" and origin["seed"] == 0
        if record["answerable"]:
            passage = origin["passage"]
            assert find_verbatim(passage, record["answers"][0]) and find_verbatim(passage, record["evidence"][0])
            assert record["answers"][0].casefold() not in record["question"].casefold()
        else:
            assert record["answers"] == [] and origin["kind"] in ("near_miss", "off_topic")
    assert len(load_dataset(out, include_pending=True)) == len(records)  # the file is a valid dataset
