"""Speed benchmark: ingest of corpus/, search latency, and ask latency on the embedded model.

    python -m citewise.evals.latency [--asks 10] [--data-dir DIR]

Prints figures; asserts nothing (speed targets live here, not in timed tests).
"""

import argparse
import tempfile
import time
from pathlib import Path

from citewise.core.settings import Settings
from citewise.evals.dataset import DEV_SET, load_dataset
from citewise.evals.metrics import percentile
from citewise.ingest import BUNDLED_CORPUS
from citewise.ingest.pipeline import ingest_paths
from citewise.service import Citewise

ASK_QUESTIONS = [
    "How many parameters did GPT-1 have?",
    "What is RLHF?",
    "What does the attention mechanism let a model do?",
    "What is a token?",
    "When was ChatGPT released?",
    "What is fine-tuning?",
    "What is a hallucination in a large language model?",
    "How large was GPT-3?",
    "What is the Transformer architecture?",
    "Who won the 2022 FIFA World Cup?",
]


def _line(name: str, values: list[float]) -> str:
    return f"{name:<14} p50 {percentile(values, 50):8.0f} ms   p95 {percentile(values, 95):8.0f} ms   (n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--asks", type=int, default=len(ASK_QUESTIONS))
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="citewise-bench-"))
    service = Citewise(Settings(data_dir=data_dir))

    started = time.perf_counter()
    report = ingest_paths(service.store, [BUNDLED_CORPUS])
    print(
        f"ingest corpus/: {report.added} added, {report.chunks} chunks in {time.perf_counter() - started:.1f} s "
        f"(model load included)"
    )
    started = time.perf_counter()
    again = ingest_paths(service.store, [BUNDLED_CORPUS])
    seconds = time.perf_counter() - started
    print(f"re-ingest: {again.unchanged} unchanged, {again.chunks} chunks embedded in {seconds:.2f} s")

    questions = [item.question for item in load_dataset(DEV_SET)]
    service.search("warm up")
    searches = [service.search(q).timings_ms["total"] for q in questions]
    print(_line("search", searches))

    answerer = service.answerer("embedded")
    answerer.ask("What is a token?")  # load the model and cache the system prompt, as a running app has
    stages: dict[str, list[float]] = {"retrieve": [], "first_token": [], "first_verified": [], "total": []}
    for question in ASK_QUESTIONS[: args.asks]:
        answer = answerer.ask(question)
        for stage in stages:
            if stage in answer.timings_ms:
                stages[stage].append(answer.timings_ms[stage])
        state = "refused" if answer.refused else "answered"
        print(f"  {answer.timings_ms['total']:7.0f} ms  {state:<8}  {question}  ->  {answer.answer[:90]}")
    print(f"ask ({answer.backend}: {answer.model})")
    for stage, values in stages.items():
        if values:
            print(_line(stage, values))


if __name__ == "__main__":
    main()
