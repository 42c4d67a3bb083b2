"""`citewise ask` saves each answer in a conversation and continues one with `--conversation ID`;
`citewise conversations list|show|rename|delete` and `citewise export` work on them, as real processes."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.fakes.ollama_server import DEFAULT_MODEL, FakeOllama
from tests.processes import citewise, citewise_env, citewise_json

KETTLE = (
    "# Kettle\n\nDescale the kettle every month with citric acid so the element stays clean.\n"
    "Rinse it twice with clean water after descaling.\n"
)
QUESTION = "How often should I descale the kettle?"


@pytest.fixture
def env(tmp_path: Path, embedding_model: str) -> dict[str, str]:
    """A citewise whose index holds the kettle note, answering through a fake Ollama."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "kettle.md").write_text(KETTLE, encoding="utf-8")
    with FakeOllama() as ollama:
        ollama.set_reply("Descale the kettle every month with citric acid.")
        env = citewise_env(
            tmp_path / "data",
            CITEWISE_LLM="ollama",
            CITEWISE_OLLAMA_HOST=ollama.url,
            CITEWISE_OLLAMA_MODEL=DEFAULT_MODEL,
        )
        assert citewise("ingest", str(tmp_path / "docs"), env=env).returncode == 0
        yield env


def test_ask_saves_a_new_conversation_and_continues_it(env: dict[str, str]) -> None:
    first = citewise("ask", QUESTION, env=env)
    assert first.returncode == 0, first.stderr
    [conversation] = re.findall(r"^conversation ([0-9a-f]{16}) ", first.stdout, re.M)

    again = citewise_json("ask", "--conversation", conversation, "and what do I rinse it with?", env=env)
    assert again["conversation"] == conversation
    [listed] = citewise_json("conversations", "list", env=env)
    assert (listed["id"], listed["title"], listed["turns"], listed["kb"]) == (conversation, QUESTION, 2, "default")

    shown = citewise_json("conversations", "show", conversation, env=env)
    assert [t["question"] for t in shown["turns"]] == [QUESTION, "and what do I rinse it with?"]
    cited = shown["turns"][0]["citations"][0]
    assert cited["quote"] in KETTLE and cited["chunk_id"] and cited["text_sha256"]
    text = citewise("conversations", "show", conversation, env=env)
    assert "1. How often should I descale the kettle?" in text.stdout and "[1] Kettle" in text.stdout
    _is_unknown(citewise("ask", "--conversation", "0123456789abcdef", QUESTION, env=env), env)


def test_rename_export_and_delete(env: dict[str, str], tmp_path: Path) -> None:
    conversation = citewise_json("ask", QUESTION, env=env)["conversation"]

    assert citewise("conversations", "rename", conversation, "Kettle care", env=env).returncode == 0
    out = tmp_path / "kettle.md"
    done = citewise("export", conversation, "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    markdown = out.read_text(encoding="utf-8")
    assert markdown.startswith("# Kettle care\n")
    assert "1\\. **Kettle" in markdown and "> Descale the kettle every month with citric acid" in markdown
    one = citewise_json("export", conversation, "--answer", "1", env=env)
    assert one["markdown"].startswith("# 1\\. How often should I descale the kettle\\?")

    assert citewise("conversations", "delete", conversation, env=env).returncode == 0
    assert citewise_json("conversations", "list", env=env) == []


@pytest.mark.parametrize(
    "args",
    [
        ("conversations", "show", "0123456789abcdef"),
        ("conversations", "rename", "0123456789abcdef", "x"),
        ("conversations", "delete", "0123456789abcdef"),
        ("export", "0123456789abcdef"),
    ],
)
def test_an_unknown_id_is_one_line_naming_it(tmp_path: Path, args: tuple[str, ...]) -> None:
    env = citewise_env(tmp_path / "data")
    _is_unknown(citewise(*args, env=env), env)


def _is_unknown(done: subprocess.CompletedProcess[str], env: dict[str, str]) -> None:
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Error: No saved conversation has the id '0123456789abcdef' (in {env['CITEWISE_DATA_DIR']}/"
        "conversations.sqlite3); `citewise conversations list` lists them."
    ]


def test_a_damaged_store_is_named_and_the_answer_still_printed(env: dict[str, str]) -> None:
    store = Path(env["CITEWISE_DATA_DIR"]) / "conversations.sqlite3"
    store.write_bytes(b"not a database" * 100)
    done = citewise("ask", QUESTION, env=env)
    assert done.returncode == 0
    assert "Descale the kettle every month with citric acid. [1]" in done.stdout
    assert f"Warning: the answer was not saved: {store}: the saved conversations cannot be read" in done.stderr
    listed = citewise("conversations", "list", env=env)
    assert listed.returncode == 1 and "Move the file aside" in listed.stderr
    assert json.loads(citewise("conversations", "list", "--json", env=env).stdout or "null") is None
