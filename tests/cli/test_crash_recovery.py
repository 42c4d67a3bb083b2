"""`citewise ingest` killed with SIGKILL at exact points, then run again: the index ends up exactly as a clean
ingest would have made it, with no chunk that no document record owns.

Each run is a real process (tests/interrupted_cli.py wraps one library call to kill itself there). The
index starts at version 1 of a folder; the killed ingest is of version 2 (two files changed, one added).
"""

import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from citewise.core.settings import Settings
from citewise.service import Citewise
from tests.processes import citewise, citewise_env, interrupted, run

LONG = "\n\n".join(
    f"Paragraph {n} on the kettle: descale it with citric acid every {n + 2} weeks, rinse twice, "
    "and never run it dry, or the thermal fuse trips and must be replaced by a technician."
    for n in range(8)
)
VERSION_1 = {
    "kettle.md": "# Kettle\n\n" + LONG + "\n",
    "oven.md": "# Oven\n\nClean the oven door glass with a paste of baking soda and water.\n",
    "fridge.txt": "Fridge\n\nKeep the fridge between three and five degrees and defrost the freezer yearly.\n",
    "washer.md": "# Washer\n\nRun an empty hot wash monthly so the drum does not smell.\n",
    "boiler.md": "# Boiler\n\nThe pressure gauge should read between one and one and a half bar when cold.\n",
}
VERSION_2 = {
    **VERSION_1,
    "kettle.md": "# Kettle\n\n" + LONG.replace("citric acid", "white vinegar") + "\n",
    "washer.md": "# Washer\n\nClean the door seal and the detergent drawer every month.\n",
    "toaster.md": "# Toaster\n\nEmpty the crumb tray weekly; a full tray can catch fire.\n",
}
QUESTIONS = ["How do I descale a kettle?", "crumb tray", "door seal detergent drawer", "oven glass baking soda"]

# The killed ingest embeds and writes one file per batch (CITEWISE_EMBED_BATCH=1), so that these points fall
# between files as well as within one.
# (point, nth call): embedding the second changed file; before the second changed file's registry record;
# before the first delete of replaced chunks; just after the BM25 files are written, before they are in use.
KILL_POINTS = [("embed", 2), ("record", 2), ("chunk_delete", 1), ("keyword_save", 1)]


def write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def raw_chunks(settings: Settings) -> list[tuple[str, str, str]]:
    """(chunk id, source, doc hash) of every chunk Chroma holds, visible or not."""
    client = chromadb.PersistentClient(
        path=str(settings.chroma_dir), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    )
    got = client.get_collection(settings.collection).get(include=["metadatas"])
    return sorted((i, str(m["source"]), str(m["doc_hash"])) for i, m in zip(got["ids"], got["metadatas"], strict=True))


def index_state(settings: Settings) -> dict[str, object]:
    """What a user can observe of an index: its documents, their chunks, and the answers to searches."""
    service = Citewise(settings)
    documents = [(d.source, d.title, d.content_hash, d.chunks, d.chars) for d in service.documents()]
    return {
        "documents": documents,
        "chunks": {d[0]: [(c.id, c.text) for c in service.chunks(d[0])] for d in documents},
        "searches": {
            (question, mode): [(h.chunk.id, round(h.score, 6)) for h in service.search(question, 5, mode).hits]
            for question in QUESTIONS
            for mode in ("hybrid", "dense", "keyword")
        },
    }


@pytest.fixture(scope="module")
def versions(
    tmp_path_factory: pytest.TempPathFactory, embedding_model: str, make_settings: Callable[..., Settings]
) -> Iterator[tuple[Path, Path, Settings]]:
    """(the folder, now at version 2; a data dir holding version 1; the settings of a clean ingest of version 2)."""
    root = tmp_path_factory.mktemp("crash")
    folder, version_1 = root / "docs", root / "v1"
    write(folder, VERSION_1)
    done = citewise("ingest", str(folder), env=citewise_env(version_1))
    assert done.returncode == 0, done.stderr
    write(folder, VERSION_2)
    clean = make_settings(root / "clean")
    assert not Citewise(clean).ingest([folder]).failed
    yield folder, version_1, clean


@pytest.mark.parametrize(("point", "nth"), KILL_POINTS)
def test_an_ingest_killed_at_any_point_is_repaired_by_the_next(
    point: str,
    nth: int,
    versions: tuple[Path, Path, Settings],
    tmp_path: Path,
    make_settings: Callable[..., Settings],
) -> None:
    folder, version_1, clean = versions
    data = tmp_path / "data"
    shutil.copytree(version_1, data)
    env = citewise_env(data, CITEWISE_EMBED_BATCH="1")

    killed = run(interrupted(point, "kill", "ingest", str(folder), nth=nth), env)
    assert killed.returncode == -signal.SIGKILL, f"the ingest was not killed at {point}: {killed.stderr}"
    settings = make_settings(data)
    # The next ingest, in this process (the same facade call `citewise ingest` makes, without its start-up).
    assert not Citewise(settings).ingest([folder]).failed

    owners = {(d.source, d.content_hash) for d in Citewise(settings).documents()}
    unowned = [chunk for chunk in raw_chunks(settings) if chunk[1:] not in owners]
    assert unowned == [], f"chunks no document record owns: {unowned}"
    assert index_state(settings) == index_state(clean)
    assert Citewise(settings).doctor().healthy
