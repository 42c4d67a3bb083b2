"""Write a grounding eval set from the indexed documents: the local model proposes each item, the checks in
grounding_checks decide, and kept items go to a JSONL file (the dataset schema plus `origin` and `review`)
one line at a time, so an interrupted run keeps what it made (without replacing the file it was to replace)."""

import json
import os
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citewise.answer.llm.base import Generator, Message
from citewise.core.types import Chunk
from citewise.evals.generate_prompts import LANGUAGE_NAMES, answerable_prompt, near_miss_prompt, off_topic_prompt
from citewise.evals.grounding_checks import (
    ANSWER_TYPES,
    Rejected,
    check_answerable,
    check_near_miss,
    check_off_topic,
    mentions,
    parse_reply,
    states_answer_type,
)

KINDS = ("answerable", "near_miss", "off_topic")
# Topics no document collection about one subject is likely to cover; (what to ask about, a word that must not
# occur in the documents).
OFF_TOPICS = (
    ("baking sourdough bread", "sourdough"),
    ("the rules of cricket", "cricket"),
    ("volcanoes in Iceland", "volcano"),
    ("knitting wool socks", "knitting"),
    ("the migration of monarch butterflies", "butterfl"),
    ("growing tomatoes in a garden", "tomato"),
    ("medieval castles in Wales", "castle"),
    ("the history of the bicycle", "bicycle"),
)
OFF_TOPIC_SHARE = 1 / 3  # of the unanswerable items; the rest are near misses
MIN_PASSAGE_CHARS = 200  # shorter chunks (headings, captions) rarely hold a fact worth a question
TRIES_PER_ITEM = 3  # passages tried for one item before it is given up
MAX_TOKENS = 200
ENTITY = re.compile(r"\b[A-Z][\w]*(?:[-.][\w]+)*(?:\s+[A-Z][\w]*(?:[-.][\w]+)*)*")
_NOT_ENTITIES = {"the", "this", "that", "these", "those", "it", "in", "a", "an", "and", "or", "but", "for", "as", "i"}

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class GenerateOptions:
    """How many items, which share cannot be answered, the question languages, and the sampling seed."""

    n: int = 60
    unanswerable: float = 0.3
    languages: tuple[str, ...] = ("en",)
    seed: int = 0
    kb: str = ""  # the knowledge base the passages come from, kept in each item's origin

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"--n must be at least 1, not {self.n}")
        if not 0 <= self.unanswerable <= 1:
            raise ValueError(f"--unanswerable must be between 0 and 1, not {self.unanswerable}")
        unknown = [code for code in self.languages if code not in LANGUAGE_NAMES]
        if unknown or not self.languages:
            raise ValueError(
                f"unknown language {', '.join(unknown) or '(none given)'}; use codes from {', '.join(LANGUAGE_NAMES)}"
            )


@dataclass
class GenerationReport:
    """What a generation run made and rejected (by reason), and whether Ctrl-C cut it short."""

    path: Path
    generator: str
    planned: int
    made: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    given_up: int = 0  # planned items with no proposal kept after TRIES_PER_ITEM passages
    interrupted: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "generator": self.generator,
            "planned": self.planned,
            "made": dict(self.made),
            "written": sum(self.made.values()),
            "rejected": dict(self.rejected.most_common()),
            "given_up": self.given_up,
            "interrupted": self.interrupted,
        }


def plan(options: GenerateOptions, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, question language) for each item to make, in a seeded order."""
    unanswerable = round(options.n * options.unanswerable)
    off_topic = round(unanswerable * OFF_TOPIC_SHARE)
    kinds = (
        ["answerable"] * (options.n - unanswerable)
        + ["near_miss"] * (unanswerable - off_topic)
        + ["off_topic"] * off_topic
    )
    rng.shuffle(kinds)
    return [(kind, rng.choice(options.languages)) for kind in kinds]


def entity_candidates(passage: str) -> list[str]:
    """Names the passage uses mid-sentence (a capitalised word after a full stop may be any word)."""
    found = []
    for match in ENTITY.finditer(passage):
        words = match.group(0).strip(".-").split()
        before = passage[: match.start()].rstrip()
        if (not before or before[-1] in ".!?:#*-\n>|") and not _marked(words[0]):
            words = words[1:]  # its capital may only mark the sentence's start
        name = " ".join(words)
        if len(name) >= 3 and name.casefold() not in _NOT_ENTITIES:
            found.append(name)
    return sorted(set(found))


def _marked(word: str) -> bool:
    """A word that is a name wherever it stands: it holds a digit or a capital after its first letter."""
    return any(c.isdigit() for c in word) or any(c.isupper() for c in word[1:])


class _Maker:
    """One generation run's state: the seeded passage order, the whole corpus for the near-miss checks."""

    def __init__(self, chunks: Sequence[Chunk], generator: Generator, options: GenerateOptions) -> None:
        self.generator = generator
        self.options = options
        self.rng = random.Random(options.seed)
        self.texts = [chunk.text for chunk in chunks]
        usable = sorted((c for c in chunks if len(c.text) >= MIN_PASSAGE_CHARS), key=lambda c: c.id)
        if not usable:
            raise ValueError(f"no indexed passage has {MIN_PASSAGE_CHARS} characters or more; index documents first")
        self.rng.shuffle(usable)
        self.passages = usable
        self.cursor = 0
        self.label = f"{generator.backend}:{generator.model}"

    def next_passage(self) -> Chunk:
        chunk = self.passages[self.cursor % len(self.passages)]
        self.cursor += 1
        return chunk

    def ask(self, messages: list[Message], fields: Sequence[str]) -> dict[str, str]:
        return parse_reply("".join(self.generator.stream(messages, MAX_TOKENS)), fields)

    def origin(self, kind: str, language: str, **extra: Any) -> dict[str, Any]:
        base = {"kb": self.options.kb} if self.options.kb else {}
        return {"generator": self.label, "seed": self.options.seed, "kind": kind, "language": language, **base, **extra}

    def answerable(self, language: str) -> dict[str, Any]:
        chunk = self.next_passage()
        reply = self.ask(answerable_prompt(chunk.text, language), ("question", "answer", "evidence"))
        answer, evidence = check_answerable(chunk.text, reply["question"], reply["answer"], reply["evidence"])
        origin = self.origin("answerable", language, chunk_id=chunk.id, source=chunk.source, passage=chunk.text)
        return _record(reply["question"], [answer], [evidence], True, origin)

    def near_miss(self, language: str) -> dict[str, Any]:
        chunk = self.next_passage()
        pairs = [
            (entity, answer_type)
            for entity in entity_candidates(chunk.text)
            for answer_type in ANSWER_TYPES
            if not any(mentions(t, entity) and states_answer_type(t, entity, answer_type) for t in self.texts)
        ]
        if not pairs:
            raise Rejected("no entity lacking a number, date, person or place")
        entity, answer_type = self.rng.choice(pairs)
        reply = self.ask(near_miss_prompt(chunk.text, entity, answer_type, language), ("question",))
        naming = check_near_miss(self.texts, reply["question"], entity, answer_type)
        origin = self.origin(
            "near_miss",
            language,
            chunk_id=chunk.id,
            source=chunk.source,
            passage=chunk.text,
            entity=entity,
            answer_type=answer_type,
            passages_naming_entity=naming,
        )
        return _record(reply["question"], [], [], False, origin)

    def off_topic(self, language: str) -> dict[str, Any]:
        topic, keyword = self.rng.choice(OFF_TOPICS)
        reply = self.ask(off_topic_prompt(topic, language), ("question",))
        check_off_topic(self.texts, reply["question"], keyword)
        return _record(reply["question"], [], [], False, self.origin("off_topic", language, topic=topic))


def _record(question: str, answers: list[str], evidence: list[str], answerable: bool, origin: dict) -> dict[str, Any]:
    return {
        "question": question,
        "answers": answers,
        "evidence": evidence,
        "answerable": answerable,
        "review": "pending",
        "origin": origin,
    }


def generate_eval_set(
    path: Path,
    chunks: Sequence[Chunk],
    generator: Generator,
    options: GenerateOptions,
    progress: Progress | None = None,
) -> GenerationReport:
    """Write up to `options.n` checked items about `chunks` to `path`. The same seed, passages and model give
    the same file (the backends decode greedily). Items go to a temporary file beside `path` that replaces it
    at the end: until then the previous file (perhaps reviewed) stays as it was, and a crash leaves it so.
    Ctrl-C (or an error) stops the run; its items are kept (`kept_cut_short`) and the report says where."""
    maker = _Maker(chunks, generator, options)
    planned = plan(options, maker.rng)
    report = GenerationReport(path, maker.label, len(planned))
    make = {"answerable": maker.answerable, "near_miss": maker.near_miss, "off_topic": maker.off_topic}
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as out:
            try:
                for slot, (kind, language) in enumerate(planned):
                    for _ in range(TRIES_PER_ITEM):
                        try:
                            record = make[kind](language)
                        except Rejected as exc:
                            report.rejected[f"{kind}: {exc.reason}"] += 1
                            continue
                        record = {"id": f"gen-s{options.seed}-{slot:03d}", **record}
                        out.write(json.dumps(record, ensure_ascii=False) + "\n")
                        out.flush()
                        report.made[kind] += 1
                        break
                    else:
                        report.given_up += 1
                    if progress:
                        progress(slot + 1, len(planned), f"{sum(report.made.values())} kept")
            except KeyboardInterrupt:
                report.interrupted = True
    except BaseException:
        report.path = kept_cut_short(tmp, path)
        raise
    if report.interrupted:
        report.path = kept_cut_short(tmp, path)
    else:
        os.replace(tmp, path)
    return report


def kept_cut_short(tmp: Path, path: Path) -> Path:
    """Where the items of a run cut short go: to `path` when there is no file there yet, else beside it as
    NAME.interrupted.jsonl, so that a previous file is never replaced by a part of a set."""
    kept = path if not path.exists() else path.with_name(f"{path.stem}.interrupted{path.suffix}")
    os.replace(tmp, kept)
    return kept
