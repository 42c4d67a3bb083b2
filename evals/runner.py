"""Run named configurations over a dataset in one process and compare them side by side."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

from citewise.answer.quote_first import quote_first
from citewise.core.serialize import answer_json, retrieved_json
from citewise.core.types import Answer, EvidenceSet, Quote, Retrieved
from citewise.core.waterfall import waterfall
from citewise.evals.configs import CONFIGS, DEFAULT_CONFIG, EvalConfig, build_config, resolve
from citewise.evals.dataset import EvalItem
from citewise.evals.metrics import Cited, ItemScores, Outcome, score_item, summarize
from citewise.evals.parts import IndexParts
from citewise.evals.results import CitedQuote, ConfigResult, ConfigSummary, ItemResult, RunResult

Progress = Callable[[int, int, str], None]
# "retrieval": search only; "evidence": search and evidence selection (the model's tokenizer, no
# generation: seconds a question); "answer": the whole pipeline.
Mode = Literal["retrieval", "evidence", "answer"]


def _context(evidence: EvidenceSet | None) -> tuple[tuple[str, ...], int]:
    """The texts the model read, and their tokens; nothing when the gate refused before the model."""
    if evidence is None:
        return (), 0
    return tuple(p.text for p in evidence.passages), evidence.tokens


def _outcome(
    answer: Answer | None,
    retrieved: Retrieved,
    evidence: EvidenceSet | None,
    read: bool,
    seconds: float,
    quote: Quote | None = None,
) -> Outcome:
    """What one run produced; `read`: the evidence step ran (or would have), so what the model read counts;
    `quote`: the sentence quoted before the answer."""
    texts = tuple(hit.chunk.text for hit in retrieved.hits)
    context, tokens = _context(evidence) if read else (None, None)
    quoted = quote.text if quote else None
    if answer is None:
        timings = {"retrieve": retrieved.timings_ms["total"]}
        return Outcome(texts, context=context, context_tokens=tokens, timings_ms=timings, seconds=seconds, quote=quoted)
    return Outcome(
        texts,
        context=context,
        context_tokens=tokens,
        quote=quoted,
        draft=answer.draft,
        answer=answer.answer,
        refused=answer.refused,
        citations=tuple(Cited(c.text, c.text[c.span[0] : c.span[1]]) for c in answer.citations),
        timings_ms=answer.timings_ms,
        waterfall=waterfall(answer),
        seconds=seconds,
    )


def _run_one(
    config: EvalConfig, item: EvalItem, mode: Mode, k: int | None
) -> tuple[Outcome, Answer | None, Retrieved | None]:
    started = time.perf_counter()
    evidence: EvidenceSet | None = None
    try:
        if mode == "retrieval":
            answer, retrieved = None, config.search(item.question, k)
        elif mode == "evidence":
            answer, (retrieved, evidence) = None, config.evidence(item.question, k)
        else:
            answer = config.ask(item.question, k)
            retrieved, evidence = answer.retrieved, answer.evidence
    except Exception as exc:  # one failing question must not end an hour-long run
        error = f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - started
        return Outcome((), answer="" if mode == "answer" else None, seconds=seconds, error=error), None, None
    seconds = time.perf_counter() - started
    quote = answer.quote if answer else quote_first(item.question, evidence) if evidence else None
    return _outcome(answer, retrieved, evidence, mode != "retrieval", seconds, quote), answer, retrieved


def _result(scores: ItemScores, answer: Answer | None, retrieved: Retrieved | None) -> ConfigResult:
    """One configuration's result for one item, small enough to keep for every configuration."""
    retrieved_ids = tuple(hit.chunk.id for hit in retrieved.hits) if retrieved else ()
    if answer is None:
        return ConfigResult(scores, retrieved_ids)
    return ConfigResult(
        scores,
        retrieved_ids,
        answer.answer,
        answer.refused,
        tuple(CitedQuote(c.n, c.chunk_id, c.span, c.text[c.span[0] : c.span[1]]) for c in answer.citations),
        tuple(claim.text for claim in answer.claims if not claim.supported),
    )


def _ask_json(item: EvalItem, answer: Answer | None, retrieved: Retrieved | None) -> dict[str, Any]:
    """The item as `citewise ask --json` prints it (retrieval only: its passages, no answer)."""
    if answer is not None:
        return answer_json(answer)
    return {
        "question": item.question,
        "answer": None,
        "refused": None,
        "citations": [],
        "retrieved": retrieved_json(retrieved) if retrieved else [],
    }


def run_evaluation(
    items: Sequence[EvalItem],
    config_names: Sequence[str],
    retrieval_only: bool = False,
    k: int | None = None,
    *,
    service: IndexParts,
    progress: Progress | None = None,
    evidence_only: bool = False,
) -> RunResult:
    """Every configuration on every item: a summary per configuration and each item's results.
    `evidence_only` stops after choosing what the model would read (no generation).

    Configurations run one after another (each keeps the model's prompt cache warm); each item
    carries the default configuration's full result and every configuration's compact result.
    """
    names = resolve(config_names or list(CONFIGS))
    configs = [build_config(name, service) for name in names]
    mode: Mode = "retrieval" if retrieval_only else "evidence" if evidence_only else "answer"
    for config in configs:
        config.prepare(answering=mode != "retrieval")
    main = DEFAULT_CONFIG if DEFAULT_CONFIG in names else names[0]

    scores: dict[str, list[ItemScores]] = {name: [] for name in names}
    results: list[dict[str, ConfigResult]] = [{} for _ in items]
    full: list[dict[str, Any]] = [{} for _ in items]
    total, done = len(items) * len(configs), 0
    for config in configs:
        for index, item in enumerate(items):
            outcome, answer, retrieved = _run_one(config, item, mode, k)
            item_scores = score_item(item, outcome)
            scores[config.name].append(item_scores)
            results[index][config.name] = _result(item_scores, answer, retrieved)
            if config.name == main:
                full[index] = _ask_json(item, answer, retrieved)
            done += 1
            if progress:
                progress(done, total, f"{config.name} {item.id}")

    summary = tuple(
        ConfigSummary(config.name, {"k": k or config.default_k} | summarize(scores[config.name])) for config in configs
    )
    rows = tuple(
        ItemResult(item.id, item.question, item.answerable, main, ask, configs_of)
        for item, ask, configs_of in zip(items, full, results, strict=True)
    )
    return RunResult(summary, rows)


def format_metric(metric: str, value: float | int | None) -> str:
    """A summary value as the CLI's table and the UI's tables show it."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    if metric.endswith(("_p50", "_p95")):
        return f"{value:.0f}"
    if metric == "seconds_per_question":
        return f"{value:.2f}"
    return f"{value:.3f}"


def format_table(summary: Sequence[ConfigSummary]) -> str:
    """One Markdown table: a row per metric, a column per configuration."""
    metrics = list(dict.fromkeys(metric for config in summary for metric in config.metrics))
    cells = [["metric", *(config.name for config in summary)]] + [
        [metric, *(format_metric(metric, config.value(metric)) for config in summary)] for metric in metrics
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]

    def line(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        return "| " + " | ".join([first, *(v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True))]) + " |"

    rule = "|" + "|".join(["-" * (widths[0] + 2), *("-" * (w + 1) + ":" for w in widths[1:])]) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])
