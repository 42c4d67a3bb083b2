"""A process killed while it writes a conversation (SIGKILL: no cleanup) leaves a store the next process reads
whole: every turn committed before the kill is there, the one being written is not, and new turns go on."""

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from citewise.conversations.records import SavedTurn
from citewise.conversations.store import FILE_NAME, ConversationStore
from citewise.core.base_names import DEFAULT_BASE
from tests.processes import PROCESS_TIMEOUT_S

# Appends turns to one conversation, printing each committed one. With KILL_AT_COMMIT n, the process kills
# itself as its nth COMMIT statement starts: inside the transaction that writes a turn, before it commits.
WRITER = """
import os, signal, sqlite3, sys
from citewise.conversations.records import SavedTurn
from citewise.conversations.store import ConversationStore

path, turns, kill_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
connect, commits = sqlite3.connect, [0]

def connect_and_trace(*args, **kwargs):
    db = connect(*args, **kwargs)
    def trace(statement):
        if statement.strip().upper() == "COMMIT":
            commits[0] += 1
            if commits[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
    db.set_trace_callback(trace)
    return db

sqlite3.connect = connect_and_trace
store, conversation = ConversationStore(__import__("pathlib").Path(path)), None
for i in range(turns):
    turn = SavedTurn(f"question {i}", f"question {i}", "x" * 20000, False, None, (), (), (), "b", "m", "default")
    conversation, _ = store.append(conversation, turn)
    print(conversation, i, flush=True)
"""


def _write(path: Path, turns: int, kill_at: int = 0) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", WRITER, str(path), str(turns), str(kill_at)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _committed(output: str) -> list[tuple[str, int]]:
    return [(line.split()[0], int(line.split()[1])) for line in output.splitlines()]


def _intact(path: Path) -> None:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_killed_inside_a_write_the_store_keeps_every_committed_turn(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    # Commit 1 creates the schema, 2-4 save three turns: the fourth turn's transaction is killed before its commit.
    writer = _write(path, 10, kill_at=5)
    out, err = writer.communicate(timeout=PROCESS_TIMEOUT_S)
    assert writer.returncode == -signal.SIGKILL, err
    committed = _committed(out)
    assert [i for _, i in committed] == [0, 1, 2]

    _intact(path)
    store = ConversationStore(path)
    conversation = store.get(committed[0][0])
    assert [t.question for t in conversation.turns] == ["question 0", "question 1", "question 2"]
    assert all(len(t.answer) == 20000 for t in conversation.turns)
    turn = SavedTurn("after", "after", "a", False, None, (), (), (), "b", "m", DEFAULT_BASE)
    store.append(conversation.id, turn)
    assert [t.number for t in store.get(conversation.id).turns] == [1, 2, 3, 4]


def test_killed_at_any_moment_of_many_writes_the_store_stays_readable(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    writer = _write(path, 100_000)
    assert writer.stdout is not None
    for _ in range(25):  # some turns committed, then killed wherever it is
        assert writer.stdout.readline()
    writer.send_signal(signal.SIGKILL)
    out, _ = writer.communicate(timeout=PROCESS_TIMEOUT_S)
    assert writer.returncode == -signal.SIGKILL

    _intact(path)
    summaries = ConversationStore(path).summaries()
    assert len(summaries) == 1 and summaries[0].turns >= 25 + len(_committed(out))
    turns = ConversationStore(path).get(summaries[0].id).turns
    assert [t.question for t in turns] == [f"question {i}" for i in range(len(turns))]
