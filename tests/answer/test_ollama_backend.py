"""The Ollama backend against a fake server that speaks Ollama's wire format."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from citewise.answer.llm.base import BackendUnavailable, Message
from citewise.answer.llm.ollama import OllamaGenerator, base_url, probe_ollama
from citewise.answer.llm.select import BackendChoice, load_generator
from citewise.core.settings import Settings
from tests.fakes.ollama_server import RUNNER_CRASH, ChatFailure, FakeOllama

MODEL = "qwen2.5:1.5b-instruct"
QUESTION = [Message("system", "Answer from the passages."), Message("user", "Capital of France?")]


def unused_url() -> str:
    """An address where nothing listens: bound once for a free port, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def connect_ollama(settings: Settings) -> OllamaGenerator:
    """The generator citewise loads once it has chosen Ollama."""
    generator = load_generator(settings, BackendChoice("ollama", settings.ollama_model, "chosen by the test"))
    assert isinstance(generator, OllamaGenerator)
    return generator


def settings_for(url: str, model: str = MODEL, context_tokens: int = 2048) -> Settings:
    return Settings(ollama_host=url, ollama_model=model, context_tokens=context_tokens)


@pytest.mark.parametrize(
    ("wanted", "listed"),
    [("llama3", "llama3:latest"), ("llama3:latest", "llama3:latest"), (MODEL, MODEL)],
)
def test_probe_finds_the_model_with_or_without_latest(fake_ollama: FakeOllama, wanted: str, listed: str) -> None:
    fake_ollama.set_models([MODEL, "llama3:latest"], context_length=8192)

    status = probe_ollama(fake_ollama.url, wanted)

    assert status.reachable and status.has_model
    assert status.models == (MODEL, "llama3:latest")
    assert status.context_length == 8192
    assert status.reason == f"Ollama at {fake_ollama.url} has '{listed}'"
    assert fake_ollama.bodies("/api/show")[-1]["model"] == listed


def test_probe_does_not_take_another_tag_for_the_model(fake_ollama: FakeOllama) -> None:
    fake_ollama.set_models(["llama3:latest"])

    status = probe_ollama(fake_ollama.url, "llama3:70b")

    assert status.reachable and not status.has_model


def test_probe_names_the_missing_model_and_what_there_is(fake_ollama: FakeOllama) -> None:
    fake_ollama.set_models([MODEL, "llama3:latest"])

    status = probe_ollama(fake_ollama.url, "mistral")

    assert status.reachable and not status.has_model
    assert status.context_length is None
    assert status.reason == (
        f"Ollama at {fake_ollama.url} has no model 'mistral' "
        f"(it has: {MODEL}, llama3:latest); run `ollama pull mistral`"
    )


def test_probe_reports_a_down_server_without_raising() -> None:
    url = unused_url()

    status = probe_ollama(url, MODEL, timeout=1.0)

    assert not status.reachable and not status.has_model
    assert status.models == ()
    assert status.reason == (f"Ollama at {url} is not reachable (connection refused); start it with `ollama serve`")


@pytest.mark.parametrize(("code", "got"), [(404, "HTTP 404"), (200, "no JSON")])
def test_probe_reports_a_server_that_is_not_ollama(code: int, got: str) -> None:
    class NotOllama(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(code)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"<html")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotOllama)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status = probe_ollama(url, MODEL)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()

    assert not status.reachable and not status.has_model
    assert status.reason == (f"{url} is not an Ollama server (GET /api/tags gave {got}); check CITEWISE_OLLAMA_HOST")


@pytest.mark.parametrize("host", ["localhost:abc", "http://127.0.0.1:99999", "http://[::1", "ftp://127.0.0.1", "", " "])
def test_probe_reports_a_malformed_host_without_raising(host: str) -> None:
    status = probe_ollama(host, MODEL, timeout=1.0)

    assert not status.reachable and not status.has_model and status.models == ()
    assert f"{host.strip()!r} is not a valid Ollama address" in status.reason
    assert "set CITEWISE_OLLAMA_HOST like http://127.0.0.1:11434" in status.reason


def test_a_bare_host_gets_a_scheme_and_ollamas_port() -> None:
    assert base_url("127.0.0.1") == "http://127.0.0.1:11434"
    assert base_url("localhost:5000/") == "http://localhost:5000"
    assert base_url("https://ollama.lan") == "https://ollama.lan"


def test_stream_yields_the_reply_in_order(fake_ollama: FakeOllama) -> None:
    fake_ollama.set_reply("Paris ist die Hauptstadt, sagt Passage [1].")
    generator = OllamaGenerator(fake_ollama.url, MODEL, context_tokens=2048)

    pieces = list(generator.stream(QUESTION, max_tokens=64))

    assert pieces == fake_ollama.pieces()
    assert len(pieces) > 3
    assert "".join(pieces) == "Paris ist die Hauptstadt, sagt Passage [1]."


def test_stream_leaves_ollamas_counts_and_durations_and_the_network_time_apart(fake_ollama: FakeOllama) -> None:
    generator = OllamaGenerator(fake_ollama.url, MODEL, context_tokens=2048)
    assert generator.last_call is None

    pieces = list(generator.stream(QUESTION, max_tokens=64))

    call = generator.last_call
    assert call is not None
    prompt_words = sum(len(m.content.split()) for m in QUESTION)  # the fake's prompt_eval_count
    assert (call.new_tokens, call.generated_tokens) == (prompt_words, len(pieces))
    assert call.cached_tokens is None and call.prompt_tokens is None  # Ollama does not say
    assert call.prompt_eval_ms is not None and call.prompt_eval_ms >= 0
    assert call.generation_ms is not None and call.generation_ms >= 0
    assert call.server_ms is not None and 0 <= call.server_ms <= call.wall_ms
    assert call.network_ms == round(call.wall_ms - call.server_ms, 1) and call.network_ms >= 0


def test_stream_sets_the_context_window_greedy_decoding_and_streaming(
    fake_ollama: FakeOllama,
) -> None:
    generator = OllamaGenerator(fake_ollama.url, MODEL, context_tokens=3072)

    list(generator.stream(QUESTION, max_tokens=50))

    (body,) = fake_ollama.bodies("/api/chat")
    assert body["model"] == MODEL
    assert body["stream"] is True
    assert body["options"]["num_ctx"] == 3072
    assert body["options"]["temperature"] == 0
    assert body["options"]["num_predict"] == 50


def test_stream_sends_each_message_with_its_role(fake_ollama: FakeOllama) -> None:
    messages = [
        Message("system", "Cite passages."),
        Message("user", "First question?"),
        Message("assistant", "First answer."),
        Message("user", "Second question?"),
    ]
    generator = OllamaGenerator(fake_ollama.url, MODEL, context_tokens=2048)

    list(generator.stream(messages, max_tokens=16))

    sent = fake_ollama.bodies("/api/chat")[0]["messages"]
    assert [(m["role"], m["content"]) for m in sent] == [(m.role, m.content) for m in messages]


@pytest.mark.parametrize(
    ("failure", "detail"),
    [
        ("http_500", "(HTTP 500)"),
        ("error_line", RUNNER_CRASH),
        ("disconnect", "stopped answering"),
    ],
)
def test_a_failing_server_raises_backend_unavailable_naming_the_host(
    fake_ollama: FakeOllama, failure: ChatFailure, detail: str
) -> None:
    fake_ollama.fail_chat(failure)
    generator = OllamaGenerator(fake_ollama.url, MODEL, context_tokens=2048)

    with pytest.raises(BackendUnavailable) as raised:
        list(generator.stream(QUESTION, max_tokens=64))

    assert f"Ollama at {fake_ollama.url}" in str(raised.value)
    assert detail in str(raised.value)


def test_a_server_gone_since_connecting_raises_backend_unavailable(
    fake_ollama: FakeOllama,
) -> None:
    generator = connect_ollama(settings_for(fake_ollama.url))
    fake_ollama.stop()

    with pytest.raises(BackendUnavailable) as raised:
        list(generator.stream(QUESTION, max_tokens=64))

    assert str(raised.value) == (
        f"Ollama at {fake_ollama.url} stopped answering (connection refused); check that `ollama serve` is running"
    )


def test_a_model_removed_since_connecting_says_to_pull_it(fake_ollama: FakeOllama) -> None:
    generator = connect_ollama(settings_for(fake_ollama.url))
    fake_ollama.set_models(["llama3:latest"])

    with pytest.raises(BackendUnavailable, match=r"run `ollama pull qwen2\.5:1\.5b-instruct`"):
        list(generator.stream(QUESTION, max_tokens=64))


def test_connect_raises_the_probe_reason_when_the_model_is_missing(
    fake_ollama: FakeOllama,
) -> None:
    fake_ollama.set_models(["llama3:latest"])

    with pytest.raises(BackendUnavailable) as raised:
        connect_ollama(settings_for(fake_ollama.url, model="mistral"))

    assert str(raised.value) == probe_ollama(fake_ollama.url, "mistral").reason
    assert "run `ollama pull mistral`" in str(raised.value)


def test_connect_raises_when_the_server_is_down() -> None:
    with pytest.raises(BackendUnavailable, match="is not reachable"):
        connect_ollama(settings_for(unused_url()))


@pytest.mark.parametrize(("configured", "model_max", "expected"), [(2048, 32768, 2048), (4096, 1024, 1024)])
def test_connect_caps_the_context_at_the_models_own_length(
    fake_ollama: FakeOllama, configured: int, model_max: int, expected: int
) -> None:
    fake_ollama.set_models([MODEL], context_length=model_max)

    generator = connect_ollama(settings_for(fake_ollama.url, context_tokens=configured))
    list(generator.stream(QUESTION, max_tokens=16))

    assert generator.backend == "ollama" and generator.model == MODEL
    assert generator.context_tokens == expected
    assert fake_ollama.bodies("/api/chat")[0]["options"]["num_ctx"] == expected


def test_count_tokens_over_estimates_at_three_utf8_bytes_a_token() -> None:
    generator = OllamaGenerator("http://127.0.0.1:11434", MODEL, context_tokens=2048)

    assert generator.count_tokens("") == 0
    assert generator.count_tokens("abcd") == 2
    assert generator.count_tokens("éé") == 2


def test_the_fake_answers_like_ollama_outside_the_api(fake_ollama: FakeOllama) -> None:
    assert httpx.get(fake_ollama.url).text == "Ollama is running"
    assert httpx.head(fake_ollama.url).status_code == 200
    assert "version" in httpx.get(f"{fake_ollama.url}/api/version").json()
    reply = httpx.post(
        f"{fake_ollama.url}/api/chat",
        json={"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "stream": False},
    ).json()
    assert reply["message"]["content"] == "".join(fake_ollama.pieces())
    assert reply["done"] is True and reply["done_reason"] == "stop"


@pytest.mark.parametrize("chance", [0.93, 0.12])
def test_the_judge_reads_p_true_from_ollamas_logprobs_in_one_token(fake_ollama: FakeOllama, chance: float) -> None:
    fake_ollama.judge_chance = chance
    generator = connect_ollama(settings_for(fake_ollama.url))
    assert generator.chance_true(QUESTION) == pytest.approx(chance)
    [body] = fake_ollama.bodies("/api/chat")
    assert (body["logprobs"], body["stream"], body["options"]["num_predict"]) == (True, False, 1)
    assert body["top_logprobs"] > 0 and body["options"]["temperature"] == 0


def test_the_judge_on_an_ollama_that_is_gone_is_backend_unavailable(fake_ollama: FakeOllama) -> None:
    generator = connect_ollama(settings_for(fake_ollama.url))
    fake_ollama.stop()
    with pytest.raises(BackendUnavailable, match="stopped answering"):
        generator.chance_true(QUESTION)
