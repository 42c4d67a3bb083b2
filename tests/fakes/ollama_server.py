"""A real HTTP server on 127.0.0.1 that answers like Ollama (its docs/api.md wire format).

It serves GET/HEAD /, GET /api/version, GET /api/tags, POST /api/show and POST /api/chat
(NDJSON over chunked encoding when streaming, one JSON object when `"stream": false`),
records every request, and can be told to fail the way a real server does.
"""

import json
import math
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import urlsplit

VERSION = "0.6.5"
DEFAULT_MODEL = "qwen2.5:1.5b-instruct"
DEFAULT_CONTEXT_LENGTH = 32768
ARCHITECTURE = "qwen2"
RUNNER_CRASH = "llama runner process has terminated: exit status 2"

# "http_500": refused before any content; "error_line": an {"error": ...} line after some
# content (what Ollama streams when the runner fails mid-answer); "disconnect": the
# connection drops mid-stream, as when the server process dies.
ChatFailure = Literal["http_500", "error_line", "disconnect"]
# Computes /api/chat's reply from the request's messages ({"role", "content"} dicts), for scripted conversations.
Responder = Callable[[list[dict[str, Any]]], str]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    body: dict[str, Any] | None


class FakeOllama:
    """One fake server; `url` is its address, `requests` what it has received so far."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.proxied_hosts: list[str] = []  # hosts of the requests that came through it as a proxy
        self._reply = "Paris is the capital of France."
        self._models = {DEFAULT_MODEL: DEFAULT_CONTEXT_LENGTH}
        self._failure: ChatFailure | None = None
        self._pause_after: int | None = None  # pieces streamed before waiting for resume()
        self._resumed = threading.Event()
        self._pause_timeout_s = 0.0
        self.replied = threading.Event()  # set when a streamed reply has been sent to its end
        self._piece_delay_s = 0.0
        self.cut_off: list[int] = []  # for each streamed reply the client closed early: the pieces it was sent

        self._responder: Responder | None = None
        # P("true") of a judge's one-token reply (a request with `logprobs`): sent as its top_logprobs.
        self.judge_chance = 0.9
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        # A short poll keeps stop() quick; the default 0.5 s would add that to every test.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down; later connections are refused."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def set_reply(self, text: str) -> None:
        """What /api/chat answers, streamed in word-sized pieces."""
        self._reply = text

    def pause_after(self, text: str, timeout_s: float = 60.0) -> None:
        """Stream the reply up to the end of `text` (a start of it that ends between two pieces), then
        wait for `resume()` (at most `timeout_s`) before the rest: a model caught in mid-answer."""
        pieces = self.pieces()
        ends = [len("".join(pieces[: i + 1])) for i in range(len(pieces))]
        if not self._reply.startswith(text) or len(text) not in ends:
            raise ValueError(f"{text!r} does not end between two pieces of the reply {pieces!r}")
        self._pause_after = ends.index(len(text)) + 1
        self._pause_timeout_s = timeout_s
        self._resumed.clear()

    def set_piece_delay(self, seconds: float) -> None:
        """Wait this long before each streamed piece: a slow model."""
        self._piece_delay_s = seconds

    def resume(self) -> None:
        """Let a paused reply go on to its end."""
        self._resumed.set()

    def set_responder(self, responder: Responder | None) -> None:
        """Answer each /api/chat from its messages (None: the fixed reply again)."""
        self._responder = responder

    def set_models(self, names: list[str], context_length: int = DEFAULT_CONTEXT_LENGTH) -> None:
        """The models /api/tags lists; each reports `context_length` through /api/show."""
        self._models = {_tagged(name): context_length for name in names}

    def fail_chat(self, failure: ChatFailure | None) -> None:
        """Make /api/chat fail this way from now on (None: answer normally)."""
        self._failure = failure

    def bodies(self, path: str) -> list[dict[str, Any]]:
        """The JSON bodies received on `path`, oldest first."""
        return [r.body for r in self.requests if r.path == path and r.body is not None]

    def pieces(self, messages: list[dict[str, Any]] | None = None) -> list[str]:
        """The reply (to `messages`, with a responder) split the way /api/chat streams it; joined they give
        back the reply."""
        reply = self._responder(messages or []) if self._responder else self._reply
        return re.findall(r"\s*\S+|\s+$", reply)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeOllama) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    # Ollama streams with chunked transfer encoding, which needs HTTP/1.1; it is also what
    # lets a client tell a dropped connection from a finished answer.
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def parse_request(self) -> bool:
        """Also serve as an HTTP proxy: a request for `http://host/path` is answered as `/path`, and the
        host it was meant for is kept, so a test can stand in for an Ollama on another machine."""
        if not super().parse_request():
            return False
        target = urlsplit(self.path)
        if target.scheme and target.netloc:
            self.server.fake.proxied_hosts.append(target.netloc)
            self.path = target.path or "/"
        return True

    def do_HEAD(self) -> None:
        self._record(None)
        if self.path == "/":
            self._send(200, b"", "text/plain; charset=utf-8", length=len(b"Ollama is running"))
        else:
            self._send(404, b"", "text/plain", length=len(b"404 page not found"))

    def do_GET(self) -> None:
        self._record(None)
        fake = self.server.fake
        if self.path == "/":
            self._send(200, b"Ollama is running", "text/plain; charset=utf-8")
        elif self.path == "/api/version":
            self._json(200, {"version": VERSION})
        elif self.path == "/api/tags":
            self._json(200, {"models": [_tag_entry(name) for name in fake._models]})
        else:
            self._send(404, b"404 page not found", "text/plain")

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError as exc:
            self._record(None)
            self._json(400, {"error": str(exc)})
            return
        self._record(body)
        if self.path == "/api/show":
            self._show(body)
        elif self.path == "/api/chat":
            self._chat(body)
        else:
            self._send(404, b"404 page not found", "text/plain")

    def _show(self, body: dict[str, Any]) -> None:
        name = str(body.get("model") or body.get("name") or "")
        context_length = self.server.fake._models.get(_tagged(name))
        if context_length is None:
            self._json(404, {"error": f"model '{name}' not found"})
            return
        self._json(
            200,
            {
                "modelfile": f'# Modelfile generated by "ollama show"\nFROM {name}\n',
                "parameters": 'stop                           "<|im_end|>"',
                "template": "<|im_start|>system\n{{ .System }}<|im_end|>\n",
                "details": _details(),
                "model_info": {
                    "general.architecture": ARCHITECTURE,
                    "general.parameter_count": 1543714304,
                    f"{ARCHITECTURE}.block_count": 28,
                    f"{ARCHITECTURE}.context_length": context_length,
                    f"{ARCHITECTURE}.embedding_length": 1536,
                    "tokenizer.ggml.model": "gpt2",
                },
                "capabilities": ["completion"],
                "modified_at": "2024-09-12T21:17:29.110811-07:00",
            },
        )

    def _chat(self, body: dict[str, Any]) -> None:
        fake = self.server.fake
        started_ns = time.perf_counter_ns()
        model = str(body.get("model", ""))
        if _tagged(model) not in fake._models:
            self._json(404, {"error": f"model '{model}' not found"})
            return
        if fake._failure == "http_500":
            self._json(500, {"error": RUNNER_CRASH})
            return

        messages = body.get("messages", [])
        pieces = fake.pieces(messages)
        limit = (body.get("options") or {}).get("num_predict")
        done_reason = "stop"
        if isinstance(limit, int) and 0 <= limit < len(pieces):
            pieces, done_reason = pieces[:limit], "length"
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in messages)
        final = {
            "model": model,
            "created_at": _now(),
            "done": True,
            "done_reason": done_reason,
            "prompt_eval_count": prompt_words,
            "eval_count": len(pieces),
        }

        if body.get("stream", True) is False:
            message = {"role": "assistant", "content": "".join(pieces)}
            reply = {"model": model, "created_at": _now(), "message": message, **final}
            reply |= _durations(started_ns, time.perf_counter_ns())
            if body.get("logprobs"):
                reply |= _judge_reply(fake.judge_chance, int(body.get("top_logprobs") or 0))
            self._json(200, reply)
            return

        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent, first_ns = 0, time.perf_counter_ns()
        try:
            for index, piece in enumerate(pieces):
                if fake._failure is not None and index == max(1, len(pieces) // 2):
                    if fake._failure == "disconnect":
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self._chunk({"error": RUNNER_CRASH})
                    self._end_chunks()
                    return
                if index == fake._pause_after:
                    fake._resumed.wait(fake._pause_timeout_s)
                time.sleep(fake._piece_delay_s)
                message = {"role": "assistant", "content": piece}
                self._chunk({"model": model, "created_at": _now(), "message": message, "done": False})
                first_ns = first_ns if sent else time.perf_counter_ns()
                sent += 1
            final |= _durations(started_ns, first_ns)
            self._chunk({**final, "message": {"role": "assistant", "content": ""}})
            self._end_chunks()
        except (BrokenPipeError, ConnectionResetError):  # the client closed the stream: it stopped reading
            self.close_connection = True
            fake.cut_off.append(sent)
            return
        fake.replied.set()

    def _record(self, body: dict[str, Any] | None) -> None:
        self.server.fake.requests.append(RecordedRequest(self.command, self.path, body))

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8")

    def _send(self, status: int, data: bytes, content_type: str, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, payload: dict[str, Any]) -> None:
        line = json.dumps(payload).encode() + b"\n"
        self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
        self.wfile.flush()

    def _end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")


def _durations(started_ns: int, first_ns: int) -> dict[str, int]:
    """Ollama's timings in nanoseconds, as this server spent them: the prompt up to the first piece, the
    generation after it, nothing loaded; the whole is the server's time since the request came in."""
    now = time.perf_counter_ns()
    return {
        "total_duration": now - started_ns,
        "load_duration": 0,
        "prompt_eval_duration": first_ns - started_ns,
        "eval_duration": now - first_ns,
    }


def _judge_reply(chance: float, alternatives: int) -> dict[str, Any]:
    """A one-token reply with its logprobs as Ollama 0.12.11+ sends them: the token, and its top alternatives."""
    ranked = sorted([("true", chance), ("false", 1 - chance)], key=lambda a: -a[1])
    tops = [{"token": t, "logprob": math.log(max(p, 1e-9)), "bytes": list(t.encode())} for t, p in ranked]
    return {
        "message": {"role": "assistant", "content": ranked[0][0]},
        "logprobs": [{**tops[0], "top_logprobs": tops[:alternatives]}],
    }


def _tagged(name: str) -> str:
    # Ollama reads an untagged name as name:latest; the tag follows the last "/".
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _tag_entry(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "model": name,
        "modified_at": "2024-09-12T21:17:29.110811-07:00",
        "size": 986061892,
        "digest": "3a2f0d0a8d9c4c1f0e6e9e3b2c1d0f9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d",
        "details": _details(),
    }


def _details() -> dict[str, Any]:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": ARCHITECTURE,
        "families": [ARCHITECTURE],
        "parameter_size": "1.5B",
        "quantization_level": "Q4_K_M",
    }


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
