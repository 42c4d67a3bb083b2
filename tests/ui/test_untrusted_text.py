"""Text from documents, files, models and servers is shown as text on every page, never read as Markdown.

Streamlit reads most text parameters as Markdown, where `![x](http://host/b.png)` makes the browser fetch
that URL. Each test fills a page with such text (a document's title, heading and file name; the model's
answer; the user's question; an eval dataset; the model names an Ollama server lists) and then checks
every element that Streamlit renders as Markdown: none may carry it. The same text must still be on the
page, as escaped HTML.
"""

import copy
import json
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Node

from citewise.conversations.store import FILE_NAME as CONVERSATIONS_FILE
from citewise.conversations.store import ConversationStore
from citewise.core.settings import Settings
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.store import Store
from tests.fakes.ollama_server import FakeOllama
from tests.ui.conftest import APP
from tests.ui.test_app_pages import _app, _ask, _html, _run_eval, _upload

# A Markdown image or link to this address would make the browser fetch it (port 9 discards everything).
LEAK = "http://127.0.0.1:9/"
TITLE = f"Valve ![title]({LEAK}title.png) manual"
HEADING = f"Opening ![heading]({LEAK}heading.png) pressure"
FILE_NAME = "![leak](leak.png) valves.md"  # a file name cannot hold a '/', but a relative image still loads
DOC = f"# {TITLE}\n\n## {HEADING}\n\nThe XQ-7734 valve opens at a pressure of 35 bar.\n"
QUESTION = f"At what pressure does the XQ-7734 valve open? ![question]({LEAK}question.png)"
REPLY = f"The XQ-7734 valve opens at a pressure of 35 bar [1]. See ![answer]({LEAK}answer.png) now."
MARKERS = (f"]({LEAK}", "](leak.png)")
# Elements that show text without reading Markdown: escaped HTML, the document frame, monospaced text.
NOT_MARKDOWN = {"html", "iframe", "code", "text"}
# Widgets whose options are shown as plain text (their labels and help are Markdown all the same).
PLAIN_OPTIONS = {"selectbox", "multiselect"}
# Widgets whose value is shown in an input box, as plain text (a saved conversation's title, to rename it).
PLAIN_VALUES = {"text_input", "text_area"}
NOT_SHOWN = {"id", "form_id"}  # a widget's identity (its key may name a file), never rendered


def markdown_leaks(at: AppTest) -> list[str]:
    """Every element or block of the page that Streamlit renders as Markdown and that holds a marker."""
    found: list[str] = []

    def visit(node: Node) -> None:
        proto = getattr(node, "proto", None)
        if node.type not in NOT_MARKDOWN and proto is not None:
            proto = copy.deepcopy(proto)
            hidden = NOT_SHOWN | ({"options"} if node.type in PLAIN_OPTIONS else set())
            hidden |= {"default", "value"} if node.type in PLAIN_VALUES else set()
            for name in hidden & set(proto.DESCRIPTOR.fields_by_name):
                proto.ClearField(name)
            text = str(proto)
            if any(marker in text for marker in MARKERS):
                found.append(f"{node.type}: {text.strip()[:300]}")
        if isinstance(node, Block):
            for child in node.children.values():
                visit(child)

    visit(at._tree)
    return found


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as server:
        yield server


@pytest.fixture
def poisoned_index(
    tmp_path: Path, embedding_model: str, make_settings: Callable[..., Settings], use_data_dir
) -> Callable[..., Path]:
    """`poisoned_index(**env)`: a data dir of its own where a document with Markdown in its title, heading
    and file name is indexed, and the app's environment."""

    def make(**env: str) -> Path:
        doc = tmp_path / "docs" / FILE_NAME
        doc.parent.mkdir()
        doc.write_text(DOC, encoding="utf-8")
        report = ingest_paths(Store(make_settings(tmp_path / "data")), [doc])
        assert report.added == 1 and not report.failed
        return use_data_dir(tmp_path / "data", **env)

    return make


def test_ask_shows_titles_headings_file_names_questions_and_answers_as_text(
    poisoned_index: Callable[..., Path], fake_ollama: FakeOllama
) -> None:
    poisoned_index(CITEWISE_LLM="ollama", CITEWISE_OLLAMA_HOST=fake_ollama.url)
    fake_ollama.set_reply(REPLY)
    at = _ask(_app(), QUESTION)
    at.button(key="t0-src-1").click().run()  # the document, opened at the cited passage
    assert markdown_leaks(at) == []
    fake_ollama.set_reply(f"What is ![rewrite]({LEAK}rewrite.png) the XQ-7734?")
    at = _ask(at, "And what else?")  # a follow-up: the model rewrites it, and the rewrite is shown

    assert markdown_leaks(at) == []
    html = _html(at)  # all of it shown, as text
    assert TITLE in html and HEADING in html and FILE_NAME in html and QUESTION in html
    assert f"See ![answer]({LEAK}answer.png) now." in html and f"![rewrite]({LEAK}rewrite.png)" in html


def test_a_reopened_conversation_and_its_title_show_as_text(
    poisoned_index: Callable[..., Path], fake_ollama: FakeOllama
) -> None:
    """A saved conversation shown again (a reload): its question, answer and passages, and a title in the sidebar
    short enough to be shown whole."""
    data = poisoned_index(CITEWISE_LLM="ollama", CITEWISE_OLLAMA_HOST=fake_ollama.url)
    fake_ollama.set_reply(REPLY)
    conversation = _ask(_app(), QUESTION).query_params["c"]
    ConversationStore(data / CONVERSATIONS_FILE).rename(conversation, TITLE)

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["c"] = conversation
    at.run()
    assert not at.exception, at.exception
    assert markdown_leaks(at) == []
    html = _html(at)
    assert TITLE in html and HEADING in html and FILE_NAME in html and QUESTION in html
    assert f"See ![answer]({LEAK}answer.png) now." in html


def test_documents_shows_titles_and_file_names_as_text(poisoned_index: Callable[..., Path]) -> None:
    data = poisoned_index()
    source = str((data.parent / "docs" / FILE_NAME).resolve())
    at = _app("documents")
    assert markdown_leaks(at) == []
    assert escape(TITLE) in _html(at)

    # Each step's notices last until the next run: checked one step at a time.
    at = _upload(at, ("![leak](leak.png) broken.pdf", b"not a PDF"), ("![leak](leak.png) empty.md", b""))
    assert markdown_leaks(at) == []
    assert "![leak](leak.png) broken.pdf was not indexed" in _html(at)
    assert "![leak](leak.png) empty.md is empty." in _html(at)

    at = _upload(
        _upload(at, ("![leak](leak.png) one.md", b"# One\n\nText.\n")),
        ("![leak](leak.png) two.md", b"# One\n\nText.\n"),
    )
    assert markdown_leaks(at) == []
    assert "![leak](leak.png) two.md has the same content as" in _html(at)

    at.button(key=f"reindex-{source}").click().run()
    assert markdown_leaks(at) == []
    at.button(key=f"delete-{source}").click().run()
    assert markdown_leaks(at) == []
    assert f"Removed {escape(TITLE)} from the index." in _html(at)


def test_evals_shows_dataset_and_model_text_as_text(fresh_index: Path, use_data_dir, fake_ollama: FakeOllama) -> None:
    use_data_dir(fresh_index, CITEWISE_LLM="ollama", CITEWISE_OLLAMA_HOST=fake_ollama.url)
    fake_ollama.set_reply(f"GPT-1 had 117 million parameters [1]. ![answer]({LEAK}answer.png)")
    at = _app("evals")
    at.radio[0].set_value("Upload a JSONL file").run()
    at.file_uploader[0].set_value(("![leak](leak.png).jsonl", b"{broken\n", "text/plain")).run()
    assert markdown_leaks(at) == []
    assert "Not a valid dataset: ![leak](leak.png).jsonl:1: invalid JSON" in _html(at)
    item = {
        "id": "q-![leak](leak.png)",
        "question": f"How many parameters did GPT-1 have? ![question]({LEAK}question.png)",
        "answers": [f"117 million ![gold]({LEAK}gold.png)"],
        "evidence": ["117 million"],
        "answerable": True,
    }
    dataset = ("![leak](leak.png) questions.jsonl", json.dumps(item).encode() + b"\n", "text/plain")
    at.file_uploader[0].set_value(dataset).run()
    at.toggle[0].set_value(False).run()  # answers too, not retrieval only
    at = _run_eval(at, ["hybrid"], 1)  # hybrid shows the model's answer as written

    assert markdown_leaks(at) == []
    html = _html(at)
    assert item["question"] in html and item["answers"][0] in html
    assert f"![answer]({LEAK}answer.png)" in html


def test_status_and_ask_show_what_ollama_lists_as_text(
    use_data_dir, indexed_dir: Path, fake_ollama: FakeOllama
) -> None:
    model = f"![model]({LEAK}model.png)"
    fake_ollama.set_models([model])
    use_data_dir(indexed_dir, CITEWISE_LLM="auto", CITEWISE_OLLAMA_HOST=fake_ollama.url)
    for page in ("status", None):
        at = _app(page)
        assert markdown_leaks(at) == []
        assert model in _html(at)  # named in the reason the embedded model answers


@pytest.fixture
def fresh_index(
    tmp_path: Path, small_doc: Path, embedding_model: str, make_settings: Callable[..., Settings], use_data_dir
) -> Path:
    """A data dir of its own (the test writes eval runs) with the small document indexed."""
    ingest_paths(Store(make_settings(tmp_path / "data")), [small_doc])
    return use_data_dir(tmp_path / "data")
