"""The verifier test bench: claims (one answer sentence each) judged against the passages they were checked
against, with a gold verdict, so a verifier's false accepts and false rejects are counted in seconds, no model.

A bench is JSONL, one claim per line:
`{"id", "question", "claim", "passages": [text or {"text", "title", "heading"}], "supported": bool, "kind",
"origin": "model-draft" | "written", "run" (the eval run a draft came from), "item" (the dev item), "lang",
"split": "tune" | "report"}`.
The gold verdict says whether the passages, read by a person, support the claim as stated: a figure, name or
date that the passage binds to another entity does not count, and neither does a claim that only restates the
question's own category ("The glossary gives common algorithms" for "which algorithms?", kind `generic`).
A claim is kept when the configuration's sentence verifier supports it and, where the configuration holds the
answer to what was asked, an answer made of this claim alone is not refused as a near miss.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citewise.answer.asked import answer_what_was_asked
from citewise.answer.citations import SentenceVerifier
from citewise.answer.crosslingual import CrossLingualSupport
from citewise.answer.judge import ChanceTrue, meaning_for
from citewise.core.types import Chunk, Evidence, ScoredChunk
from citewise.evals.configs import ConfigError, pipeline_of, resolve
from citewise.evals.dataset import LANGUAGES, SPLITS, DatasetError, parse_record, read_jsonl
from citewise.retrieval.embeddings import (
    ATTRIBUTION_MODEL,
    MULTILINGUAL_USE,
    CitewiseEmbeddingFunction,
    Encode,
    Remembered,
)

# What a claim is, against its passages. Supported kinds first, then the ways a claim goes wrong.
SUPPORTED_KINDS = ("exact", "paraphrase", "partial")
UNSUPPORTED_KINDS = (
    "roles-swapped",  # the passage's words, the relation inverted ("proposed ... by Mamba")
    "neighbour-value",  # a figure, date or list bound in the passage to a neighbouring entity or row
    "other-entity-date",  # a date the passage gives for another entity or event
    "negation",  # the passage says the opposite
    "generic",  # a generic statement or the question's own category, for a specific question
    "wrong-definition-other-language",  # a wrong definition, written in another language than the passage
    "wrong-value",  # a figure, name or date the passages do not state at all
    "unstated",  # a statement the passages do not make (invented, or from the model's own knowledge)
)
KINDS = SUPPORTED_KINDS + UNSUPPORTED_KINDS + ("other",)
ORIGINS = ("model-draft", "written")


class BenchError(DatasetError):
    """A bench line is malformed; the message names the file and line number."""


@dataclass(frozen=True)
class Passage:
    text: str
    title: str = ""
    heading: str = ""


@dataclass(frozen=True)
class BenchItem:
    """One claim, the passages it is judged against, and whether they support it (the gold verdict)."""

    id: str
    question: str
    claim: str
    passages: tuple[Passage, ...]
    supported: bool
    kind: str
    origin: str
    lang: str = "en"
    split: str = ""
    item: str = ""  # the dataset item the question came from
    run: str = ""  # the eval run a model draft came from


@dataclass(frozen=True)
class Verdict:
    kept: bool
    score: float
    reason: str  # "" when kept; "support": below the threshold; "asked": refused as not answering the question
    chance_true: float | None = None  # the entailment judge's P(true), where the judge was asked


Judge = Callable[[BenchItem], Verdict]


def _text(record: dict[str, Any], key: str, required: bool = True) -> str:
    value = record.get(key, "" if not required else None)
    if not isinstance(value, str) or (required and not value.strip()):
        raise TypeError(f"'{key}' must be a non-empty string")
    return value


def _choice(record: dict[str, Any], key: str, allowed: Sequence[str], default: str | None = None) -> str:
    value = record.get(key, default)
    if value not in allowed:
        raise ValueError(f"'{key}' must be one of {', '.join(allowed)}, not {value!r}")
    return str(value)


def _passage(value: Any) -> Passage:
    if isinstance(value, str) and value.strip():
        return Passage(value)
    if isinstance(value, dict) and isinstance(value.get("text"), str) and value["text"].strip():
        return Passage(value["text"], str(value.get("title", "")), str(value.get("heading", "")))
    raise TypeError("each of 'passages' must be a non-empty string or an object with a non-empty 'text'")


def _bench_item(record: dict[str, Any]) -> BenchItem:
    passages = record.get("passages")
    if not isinstance(passages, list) or not passages:
        raise TypeError("'passages' must be a non-empty list")
    supported = record.get("supported")
    if not isinstance(supported, bool):
        raise TypeError("'supported' must be true or false")
    kind = _choice(record, "kind", KINDS)
    if supported != (kind in SUPPORTED_KINDS) and kind != "other":
        raise ValueError(f"kind {kind!r} contradicts 'supported': {str(supported).lower()}")
    origin = _choice(record, "origin", ORIGINS)
    run = _text(record, "run", required=False)
    if origin == "model-draft" and not run.strip():
        raise ValueError("a model-draft item names the eval run it came from ('run')")
    return BenchItem(
        id=_text(record, "id"),
        question=_text(record, "question"),
        claim=_text(record, "claim"),
        passages=tuple(_passage(p) for p in passages),
        supported=supported,
        kind=kind,
        origin=origin,
        lang=_choice(record, "lang", LANGUAGES, "en"),
        split=_choice(record, "split", ("", *SPLITS), ""),
        item=_text(record, "item", required=False),
        run=run,
    )


def load_bench(path: Path) -> list[BenchItem]:
    """Every claim of a bench file (blank lines skipped); BenchError names the file and line of a bad one."""
    return read_jsonl(path, lambda line: _bench_item(parse_record(line)), lambda item: item.id, BenchError)


def as_evidence(passages: Sequence[Passage]) -> list[Evidence]:
    """The passages as numbered evidence, each read whole, as the verifier reads retrieved chunks."""
    evidence = []
    for n, passage in enumerate(passages, start=1):
        chunk = Chunk(f"bench-{n}", "bench", passage.title, passage.heading, passage.text, 0, len(passage.text), "", 0)
        evidence.append(Evidence(n, ScoredChunk(chunk, n, 0.0), 0, len(passage.text), 0))
    return evidence


def verifier_judge(
    config: str, embed: Encode, multilingual: Encode, threshold: float, chance_true: ChanceTrue | None = None
) -> Judge:
    """How configuration `config` judges one claim: its sentence verifier (`embed`: the attribution model;
    `multilingual`: the cross-language rule's model, where the configuration has that rule; `chance_true`: the
    answer model's judge, where it has one) and, where it has it, the asked rule on the claim taken as the
    whole answer."""
    pipeline = pipeline_of(config)
    if not pipeline.verify:
        raise ConfigError(f"{config} has no sentence verifier to bench; use default or hybrid+verifier@v1.")
    if pipeline.meaning == "entailment" and chance_true is None:
        raise ConfigError(f"{config} judges with the answer model; bench it where the model is loaded.")
    meaning = meaning_for(pipeline.meaning, chance_true)

    def judge(item: BenchItem) -> Verdict:
        passages = as_evidence(item.passages)
        crosslingual = CrossLingualSupport(passages, multilingual) if pipeline.crosslingual else None
        verifier = SentenceVerifier(
            passages, embed, threshold, item.question, crosslingual, meaning, pipeline.ignored_words
        )
        verdict = verifier.check(item.claim)
        if verdict is None:
            return Verdict(False, 0.0, "support")
        claim = verdict.claim
        if verdict.dropped:
            return Verdict(False, claim.score, "support", claim.chance_true)
        if pipeline.asked and answer_what_was_asked(item.question, verifier.result()).refused:
            return Verdict(False, claim.score, "asked", claim.chance_true)
        return Verdict(True, claim.score, "", claim.chance_true)

    return judge


def needs_model(configs: Sequence[str]) -> bool:
    """Whether any of the named configurations' verifiers asks the answer model."""
    return any(pipeline_of(name).meaning == "entailment" for name in resolve(configs) if name != "textbook")


def bench_verifiers(
    items: Sequence[BenchItem], configs: Sequence[str], threshold: float, chance_true: ChanceTrue | None = None
) -> dict[str, Any]:
    """The named configurations' verifiers on every claim (`run_bench`), with the packaged embedding models;
    each text is embedded once per model."""
    embed = Remembered(CitewiseEmbeddingFunction(ATTRIBUTION_MODEL).matrix)
    multilingual = Remembered(CitewiseEmbeddingFunction(MULTILINGUAL_USE).matrix)
    judges = {name: verifier_judge(name, embed, multilingual, threshold, chance_true) for name in resolve(configs)}
    return run_bench(items, judges)


def _counts(rows: Sequence[tuple[BenchItem, Verdict]]) -> dict[str, float | int | None]:
    """Items, false accepts (gold unsupported, kept) and false rejects (gold supported, dropped), with rates."""
    wrong = [verdict.kept for item, verdict in rows if not item.supported]
    right = [verdict.kept for item, verdict in rows if item.supported]
    false_accepts, false_rejects = sum(wrong), len(right) - sum(right)
    return {
        "items": len(rows),
        "unsupported": len(wrong),
        "false_accepts": false_accepts,
        "false_accept_rate": round(false_accepts / len(wrong), 3) if wrong else None,
        "supported": len(right),
        "false_rejects": false_rejects,
        "false_reject_rate": round(false_rejects / len(right), 3) if right else None,
    }


def run_bench(items: Sequence[BenchItem], judges: dict[str, Judge]) -> dict[str, Any]:
    """Every judge on every claim: `{"summary": {config: {kind or "total": counts}}, "items": [...]}`."""
    kinds = [kind for kind in KINDS if any(item.kind == kind for item in items)]
    summary: dict[str, dict[str, Any]] = {}
    verdicts: dict[str, list[Verdict]] = {}
    for name, judge in judges.items():
        verdicts[name] = [judge(item) for item in items]
        rows = list(zip(items, verdicts[name], strict=True))
        summary[name] = {kind: _counts([row for row in rows if row[0].kind == kind]) for kind in kinds}
        summary[name]["total"] = _counts(rows)
    results = [
        {
            "id": item.id,
            "kind": item.kind,
            "supported": item.supported,
            "claim": item.claim,
            "verdicts": {
                name: {
                    "kept": v[i].kept,
                    "score": round(v[i].score, 3),
                    "reason": v[i].reason,
                    "chance_true": v[i].chance_true,
                }
                for name, v in verdicts.items()
            },
        }
        for i, item in enumerate(items)
    ]
    return {"summary": summary, "items": results}


def format_bench_table(summary: dict[str, dict[str, Any]]) -> str:
    """One Markdown table per configuration: a row per kind and the total."""
    header = "| kind | items | false accepts | rate | false rejects | rate |"
    rule = "|---|---:|---:|---:|---:|---:|"

    def rate(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    tables = []
    for name, by_kind in summary.items():
        lines = [f"{name}:", header, rule]
        for kind, c in by_kind.items():
            label = f"**{kind}**" if kind == "total" else kind
            lines.append(
                f"| {label} | {c['items']} | {c['false_accepts']}/{c['unsupported']} | {rate(c['false_accept_rate'])} "
                f"| {c['false_rejects']}/{c['supported']} | {rate(c['false_reject_rate'])} |"
            )
        tables.append("\n".join(lines))
    return "\n\n".join(tables)
