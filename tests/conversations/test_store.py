"""The conversation store: what a turn keeps comes back as it was, the schema's version is recorded, and a
damaged or newer file is named with what to do."""

import sqlite3
import stat
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from citewise.conversations.records import NOT_SUPPORTED, NOTHING_CLOSE, Passage, SavedTurn, turn_from_json, turn_json
from citewise.conversations.store import FILE_NAME, SCHEMA_VERSION, ConversationError, ConversationStore
from citewise.core.base_names import DEFAULT_BASE
from citewise.core.types import Citation, Claim
from citewise.core.waterfall import waterfall
from citewise.service import Citewise
from tests.conversations.conftest import QUESTION

HOSTILE = "![x](http://127.0.0.1:9/x.png) <script>alert(1)</script> # heading\n- item | cell | `code` 你好 \x1b[31m"


def _turn(question: str = "How?", **changes: object) -> SavedTurn:
    citation = Citation(1, "/docs/a.md", HOSTILE, "A > B", "chunk-1", f"passage {HOSTILE} end", (8, 20))
    values: dict[str, object] = {
        "question": question,
        "asked": question,
        "answer": "It works [1].",
        "refused": False,
        "refusal": None,
        "claims": (
            Claim("It works.", True, 0.8, 1, (), "", None),
            Claim(HOSTILE, False, 0.1, None, (), "no passage shares its words", 0.2),
        ),
        "citations": (citation,),
        "closest": (),
        "backend": "ollama",
        "model": "qwen",
        "kb": DEFAULT_BASE,
        "timings_ms": {"retrieve": 12.5, "total": 900.0},
    }
    values.update(changes)
    return SavedTurn(**values)  # type: ignore[arg-type]


def test_a_turn_comes_back_as_it_was_saved(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / FILE_NAME)
    refusal = _turn(
        "Hostile " + HOSTILE,
        refused=True,
        refusal=NOTHING_CLOSE,
        citations=(),
        closest=(Passage("/docs/b.md", "B", "", "chunk-9", HOSTILE),),
    )
    conversation_id, first = store.append(None, _turn())
    same_id, second = store.append(conversation_id, refusal)

    opened = store.get(conversation_id)
    assert same_id == conversation_id
    assert opened.turns == (first, second)
    assert (first.number, second.number) == (1, 2)
    assert opened.turns[1].question == "Hostile " + HOSTILE and opened.turns[1].closest[0].text == HOSTILE
    assert opened.turns[0].citations[0].text_hash == _turn().citations[0].text_hash
    assert opened.title == "How?" and opened.kb == DEFAULT_BASE


def test_a_real_answer_keeps_its_citations_refusal_timings_and_model(service: Citewise) -> None:
    answer = service.ask(QUESTION)
    conversation_id, _ = service.save_turn(None, QUESTION, answer)
    refused = service.ask("What is the best recipe for banana bread?")
    service.save_turn(conversation_id, "What is the best recipe for banana bread?", refused)

    kept, refusal = service.conversation(conversation_id).turns
    assert (kept.question, kept.answer, kept.refused, kept.refusal) == (QUESTION, answer.answer, False, None)
    assert "35 bar" in kept.answer and kept.citations == answer.citations and kept.citations[0].chunk_id
    assert kept.claims == tuple(replace(c, model_markers=()) for c in answer.claims)  # the model's own [n] aside
    assert (kept.backend, kept.model, kept.kb) == (answer.backend, answer.model, "default")
    assert kept.timings_ms == answer.timings_ms
    assert kept.waterfall == waterfall(answer) and kept.waterfall["select_ms"] is not None
    assert refusal.refused and refusal.refusal in (NOTHING_CLOSE, NOT_SUPPORTED)
    assert [p.chunk_id for p in refusal.closest] == [h.chunk.id for h in refused.retrieved.hits[:3]]


def test_a_turn_saved_before_the_waterfall_opens_without_one(tmp_path: Path) -> None:
    old = turn_json(_turn())
    del old["waterfall"]

    assert turn_from_json(old).waterfall == {}


def test_list_is_newest_first_rename_and_delete(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / FILE_NAME)
    older, _ = store.append(None, _turn("first  question\nspread over lines"))
    newer, _ = store.append(None, _turn("second"))
    assert [(c.id, c.title, c.turns) for c in store.summaries()] == [
        (newer, "second", 1),
        (older, "first question spread over lines", 1),
    ]
    store.append(older, _turn("a follow-up"))
    assert [c.id for c in store.summaries()] == [older, newer]  # the one added to last comes first

    assert store.rename(older, "  Valves\n") == "Valves"
    assert store.get(older).title == "Valves"
    with pytest.raises(ConversationError, match="cannot be empty"):
        store.rename(older, " \n")
    store.delete(older)
    assert [c.id for c in store.summaries()] == [newer]
    with pytest.raises(ConversationError, match="No saved conversation has the id"):
        store.get(older)
    with sqlite3.connect(tmp_path / FILE_NAME) as db:
        assert db.execute("SELECT COUNT(*) FROM turns WHERE conversation_id = ?", (older,)).fetchone() == (0,)


def test_the_schema_version_and_write_ahead_log_are_recorded_in_files_of_the_user_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ConversationStore(data / FILE_NAME).append(None, _turn())
    with closing(sqlite3.connect(data / FILE_NAME)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        files = sorted(data.iterdir())  # the log and its index exist while a connection is open
        assert [f.name for f in files] == [FILE_NAME, f"{FILE_NAME}-shm", f"{FILE_NAME}-wal"]
        assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_a_newer_or_damaged_file_is_named_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    ConversationStore(path).append(None, _turn())
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ConversationError, match="written by a newer citewise") as newer:
        ConversationStore(path).summaries()
    assert str(path) in str(newer.value) and "\n" not in str(newer.value)

    damaged = tmp_path / "other" / FILE_NAME
    damaged.parent.mkdir()
    damaged.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConversationError, match="Move the file aside") as unreadable:
        ConversationStore(damaged).summaries()
    assert str(damaged) in str(unreadable.value) and "\n" not in str(unreadable.value)
