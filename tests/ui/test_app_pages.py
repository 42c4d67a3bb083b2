"""Each page of the web UI through Streamlit's AppTest, with the real library underneath: a real index,
the real embedding model, and a model behind Ollama's wire format (fast) or the embedded one (slow)."""

import json
import re
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from citewise.answer.llm.model_files import ensure_model
from citewise.core.settings import Settings
from citewise.core.settings_table import setting_rows
from citewise.evals.metrics import FAILURES
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.store import Store
from citewise.ui.render import markdown_literal
from tests.environment import SHARED_MODELS_DIR
from tests.fakes.ollama_server import DEFAULT_MODEL, FakeOllama
from tests.ui.conftest import APP

GPT1 = "How many parameters did GPT-1 have?"
FIRST_RUN_S = 120  # the first run of a fresh process opens the index and loads the embedding model
# The escaped-HTML stand-ins (ui/render.py) for Streamlit elements that would read their text as Markdown.
LOOK_ALIKES = {kind: f"cw-notice cw-notice-{kind}" for kind in ("error", "warning", "info", "success")}
LOOK_ALIKES["caption"] = "cw-caption"
ANSWER_S = 600  # the real embedded model on 2 busy cores


def _app(page: str | None = None, timeout: float = FIRST_RUN_S) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=timeout).run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _html(at: AppTest) -> str:
    return "\n".join(element.proto.body for element in at.get("html"))


def _texts(at: AppTest, kind: str) -> str:
    """The text the page shows as `kind` ("error", "caption"...): Streamlit's own elements, and the
    escaped-HTML look-alikes that show text from documents, files, models and servers."""
    own = [str(element.value) for element in at.get(kind)]
    css = LOOK_ALIKES.get(kind)
    alike = re.findall(rf'<div class="{css}">(.*?)</div>', _html(at), re.S) if css else []
    return "\n".join(own + [unescape(text) for text in alike])


def _ask(at: AppTest, question: str, timeout: float = FIRST_RUN_S) -> AppTest:
    at.chat_input[0].set_value(question).run(timeout=timeout)
    assert not at.exception, at.exception
    return at


@pytest.fixture
def fake_ollama() -> FakeOllama:
    with FakeOllama() as server:
        yield server


@pytest.fixture
def on_ollama(use_data_dir, indexed_dir: Path, fake_ollama: FakeOllama) -> FakeOllama:
    """The app over the indexed small document, answering through a server that speaks Ollama."""
    use_data_dir(indexed_dir, CITEWISE_LLM="ollama", CITEWISE_OLLAMA_HOST=fake_ollama.url)
    return fake_ollama


@pytest.fixture
def fresh_index(
    tmp_path: Path, small_doc: Path, embedding_model: str, make_settings: Callable[..., Settings], use_data_dir
) -> Path:
    """A data dir of its own (the test changes it) with the small document indexed."""
    ingest_paths(Store(make_settings(tmp_path / "data")), [small_doc])
    return use_data_dir(tmp_path / "data")


# -- Ask -------------------------------------------------------------------------------------------


def test_off_topic_question_is_refused_without_the_model(on_ollama: FakeOllama) -> None:
    at = _ask(_app(), "What is the best recipe for banana bread?")
    assert "nothing in them is close to this question" in _texts(at, "warning")
    assert "Closest passages" in _texts(at, "markdown")
    assert "model-history.md" in _html(at)  # the closest passages are shown
    assert on_ollama.bodies("/api/chat") == []


def test_answer_shows_markers_sources_highlighted_span_and_timings(on_ollama: FakeOllama) -> None:
    on_ollama.set_reply("GPT-1 had 117 million parameters.")
    at = _ask(_app(), GPT1)
    html = _html(at)
    assert '<div class="cw-answer">GPT-1 had 117 million parameters. <span class="cw-ref">[1]</span></div>' in html
    assert 'class="cw-draft"' not in html  # the streamed draft was replaced by the verified answer
    assert '<span class="cw-ref">[1]</span> Language model history' in html
    assert "› The GPT family" in html
    assert "<mark>GPT-1 had 117 million parameters.</mark>" in html
    captions = _texts(at, "caption")
    assert f"ollama · {DEFAULT_MODEL}" in captions
    assert "retrieve" in captions and "first token" in captions and "total" in captions
    assert "first verified sentence" in captions
    assert re.search(r"select \d+ ms · prompt \d+ new tokens, evaluated in \d+ ms", captions)
    assert re.search(r"model server \d+ ms, network and queueing \d+ ms", captions)
    assert 'class="cw-verified"' not in html  # the sentences verified while streaming too
    assert not at.warning


def test_unsupported_claim_is_struck_through(on_ollama: FakeOllama) -> None:
    on_ollama.set_reply("GPT-1 had 117 million parameters. GPT-1 was trained on 900 GPUs for 12 weeks.")
    html = _html(_ask(_app(), GPT1))
    assert "<del>GPT-1 was trained on 900 GPUs for 12 weeks.</del>" in html
    assert "not supported by the documents" in html
    assert "900 GPUs" not in html.split('<div class="cw-answer">')[1].split("</div>")[0]


def test_model_text_is_escaped(on_ollama: FakeOllama) -> None:
    on_ollama.set_reply("GPT-1 had 117 million parameters <script>alert(1)</script>.")
    html = _html(_ask(_app(), GPT1))
    assert "<script>" not in html


def test_open_document_shows_it_scrolled_to_the_marked_passage(on_ollama: FakeOllama) -> None:
    on_ollama.set_reply("GPT-1 had 117 million parameters.")
    at = _ask(_app(), GPT1)
    at.button(key="t0-src-1").click().run()
    [frame] = at.get("iframe")
    doc = frame.proto.srcdoc
    assert '<mark id="hit">GPT-1 had 117 million parameters.</mark>' in doc
    assert "GPT-2 followed in 2019" in doc  # the whole document, not just the passage
    assert "scrollTo" in doc


def test_follow_up_is_rewritten_shown_and_searched(on_ollama: FakeOllama) -> None:
    on_ollama.set_reply("GPT-1 had 117 million parameters.")
    at = _ask(_app(), GPT1)
    on_ollama.set_reply("How many parameters did GPT-2 have?")
    at = _ask(at, "and GPT-2?")
    # Shown as text (escaped HTML), never as Markdown: the rewrite is the model's output.
    assert '<div class="cw-file">Searched for: How many parameters did GPT-2 have?</div>' in _html(at)
    rewrite, answer = on_ollama.bodies("/api/chat")[1:]
    assert "GPT-1 had 117 million parameters." in rewrite["messages"][1]["content"]
    assert "Question: How many parameters did GPT-2 have?" in answer["messages"][1]["content"]


def test_no_documents_says_what_to_do(use_data_dir, tmp_path: Path, embedding_model: str) -> None:
    use_data_dir(tmp_path / "empty")
    at = _app()
    assert "No documents are indexed yet" in _texts(at, "info")
    assert at.chat_input[0].disabled


def test_unreachable_ollama_says_what_to_do(use_data_dir, indexed_dir: Path) -> None:
    use_data_dir(indexed_dir, CITEWISE_LLM="ollama")
    at = _app()
    error = _texts(at, "error")
    assert "not reachable" in error and "ollama serve" in error and "CITEWISE_LLM=auto" in error
    assert at.chat_input[0].disabled


@pytest.fixture
def embedded_model(indexed_dir: Path) -> Path:
    ensure_model(SHARED_MODELS_DIR)
    return indexed_dir


@pytest.mark.slow
def test_real_model_answers_with_a_verified_citation(use_data_dir, embedded_model: Path) -> None:
    use_data_dir(embedded_model)
    at = _ask(_app(), GPT1, timeout=ANSWER_S)
    html = _html(at)
    answer = html.split('<div class="cw-answer">')[1].split("</div>")[0]
    assert "117 million" in answer and '<span class="cw-ref">[1]</span>' in answer
    assert "<mark>" in html
    assert "embedded · " in _texts(at, "caption")


@pytest.mark.slow
def test_real_model_follow_up_keeps_the_context(use_data_dir, embedded_model: Path) -> None:
    use_data_dir(embedded_model)
    at = _ask(_ask(_app(), GPT1, timeout=ANSWER_S), "and GPT-2?", timeout=ANSWER_S)
    assert "GPT-2" in _html(at).split("Searched for:")[1].split("</div>")[0]
    last_answer = _html(at).split('<div class="cw-answer">')[-1].split("</div>")[0]
    assert "1.5 billion" in last_answer


# -- Documents -------------------------------------------------------------------------------------


def _upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.file_uploader[0].set_value([(name, data, "application/octet-stream") for name, data in files])
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, at.exception
    return at


def _stored(data_dir: Path) -> list[str]:
    """The uploaded files kept in the uploads folder (not the hidden record of the names they came under)."""
    return sorted(p.name for p in (data_dir / "uploads").iterdir() if not p.name.startswith("."))


def test_upload_indexes_good_files_and_reports_bad_ones(fresh_index: Path) -> None:
    at = _upload(
        _app("documents"),
        ("valves.md", b"# Valve manual\n\nThe XQ-7734 valve opens at 35 bar.\n"),
        ("broken.pdf", b"this is not a PDF"),
    )
    lines = _html(at)  # file names and titles are shown as text, never as Markdown
    assert "<div>✓ valves.md added (1 passage)</div>" in lines
    assert "broken.pdf was not indexed" in _texts(at, "error")
    assert "1 added, 0 updated, 0 unchanged, 1 failed" in _texts(at, "success")
    assert "<div><b>Valve manual</b></div>" in lines  # listed
    assert _stored(fresh_index) == ["valves.md"]


def test_uploading_the_same_file_again_changes_nothing(fresh_index: Path) -> None:
    doc = ("valves.md", b"# Valve manual\n\nThe XQ-7734 valve opens at 35 bar.\n")
    at = _upload(_upload(_app("documents"), doc), doc)
    assert "<div>– valves.md unchanged, already indexed</div>" in _html(at)
    assert "0 added, 0 updated, 1 unchanged" in _texts(at, "success")
    assert len(Store(Settings(data_dir=fresh_index)).documents()) == 2  # the small document and valves.md
    renamed = _upload(at, ("copy of valves.md", doc[1]))
    assert "copy of valves.md has the same content as valves.md" in _texts(renamed, "info")
    assert _stored(fresh_index) == ["valves.md"]


def test_upload_names_cannot_escape_the_uploads_folder(fresh_index: Path) -> None:
    _upload(_app("documents"), ("../../outside/evil?.md", b"# Evil\n\nSome text about valves.\n"))
    assert _stored(fresh_index) == ["evil_.md"]
    assert not (fresh_index.parent / "outside").exists()


def test_oversized_upload_is_refused_with_the_limit(fresh_index: Path, use_data_dir) -> None:
    use_data_dir(fresh_index, CITEWISE_MAX_FILE_MB="1")
    at = _app("documents")
    [uploader] = at.file_uploader
    assert "up to 1 MB each" in uploader.label and uploader.proto.max_upload_size_mb == 1  # what the page says
    at = _upload(at, ("big.md", b"# Big\n\n" + b"word " * 500_000), ("small.md", b"# Small\n\nA short note.\n"))
    assert "big.md is 2.4 MB; the limit is 1 MB a file" in _texts(at, "error")
    assert "CITEWISE_MAX_FILE_MB" in _texts(at, "error")
    assert _stored(fresh_index) == ["small.md"]


def test_upload_batch_with_a_long_name_and_colliding_names_indexes_every_file(fresh_index: Path) -> None:
    long_name = "大型语言模型" * 20 + ".md"  # 363 bytes: too long for a file name on most systems
    at = _upload(
        _app("documents"),
        (long_name, b"# Models\n\nLarge language models are trained on text.\n"),
        ("Pump.md", b"# Pump\n\nPrime the pump with water.\n"),
        ("Pump.MD", b"# Boiler\n\nBleed the radiators each autumn.\n"),  # the same stored name as Pump.md
        ("a?b.md", b"# Valve\n\nThe valve opens at 35 bar.\n"),
        ("a*b.md", b"# Fan\n\nClean the fan blades monthly.\n"),
    )
    assert "5 added, 0 updated, 0 unchanged, 0 failed" in _texts(at, "success")
    stored = _stored(fresh_index)
    assert len(stored) == 5 and all(len(name.encode()) <= 120 for name in stored)
    assert set(stored) >= {"Pump.md", "Pump (2).md", "a_b.md", "a_b (2).md"}
    titles = {d.title for d in Store(Settings(data_dir=fresh_index)).documents()}
    assert {"Models", "Pump", "Boiler", "Valve", "Fan"} <= titles


def test_delete_removes_the_document_and_its_upload(fresh_index: Path) -> None:
    at = _upload(_app("documents"), ("valves.md", b"# Valve manual\n\nThe XQ-7734 valve opens at 35 bar.\n"))
    source = str((fresh_index / "uploads" / "valves.md").resolve())
    at.button(key=f"delete-{source}").click().run()
    assert "Removed Valve manual" in _texts(at, "success")
    assert "<b>Valve manual</b>" not in _html(at)
    assert not (fresh_index / "uploads" / "valves.md").exists()


def test_reindex_picks_up_a_changed_file(fresh_index: Path, tmp_path: Path, small_doc: Path) -> None:
    edited = tmp_path / "notes.md"
    edited.write_text("# Notes\n\nFirst version.\n")
    ingest_paths(Store(Settings(data_dir=fresh_index)), [edited])
    edited.write_text("# Notes\n\nSecond version, now longer.\n")
    at = _app("documents")
    at.button(key=f"reindex-{edited.resolve()}").click().run()
    assert "<div>↻ Notes updated (replaces the earlier version) (1 passage)</div>" in _html(at)


def test_empty_index_offers_the_sample_articles(use_data_dir, tmp_path: Path, embedding_model: str) -> None:
    use_data_dir(tmp_path / "empty")
    at = _app("documents")
    assert "Nothing is indexed yet" in _texts(at, "info")
    assert any(b.label == "Index the sample articles" for b in at.button)


# -- Evals -----------------------------------------------------------------------------------------


def _run_eval(at: AppTest, configs: list[str], questions: int) -> AppTest:
    at.multiselect[0].set_value(configs)
    at.number_input[0].set_value(questions)
    next(b for b in at.button if b.label == "Run evaluation").click().run()
    assert not at.exception, at.exception
    return at


def test_eval_runs_retrieval_only_and_shows_one_chart_the_full_table_folded_and_items(fresh_index: Path) -> None:
    at = _app("evals")
    assert "sample articles" in _texts(at, "warning")  # the dev set's documents are not indexed here
    at = _run_eval(at, ["hybrid+verifier@v1", "hybrid"], 3)
    [saved] = (fresh_index / "eval-runs").glob("*.json")
    run = json.loads(saved.read_text())
    assert run["configs"] == ["hybrid+verifier@v1", "hybrid"] and len(run["items"]) == 3
    # One table-chart of what retrieval is judged by, a row per configuration; no per-metric charts, and no
    # losses chart where the model did not answer.
    [chart] = at.dataframe
    assert list(chart.value.index) == ["hybrid+verifier@v1", "hybrid"]
    assert list(chart.value.columns) == ["hit@k", "mrr", "seconds_per_question"]
    assert not at.get("vega_lite_chart")
    [folded] = at.expander
    assert folded.label == "Every metric"
    table = folded.table[0].value
    assert list(table.columns) == ["hybrid+verifier@v1", "hybrid", "meaning"]
    assert {"hit@k", "mrr", "evidence_recall@k"} <= set(table.index)
    assert "topics-01: How many parameters did GPT-1 have?" in at.selectbox[1].format_func(at.selectbox[1].value)
    # The main configuration of this run (its first) leads; its name is shown literally, not read as Markdown.
    assert at.tabs[0].label == markdown_literal("hybrid+verifier@v1")
    assert re.search(r'<span class="cw-(good|bad)">Retrieval (right|wrong)</span>: ', _html(at))  # the verdict


def test_a_damaged_kept_run_is_named_and_the_page_still_opens(fresh_index: Path) -> None:
    runs = fresh_index / "eval-runs"
    runs.mkdir(parents=True, exist_ok=True)
    (runs / "20200101-000000-000000.json").write_text('{"id": "cut short', encoding="utf-8")
    at = _app("evals")
    assert "A kept eval run cannot be read and is left out: 20200101-000000-000000.json: JSONDecodeError" in _html(at)
    assert "No runs yet" in _texts(at, "info")


def test_eval_with_answers_says_why_each_answer_counts(
    fresh_index: Path, use_data_dir, fake_ollama: FakeOllama
) -> None:
    use_data_dir(fresh_index, CITEWISE_LLM="ollama", CITEWISE_OLLAMA_HOST=fake_ollama.url)
    fake_ollama.set_reply("GPT-1 had 117 million parameters.")
    at = _app("evals")
    at.toggle[0].set_value(False).run()
    at = _run_eval(at, ["hybrid+verifier@v1"], 1)
    assert at.table[0].value.loc["answer_accuracy", "hybrid+verifier@v1"] == "1.000"
    # The metrics a user decides on, in one table-chart (no refusal figure: the one question is answerable).
    chart = at.dataframe[0].value
    assert list(chart.columns) == ["answer_accuracy", "wrong_but_cited", "citation_precision", "seconds_per_question"]
    assert chart.loc["hybrid+verifier@v1", ["answer_accuracy", "wrong_but_cited"]].tolist() == [1.0, 0.0]
    # Where answers were lost: one stacked bar per configuration, the stages in pipeline order.
    [losses] = at.get("vega_lite_chart")
    shown = losses.proto.spec.encode() + losses.proto.data.data + b"".join(d.data.data for d in losses.proto.datasets)
    assert all(f"{n} {stage}".encode() in shown for n, stage in enumerate(FAILURES, start=1))
    assert '<span class="cw-good">Right</span>: the answer contains the expected “117 million”.' in _html(at)
    assert "GPT-1 had 117 million parameters. [1]" in _texts(at, "info")
    assert '<span class="cw-ref">[1]</span> “GPT-1 had 117 million parameters.”' in _html(at)


def test_past_runs_are_kept_and_compared(fresh_index: Path) -> None:
    at = _run_eval(_run_eval(_app("evals"), ["hybrid+verifier@v1"], 2), ["hybrid"], 2)
    assert len(list((fresh_index / "eval-runs").glob("*.json"))) == 2
    comparison = at.table[-1].value
    assert len([c for c in comparison.columns if c != "meaning"]) == 2
    assert {c.split()[-1] for c in comparison.columns if c != "meaning"} == {"hybrid+verifier@v1", "hybrid"}


def test_uploaded_dataset_with_a_bad_line_is_reported(fresh_index: Path) -> None:
    at = _app("evals")
    at.radio[0].set_value("Upload a JSONL file").run()
    good = {"id": "a", "question": "Q?", "answers": ["x"], "evidence": ["x"], "answerable": True}
    at.file_uploader[0].set_value(("mine.jsonl", (json.dumps(good) + "\n{broken\n").encode(), "text/plain")).run()
    assert "Not a valid dataset: mine.jsonl:2: invalid JSON" in _texts(at, "error")


# -- Status ----------------------------------------------------------------------------------------


def test_status_shows_backend_ollama_models_settings_and_index(
    use_data_dir, indexed_dir: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.set_models([DEFAULT_MODEL, "llama3.2:3b"])
    use_data_dir(indexed_dir, CITEWISE_LLM="auto", CITEWISE_OLLAMA_HOST=fake_ollama.url)
    at = _app("status")
    assert f"ollama · {DEFAULT_MODEL}" in _texts(at, "success")
    html = _html(at)  # model names, reasons and paths are shown as text, not Markdown
    assert f"<li>{DEFAULT_MODEL} (the configured model)</li><li>llama3.2:3b</li>" in html
    assert "<li>1 documents, " in html and f"<li>data directory: {indexed_dir} (CITEWISE_DATA_DIR)</li>" in html
    settings = at.table[0].value
    assert settings.loc["CITEWISE_TOP_K", "value"] == "5"
    # the table README shows (core/settings_table.py), every setting in it, with the current value beside
    rows = setting_rows()
    assert list(settings.index) == [" / ".join(row.variables) for row in rows]
    assert list(settings["meaning"]) == [row.meaning for row in rows]
    assert settings.loc["CITEWISE_TOP_K", "default"] == "5"


def test_status_explains_the_embedded_fallback(use_data_dir, indexed_dir: Path) -> None:
    use_data_dir(indexed_dir, CITEWISE_LLM="auto")
    at = _app("status")
    assert "embedded · " in _texts(at, "success")
    assert "not reachable" in _texts(at, "caption")
    assert "ollama serve" in _texts(at, "info")
