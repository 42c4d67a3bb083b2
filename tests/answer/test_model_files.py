"""The embedded model is assembled from its 22 PyPI slices once, verified, and reused."""

import hashlib

import pytest

from citewise.answer.llm import model_files
from citewise.answer.llm.model_files import MODEL_FILE, MODEL_SHA256, ModelFileError, ensure_model, part_paths


def test_parts_are_found_in_numeric_order() -> None:
    paths = part_paths()
    assert len(paths) == 22
    assert [p.name for p in paths[8:11]] == ["part09.bin", "part10.bin", "part11.bin"]


def test_assembled_model_matches_the_upstream_checksum(tmp_path) -> None:
    path = ensure_model(tmp_path)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            digest.update(block)
    assert digest.hexdigest() == MODEL_SHA256
    assert not list(tmp_path.glob("*.tmp*"))
    mtime = path.stat().st_mtime_ns
    assert ensure_model(tmp_path).stat().st_mtime_ns == mtime  # reused, not rebuilt


def test_checksum_mismatch_is_a_clear_error_and_leaves_no_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(model_files, "MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelFileError, match="sha256"):
        ensure_model(tmp_path)
    assert not (tmp_path / MODEL_FILE).exists()
    assert not list(tmp_path.glob("*.tmp*"))
