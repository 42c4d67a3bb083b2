"""Knowledge bases in one data folder, on real Chroma (embedded and `chroma run`) with the real embedding model:
two bases holding files of the same names stay apart in search, ask, remove, sync and eval; deleting one leaves
the other byte for byte as it was; a data folder written before bases existed opens as `default` unchanged."""

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from citewise.core.settings import Settings, SettingsError, get_settings
from citewise.evals.dataset import EvalItem
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.hybrid import HybridRetriever
from citewise.retrieval.store import Store
from citewise.service import BaseError, BaseNotFound, Citewise
from tests.fakes.ollama_server import DEFAULT_MODEL, FakeOllama

PAPERS = "# Notes\n\nGPT-1 was released by OpenAI in 2018. GPT-1 had 117 million parameters.\n"
HANDBOOK = "# Notes\n\nEvery employee gets 25 vacation days per year, booked through the team calendar.\n"


def _folder(root: Path, text: str) -> Path:
    """A folder whose one file, notes.md, has the same name in both bases."""
    root.mkdir(parents=True)
    (root / "notes.md").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def two_bases(store_backend: Settings, tmp_path: Path) -> tuple[Citewise, Citewise, Path, Path]:
    """`default` syncing a handbook folder, `papers` syncing a papers folder: each holds a notes.md."""
    handbook = _folder(tmp_path / "handbook", HANDBOOK)
    papers_folder = _folder(tmp_path / "papers", PAPERS)
    default = Citewise(store_backend)
    default.create_base("papers")
    papers = default.base("papers")
    [synced] = default.sync([handbook])
    assert synced.report is not None and synced.report.added == 1
    [synced] = papers.sync([papers_folder])
    assert synced.report is not None and synced.report.added == 1
    return default, papers, handbook, papers_folder


def _sources(service: Citewise, question: str) -> set[str]:
    return {hit.chunk.source for hit in service.search(question).hits}


def test_two_bases_with_the_same_file_names_stay_apart_in_search_remove_and_sync(
    two_bases: tuple[Citewise, Citewise, Path, Path],
) -> None:
    default, papers, handbook, papers_folder = two_bases

    assert _sources(papers, "How many vacation days do employees get?") == {str(papers_folder / "notes.md")}
    assert _sources(default, "How many parameters did GPT-1 have?") == {str(handbook / "notes.md")}
    assert [f.folder for f in papers.synced_folders()] == [str(papers_folder)]
    assert [f.folder for f in default.synced_folders()] == [str(handbook)]

    assert papers.remove(str(handbook / "notes.md")) is False  # the other base's document is not this one's
    assert [d.source for d in default.documents()] == [str(handbook / "notes.md")]
    (papers_folder / "notes.md").rename(papers_folder / "gpt.md")
    [synced] = papers.sync()  # re-syncs the papers folder only: the handbook is not this base's
    assert synced.report is not None and (synced.report.added, synced.report.removed) == (1, 1)
    assert [d.source for d in papers.documents()] == [str(papers_folder / "gpt.md")] and [
        d.source for d in default.documents()
    ] == [str(handbook / "notes.md")]


def test_the_same_file_in_two_bases_is_two_documents(store_backend: Settings, tmp_path: Path) -> None:
    shared = _folder(tmp_path / "shared", PAPERS)
    default = Citewise(store_backend)
    default.create_base("papers")
    papers = default.base("papers")
    default.ingest([shared])
    papers.ingest([shared])

    both = default.across(["default", "papers"]).search("How many parameters did GPT-1 have?")
    assert [hit.chunk.source for hit in both.hits] == [str(shared / "notes.md")] * 2  # one hit per base

    assert papers.remove(str(shared / "notes.md"))
    assert papers.documents() == [] and len(default.documents()) == 1
    assert _sources(default, "How many parameters did GPT-1 have?") == {str(shared / "notes.md")}


def test_asking_several_bases_fuses_their_passages(two_bases: tuple[Citewise, Citewise, Path, Path]) -> None:
    default, _, handbook, papers_folder = two_bases

    across = default.across(["default", "papers"])

    assert _sources(across, "How many parameters did GPT-1 have?") >= {str(papers_folder / "notes.md")}
    assert across.search("How many parameters did GPT-1 have?").hits[0].chunk.source == str(papers_folder / "notes.md")
    assert across.search("How many vacation days?").hits[0].chunk.source == str(handbook / "notes.md")
    with pytest.raises(BaseError, match="several knowledge bases"):
        across.ingest([papers_folder])


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as fake:
        yield fake


def _answering(service: Citewise, ollama: FakeOllama) -> Settings:
    """The data folder's settings, answered by the fake Ollama."""
    return service.folder_settings.model_copy(
        update={"llm": "ollama", "ollama_host": ollama.url, "ollama_model": DEFAULT_MODEL}
    )


def test_an_answer_cites_its_own_base_only(
    two_bases: tuple[Citewise, Citewise, Path, Path], ollama: FakeOllama
) -> None:
    default, _, _, papers_folder = two_bases
    settings = _answering(default, ollama)
    ollama.set_reply("GPT-1 had 117 million parameters.")

    answer = Citewise(settings, kb="papers").ask("How many parameters did GPT-1 have?")

    assert not answer.refused and answer.citations
    assert {c.source for c in answer.citations} == {str(papers_folder / "notes.md")}
    assert {hit.chunk.source for hit in answer.retrieved.hits} == {str(papers_folder / "notes.md")}


def test_a_saved_answer_keeps_its_base_and_its_passages_are_checked_there(
    two_bases: tuple[Citewise, Citewise, Path, Path], ollama: FakeOllama
) -> None:
    default, _, _, _ = two_bases
    settings = _answering(default, ollama)
    ollama.set_reply("GPT-1 had 117 million parameters.")
    papers = Citewise(settings, kb="papers")
    answer = papers.ask("How many parameters did GPT-1 have?")
    conversation_id, _ = papers.save_turn(None, "How many parameters did GPT-1 have?", answer)

    reopened = Citewise(settings).conversation(conversation_id)  # reopened where `default` is chosen

    assert reopened.kb == "papers" and [t.kb for t in reopened.turns] == ["papers"]
    assert answer.citations and Citewise(settings).notes_of(reopened) == {}  # current in papers, not "removed"
    _, text = Citewise(settings).export(conversation_id)
    assert "removed" not in text and "changed" not in text


def test_eval_runs_belong_to_their_base(two_bases: tuple[Citewise, Citewise, Path, Path]) -> None:
    default, papers, _, papers_folder = two_bases
    item = EvalItem("q1", "How many vacation days do employees get?", ("25",), ("25 vacation days",), True)

    run = papers.evaluate("handbook.jsonl", [item], ["default"], retrieval_only=True)

    [result] = run.items
    assert {hit["source"] for hit in result.ask_json["retrieved"]} == {str(papers_folder / "notes.md")}
    assert [r.id for r in papers.runs().runs] == [run.id]
    assert default.runs().runs == []


def _snapshot(service: Citewise) -> dict[str, object]:
    """Everything of one base that a delete of another must leave alone: its chunks (ids, text, metadata,
    embeddings), its registry, its keyword index's files, its uploads and its sync record, byte for byte."""
    store = service.store
    chunks = store._chroma(lambda: store._chunks.get(include=["documents", "metadatas", "embeddings"]))
    registry = store._chroma(lambda: store._registry.get(include=["metadatas"]))
    files = {}
    for folder in (store.views.folder, service.uploads_dir):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            files[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {
        "ids": chunks["ids"],
        "documents": chunks["documents"],
        "metadatas": chunks["metadatas"],
        "embeddings": [list(map(float, e)) for e in chunks["embeddings"]],
        "registry": registry,
        "files": files,
        "sync": service.sync_record_path.read_bytes(),
    }


def test_deleting_a_base_leaves_the_other_as_it_was(two_bases: tuple[Citewise, Citewise, Path, Path]) -> None:
    default, papers, handbook, _ = two_bases
    default.add_uploads([("notes.md", HANDBOOK.encode())])
    papers.add_uploads([("notes.md", PAPERS.encode())])
    papers_uploads, papers_sync = papers.uploads_dir, papers.sync_record_path
    papers_views = papers.store.views.folder
    before = _snapshot(default)

    default.delete_base("papers")

    assert _snapshot(default) == before
    assert [b.name for b in default.knowledge_bases()] == ["default"]
    assert not papers_uploads.exists() and not papers_sync.exists() and not papers_views.exists()
    with pytest.raises(BaseNotFound, match="'papers'"):
        default.base("papers")
    fresh = Citewise(default.folder_settings)  # another process's view of the folder
    assert _sources(fresh, "How many vacation days?") >= {str(handbook / "notes.md")}


def test_an_old_data_folder_opens_as_default_with_the_same_results(store_backend: Settings, tmp_path: Path) -> None:
    docs = _folder(tmp_path / "docs", PAPERS + "\n## More\n\n" + HANDBOOK)
    store = Store(store_backend)  # what the code before knowledge bases wrote: the one collection
    ingest_paths(store, [docs])
    questions = ["How many parameters did GPT-1 have?", "vacation days", "calendar"]
    retriever = HybridRetriever(store, store_backend)
    expected = [[(h.chunk.id, round(h.score, 9)) for h in retriever.search(q).hits] for q in questions]
    version = store.views.current()

    service = Citewise(store_backend)

    assert service.kb == "default" and service.settings.collection == store_backend.collection
    assert [b.name for b in service.knowledge_bases()] == ["default"]
    got = [[(h.chunk.id, round(h.score, 9)) for h in service.search(q).hits] for q in questions]
    assert got == expected
    assert service.store.views.current() == version  # nothing was written again, nothing re-embedded


def test_renaming_a_base_keeps_its_documents(store_backend: Settings, tmp_path: Path) -> None:
    default = Citewise(store_backend)
    default.create_base("papers")
    default.base("papers").ingest([_folder(tmp_path / "papers", PAPERS)])

    default.rename_base("papers", "reading")

    assert [b.name for b in default.knowledge_bases()] == ["default", "reading"]
    assert len(default.base("reading").documents()) == 1
    with pytest.raises(BaseNotFound):
        default.base("papers")


@pytest.mark.parametrize("name", ["Papers", "my papers", "-x", "a" * 41, "", "../up"])
def test_a_bad_name_is_refused_naming_it_and_the_rule(settings: Settings, name: str) -> None:
    with pytest.raises(BaseError) as refused:
        Citewise(settings).create_base(name)
    assert str(refused.value) == (
        f"{name!r} is not a valid knowledge base name: use 1 to 40 lowercase letters, digits, - or _, "
        "starting with a letter or a digit."
    )


def test_names_taken_and_the_default_base_are_refused(settings: Settings) -> None:
    service = Citewise(settings)
    service.create_base("papers")
    for attempt, message in [
        (lambda: service.create_base("papers"), "'papers' exists already"),
        (lambda: service.create_base("default"), "'default' exists already"),
        (lambda: service.delete_base("default"), "'default' knowledge base cannot be deleted"),
        (lambda: service.rename_base("default", "x"), "'default' knowledge base cannot be renamed"),
        (lambda: service.rename_base("nope", "x"), "no knowledge base named 'nope'"),
    ]:
        with pytest.raises(BaseError, match=message):
            attempt()


def test_citewise_kb_chooses_the_base(
    monkeypatch: pytest.MonkeyPatch, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    monkeypatch.setenv("CITEWISE_KB", "Bad Name")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match=r"CITEWISE_KB='Bad Name' is not valid: 'Bad Name' is not a valid"):
            get_settings()
    finally:
        get_settings.cache_clear()
    monkeypatch.delenv("CITEWISE_KB")
    settings = make_settings(tmp_path / "data", kb="papers")
    with pytest.raises(BaseNotFound, match="no knowledge base named 'papers'"):
        Citewise(settings)
    Citewise(make_settings(tmp_path / "data")).create_base("papers")
    assert Citewise(settings).kb == "papers"


def test_a_base_renamed_or_deleted_elsewhere_is_not_served_on(settings: Settings, tmp_path: Path) -> None:
    here, elsewhere = Citewise(settings), Citewise(settings)  # two processes' facades of one data folder
    here.create_base("papers")
    here.base("papers").ingest([_folder(tmp_path / "papers", PAPERS)])

    elsewhere.rename_base("papers", "reading")

    with pytest.raises(BaseNotFound, match="'papers'"):
        here.base("papers")
    assert len(here.base("reading").documents()) == 1
    elsewhere.delete_base("reading")
    with pytest.raises(BaseNotFound, match="'reading'"):
        here.base("reading")
