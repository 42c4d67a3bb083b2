"""llama.cpp's options on this CPU: prompt evaluation and generation speed of the shipped model under each.

The answer's cost is its prompt (issue 24): the fixed rules are cached, the ~460 tokens of evidence and question
are not. Each option set loads the model afresh, evaluates the rules (as the cache would hold them), then times
the evaluation of a new block of real corpus text and of single-token generation steps after it.
"""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citewise.answer.prompt import SYSTEM_RULES
from citewise.ingest import BUNDLED_CORPUS

PROMPT_TOKENS = 460  # the uncached part of an answer's prompt on the dev set (issue 24)
GENERATED_TOKENS = 24
REPEATS = 3
# llama.cpp's GGML types for the KV cache (ggml.h: GGML_TYPE_F16 = 1, GGML_TYPE_Q8_0 = 8).
KV_TYPES = {"f16": 1, "q8_0": 8}


@dataclass(frozen=True)
class LlamaOptions:
    threads: int
    flash_attn: bool = False
    batch: int = 512  # n_batch and n_ubatch
    kv_type: str = "f16"

    @property
    def label(self) -> str:
        flash = "flash attention" if self.flash_attn else "no flash attention"
        return f"{self.threads} thread{'s' * (self.threads > 1)}, {flash}, batch {self.batch}, KV {self.kv_type}"

    def llama_kwargs(self) -> dict[str, Any]:
        kv = KV_TYPES[self.kv_type]
        return {
            "n_threads": self.threads,
            "n_threads_batch": self.threads,
            "flash_attn": self.flash_attn,
            "n_batch": self.batch,
            "n_ubatch": self.batch,
            "type_k": kv,
            "type_v": kv,
        }


@dataclass(frozen=True)
class LlamaSpeed:
    options: LlamaOptions
    prompt_tokens: int
    prompt_tokens_per_s: float  # median of REPEATS
    generated_tokens_per_s: float
    load_s: float


def option_grid(cores: int) -> list[LlamaOptions]:
    """Threads first at the defaults, then each other option changed alone at the most threads, then together."""
    most = max(1, cores)
    grid = [LlamaOptions(threads) for threads in sorted({1, most})]
    grid += [
        LlamaOptions(most, flash_attn=True),
        LlamaOptions(most, batch=256),
        LlamaOptions(most, batch=128),
        LlamaOptions(most, flash_attn=True, kv_type="q8_0"),
        LlamaOptions(most, flash_attn=True, batch=256),
    ]
    return grid


def _corpus_text() -> str:
    return "\n\n".join(path.read_text(encoding="utf-8") for path in sorted(BUNDLED_CORPUS.glob("*.md")))


def measure_options(
    model_path: Path, context_tokens: int, options: LlamaOptions, progress: Callable[[], None] | None = None
) -> LlamaSpeed:
    """One option set's speeds; `progress` hears of each repeat done."""
    from llama_cpp import Llama

    started = time.perf_counter()
    llm = Llama(model_path=str(model_path), n_ctx=context_tokens, verbose=False, **options.llama_kwargs())
    load_s = time.perf_counter() - started
    rules = llm.tokenize(SYSTEM_RULES.encode("utf-8"), add_bos=False, special=True)
    text = llm.tokenize(_corpus_text().encode("utf-8"), add_bos=False, special=True)
    prompt_rates, generate_rates = [], []
    for repeat in range(REPEATS):
        block = text[repeat * PROMPT_TOKENS : (repeat + 1) * PROMPT_TOKENS]  # new text each time: no cache hit
        llm.reset()
        llm.eval(rules)
        begun = time.perf_counter()
        llm.eval(block)
        prompt_rates.append(len(block) / (time.perf_counter() - begun))
        begun = time.perf_counter()
        for token in text[-GENERATED_TOKENS:]:
            llm.eval([token])  # one decoding step each, as generation runs
        generate_rates.append(GENERATED_TOKENS / (time.perf_counter() - begun))
        if progress:
            progress()
    del llm
    return LlamaSpeed(
        options, PROMPT_TOKENS, statistics.median(prompt_rates), statistics.median(generate_rates), load_s
    )
