"""Run the benchmark's parts in one process and gather their rows, with the machine and the options."""

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

from citewise.answer.llm.model_files import ensure_model
from citewise.core.settings import Settings, get_settings
from citewise.evals.bench.ask_speed import Asker, AskFigures, ColdStart, cold_ask, cold_ui, measure_asks
from citewise.evals.bench.chroma_server import chroma_server
from citewise.evals.bench.ingest_speed import IngestFigures, measure_ingest
from citewise.evals.bench.llama_options import REPEATS, LlamaSpeed, measure_options, option_grid
from citewise.evals.bench.machine import describe_machine
from citewise.evals.bench.report import Row, peak_rss_mib, rows_json, spread, spread_text
from citewise.evals.bench.search_speed import AddFigures, ScaleFigures, grow_and_search, measure_add
from citewise.evals.bench.synthetic import SentenceVectors, draw_chunks, fidelity, sentence_vectors, synthetic_documents
from citewise.evals.dataset import DEV_SET, load_dataset
from citewise.evals.metrics import percentile
from citewise.ingest import BUNDLED_CORPUS
from citewise.ingest.pipeline import ingest_paths
from citewise.retrieval.embeddings import CitewiseEmbeddingFunction
from citewise.retrieval.store import Store

PARTS = ("ingest", "search", "add", "ask", "start", "llama")
DEFAULT_SCALES = (1_000, 10_000, 100_000)
DEFAULT_CACHE = Path(user_cache_dir("citewise")) / "bench"
# The file added to the largest index: a real article, under a name of its own.
ADDED_FILE = BUNDLED_CORPUS / "large-language-models.md"
COLD_QUESTION = "What is RLHF?"
INGEST_TARGET = 0.8  # ingest chunks/s over raw encode() chunks/s
ADD_TARGET_S = 2.0  # adding one file to the 100k index, beyond its own embedding
# Issue 12's answer targets (sources on screen, the first token, the verified answer complete) and issue 24's
# (something verified on screen: the quote or a sentence; the model's first verified sentence), p50.
ASK_TARGETS_MS = {
    "sources": 1000.0,
    "quote_or_first_verified": 1000.0,
    "first_token": 3000.0,
    "first_verified_sentence": 4000.0,
    "total": 5000.0,
}
# The ask rows' stages in the order they run.
ASK_ROW_ORDER = (
    "select",
    "sources",
    "quote_or_first_verified",
    "prompt_tokens",
    "prompt_eval",
    "first_token",
    "verify",
    "judge",
    "network",
    "first_verified_sentence",
    "total",
)
Progress = Callable[[str, int, int], None]  # (what, done, total); total 0: a note that a step begins


@dataclass(frozen=True)
class BenchOptions:
    scales: Sequence[int] = DEFAULT_SCALES
    only: Sequence[str] = PARTS
    questions: int = 10  # dev questions answered by the ask part
    queries: int | None = None  # dev questions searched at each scale and mode (None: all of them)
    folder: Path = BUNDLED_CORPUS  # what the ingest part indexes
    cache_dir: Path = DEFAULT_CACHE  # the synthetic chunks' sentence vectors
    seed: int = 12


@dataclass
class BenchReport:
    machine: dict[str, Any]
    options: BenchOptions
    rows: list[Row] = field(default_factory=list)
    synthetic: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        options = asdict(self.options) | {"folder": str(self.options.folder), "cache_dir": str(self.options.cache_dir)}
        return {
            "machine": self.machine,
            "options": options,
            "synthetic": self.synthetic,
            "rows": rows_json(self.rows),
            "seconds": self.seconds,
        }


def run_bench(
    options: BenchOptions, asker: Callable[[Settings], Asker], progress: Progress | None = None
) -> BenchReport:
    """Every part named in `options.only`, in order, each on fresh indexes under one temporary folder;
    `asker` makes what answers the ask part's questions over an index's settings (the facade)."""
    unknown = sorted(set(options.only) - set(PARTS))
    if unknown:
        raise ValueError(f"unknown part(s) {', '.join(unknown)}: choose from {', '.join(PARTS)}")
    note = progress or (lambda what, done, total: None)
    started = time.perf_counter()
    report = BenchReport(describe_machine(), options)
    base = get_settings().model_copy(update={"chroma_url": None})
    with tempfile.TemporaryDirectory(prefix="citewise-bench-") as temporary:
        root = Path(temporary)
        if "ingest" in options.only:
            note(f"ingest of {options.folder}", 0, 0)
            report.rows.append(ingest_row(measure_ingest(options.folder, base), options.folder))
        if "search" in options.only or "add" in options.only:
            report.rows += search_rows(report, base, root, note)
        if "ask" in options.only or "start" in options.only:
            report.rows += answer_rows(options, base, root, note, asker)
        if "llama" in options.only:
            report.rows += llama_rows(base, note)
    report.seconds = round(time.perf_counter() - started, 1)
    return report


def ingest_row(figures: IngestFigures, folder: Path) -> Row:
    return Row(
        f"ingest {folder.name}/ ({figures.files} files, {figures.chunks} chunks)",
        f"{figures.chunks_per_s:.1f} chunks/s vs encode() {figures.encode_chunks_per_s:.1f} chunks/s: "
        f"ratio {figures.ratio:.2f}",
        f"ratio >= {INGEST_TARGET}",
        figures.ratio >= INGEST_TARGET,
        peak_rss_mib(),
        asdict(figures) | {"ratio": round(figures.ratio, 3)},
    )


def scale_label(chunks: int) -> str:
    return f"{chunks // 1000}k" if chunks >= 1000 and chunks % 1000 == 0 else str(chunks)


def search_target(backend: str, chunks: int) -> tuple[float, str]:
    """The p95 limit for an index this size: 40 ms up to ~11k chunks; at 100k, 50 ms embedded, 80 ms server."""
    if chunks <= 20_000:
        return 40.0, "p95 <= 40 ms (~11k)"
    limit = 50.0 if backend == "embedded" else 80.0
    return limit, f"p95 <= {limit:.0f} ms (100k)"


def search_rows(report: BenchReport, base: Settings, root: Path, note: Progress) -> list[Row]:
    """Synthetic chunks grown to each scale on embedded Chroma, then on a Chroma server; one file added to
    the largest index of each."""
    options = report.options
    scales = sorted(set(options.scales))
    embedding = CitewiseEmbeddingFunction(base.embedding_model)
    note("sentence vectors for the synthetic chunks", 0, 0)
    vectors = sentence_vectors(embedding, options.cache_dir)
    drawn = draw_chunks(len(vectors.sentences), scales[-1], options.seed)
    sample = synthetic_documents(vectors, drawn[:200])
    note("comparing synthetic vectors with true embeddings", 0, 0)
    report.synthetic = {
        "sentences": len(vectors.sentences),
        "sentence_cache": str(vectors.cache_file),
        "cache_build_s": vectors.built_s,
        "seed": options.seed,
        "fidelity_mean_cosine": fidelity(embedding, sample),
        "fidelity_sample": sum(len(d.chunks) for d in sample),
    }
    questions = [item.question for item in load_dataset(DEV_SET)][: options.queries]
    rows = [synthetic_row(report.synthetic)]
    for backend in ("embedded", "server"):
        rows += backend_rows(backend, base, root / backend, vectors, drawn, scales, questions, options, note)
    return rows


def synthetic_row(synthetic: dict[str, Any]) -> Row:
    built = "from cache" if synthetic["cache_build_s"] is None else f"embedded in {synthetic['cache_build_s']} s"
    return Row(
        f"synthetic chunks ({synthetic['sentences']} real sentences, {built})",
        f"mean cosine of the synthetic vector to the true embedding: {synthetic['fidelity_mean_cosine']:.3f} "
        f"({synthetic['fidelity_sample']} chunks)",
        figures=synthetic,
    )


def backend_rows(
    backend: str,
    base: Settings,
    folder: Path,
    vectors: SentenceVectors,
    drawn: Sequence[tuple[int, ...]],
    scales: Sequence[int],
    questions: Sequence[str],
    options: BenchOptions,
    note: Progress,
) -> list[Row]:
    rows: list[Row] = []
    with _chroma(backend, folder) as url:
        settings = base.model_copy(update={"data_dir": folder / "data", "chroma_url": url})
        if "search" in options.only:
            steps = grow_and_search(settings, backend, vectors, drawn, scales, questions, note)
        else:  # add only: grow to the largest scale without searching
            steps = grow_and_search(settings, backend, vectors, drawn, scales[-1:], [], note)
        for step in steps:
            note(f"searched {step.chunks} chunks on {backend} Chroma", 0, 0)
            if "search" in options.only:
                rows += scale_rows(step)
        if "add" in options.only:
            note(f"adding one file on {backend} Chroma", 0, 0)
            added = folder / "added" / "one-new-file.md"
            added.parent.mkdir(parents=True, exist_ok=True)
            added.write_text(f"# One new file\n\n{ADDED_FILE.read_text(encoding='utf-8')}", encoding="utf-8")
            rows.append(add_row(measure_add(settings, backend, added)))
    return rows


def _chroma(backend: str, folder: Path) -> AbstractContextManager[str | None]:
    return chroma_server(folder / "chroma-server") if backend == "server" else nullcontext(None)


def scale_rows(step: ScaleFigures) -> list[Row]:
    label = f"{scale_label(step.chunks)} {step.backend}"
    rows = [Row(f"index {label}", f"this step loaded in {step.load_s:.1f} s", figures={"load_s": step.load_s})]
    limit, target = search_target(step.backend, step.chunks)
    for mode, values in step.searches.items():
        p95 = values["p95_ms"]
        rows.append(
            Row(
                f"search {mode} {label}",
                spread_text(values),
                target,
                None if p95 is None else p95 <= limit,
                step.peak_rss_mib if step.backend == "embedded" else None,
                {"backend": step.backend, "chunks": step.chunks, "mode": mode, **values},
            )
        )
    return rows


def add_row(added: AddFigures) -> Row:
    return Row(
        f"add one file to {scale_label(added.chunks_before)} {added.backend}",
        f"{added.beyond_embedding_s:.2f} s beyond embedding (total {added.total_s:.2f} s, "
        f"embedding {added.chunks_added} chunks {added.embed_s:.2f} s)",
        f"<= {ADD_TARGET_S:.0f} s",
        added.beyond_embedding_s <= ADD_TARGET_S,
        peak_rss_mib(),
        asdict(added) | {"beyond_embedding_s": added.beyond_embedding_s},
    )


def answer_rows(
    options: BenchOptions, base: Settings, root: Path, note: Progress, asker: Callable[[Settings], Asker]
) -> list[Row]:
    """The bundled corpus indexed once, answered from in this process, then by new processes."""
    model_path = base.model_path or ensure_model(base.models_dir)
    settings = base.model_copy(update={"data_dir": root / "answers", "llm": "embedded", "model_path": model_path})
    note("indexing the corpus for the answers", 0, 0)
    ingest_paths(Store(settings), [BUNDLED_CORPUS])
    rows: list[Row] = []
    if "ask" in options.only:
        note("loading the answer model", 0, 0)
        items = load_dataset(DEV_SET)[: options.questions]
        rows += ask_rows(measure_asks(asker(settings), [item.question for item in items], note))
    if "start" in options.only:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CITEWISE_")} | {
            "CITEWISE_DATA_DIR": str(settings.data_dir),
            "CITEWISE_LLM": "embedded",
            "CITEWISE_MODEL_PATH": str(model_path),
            "CITEWISE_EMBEDDING_MODEL": settings.embedding_model,
        }
        note("cold start of `citewise ask`", 0, 0)
        rows.append(cold_row(cold_ask(COLD_QUESTION, env), "exit"))
        note("cold start of `citewise ui`", 0, 0)
        rows.append(cold_row(cold_ui(env), "health check"))
    return rows


def ask_rows(figures: AskFigures) -> list[Row]:
    """A row per stage of the answers, in the order the stages run."""
    n = figures.stages["total"]["n"]
    asked = f"({n} dev questions, {figures.refused} refused)"
    rows = waterfall_rows(figures, asked)
    for stage, values in figures.stages.items():
        limit = ASK_TARGETS_MS.get(stage)
        p50 = values["p50_ms"]
        rows.append(
            Row(
                f"ask {stage.replace('_', ' ')} {asked}",
                spread_text(values),
                "-" if limit is None else f"p50 <= {limit / 1000:g} s",
                None if limit is None or p50 is None else p50 <= limit,
                figures.peak_rss_mib,
                {"backend": figures.backend, "model": figures.model, "stage": stage, **values},
            )
        )
    return sorted(rows, key=lambda row: ASK_ROW_ORDER.index(row.figures["stage"]))


def waterfall_rows(figures: AskFigures, asked: str) -> list[Row]:
    """The waterfall's rows: selection, the prompt's new tokens, its evaluation (the tokens/s it ran at: the
    floor of the first token), each sentence's verification and judge, and a remote server's network time."""
    found = figures.waterfall

    def row(stage: str, name: str, result: str, values: dict[str, Any]) -> Row:
        figures_ = {"backend": figures.backend, "model": figures.model, "stage": stage, **values}
        return Row(f"ask {name}", result, peak_rss_mib=figures.peak_rss_mib, figures=figures_)

    def p50(key: str) -> float | None:
        return percentile(found.get(key, []), 50)

    select, evaluation = spread(found.get("select_ms", [])), spread(found.get("prompt_eval_ms", []))
    new, cached, speed = p50("prompt_tokens_new"), p50("prompt_tokens_cached"), p50("prompt_eval_tokens_per_s")
    tokens = "n/a" if new is None else f"p50 {new:.0f} new" + ("" if cached is None else f", {cached:.0f} cached")
    at = "" if speed is None else f" at p50 {speed:.1f} tok/s"
    rows = [
        row("select", f"select {asked}", spread_text(select), select),
        row("prompt_tokens", f"prompt tokens {asked}", tokens, {"new_p50": new, "cached_p50": cached}),
        row(
            "prompt_eval",
            f"prompt evaluation {asked}",
            spread_text(evaluation) + at,
            evaluation | {"tokens_per_s_p50": speed},
        ),
    ]
    for stage, key, name in (("verify", "verify_ms", "verification"), ("judge", "judge_ms", "judge")):
        values = spread(found.get(key, []))
        if stage == "verify" or values["n"]:
            rows.append(row(stage, f"{name} per sentence ({values['n']} sentences)", spread_text(values), values))
    if network := found.get("network_ms"):
        rows.append(row("network", f"network and queueing {asked}", spread_text(spread(network)), spread(network)))
    return rows


def llama_rows(base: Settings, note: Progress) -> list[Row]:
    """The shipped model's prompt evaluation and generation speed under each llama.cpp option set."""
    model_path = base.model_path or ensure_model(base.models_dir)
    grid = option_grid(os.cpu_count() or 1)
    total, done = len(grid) * REPEATS, 0

    def repeated() -> None:
        nonlocal done
        done += 1
        note("llama.cpp options", done, total)

    speeds = [measure_options(model_path, base.context_tokens, options, repeated) for options in grid]
    return [llama_row(speed) for speed in speeds]


def llama_row(speed: LlamaSpeed) -> Row:
    return Row(
        f"llama.cpp: {speed.options.label}",
        f"prompt {speed.prompt_tokens_per_s:.1f} tok/s ({speed.prompt_tokens} new tokens), "
        f"generation {speed.generated_tokens_per_s:.1f} tok/s, load {speed.load_s:.1f} s",
        peak_rss_mib=peak_rss_mib(),
        figures=asdict(speed),
    )


def cold_row(start: ColdStart, ready: str) -> Row:
    first = "no output" if start.first_output_s is None else f"first line {start.first_output_s:.1f} s"
    return Row(
        f"cold start: {start.command}",
        f"{first}, {ready} {start.ready_s:.1f} s" + (f" (exit code {start.exit_code})" if start.exit_code else ""),
        peak_rss_mib=start.peak_rss_mib,
        figures=asdict(start),
    )
