"""`citewise kb create|list|rename|delete` and `--kb` on the commands that read or write documents, as real
subprocesses on one data folder."""

import subprocess
from pathlib import Path

import pytest

from tests.processes import CITEWISE, PROCESS_TIMEOUT_S, citewise, citewise_env, citewise_json

KETTLE = "# Kettle\n\nDescale the kettle every month with citric acid so the element stays clean.\n"
OVEN = "# Oven\n\nClean the oven door glass with a paste of baking soda and water.\n"


@pytest.fixture
def env(tmp_path: Path, embedding_model: str) -> dict[str, str]:
    return citewise_env(tmp_path / "data")


def _folder(root: Path, text: str) -> Path:
    root.mkdir()
    (root / "notes.md").write_text(text, encoding="utf-8")  # the same file name in both bases
    return root


def test_kb_commands_keep_two_bases_apart(tmp_path: Path, env: dict[str, str]) -> None:
    kitchen, cleaning = _folder(tmp_path / "kitchen", KETTLE), _folder(tmp_path / "cleaning", OVEN)
    assert citewise("kb", "create", "cleaning", env=env).returncode == 0
    assert citewise("ingest", str(kitchen), env=env).returncode == 0
    assert citewise("ingest", "--kb", "cleaning", str(cleaning), env=env).returncode == 0

    listed = citewise_json("kb", "list", env=env)
    assert [(b["name"], b["documents"]) for b in listed] == [("default", 1), ("cleaning", 1)]
    assert [d["source"] for d in citewise_json("docs", "--kb", "cleaning", env=env)] == [str(cleaning / "notes.md")]
    found = citewise_json("search", "--kb", "cleaning", "descale the kettle", env=env)
    assert {hit["source"] for hit in found["retrieved"]} == {str(cleaning / "notes.md")}
    assert citewise_json("docs", env=env | {"CITEWISE_KB": "cleaning"})[0]["source"] == str(cleaning / "notes.md")

    kept = citewise("remove", "--kb", "cleaning", str(kitchen / "notes.md"), env=env)
    assert kept.returncode == 1 and "is not indexed" in kept.stderr
    assert [d["source"] for d in citewise_json("docs", env=env)] == [str(kitchen / "notes.md")]

    assert citewise("kb", "rename", "cleaning", "chores", env=env).returncode == 0
    assert [d["source"] for d in citewise_json("docs", "--kb", "chores", env=env)] == [str(cleaning / "notes.md")]


def test_kb_delete_asks_first_and_removes_only_that_base(tmp_path: Path, env: dict[str, str]) -> None:
    kitchen, cleaning = _folder(tmp_path / "kitchen", KETTLE), _folder(tmp_path / "cleaning", OVEN)
    citewise("kb", "create", "cleaning", env=env)
    citewise("ingest", str(kitchen), env=env)
    citewise("ingest", "--kb", "cleaning", str(cleaning), env=env)

    declined = subprocess.run(
        [str(CITEWISE), "kb", "delete", "cleaning"],
        env=env,
        input="n\n",
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
    )
    assert declined.returncode == 1 and "Delete the knowledge base cleaning and its 1 documents?" in declined.stdout
    assert len(citewise_json("docs", "--kb", "cleaning", env=env)) == 1

    deleted = citewise("kb", "delete", "cleaning", "--yes", env=env)
    assert deleted.returncode == 0, deleted.stderr
    assert [b["name"] for b in citewise_json("kb", "list", env=env)] == ["default"]
    assert [d["source"] for d in citewise_json("docs", env=env)] == [str(kitchen / "notes.md")]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("docs", "--kb", "nope"),
            "Error: There is no knowledge base named 'nope': `citewise kb list` lists them, "
            "`citewise kb create NAME` makes one.",
        ),
        (
            ("kb", "create", "My Papers"),
            "Error: 'My Papers' is not a valid knowledge base name: use 1 to 40 lowercase letters, digits, - or _, "
            "starting with a letter or a digit.",
        ),
        (
            ("kb", "delete", "default", "--yes"),
            "Error: The 'default' knowledge base cannot be deleted: it is the one commands use without --kb. "
            "`citewise remove` drops its documents one by one.",
        ),
    ],
)
def test_a_bad_base_is_one_line(env: dict[str, str], args: tuple[str, ...], line: str) -> None:
    done = citewise(*args, env=env)
    assert done.returncode == 2 and done.stderr.strip() == line
