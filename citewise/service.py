"""The facade the CLI, the web UI and the HTTP API call: one object per index builds the parts once and runs
each use case (status, ingest, uploads, synced folders, remove, ask, saved conversations, evaluate, generate an
eval set, bench, past runs), so no surface holds logic of its own. The surfaces import only this module and
`citewise.core`: the lower layers' types, errors and constants they need are re-exported here (the block below
the imports)."""

import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from citewise.answer.answerer import Answerer, Pipeline
from citewise.answer.followup import standalone_question
from citewise.answer.freshness import STATE_NOTE, CitedState, cited_states
from citewise.answer.llm.base import BackendUnavailable, Generator
from citewise.answer.llm.model_files import MODELS, ModelFileError, PackagedModel, ensure_model, packaged_model
from citewise.answer.llm.ollama import OllamaStatus, base_url, probe_ollama
from citewise.answer.llm.select import BackendChoice, choose_backend, load_generator
from citewise.conversations.export import answer_markdown, conversation_markdown, export_name
from citewise.conversations.records import (
    Conversation,
    ConversationSummary,
    SavedTurn,
    conversation_json,
    saved_turn,
    summary_json,
)
from citewise.conversations.store import FILE_NAME as CONVERSATIONS_FILE
from citewise.conversations.store import ConversationError, ConversationNotFound, ConversationStore
from citewise.core.addresses import reaches_this_machine, url_host
from citewise.core.private import private_folder
from citewise.core.settings import Settings, get_settings
from citewise.core.timing import ms_since
from citewise.core.types import Answer, Chunk, Citation, DocumentRecord, Retrieved, Sources, Token, VerifiedSentence
from citewise.evals.bench.machine import machine_line
from citewise.evals.bench.report import format_rows
from citewise.evals.bench.run import BenchOptions, BenchReport, run_bench
from citewise.evals.bench.run import Progress as BenchProgress
from citewise.evals.configs import COMPARED, CONFIGS, DEFAULT_CONFIG, ConfigError, resolve
from citewise.evals.dataset import (
    DEV_SET,
    REVIEWED,
    SPLITS,
    DatasetError,
    EvalItem,
    corpus_for,
    load_dataset,
    split_items,
)
from citewise.evals.generate import GenerateOptions, GenerationReport, generate_eval_set
from citewise.evals.metrics import DECIDING, DECIDING_WITHOUT_ANSWERS, FAILURES, describe
from citewise.evals.results import ConfigResult, ConfigSummary, Gold, ItemResult
from citewise.evals.review import read_records, review_counts, save_review
from citewise.evals.runner import Progress as EvalProgress
from citewise.evals.runner import format_metric, format_table, run_evaluation
from citewise.evals.runs import EvalRun, SavedRuns, load_runs, save_run, write_run
from citewise.evals.verdicts import Check, item_right, verdict_checks
from citewise.evals.verifier_bench import (
    BenchError,
    BenchItem,
    bench_verifiers,
    format_bench_table,
    load_bench,
    needs_model,
)
from citewise.ingest import BUNDLED_CORPUS
from citewise.ingest.doctor import DoctorReport, doctor
from citewise.ingest.limits import MB, megabytes
from citewise.ingest.loaders import SUPPORTED_SUFFIXES
from citewise.ingest.pipeline import FileDone, IngestReport, Progress, ingest_paths, remove_source
from citewise.ingest.sync import (
    FolderSync,
    SyncedFolder,
    SyncError,
    SyncRecord,
    apply_changes,
    folder_key,
    sync_folder,
    watch_changes,
)
from citewise.ingest.uploads import (
    Saved,
    UploadRejected,
    forget_upload,
    is_stored_upload,
    put_in_place,
    save_upload,
    settle,
)
from citewise.retrieval.bases import BaseError, BaseNotFound, BaseRegistry, KnowledgeBase
from citewise.retrieval.hybrid import HybridRetriever, Mode, MultiRetriever
from citewise.retrieval.locks import Waiting
from citewise.retrieval.store import Store, StoreError

# What the surfaces may use: the facade's own names and the lower layers' types, errors, constants and helpers
# it re-exports (the surfaces import only this module and citewise.core).
__all__ = [
    "BUNDLED_CORPUS",
    "COMPARED",
    "CONFIGS",
    "DECIDING",
    "DECIDING_WITHOUT_ANSWERS",
    "DEFAULT_CONFIG",
    "DEV_SET",
    "FAILURES",
    "MB",
    "MODELS",
    "REVIEWED",
    "SPLITS",
    "STATE_NOTE",
    "SUPPORTED_SUFFIXES",
    "BackendChoice",
    "BackendUnavailable",
    "BaseError",
    "BaseNotFound",
    "BenchError",
    "BenchItem",
    "BenchOptions",
    "BenchReport",
    "Check",
    "Citewise",
    "ConfigError",
    "ConfigResult",
    "ConfigSummary",
    "Conversation",
    "ConversationError",
    "ConversationNotFound",
    "ConversationSummary",
    "CorpusNotIndexed",
    "DatasetError",
    "DoctorReport",
    "EvalItem",
    "EvalRun",
    "EvalSet",
    "FileDone",
    "FolderSync",
    "GenerateOptions",
    "GenerationReport",
    "Gold",
    "IngestReport",
    "ItemResult",
    "KnowledgeBase",
    "ModelFileError",
    "PackagedModel",
    "Rewritten",
    "SavedTurn",
    "Status",
    "StoreError",
    "SyncError",
    "SyncedFolder",
    "UploadOutcome",
    "UploadsReport",
    "Waiting",
    "conversation_json",
    "describe",
    "format_bench_table",
    "format_metric",
    "format_rows",
    "format_table",
    "item_right",
    "machine_line",
    "megabytes",
    "packaged_model",
    "saved_turn",
    "summary_json",
    "verdict_checks",
    "write_run",
]


@dataclass(frozen=True)
class Rewritten:
    """A follow-up turned into the standalone question that was searched for, and the model's time."""

    question: str
    standalone: str
    ms: float


@dataclass(frozen=True)
class Status:
    """Where the index lives, what is in it, and which model would answer (and why)."""

    settings: Settings
    kb: str
    location: str
    documents: int
    chunks: int
    backend: BackendChoice | None
    backend_problem: str | None  # why no backend can answer (CITEWISE_LLM=ollama with Ollama down)
    ollama: OllamaStatus
    uploads_dir: Path
    eval_runs_dir: Path

    @property
    def store(self) -> str:
        return "chroma-server" if self.settings.chroma_url else "chroma-embedded"

    @property
    def ollama_url(self) -> str:
        return base_url(self.settings.ollama_host)

    @property
    def ollama_is_remote(self) -> bool:
        """Ollama would answer (CITEWISE_LLM is `auto` or `ollama`) and runs on another machine."""
        return self.settings.llm in ("auto", "ollama") and not reaches_this_machine(url_host(self.ollama_url))

    @property
    def remote_notice(self) -> str | None:
        """Where the prompts go when the model server is on another machine: they hold the documents' passages."""
        openai_url = self.settings.openai_base_url
        if self.settings.llm == "openai" and openai_url and not reaches_this_machine(url_host(openai_url)):
            where, server = f"{openai_url} (CITEWISE_OPENAI_BASE_URL)", "the model server"
        elif self.ollama_is_remote:
            where, server = f"{self.ollama_url} (CITEWISE_OLLAMA_HOST)", "Ollama"
        else:
            return None
        when = "" if self.backend and self.backend.backend in ("ollama", "openai") else " once it is reachable"
        return (
            f"answers are generated on {where}{when}: each question and the passages of your documents it "
            f"retrieves are sent there. To keep them on this machine, run {server} here or set CITEWISE_LLM=embedded."
        )

    def to_json(self) -> dict[str, Any]:
        """The `citewise status --json` shape."""
        backend = self.backend
        return {
            "data_dir": str(self.settings.data_dir),
            "kb": self.kb,
            "store": self.store,
            "location": self.location,
            "documents": self.documents,
            "chunks": self.chunks,
            "embedding_model": self.settings.embedding_model,
            "backend": {
                "name": backend.backend if backend else None,
                "model": backend.model if backend else None,
                "reason": backend.reason if backend else self.backend_problem,
            },
            "ollama": {
                "host": self.ollama_url,
                "remote": self.ollama_is_remote,
                "reachable": self.ollama.reachable,
                "models": list(self.ollama.models),
            },
            "uploads_dir": str(self.uploads_dir),
            "eval_runs_dir": str(self.eval_runs_dir),
        }


@dataclass(frozen=True)
class EvalSet:
    """A dataset's questions that an eval runs, what it leaves out, and the corpus it asks about."""

    path: Path
    split: str | None  # the half run (None: all of it)
    items: list[EvalItem]
    pending: int  # generated items not reviewed yet (run only with include_pending)
    dropped: int  # generated items reviewed as dropped (never run)
    include_pending: bool
    corpus: Path  # indexed first when the index is empty

    @property
    def label(self) -> str:
        """The dataset's name as runs are kept under it."""
        return f"{self.path.name} ({self.split} half)" if self.split else self.path.name

    @property
    def left_out(self) -> int:
        return self.dropped + (0 if self.include_pending else self.pending)


class CorpusNotIndexed(RuntimeError):
    """The dataset's corpus could not be indexed into an empty index; the message names it and why."""


@dataclass(frozen=True)
class UploadOutcome:
    """What became of one uploaded file. `status` is rejected (not stored), failed (not indexed), or the
    indexing's added, updated or unchanged; `error` says why for the first two."""

    name: str  # as uploaded
    status: str
    source: str | None = None  # the indexed document it became (None when not indexed and not kept)
    chunks: int = 0
    error: str | None = None
    duplicate_of: str | None = None  # the earlier upload with the same bytes, kept instead


@dataclass
class UploadsReport:
    """What became of a batch of uploads: refused ones, repeats of earlier uploads, and the indexing."""

    rejected: list[str] = field(default_factory=list)  # one message per refused file
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (uploaded name, the kept earlier file)
    names: dict[str, str] = field(default_factory=dict)  # stored source -> the name it was uploaded as
    ingest: IngestReport | None = None  # None when nothing was left to index
    files: list[UploadOutcome] = field(default_factory=list)  # one per uploaded file, in upload order


def _indexed(outcome: UploadOutcome, done: dict[str, FileDone], errors: dict[str, str], new: set[str]) -> UploadOutcome:
    """A stored upload's outcome once indexing is over; a new file that failed is no longer kept."""
    if outcome.source is None:
        return outcome
    event = done.get(outcome.source)
    error = errors.get(outcome.source)
    if error is not None or event is None:
        kept = None if outcome.source in new else outcome.source
        return replace(outcome, status="failed", source=kept, error=error or "it was not indexed.")
    return replace(outcome, status=event.status, chunks=event.chunks)


class _Shared:
    """What the facades of one data folder's knowledge bases share in a process: the answer models, loaded once,
    and the facade of each base opened so far."""

    def __init__(self) -> None:
        self.generators: dict[str, Generator] = {}
        self.loading_model = threading.Lock()  # apart: a search need not wait for a model to load
        self.facades: dict[str, Citewise] = {}
        self.lock = threading.Lock()


class Citewise:
    """The store, retriever and answer models of one knowledge base, each built once, on first use.

    One object serves every thread of a process (the web UI runs each browser session in a thread): a lock makes
    sure each part is built, and each answer model loaded, once. The store follows other processes' writes by
    itself, so a long-lived object sees what `citewise ingest` indexed meanwhile. `base(NAME)` is the facade of
    another knowledge base of the same data folder, sharing the answer models; `across(NAMES)` asks several."""

    def __init__(
        self,
        settings: Settings | None = None,
        on_wait: Waiting | None = None,
        kb: str | None = None,
        shared: _Shared | None = None,
    ) -> None:
        """`on_wait` is told when a write waits for another process's (e.g. to print it); `kb` names the
        knowledge base (default: CITEWISE_KB); BaseNotFound when there is none of that name."""
        self.folder_settings = settings or get_settings()  # of the data folder; `settings` are this base's
        self.base_info = BaseRegistry(self.folder_settings).get(kb or self.folder_settings.kb)
        self.settings = self.base_info.settings(self.folder_settings)
        self.on_wait = on_wait
        self._shared = shared or _Shared()
        with self._shared.lock:
            self._shared.facades.setdefault(self.kb, self)
        self._generators = self._shared.generators
        self._store: Store | None = None
        self._retriever: HybridRetriever | MultiRetriever | None = None
        self._building = threading.RLock()
        self._loading_model = self._shared.loading_model

    @property
    def kb(self) -> str:
        """The knowledge base's name."""
        return self.base_info.name

    @property
    def store(self) -> Store:
        with self._building:
            if self._store is None:
                with suppress(OSError):  # a folder that cannot be made is Store's to explain
                    private_folder(self.settings.data_dir)  # the index, uploads and model are the user's alone
                self._store = Store(self.settings, on_wait=self.on_wait)
            return self._store

    @property
    def retriever(self) -> HybridRetriever | MultiRetriever:
        with self._building:
            if self._retriever is None:
                retriever = HybridRetriever(self.store, self.settings)
                retriever.warm_up()
                self._retriever = retriever
            return self._retriever

    @property
    def uploads_dir(self) -> Path:
        return self.base_info.folder(self.settings) / "uploads"

    @property
    def eval_runs_dir(self) -> Path:
        return self.base_info.folder(self.settings) / "eval-runs"

    # -- knowledge bases ---------------------------------------------------------------------

    def base(self, name: str) -> "Citewise":
        """The facade of the knowledge base `name` in this data folder (made once per process); BaseNotFound.
        The registry is read each time: a base renamed or deleted by another process is not served on."""
        wanted = BaseRegistry(self.folder_settings).get(name)
        with self._shared.lock:
            facade = self._shared.facades.get(name)
            if facade is not None and facade.base_info == wanted:
                return facade
        facade = Citewise(self.folder_settings, self.on_wait, name, self._shared)
        with self._shared.lock:
            self._shared.facades[name] = facade
        return facade

    def across(self, names: Sequence[str]) -> "Citewise":
        """A facade that searches and asks the knowledge bases `names` together (their rankings fused as one
        base's are); one name: that base's own facade. It writes nothing."""
        unique = list(dict.fromkeys(names))
        if len(unique) <= 1:
            return self.base(unique[0] if unique else self.kb)
        return _Across([self.base(name) for name in unique])

    def knowledge_bases(self) -> list[KnowledgeBase]:
        """The data folder's knowledge bases, `default` first."""
        return BaseRegistry(self.folder_settings).bases()

    def create_base(self, name: str) -> KnowledgeBase:
        """A new, empty knowledge base; BaseError when the name is taken or breaks the rule."""
        return BaseRegistry(self.folder_settings, self.store.locks).create(name)

    def rename_base(self, name: str, new_name: str) -> KnowledgeBase:
        """Its documents, uploads, synced folders and runs stay as they are: only the name changes."""
        renamed = BaseRegistry(self.folder_settings, self.store.locks).rename(name, new_name)
        with self._shared.lock:
            self._shared.facades.pop(name, None)
        return renamed

    def delete_base(self, name: str) -> KnowledgeBase:
        """Delete the knowledge base `name`: its chunks, keyword index, uploads, eval runs and synced folders'
        record, in one write; every other base stays as it was. Not `default`."""
        target = self.base(name)
        store = target.store
        with store.locks.writing(f"kb delete {name}"):
            base = BaseRegistry(self.folder_settings, store.locks).forget(name)
            store.drop()
            target.sync_record_path.unlink(missing_ok=True)
            shutil.rmtree(base.folder(self.settings), ignore_errors=True)
        with self._shared.lock:
            self._shared.facades.pop(name, None)
        return base

    # -- the index ---------------------------------------------------------------------------

    def documents(self) -> list[DocumentRecord]:
        return self.store.documents()

    def has_documents(self) -> bool:
        return self.store.count_chunks() > 0

    def chunks(self, source: str) -> list[Chunk]:
        """One document's chunks, in order (empty when it is not indexed)."""
        return self.store.chunks([source])

    def get_chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        return self.store.get_chunks(ids)

    def ingest(
        self, paths: Sequence[Path], prune: bool = False, rebuild: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        """Index files and folders; `rebuild` drops the whole index first (after changing the embedding model)."""
        if rebuild:
            with self._building:
                self._retriever = None
                self._store = Store(self.settings, rebuild=True, on_wait=self.on_wait)
        return ingest_paths(self.store, paths, prune=prune, progress=progress)

    def remove(self, source: str) -> bool:
        """Drop one document; an uploaded file's stored copy goes with it (files elsewhere are the user's)."""
        removed = remove_source(self.store, source)
        if removed and self.is_upload(source):
            forget_upload(self.uploads_dir, Path(source))
        return removed

    def is_upload(self, source: str) -> bool:
        """Whether an indexed document is a file uploaded through the UI or the API (kept under the uploads folder)."""
        return is_stored_upload(self.uploads_dir, Path(source))

    def doctor(self, repair: bool = False) -> DoctorReport:
        """Chunks no document owns, documents missing chunks, a stale keyword index; `repair` fixes them."""
        return doctor(self.store, repair)

    def add_uploads(self, files: Sequence[tuple[str, bytes]], progress: Progress | None = None) -> UploadsReport:
        """Store uploaded files (name, bytes) under the uploads folder and index them. A file that cannot be
        indexed is not kept; a new version of an earlier upload that cannot be indexed leaves the earlier
        one, its file and its index entry, as they were."""
        report = UploadsReport()
        indexed = {d.source for d in self.documents()}
        saved: list[Saved] = []
        new: set[str] = set()
        outcomes: list[UploadOutcome] = []  # the stored ones' statuses are filled in after indexing
        for name, data in files:
            try:
                result = save_upload(self.uploads_dir, name, data, self.settings.max_file_mb)
            except UploadRejected as exc:
                report.rejected.append(str(exc))
                outcomes.append(UploadOutcome(name, "rejected", error=str(exc)))
                continue
            except OSError as exc:  # the disk is full, the folder is not writable: this file only
                report.rejected.append(f"{name} could not be stored: {exc.strerror or exc}.")
                outcomes.append(UploadOutcome(name, "rejected", error=report.rejected[-1]))
                continue
            source = str(result.path.resolve())
            duplicate_of = None if result.duplicate_of is None else result.duplicate_of.name
            if duplicate_of is not None:
                report.duplicates.append((name, duplicate_of))
            if source not in indexed:
                new.add(source)
            report.names[source] = name
            saved.append(result)
            outcomes.append(UploadOutcome(name, "failed", source, duplicate_of=duplicate_of))
        if saved:
            done: dict[str, FileDone] = {}

            def track(event: FileDone) -> None:
                done[event.path] = event
                if progress:
                    progress(event)

            report.ingest = self._index_uploads(saved, track)
            errors = {failure.path: failure.error for failure in report.ingest.failed}
            for source in errors.keys() & new:
                forget_upload(self.uploads_dir, Path(source))
            outcomes = [_indexed(outcome, done, errors, new) for outcome in outcomes]
        report.files = outcomes
        return report

    def _index_uploads(self, saved: Sequence[Saved], progress: Progress) -> IngestReport:
        """Index stored uploads, each new version of an earlier one put in place for it; one that is not
        indexed (or an ingest that fails as a whole) puts the earlier version back. One write: two uploads
        of one name take turns."""
        placed: list[tuple[Saved, Path | None]] = []
        report: IngestReport | None = None
        try:
            with self.store.writing("upload"):
                for result in saved:
                    placed.append((result, put_in_place(result)))
                report = self.ingest([result.path for result in saved], progress=progress)
        finally:
            failed = {failure.path for failure in report.failed} if report else None
            for result, previous in reversed(placed):  # a name uploaded twice: its first version back last
                settle(result, previous, failed is not None and str(result.path.resolve()) not in failed)
            for result in saved[len(placed) :]:
                settle(result, None, False)  # never put in place: its staged copy goes
        return report

    def sample_articles(self) -> list[Path]:
        """The sample articles that ship in corpus/ (the dev set asks about them)."""
        return sorted(p for p in BUNDLED_CORPUS.iterdir() if p.suffix in SUPPORTED_SUFFIXES)

    def sample_articles_indexed(self) -> bool:
        folder = str(BUNDLED_CORPUS)
        return any(d.source.startswith(folder) for d in self.documents())

    def index_sample_articles(self, progress: Progress | None = None) -> IngestReport:
        return self.ingest([BUNDLED_CORPUS], progress=progress)

    # -- synced folders ----------------------------------------------------------------------

    @property
    def sync_record_path(self) -> Path:
        return self.settings.data_dir / "synced-folders" / f"{self.settings.collection}.json"

    def synced_folders(self) -> list[SyncedFolder]:
        """The folders this index keeps in sync, with how each one's last sync went (SyncError: record damaged)."""
        return sorted(SyncRecord.load(self.sync_record_path).folders.values(), key=lambda f: f.folder)

    def sync(
        self, folders: Sequence[Path] = (), progress: Progress | None = None, prune: bool = False
    ) -> list[FolderSync]:
        """Bring each folder's documents in step with its files, and remember it; no folders: every remembered
        one. A folder that is gone or empty is reported, and nothing of it is removed unless `prune` confirms."""
        targets = list(folders) or [Path(f.folder) for f in self.synced_folders()]
        return [
            self._synced(lambda folder=folder: sync_folder(self.store, folder, progress, prune)) for folder in targets
        ]

    def watch(
        self,
        folders: Sequence[Path],
        on_sync: Callable[[FolderSync], None],
        on_watching: Callable[[list[str]], None] | None = None,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Sync the folders (no folders: every remembered one), then apply each batch of changes to their files
        as it comes, until `stop` is set or Ctrl-C (KeyboardInterrupt). `on_sync` hears of every sync and batch;
        a batch that cannot be written now (another process holds the index too long) is told and tried again."""
        targets = [Path(folder_key(f)) for f in folders] or [Path(f.folder) for f in self.synced_folders()]
        if not targets:
            raise SyncError("No folder is synced yet: `citewise sync DIR --watch` names one.")
        present = [f for f in targets if f.is_dir()]
        if not present:
            raise SyncError(f"Nothing to watch: {', '.join(map(str, targets))} is not a folder.")
        self.store.embedding.load()  # before watching: the first change is indexed in a moment, not after a load
        pending: dict[Path, set[Path]] = {}
        for batch in watch_changes(present, stop, ignore=[self.settings.data_dir]):
            if on_watching is not None:  # the watcher runs: whatever changes from now on is seen
                for done in self.sync(targets, progress):
                    on_sync(done)
                on_watching([str(f) for f in present])
                on_watching = None
            for folder, paths in batch.items():
                pending.setdefault(folder, set()).update(paths)
            for folder in list(pending):
                try:
                    done = self._synced(lambda f=folder: apply_changes(self.store, f, pending[f], progress))
                except StoreError as exc:  # kept pending: the next wake-up tries again
                    on_sync(FolderSync(str(folder), None, f"{exc} (will try again)"))
                    continue
                del pending[folder]
                on_sync(done)

    def forget_folder(self, folder: Path) -> list[str] | None:
        """Stop syncing `folder`; its documents stay indexed. Their sources, or None when it was not synced."""
        key = folder_key(folder)
        with self.store.writing("sync --forget", publish=False):
            record = SyncRecord.load(self.sync_record_path)
            if record.folders.pop(key, None) is None:
                return None
            record.save()
        return [d.source for d in self.documents() if Path(d.source).is_relative_to(key)]

    def _synced(self, run: Callable[[], FolderSync]) -> FolderSync:
        """Run one sync and note it in the record, in one write: two syncs never lose each other's note."""
        with self.store.writing("sync"):
            record = SyncRecord.load(self.sync_record_path)  # a damaged record stops the sync before it starts
            done = run()
            if done.report is not None or done.folder in record.folders:
                record.note(done)
                record.save()
        return done

    # -- answers -----------------------------------------------------------------------------

    def search(self, question: str, k: int | None = None, mode: Mode = "hybrid") -> Retrieved:
        return self.retriever.search(question, k, mode)

    def choose_backend(self, requested: str | None = None) -> BackendChoice:
        return choose_backend(self.settings, requested)

    def answerer(
        self, requested: str | None = None, pipeline: Pipeline | None = None, embedded_model: str | None = None
    ) -> Answerer:
        """An Answerer on the chosen backend. `embedded_model` runs another packaged model than
        CITEWISE_EMBEDDED_MODEL (the evals compare them)."""
        settings = self.settings
        if embedded_model:
            settings = settings.model_copy(update={"embedded_model": embedded_model, "llm": "embedded"})
        choice = choose_backend(settings, None if embedded_model else requested)
        answerer = Answerer(self.retriever, self._generator(choice, settings), self.settings, pipeline)
        answerer.reason = choice.reason
        return answerer

    def prepare_model(self, key: str = "", progress: Callable[[int, int], None] | None = None) -> Path:
        """The packaged embedded model (default: CITEWISE_EMBEDDED_MODEL) assembled from its slices and verified,
        once; ModelFileError says what to install."""
        return ensure_model(self.settings.models_dir, progress, key or self.settings.embedded_model)

    def _generator(self, choice: BackendChoice, settings: Settings | None = None) -> Generator:
        """The chosen backend's model, loaded once per backend and model per process."""
        with self._loading_model:  # two sessions' first questions must not load two models
            key = f"{choice.backend}:{choice.model}"
            if key not in self._generators:
                self._generators[key] = load_generator(settings or self.settings, choice)
            return self._generators[key]

    def stream(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        k: int | None = None,
        backend: str | None = None,
    ) -> Iterator[Rewritten | Sources | Token | VerifiedSentence | Answer]:
        """With `history` ((question, answer) pairs, oldest first) the follow-up is first rewritten to stand
        alone (`Rewritten`); then the passages the model will read (`Sources`, unless nothing relevant was
        found); then the draft's tokens, each sentence's verdict (`VerifiedSentence`) as soon as the model
        has finished it; then the verified Answer, whose timings include the rewrite."""
        answerer = self.answerer(backend)
        asked = question.strip()
        rewrite_ms: float | None = None
        if history:
            started = time.perf_counter()
            asked = standalone_question(asked, list(history), answerer.generator)
            rewrite_ms = ms_since(started)
            yield Rewritten(question, asked, rewrite_ms)
        for event in answerer.stream(asked, k):
            if isinstance(event, Answer) and rewrite_ms is not None:
                event = replace(event, timings_ms={**event.timings_ms, "rewrite": rewrite_ms})
            yield event

    def ask(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        k: int | None = None,
        backend: str | None = None,
    ) -> Answer:
        """The verified answer (the draft's tokens are consumed silently)."""
        for event in self.stream(question, history, k, backend):
            if isinstance(event, Answer):
                return event
        raise AssertionError("Citewise.stream ended without an Answer")

    # -- saved conversations -----------------------------------------------------------------

    @property
    def conversation_store(self) -> ConversationStore:
        """The conversations saved in this data folder (one SQLite file; ConversationError when unreadable)."""
        return ConversationStore(self.settings.data_dir / CONVERSATIONS_FILE)

    def conversations(self) -> list[ConversationSummary]:
        """Every saved conversation, the one added to last first."""
        return self.conversation_store.summaries()

    def conversation(self, conversation_id: str) -> Conversation:
        """One saved conversation with its turns (ConversationNotFound names the id)."""
        return self.conversation_store.get(conversation_id)

    def save_turn(
        self, conversation_id: str | None, question: str, answer: Answer, kb: str | None = None
    ) -> tuple[str, SavedTurn]:
        """Keep `question` and its verified answer in a conversation (None: a new one); its id and the turn.
        `kb`: the knowledge bases it was asked in (default: this facade's)."""
        return self.conversation_store.append(conversation_id, saved_turn(question, answer, kb or self.kb))

    def rename_conversation(self, conversation_id: str, title: str) -> str:
        """The title as saved (one line); ConversationError when it is empty or too long."""
        return self.conversation_store.rename(conversation_id, title)

    def delete_conversation(self, conversation_id: str) -> None:
        self.conversation_store.delete(conversation_id)

    def passage_notes(self, citations: Sequence[Citation], kb: str | None = None) -> dict[str, str]:
        """chunk id -> "source changed since this answer" (or removed), for the passages no longer as cited in
        the knowledge bases `kb` (as a saved turn names them, "a, b"; default: this facade's)."""
        states = self._cited_states(citations) if kb is None else self._asked_in(kb)._cited_states(citations)
        return {chunk_id: STATE_NOTE[s] for chunk_id, s in states.items() if s != "current"}

    def notes_of(self, conversation: Conversation) -> dict[str, str]:
        """`passage_notes` of every answer of a saved conversation, each in the bases it was asked in."""
        return {k: note for t in conversation.turns for k, note in self.passage_notes(t.citations, t.kb).items()}

    def _cited_states(self, citations: Sequence[Citation]) -> dict[str, CitedState]:
        return cited_states(self.store, citations)

    def _asked_in(self, kb: str) -> "Citewise":
        """The facade of the bases a saved answer was asked in; this one when one of them is gone."""
        try:
            return self.across(kb.split(", "))
        except BaseNotFound:
            return self

    def export(self, conversation_id: str, answer: int | None = None) -> tuple[str, str]:
        """A saved conversation, or its `answer`-th answer (from 1), as Markdown with its numbered sources, each
        marked when it changed since: (file name, text). ConversationError names a missing id or answer."""
        conversation = self.conversation(conversation_id)
        if answer is None:
            return export_name(conversation.title), conversation_markdown(conversation, self.notes_of(conversation))
        if not 1 <= answer <= len(conversation.turns):
            raise ConversationNotFound(
                f"Conversation {conversation_id} has {len(conversation.turns)} answers, not an answer {answer}."
            )
        turn = conversation.turns[answer - 1]
        text = answer_markdown(turn, answer, self.passage_notes(turn.citations, turn.kb))
        return export_name(conversation.title, [answer]), text

    # -- evals -------------------------------------------------------------------------------

    @staticmethod
    def eval_set(path: Path, split: str | None = None, include_pending: bool = False) -> EvalSet:
        """The questions of a JSONL dataset an eval runs (one half with `split`); generated items run once reviewed
        as kept. DatasetError on a malformed line or an unknown split; OSError when the file cannot be read."""
        items = split_items(load_dataset(path, include_pending), split)
        counts = review_counts(read_records(path))
        corpus = corpus_for(path) or BUNDLED_CORPUS
        return EvalSet(path, split, items, counts["pending"], counts["dropped"], include_pending, corpus)

    @staticmethod
    def eval_configs(names: Sequence[str] = ()) -> list[str]:
        """The configurations named (aliases resolved; none named: the default comparison); ConfigError names the
        known ones."""
        return resolve(list(names) or list(COMPARED))

    def index_eval_corpus(
        self, eval_set: EvalSet, on_start: Callable[[Path], None] | None = None
    ) -> IngestReport | None:
        """An empty index gets the dataset's corpus, so the bundled datasets run from a fresh clone; None when the
        index has documents. `on_start` hears of the corpus before it is indexed."""
        if self.has_documents():
            return None
        if on_start is not None:
            on_start(eval_set.corpus)
        report = self.ingest([eval_set.corpus])
        if report.failed or report.chunks == 0:
            details = "; ".join(f"{f.path}: {f.error}" for f in report.failed) or "no chunks"
            raise CorpusNotIndexed(f"Could not index {eval_set.corpus} ({details}).")
        return report

    def evaluate(
        self,
        dataset: str,
        items: Sequence[EvalItem],
        configs: Sequence[str],
        retrieval_only: bool = False,
        k: int | None = None,
        progress: EvalProgress | None = None,
        evidence_only: bool = False,
    ) -> EvalRun:
        """Run the configurations over `items` (named `dataset`) and keep the run with the others;
        `evidence_only` stops before generation (and is kept as a run without answers)."""
        result = run_evaluation(
            items, configs, retrieval_only, k, service=self, progress=progress, evidence_only=evidence_only
        )
        return save_run(self.eval_runs_dir, dataset, retrieval_only or evidence_only, result, items)

    @staticmethod
    def verifier_bench(path: Path, split: str | None = None) -> list[BenchItem]:
        """A verifier bench's claims (those of one half with `split`); BenchError on a malformed line, OSError when
        the file cannot be read."""
        items = load_bench(path)
        return items if split is None else [item for item in items if item.split == split]

    def bench_verifier(self, items: Sequence[BenchItem], configs: Sequence[str]) -> dict[str, Any]:
        """The configurations' verifiers on a verifier bench's claims (no model, no index): false accepts and
        false rejects per kind, and each claim's verdicts."""
        chance_true = self.answerer().generator.chance_true if needs_model(configs) else None
        return bench_verifiers(items, configs, self.settings.support_threshold, chance_true)

    @staticmethod
    def bench(options: BenchOptions, progress: BenchProgress | None = None) -> BenchReport:
        """Speed beside the targets, on fresh indexes of their own: ingest, search at each scale, adding a file,
        answers (a facade over each index's settings), start-up."""
        return run_bench(options, Citewise, progress)

    def generate_eval_set(
        self,
        path: Path,
        options: GenerateOptions,
        backend: str | None = None,
        progress: EvalProgress | None = None,
    ) -> GenerationReport:
        """Write a grounding eval set about the indexed documents to `path`, for review before it is run."""
        chunks = self.store.chunks()
        options = replace(options, kb=self.kb)
        return generate_eval_set(path, chunks, self._generator(self.choose_backend(backend)), options, progress)

    @staticmethod
    def review_records(path: Path) -> list[dict[str, Any]]:
        """A generated eval set's items as written, for review; DatasetError names a malformed line."""
        return read_records(path)

    @staticmethod
    def review_counts(records: list[dict[str, Any]]) -> dict[str, int]:
        """How many items have each review status."""
        return review_counts(records)

    @staticmethod
    def save_review(
        path: Path, item_id: str, status: str, question: str | None = None, answer: str | None = None
    ) -> dict[str, Any]:
        """Set one item's review status (`edited`: with its new question and answer); the file is rewritten whole."""
        return save_review(path, item_id, status, question, answer)

    def runs(self) -> SavedRuns:
        """Every kept eval run, from the CLI and the UI alike, newest first."""
        return load_runs(self.eval_runs_dir)

    # -- status ------------------------------------------------------------------------------

    def status(self) -> Status:
        ollama = probe_ollama(self.settings.ollama_host, self.settings.ollama_model)
        try:
            backend, problem = choose_backend(self.settings, probe=ollama), None
        except BackendUnavailable as exc:
            backend, problem = None, str(exc)
        records = self.documents()
        return Status(
            settings=self.settings,
            kb=self.kb,
            location=self.store.location,
            documents=len(records),
            chunks=sum(r.chunks for r in records),
            backend=backend,
            backend_problem=problem,
            ollama=ollama,
            uploads_dir=self.uploads_dir,
            eval_runs_dir=self.eval_runs_dir,
        )


class _Across(Citewise):
    """Several knowledge bases asked together: searches and answers over all of them, reads from the base that
    holds a document; it writes nothing (each base's own facade does)."""

    def __init__(self, facades: Sequence[Citewise]) -> None:  # not super().__init__: it opens one base alone
        first = facades[0]
        self.facades = list(facades)
        self.folder_settings, self.base_info, self.settings = first.folder_settings, first.base_info, first.settings
        self.on_wait, self._shared = first.on_wait, first._shared
        self._generators, self._loading_model = first._generators, first._loading_model
        self._building = threading.RLock()
        self._store = None
        self._retriever = MultiRetriever([f.retriever for f in facades], self.settings)

    @property
    def kb(self) -> str:
        return ", ".join(f.kb for f in self.facades)

    @property
    def store(self) -> Store:
        raise BaseError(f"{self.kb} are several knowledge bases: add, remove or sync documents in one of them.")

    def documents(self) -> list[DocumentRecord]:
        return [record for facade in self.facades for record in facade.documents()]

    def has_documents(self) -> bool:
        return any(facade.has_documents() for facade in self.facades)

    def chunks(self, source: str) -> list[Chunk]:
        return next((found for facade in self.facades if (found := facade.chunks(source))), [])

    def _cited_states(self, citations: Sequence[Citation]) -> dict[str, CitedState]:
        """A cited passage is current if one of the bases holds it as cited, changed if one holds its document."""
        rank = {"current": 0, "changed": 1, "removed": 2}
        states: dict[str, CitedState] = {}
        for facade in self.facades:
            for chunk_id, state in facade._cited_states(citations).items():
                if chunk_id not in states or rank[state] < rank[states[chunk_id]]:
                    states[chunk_id] = state
        return states
