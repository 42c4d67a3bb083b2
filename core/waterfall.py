"""One answer's waterfall: each stage's time and the prompt's tokens, in the order they happen, as `ask --json`,
the bench and the evals report them. Every key is always there; None where a stage did not run or the model
server did not say."""

from citewise.core.types import Answer

WaterfallValue = float | int | list[float] | None

# The keys, in order. quote_ms: when the best evidence sentence was quoted (None: not quoted).
# model_call_ms is the client's wall time of the model call, server_ms the remote server's
# own and network_ms the rest (network and queueing). verify_ms and judge_ms hold one value per verified
# sentence (judge_ms: the sentences the entailment judge was asked about).
WATERFALL_KEYS = (
    "rewrite_ms",
    "translate_ms",
    "retrieve_ms",
    "select_ms",
    "sources_ms",
    "quote_ms",
    "prompt_tokens_cached",
    "prompt_tokens_new",
    "prompt_eval_ms",
    "prompt_eval_tokens_per_s",
    "first_token_ms",
    "generated_tokens",
    "generation_ms",
    "model_call_ms",
    "server_ms",
    "network_ms",
    "verify_ms",
    "judge_ms",
    "first_verified_ms",
    "look_again_ms",
    "total_ms",
)
# The keys read from `Answer.timings_ms` (without their "_ms").
_TIMED = (
    "rewrite",
    "translate",
    "retrieve",
    "select",
    "sources",
    "quote",
    "first_token",
    "first_verified",
    "look_again",
    "total",
)


def waterfall(answer: Answer) -> dict[str, WaterfallValue]:
    """The answer's waterfall, keyed and ordered as WATERFALL_KEYS."""
    t, call, sentences = answer.timings_ms, answer.model_call, answer.sentence_times
    found: dict[str, WaterfallValue] = {f"{stage}_ms": t.get(stage) for stage in _TIMED}
    if sentences:
        found["verify_ms"] = [s.verify_ms for s in sentences]
        judged = [s.judge_ms for s in sentences if s.judge_ms is not None]
        found["judge_ms"] = judged or None
    if call is not None:
        found |= {
            "prompt_tokens_cached": call.cached_tokens,
            "prompt_tokens_new": call.new_tokens,
            "prompt_eval_ms": call.prompt_eval_ms,
            "prompt_eval_tokens_per_s": call.prompt_tokens_per_s,
            "generated_tokens": call.generated_tokens,
            "generation_ms": call.generation_ms,
            "model_call_ms": call.wall_ms,
            "server_ms": call.server_ms,
            "network_ms": call.network_ms,
        }
    return {key: found.get(key) for key in WATERFALL_KEYS}


def stage_values(waterfalls: list[dict[str, WaterfallValue]], key: str) -> list[float]:
    """Every value of `key` over several answers' waterfalls (a per-sentence key: each sentence's)."""
    values: list[float] = []
    for one in waterfalls:
        value = one.get(key)
        if isinstance(value, list):
            values += value
        elif value is not None:
            values.append(value)
    return values


def model_call_text(steps: dict[str, WaterfallValue]) -> str:
    """The model call in words, "prompt 460 new tokens (118 cached), evaluated in 6100 ms (75 tok/s)",
    with what the server reported; "" when it reported nothing of the prompt."""
    new, cached, ms, speed = (
        steps.get(k)
        for k in ("prompt_tokens_new", "prompt_tokens_cached", "prompt_eval_ms", "prompt_eval_tokens_per_s")
    )
    if new is None and ms is None:
        return ""
    text = "prompt" + ("" if new is None else f" {new} new tokens") + ("" if cached is None else f" ({cached} cached)")
    if ms is not None:
        text += f", evaluated in {ms:.0f} ms" + ("" if speed is None else f" ({speed:.0f} tok/s)")
    if steps.get("network_ms") is not None:
        text += f"; model server {steps['server_ms']:.0f} ms, network and queueing {steps['network_ms']:.0f} ms"
    return text
