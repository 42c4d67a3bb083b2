"""`citewise doctor [--repair] [--json]`: finds what a crash or a stray process left behind, and repairs it."""

import json
import shutil
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from typer.testing import Result

from citewise.core.settings import Settings, get_settings
from citewise.ingest.chunking import chunk_text, content_hash
from citewise.retrieval.embeddings import CitewiseEmbeddingFunction
from tests.cli import test_cli_foundation as foundation

# The same fixtures as the other command tests: CITEWISE_DATA_DIR on a fresh folder, two small documents.
data_dir = foundation.data_dir
folder = foundation.folder
run = foundation.run

KETTLE_V2 = "# Kettle\n\nNever boil the kettle dry; the thermal fuse trips and must be replaced.\n"


def chunk_collection(data: Path) -> chromadb.Collection:
    """The chunk collection, opened behind citewise's back."""
    client = chromadb.PersistentClient(
        path=str(data / "chroma"), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    )
    return client.get_collection("citewise")


def add_stray_version(data: Path, path: Path, text: str) -> int:
    """Chunks of a version of `path` that no record names, as a killed ingest leaves them."""
    settings = Settings(data_dir=data)
    digest = content_hash(text.encode(), settings.chunk_size, settings.chunk_overlap)
    chunks = chunk_text(str(path), "Stray", text, digest, settings.chunk_size, settings.chunk_overlap)
    chunk_collection(data).add(
        ids=[c.id for c in chunks],
        documents=[c.text for c in chunks],
        embeddings=CitewiseEmbeddingFunction(settings.embedding_model)([c.text for c in chunks]),
        metadatas=[
            {"source": c.source, "title": c.title, "heading": c.heading, "start": c.start, "end": c.end}
            | {"doc_hash": c.doc_hash, "index": c.index}
            for c in chunks
        ],
    )
    return len(chunks)


def doctor(*args: str) -> tuple[Result, dict]:
    result = run("doctor", *args, "--json")
    return result, json.loads(result.stdout)


def test_a_healthy_index_passes(data_dir: Path, folder: Path) -> None:
    assert run("ingest", str(folder)).exit_code == 0

    result, report = doctor()

    assert result.exit_code == 0, result.output
    assert report["healthy"] is True
    assert (report["documents"], report["chunks"]) == (2, 2)
    assert report["orphan_chunks"] == 0 and report["missing_chunks"] == [] and report["keyword_index"] == "ok"
    plain = run("doctor")
    assert plain.exit_code == 0 and "The index is healthy: 2 documents, 2 chunks." in plain.stdout


def test_drift_is_reported_then_repaired(data_dir: Path, folder: Path) -> None:
    assert run("ingest", str(folder)).exit_code == 0
    kettle, oven = (folder / "kettle.md").resolve(), (folder / "oven.md").resolve()
    strays = add_stray_version(data_dir, kettle, KETTLE_V2) + add_stray_version(data_dir, folder / "gone.md", "x" * 300)
    chunks = chunk_collection(data_dir)
    for path in (kettle, oven):  # both lose their only chunk; oven.md is deleted as well
        [chunk_id] = chunks.get(where={"source": str(path)})["ids"][:1]
        chunks.delete(ids=[chunk_id])
    oven.unlink()
    shutil.rmtree(data_dir / "keyword")
    get_settings.cache_clear()

    result, report = doctor()

    assert result.exit_code == 1, result.output
    assert report["healthy"] is False
    assert report["orphan_chunks"] == strays == 2
    assert report["missing_chunks"] == [
        {"source": str(kettle), "expected": 1, "found": 0, "file_exists": True},
        {"source": str(oven), "expected": 1, "found": 0, "file_exists": False},
    ]
    assert report["keyword_index"] != "ok"
    assert report["repaired"] is None

    result, repaired = doctor("--repair")

    assert result.exit_code == 1, result.output
    assert repaired["repaired"] == {
        "deleted_orphan_chunks": 2,
        "reindexed": [str(kettle)],
        "not_reindexed": [str(oven)],
        "keyword_index_rebuilt": True,
    }
    plain = run("doctor", "--repair")
    assert plain.exit_code == 1
    assert f"{oven}: 0 of 1 chunks, and the file is gone; `citewise remove {oven}` drops it" in plain.stdout

    assert run("remove", str(oven)).exit_code == 0
    result, report = doctor()
    assert result.exit_code == 0, result.output
    assert report["healthy"] is True and (report["documents"], report["chunks"]) == (1, 1)
