"""A real HTTP server on 127.0.0.1 that answers like an OpenAI-compatible server (vLLM's wire format).

It serves GET /v1/models (with vLLM's `max_model_len`) and POST /v1/chat/completions as server-sent
events of `chat.completion.chunk` objects ending in `data: [DONE]` (citewise always streams),
answers an unknown model with vLLM's 404 error object, and records every chat request body.
"""

import json
import math
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.local_http import LocalServer

DEFAULT_MODEL = "Qwen/Qwen2.5-7B-Instruct"
MAX_MODEL_LEN = 32768


class FakeOpenAIServer(LocalServer):
    """One fake server; `url` is its base URL (ending in /v1), `bodies` the chat requests it received."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.reply = "Paris is the capital of France."
        self.models = [DEFAULT_MODEL]
        # GET /v1/models' entries as served; None: vLLM's entry for each of `models`. A test sets entries a
        # broken server or proxy sends (no `id`) to see what a client library does with them.
        self.listing: list[dict[str, Any]] | None = None
        # P("true") the judge's one-token replies carry in their logprobs; None: a server that sends no logprobs
        # (its reply is then the word alone, "true" at 0.5 or more).
        self.judge_chance: float | None = 0.9
        self.judge_reply_chance = 0.9  # what decides the reply's word when no logprobs are sent
        # The prompt tokens a streamed reply's usage chunk says came from the prefix cache (vLLM sends
        # `prompt_tokens_details` with --enable-prompt-tokens-details); None: no details, as vLLM's default.
        self.cached_tokens: int | None = None
        super().__init__(_Handler, "/v1")


class _Handler(BaseHTTPRequestHandler):
    def _fake(self) -> FakeOpenAIServer:
        return self.server.owner  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # the test output stays quiet
        pass

    def _json(self, status: int, data: dict[str, Any]) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path != "/v1/models":
            self._json(404, {"object": "error", "message": "Not Found", "type": "NotFoundError", "code": 404})
            return
        fake = self._fake()
        models = fake.listing
        if models is None:
            models = [
                {"id": m, "object": "model", "created": 0, "owned_by": "vllm", "max_model_len": MAX_MODEL_LEN}
                for m in fake.models
            ]
        self._json(200, {"object": "list", "data": models})

    def do_POST(self) -> None:
        fake = self._fake()
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path != "/v1/chat/completions":
            self._json(404, {"object": "error", "message": "Not Found", "type": "NotFoundError", "code": 404})
            return
        fake.bodies.append(body)
        model = body.get("model")
        if model not in fake.models:
            message = f"The model `{model}` does not exist."
            self._json(404, {"error": {"message": message, "type": "NotFoundError", "param": None, "code": 404}})
            return
        created = int(time.time())
        if body.get("stream") is not True:
            self._json(200, _completion(fake, body, model, created))
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        words = _words(fake.reply)
        pieces = [{"role": "assistant", "content": ""}] + [{"content": w} for w in words]
        for delta in pieces:
            self._event([{"index": 0, "delta": delta, "finish_reason": None}], model, created)
        self._event([{"index": 0, "delta": {}, "finish_reason": "stop"}], model, created)
        if (body.get("stream_options") or {}).get("include_usage"):
            self._event([], model, created, _usage(fake, body, len(words)))
        self.wfile.write(b"data: [DONE]\n\n")

    def _event(
        self, choices: list[dict[str, Any]], model: str, created: int, usage: dict[str, Any] | None = None
    ) -> None:
        chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": created, "model": model}
        chunk |= {"choices": choices} | ({"usage": usage} if usage is not None else {})
        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.flush()


def _usage(fake: FakeOpenAIServer, body: dict[str, Any], completion_tokens: int) -> dict[str, Any]:
    """vLLM's closing usage chunk's `usage`: a token a word of the messages, a token a streamed piece."""
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "completion_tokens": completion_tokens,
    }
    if fake.cached_tokens is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": fake.cached_tokens}
    return usage


def _completion(fake: FakeOpenAIServer, body: dict[str, Any], model: str, created: int) -> dict[str, Any]:
    """A non-streamed chat.completion: the judge's one token (with `logprobs`, its top alternatives as vLLM
    sends them), else the whole reply."""
    chance = fake.judge_chance if fake.judge_chance is not None else fake.judge_reply_chance
    content = ("true" if chance >= 0.5 else "false") if body.get("max_tokens") == 1 else fake.reply
    choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": content}, "logprobs": None}
    choice["finish_reason"] = "length" if body.get("max_tokens") == 1 else "stop"
    if body.get("logprobs") and fake.judge_chance is not None:
        ranked = sorted([("true", fake.judge_chance), ("false", 1 - fake.judge_chance)], key=lambda a: -a[1])
        alternatives = [
            {"token": token, "logprob": math.log(max(p, 1e-9)), "bytes": list(token.encode())} for token, p in ranked
        ][: int(body.get("top_logprobs") or 0)]
        choice["logprobs"] = {"content": [{**alternatives[0], "top_logprobs": alternatives}], "refusal": None}
    usage = {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}
    completion = {"id": "chatcmpl-2", "object": "chat.completion", "created": created, "model": model}
    return completion | {"choices": [choice], "usage": usage}


def _words(text: str) -> list[str]:
    """`text` in word-sized pieces, each keeping its leading space, as a tokenizer streams them."""
    parts = text.split(" ")
    return [parts[0], *(f" {p}" for p in parts[1:])]
