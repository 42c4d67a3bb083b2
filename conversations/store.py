"""Saved conversations in one SQLite file in the data folder.

Write-ahead log and synchronous commits, one short transaction per write: a process killed mid-write leaves the
store as of its last commit, readable by the next. The UI, the CLI and the API may write at once (SQLite makes
them take turns; a writer waits up to BUSY_TIMEOUT_S). The schema's version is SQLite's `user_version`.
"""

import json
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from citewise.conversations.records import (
    Conversation,
    ConversationSummary,
    SavedTurn,
    turn_from_json,
    turn_json,
)
from citewise.core.private import FILE_MODE, private_folder

FILE_NAME = "conversations.sqlite3"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0
MAX_TITLE_CHARS = 200

SCHEMA = """
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    kb TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    record TEXT NOT NULL,  -- the turn as JSON (records.turn_json)
    PRIMARY KEY (conversation_id, position)
);
"""


class ConversationError(RuntimeError):
    """The store cannot be read or written, or a conversation is not in it; the message says what to do."""


class ConversationNotFound(ConversationError):
    pass


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def title_of(question: str) -> str:
    """A conversation's first title: its first question on one line, clipped."""
    line = " ".join(question.split())
    return line if len(line) <= MAX_TITLE_CHARS else line[: MAX_TITLE_CHARS - 1] + "…"


class ConversationStore:
    """One SQLite connection per call: each thread and process opens its own."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            private_folder(self.path.parent)
            # SQLite gives its -wal and -shm files the database file's mode: made 0600 here, they are 0600 too.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE))
            # Autocommit: every write below opens its own transaction (BEGIN IMMEDIATE) and commits it at once.
            with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)) as db:
                db.execute("PRAGMA foreign_keys = ON")
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = FULL")
                self._migrate(db)
                yield db
        except sqlite3.DatabaseError as exc:
            raise ConversationError(
                f"{self.path}: the saved conversations cannot be read ({exc}). Move the file aside to start a new "
                "store (the conversations in it are then not listed)."
            ) from exc
        except OSError as exc:
            raise ConversationError(f"{self.path}: cannot open the saved conversations ({exc}).") from exc

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise ConversationError(
                f"{self.path} was written by a newer citewise (schema version {version}; this one reads "
                f"{SCHEMA_VERSION}): upgrade citewise, or move the file aside."
            )
        with self._transaction(db):
            if db.execute("PRAGMA user_version").fetchone()[0] == 0:  # another process may have made it meanwhile
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @staticmethod
    @contextmanager
    def _transaction(db: sqlite3.Connection) -> Iterator[None]:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- reads ------------------------------------------------------------------------------

    def summaries(self) -> list[ConversationSummary]:
        """Every conversation, the one added to last first."""
        with self._connection() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.kb, c.created_at, c.updated_at, COUNT(t.position) FROM conversations c "
                "LEFT JOIN turns t ON t.conversation_id = c.id GROUP BY c.id ORDER BY c.updated_at DESC, c.id"
            ).fetchall()
        return [ConversationSummary(*row) for row in rows]

    def get(self, conversation_id: str) -> Conversation:
        with self._connection() as db:
            head = db.execute(
                "SELECT id, title, kb, created_at, updated_at FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if head is None:
                raise self._not_found(conversation_id)
            records = db.execute(
                "SELECT position, record FROM turns WHERE conversation_id = ? ORDER BY position", (conversation_id,)
            ).fetchall()
        turns = []
        for position, record in records:
            try:
                turns.append(replace(turn_from_json(json.loads(record)), number=position + 1))
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                raise ConversationError(
                    f"{self.path}: turn {position + 1} of conversation {conversation_id} is damaged ({exc!r}); "
                    f"`citewise conversations delete {conversation_id}` removes the conversation."
                ) from exc
        return Conversation(*head, turns=tuple(turns))

    # -- writes, one transaction each ---------------------------------------------------------

    def append(self, conversation_id: str | None, turn: SavedTurn) -> tuple[str, SavedTurn]:
        """Add a turn to a conversation (None: to a new one, titled by its question). The conversation's id and
        the turn as saved (with its time)."""
        now = _now()
        record = json.dumps(turn_json(replace(turn, created_at=now, number=0)), ensure_ascii=False)
        with self._connection() as db, self._transaction(db):
            if conversation_id is None:
                conversation_id = secrets.token_hex(8)
                db.execute(
                    "INSERT INTO conversations (id, title, kb, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                    (conversation_id, title_of(turn.question), turn.kb, now, now),
                )
            elif (
                db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id)).rowcount == 0
            ):
                raise self._not_found(conversation_id)
            (position,) = db.execute(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM turns WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
            db.execute(
                "INSERT INTO turns (conversation_id, position, created_at, record) VALUES (?, ?, ?, ?)",
                (conversation_id, position, now, record),
            )
        return conversation_id, replace(turn, created_at=now, number=position + 1)

    def rename(self, conversation_id: str, title: str) -> str:
        """Give a conversation a title of its own (one line, at most MAX_TITLE_CHARS); the title as saved."""
        title = " ".join(title.split())
        if not title:
            raise ConversationError("A conversation's title cannot be empty: give it at least one character.")
        if len(title) > MAX_TITLE_CHARS:
            raise ConversationError(
                f"A conversation's title is at most {MAX_TITLE_CHARS} characters (this one has {len(title)})."
            )
        with self._connection() as db, self._transaction(db):
            if db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id)).rowcount == 0:
                raise self._not_found(conversation_id)
        return title

    def delete(self, conversation_id: str) -> None:
        with self._connection() as db, self._transaction(db):
            if db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,)).rowcount == 0:
                raise self._not_found(conversation_id)

    def _not_found(self, conversation_id: str) -> ConversationNotFound:
        return ConversationNotFound(
            f"No saved conversation has the id {conversation_id!r} (in {self.path}); "
            "`citewise conversations list` lists them."
        )
