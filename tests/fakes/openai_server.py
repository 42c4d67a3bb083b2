"""A real HTTP server on 127.0.0.1 that answers like an OpenAI-compatible server (vLLM's wire format).

It serves GET /v1/models (with vLLM's `max_model_len`) and POST /v1/chat/completions as server-sent
events of `chat.completion.chunk` objects ending in `data: [DONE]` (citewise always streams),
answers an unknown model with vLLM's 404 error object, and records every chat request body.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

DEFAULT_MODEL = "Qwen/Qwen2.5-7B-Instruct"
MAX_MODEL_LEN = 32768


class FakeOpenAIServer:
    """One fake server; `url` is its base URL (ending in /v1), `bodies` the chat requests it received."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.reply = "Paris is the capital of France."
        self.models = [DEFAULT_MODEL]
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeOpenAIServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    server: _Server

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
        models = [
            {"id": m, "object": "model", "created": 0, "owned_by": "vllm", "max_model_len": MAX_MODEL_LEN}
            for m in self.server.fake.models
        ]
        self._json(200, {"object": "list", "data": models})

    def do_POST(self) -> None:
        fake = self.server.fake
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
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        pieces = [{"role": "assistant", "content": ""}] + [{"content": w} for w in _words(fake.reply)]
        for delta in pieces:
            self._event({"index": 0, "delta": delta, "finish_reason": None}, model, created)
        self._event({"index": 0, "delta": {}, "finish_reason": "stop"}, model, created)
        self.wfile.write(b"data: [DONE]\n\n")

    def _event(self, choice: dict[str, Any], model: str, created: int) -> None:
        chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": created, "model": model}
        self.wfile.write(f"data: {json.dumps(chunk | {'choices': [choice]})}\n\n".encode())
        self.wfile.flush()


def _words(text: str) -> list[str]:
    """`text` in word-sized pieces, each keeping its leading space, as a tokenizer streams them."""
    parts = text.split(" ")
    return [parts[0], *(f" {p}" for p in parts[1:])]
