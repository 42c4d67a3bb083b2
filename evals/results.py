"""An eval run's results as types: a configuration's summary, one configuration's result for one item, and
the item's results across configurations. Each reads and writes the JSON shape kept under data_dir/eval-runs,
so runs kept before these types existed still load."""

from dataclasses import asdict, dataclass, fields
from typing import Any

from citewise.evals.metrics import ItemScores

SummaryValue = float | int | None
# ItemScores' fields kept once per item and configuration beside `metrics`, not in it.
_ROW_ONLY = ("answerable", "answered", "timings_ms", "waterfall", "seconds", "error")
_METRICS = tuple(f.name for f in fields(ItemScores) if f.name not in _ROW_ONLY)
# Metrics added after runs were kept, written only when they differ from their default: an older run writes back
# as it was, and reads back the same.
_ADDED_LATER = {"quoted": False, "quote_holds_answer": None}


@dataclass(frozen=True)
class ConfigSummary:
    """One configuration's metrics over the run, in the order the tables show them."""

    name: str
    metrics: dict[str, SummaryValue]

    @property
    def errors(self) -> int:
        """Question runs that failed."""
        return int(self.metrics.get("errors") or 0)

    def value(self, metric: str) -> SummaryValue:
        return self.metrics.get(metric)


@dataclass(frozen=True)
class CitedQuote:
    """One citation in a configuration's answer: the chunk it points at and the quoted span."""

    n: int
    chunk_id: str
    span: tuple[int, int]
    quote: str

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "chunk_id": self.chunk_id, "span": list(self.span), "quote": self.quote}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CitedQuote":
        start, end = data["span"]
        return cls(data["n"], data["chunk_id"], (start, end), data["quote"])


@dataclass(frozen=True)
class ConfigResult:
    """One configuration's result for one item, small enough to keep for every configuration.
    `answer` is None when the model did not write (retrieval or evidence only)."""

    scores: ItemScores
    retrieved: tuple[str, ...]  # chunk ids, in rank order
    answer: str | None = None
    refused: bool | None = None
    citations: tuple[CitedQuote, ...] = ()
    unsupported: tuple[str, ...] = ()  # answer sentences the verifier dropped

    @property
    def error(self) -> str | None:
        return self.scores.error

    def metrics_json(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in asdict(self.scores).items()
            if key not in _ROW_ONLY and not (key in _ADDED_LATER and value == _ADDED_LATER[key])
        }

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.answer is not None:
            data |= {
                "answer": self.answer,
                "refused": self.refused,
                "citations": [c.to_json() for c in self.citations],
                "unsupported": list(self.unsupported),
            }
        data |= {
            "retrieved": list(self.retrieved),
            "metrics": self.metrics_json(),
            "seconds": round(self.scores.seconds, 3),
            "timings_ms": dict(self.scores.timings_ms),
        }
        if self.scores.waterfall:  # a run kept before the waterfall writes back as it was
            data["waterfall"] = dict(self.scores.waterfall)
        return data | {"error": self.scores.error}

    @classmethod
    def from_json(cls, data: dict[str, Any], answerable: bool) -> "ConfigResult":
        metrics = {key: value for key, value in data.get("metrics", {}).items() if key in _METRICS}
        scores = ItemScores(
            answerable=answerable,
            answered="answer" in data,
            timings_ms=data.get("timings_ms", {}),
            waterfall=data.get("waterfall", {}),  # runs kept before the waterfall have none
            seconds=data.get("seconds", 0.0),
            error=data.get("error"),
            **metrics,
        )
        return cls(
            scores,
            tuple(data.get("retrieved", [])),
            data.get("answer"),
            data.get("refused"),
            tuple(CitedQuote.from_json(c) for c in data.get("citations", [])),
            tuple(data.get("unsupported", [])),
        )


@dataclass(frozen=True)
class ItemResult:
    """One item across the configurations: each one's result, and the main configuration's whole answer
    (`ask_json`: as `citewise ask --json` prints it, with the retrieved passages' text)."""

    id: str
    question: str
    answerable: bool
    config: str  # the main configuration: the default when it ran, else the first
    ask_json: dict[str, Any]
    configs: dict[str, ConfigResult]

    @property
    def main(self) -> ConfigResult:
        return self.configs[self.config]

    @property
    def passages(self) -> list[str]:
        """The texts the main configuration retrieved, in rank order."""
        return [hit["text"] for hit in self.ask_json.get("retrieved", [])]

    def to_json(self) -> dict[str, Any]:
        """The kept shape: the item, the main configuration's answer, its metrics, then every configuration."""
        head = {"id": self.id, "question": self.question, "answerable": self.answerable}
        return (
            head
            | self.ask_json
            | {
                "config": self.config,
                "metrics": self.main.metrics_json(),
                "configs": {name: result.to_json() for name, result in self.configs.items()},
            }
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ItemResult":
        answerable = data.get("answerable", True)
        configs = {name: ConfigResult.from_json(value, answerable) for name, value in data["configs"].items()}
        own = ("id", "answerable", "config", "metrics", "configs")
        return cls(
            data["id"],
            data["question"],
            answerable,
            data.get("config") or next(iter(configs)),
            {key: value for key, value in data.items() if key not in own},
            configs,
        )


@dataclass(frozen=True)
class Gold:
    """What an item expects: its answers and evidence, or a refusal."""

    answers: tuple[str, ...]
    evidence: tuple[str, ...]
    answerable: bool

    def to_json(self) -> dict[str, Any]:
        return {"answers": list(self.answers), "evidence": list(self.evidence), "answerable": self.answerable}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Gold":
        return cls(tuple(data.get("answers", [])), tuple(data.get("evidence", [])), data.get("answerable", True))


@dataclass(frozen=True)
class RunResult:
    """What the runner measured: a summary per configuration, in the order they ran, and every item."""

    summary: tuple[ConfigSummary, ...]
    items: tuple[ItemResult, ...]

    @property
    def configs(self) -> list[str]:
        return [s.name for s in self.summary]
