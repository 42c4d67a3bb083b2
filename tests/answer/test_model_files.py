"""The embedded models are assembled from their PyPI slices once, verified, and reused."""

import hashlib
import re
import subprocess
import sys
from dataclasses import replace

import pytest

from citewise.answer.llm import model_files
from citewise.answer.llm.model_files import MODELS, ModelFileError, ensure_model, packaged_model


def test_parts_are_found_in_numeric_order() -> None:
    paths = packaged_model().part_paths()
    assert len(paths) == 22
    assert [p.name for p in paths[8:11]] == ["part09.bin", "part10.bin", "part11.bin"]
    assert [p.name for p in MODELS["qwen2.5-coder-0.5b"].part_paths()] == [f"part0{n}.bin" for n in range(1, 7)]


@pytest.mark.parametrize("key", list(MODELS))
def test_assembled_model_matches_the_upstream_checksum(tmp_path, key) -> None:
    path = ensure_model(tmp_path, key=key)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            digest.update(block)
    assert digest.hexdigest() == MODELS[key].sha256
    assert path.read_bytes()[:4] == b"GGUF"
    assert not list(tmp_path.glob("*.tmp*"))
    mtime = path.stat().st_mtime_ns
    assert ensure_model(tmp_path, key=key).stat().st_mtime_ns == mtime  # reused, not rebuilt


def test_checksum_mismatch_is_a_clear_error_and_leaves_no_file(tmp_path, monkeypatch) -> None:
    small = MODELS["qwen2.5-coder-0.5b"]
    monkeypatch.setitem(model_files.MODELS, "broken", replace(small, sha256="0" * 64))
    with pytest.raises(ModelFileError, match="sha256"):
        ensure_model(tmp_path, key="broken")
    assert not (tmp_path / small.file).exists()
    assert not list(tmp_path.glob("*.tmp*"))


def test_a_model_whose_slices_are_missing_names_the_install_command(tmp_path, monkeypatch) -> None:
    small = MODELS["qwen2.5-coder-0.5b"]
    monkeypatch.setitem(model_files.MODELS, "absent", replace(small, dist="citewise-no-such-slice-{n}"))
    with pytest.raises(ModelFileError, match=r"citewise-no-such-slice-1 is not installed; run `pip install"):
        ensure_model(tmp_path, key="absent")


def test_an_unknown_model_names_the_known_ones(tmp_path) -> None:
    with pytest.raises(ModelFileError, match=re.escape("qwen2.5-coder-1.5b, qwen2.5-coder-0.5b")):
        ensure_model(tmp_path, key="gpt-5")


def test_prepare_assembles_the_chosen_model(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "citewise", "prepare", "--model", "qwen2.5-coder-0.5b"],
        env={"CITEWISE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Qwen2.5-Coder-0.5B-Instruct (Q4_K_M)" in done.stdout
    assert (tmp_path / "models" / MODELS["qwen2.5-coder-0.5b"].file).is_file()
