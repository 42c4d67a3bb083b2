"""Answer latency in a running process (per stage, over dev questions), and cold starts of the CLI and UI."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from citewise.core.types import Answer
from citewise.core.waterfall import stage_values, waterfall
from citewise.evals.bench.chroma_server import answers, free_port
from citewise.evals.bench.report import peak_rss_mib, spread

# Stages of an answer, in order, and the `timings_ms` keys they may be found under. "first verified
# sentence" exists once the answer is verified while it streams; until then its cell reads n/a.
STAGE_KEYS = {
    "sources": ("sources",),
    # Something verified on screen: the quote of the best evidence sentence, or else the first verified sentence.
    "quote_or_first_verified": ("quote", "first_verified"),
    "first_token": ("first_token",),
    "first_verified_sentence": ("first_verified_sentence", "first_verified", "first_sentence"),
    "total": ("total",),
}
# The waterfall's figures the ask rows add (core/waterfall.py's keys): one a question, or one a sentence.
WATERFALL_FIGURES = (
    "select_ms",
    "prompt_tokens_cached",
    "prompt_tokens_new",
    "prompt_eval_ms",
    "prompt_eval_tokens_per_s",
    "verify_ms",
    "judge_ms",
    "network_ms",
)
START_TIMEOUT_S = 300
Progress = Callable[[str, int, int], None]


class Asker(Protocol):
    """What answers the timed questions: the facade, handed in by its caller (the evals never import it)."""

    def ask(self, question: str) -> Answer: ...

    def stream(self, question: str) -> Iterable[object]: ...


@dataclass(frozen=True)
class AskFigures:
    backend: str
    model: str
    stages: dict[str, dict]  # stage -> p50/p95/n in ms
    refused: int
    peak_rss_mib: float
    waterfall: dict[str, list[float]] = field(default_factory=dict)  # WATERFALL_FIGURES' values, as measured


def measure_asks(service: Asker, questions: Sequence[str], progress: Progress | None = None) -> AskFigures:
    """Each question answered by the service's answer model once it is loaded and warm (as in a running app);
    stage times as the answer's own `timings_ms` records them, and its waterfall's WATERFALL_FIGURES."""
    service.ask("What is a token?")  # loads the model and fills its prompt cache: not timed
    times: dict[str, list[float]] = {stage: [] for stage in STAGE_KEYS}
    refused, answer, waterfalls = 0, None, []
    for done, question in enumerate(questions, start=1):
        for event in service.stream(question):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        refused += answer.refused
        waterfalls.append(waterfall(answer))
        for stage, keys in STAGE_KEYS.items():
            found = next((answer.timings_ms[key] for key in keys if key in answer.timings_ms), None)
            if found is not None:
                times[stage].append(found)
        if progress:
            progress("answering", done, len(questions))
    backend, model = (answer.backend, answer.model) if answer else ("", "")
    found = {key: stage_values(waterfalls, key) for key in WATERFALL_FIGURES}
    return AskFigures(backend, model, {s: spread(v) for s, v in times.items()}, refused, peak_rss_mib(), found)


@dataclass(frozen=True)
class ColdStart:
    command: str
    first_output_s: float | None  # the first line on stdout or stderr (None: the command never printed)
    ready_s: float  # exit for `ask`, the health check answering for `ui`
    exit_code: int | None
    peak_rss_mib: float | None  # the process's high-water mark, read while it ran


def citewise_command() -> list[str]:
    script = Path(sys.executable).parent / "citewise"
    return [str(script)] if script.exists() else [sys.executable, "-m", "citewise"]


def _high_water_mib(pid: int) -> float | None:
    """VmHWM of a running process (Linux); None elsewhere or once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError):
        pass
    return None


def cold_ask(question: str, env: dict[str, str]) -> ColdStart:
    """`citewise ask QUESTION` as a new process: to its first output line, and to its exit."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [*citewise_command(), "ask", question], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    first_s = time.perf_counter() - started if first else None
    peak = _high_water_mib(process.pid)
    while process.poll() is None:
        peak = _high_water_mib(process.pid) or peak
        if process.stdout.readline() == b"":
            break
    code = process.wait(timeout=START_TIMEOUT_S)
    ready_s = time.perf_counter() - started
    return ColdStart("citewise ask", _round(first_s), round(ready_s, 2), code, peak)


def cold_ui(env: dict[str, str]) -> ColdStart:
    """`citewise ui` as a new process group: to its first output line and to Streamlit's health check
    answering; then the group is stopped."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [*citewise_command(), "ui", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # it runs Streamlit as a child: both must stop
    )
    assert process.stdout is not None
    try:
        first = process.stdout.readline()
        first_s = time.perf_counter() - started if first else None
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(f"http://127.0.0.1:{port}/_stcore/health"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"`citewise ui` did not answer its health check (exit code {process.poll()})")
            time.sleep(0.1)
        ready_s = time.perf_counter() - started
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return ColdStart("citewise ui", _round(first_s), round(ready_s, 2), None, None)


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 2)
