"""The OpenAI-compatible backend (vLLM, llama-server) against a local server speaking that wire format."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from citewise.answer.llm.base import BackendUnavailable, Message
from citewise.answer.llm.ollama import OllamaStatus
from citewise.answer.llm.openai_compatible import OpenAIGenerator, probe_openai
from citewise.answer.llm.select import BackendChoice, choose_backend, load_generator
from citewise.core.settings import Settings
from citewise.service import Citewise, Status
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.openai_server import DEFAULT_MODEL, MAX_MODEL_LEN, FakeOpenAIServer
from tests.local_http import free_port

QUESTION = [Message("system", "Answer from the passages."), Message("user", "Capital of France?")]
HISTORY = "# Model history\n\nGPT-1 was released by OpenAI in 2018. GPT-1 had 117 million parameters.\n"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def _settings(make_settings, data: Path, url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {"llm": "openai", "openai_base_url": url, "openai_model": DEFAULT_MODEL}
    return make_settings(data, **(values | overrides))


def test_probe_lists_the_models_and_vllms_context_length(server: FakeOpenAIServer) -> None:
    status = probe_openai(server.url, DEFAULT_MODEL)
    assert (status.reachable, status.has_model, status.models) == (True, True, (DEFAULT_MODEL,))
    assert status.context_length == MAX_MODEL_LEN


def test_probe_names_what_is_served_when_the_model_is_not(server: FakeOpenAIServer) -> None:
    status = probe_openai(server.url, "llama3")
    assert status.reachable and not status.has_model
    assert f"does not serve 'llama3' (it serves: {DEFAULT_MODEL}); set CITEWISE_OPENAI_MODEL" in status.reason


def test_probe_never_raises_for_a_server_that_is_down_or_speaks_something_else() -> None:
    down = probe_openai(f"http://127.0.0.1:{free_port()}/v1", DEFAULT_MODEL)
    assert not down.reachable and "is not reachable" in down.reason
    with FakeOllama() as ollama:
        other = probe_openai(f"{ollama.url}/v1", DEFAULT_MODEL)
    assert not other.reachable and "GET /models gave HTTP 404" in other.reason


def test_generator_streams_greedy_with_a_token_cap(server: FakeOpenAIServer) -> None:
    server.reply = "Paris is the capital of France."
    pieces = list(OpenAIGenerator(server.url, DEFAULT_MODEL, None, 4096).stream(QUESTION, max_tokens=64))

    assert len(pieces) > 1 and "".join(pieces) == "Paris is the capital of France."
    [body] = server.bodies
    assert body["model"] == DEFAULT_MODEL and body["stream"] is True and body["temperature"] == 0
    assert body["max_tokens"] == body["max_completion_tokens"] == 64


@pytest.mark.parametrize("cached", [None, 3])
def test_stream_reads_the_token_counts_from_the_usage_chunk_and_no_timing(
    server: FakeOpenAIServer, cached: int | None
) -> None:
    server.cached_tokens = cached
    generator = OpenAIGenerator(server.url, DEFAULT_MODEL, None, 4096)

    pieces = list(generator.stream(QUESTION, max_tokens=64))

    [body] = server.bodies
    assert body["stream_options"] == {"include_usage": True}
    call = generator.last_call
    assert call is not None
    prompt_words = sum(len(m.content.split()) for m in QUESTION)  # the fake's prompt_tokens
    assert (call.prompt_tokens, call.generated_tokens, call.cached_tokens) == (prompt_words, len(pieces), cached)
    assert call.new_tokens == (None if cached is None else prompt_words - cached)
    assert call.prompt_eval_ms is call.generation_ms is call.server_ms is call.network_ms is None
    assert call.wall_ms >= 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


def test_a_model_gone_since_loading_says_which_setting_to_change(server: FakeOpenAIServer) -> None:
    generator = OpenAIGenerator(server.url, DEFAULT_MODEL, None, 4096)
    server.models = ["other"]
    with pytest.raises(BackendUnavailable, match=rf"has no model '{DEFAULT_MODEL}' .*set CITEWISE_OPENAI_MODEL"):
        list(generator.stream(QUESTION, max_tokens=16))


def test_a_server_gone_since_loading_raises_backend_unavailable(server: FakeOpenAIServer) -> None:
    generator = OpenAIGenerator(server.url, DEFAULT_MODEL, None, 4096)
    server.stop()
    with pytest.raises(BackendUnavailable, match="stopped answering"):
        list(generator.stream(QUESTION, max_tokens=16))


def test_choosing_openai_needs_its_url_and_model(tmp_path: Path, make_settings) -> None:
    with pytest.raises(BackendUnavailable, match="needs CITEWISE_OPENAI_BASE_URL"):
        choose_backend(make_settings(tmp_path, llm="openai"))
    with pytest.raises(BackendUnavailable, match="needs CITEWISE_OPENAI_MODEL"):
        choose_backend(make_settings(tmp_path, llm="openai", openai_base_url="http://127.0.0.1:9/v1"))


def test_openai_is_chosen_and_loaded_with_the_servers_context_cap(
    server: FakeOpenAIServer, tmp_path: Path, make_settings
) -> None:
    settings = _settings(make_settings, tmp_path, server.url, context_tokens=MAX_MODEL_LEN * 2)
    choice = choose_backend(settings)
    assert (choice.backend, choice.model) == ("openai", DEFAULT_MODEL)
    generator = load_generator(settings, choice)
    assert generator.context_tokens == MAX_MODEL_LEN


def test_a_forced_openai_backend_that_is_down_says_why(tmp_path: Path, make_settings) -> None:
    settings = _settings(make_settings, tmp_path, f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(BackendUnavailable, match=r"is not reachable .*start the model server"):
        load_generator(settings, BackendChoice("openai", DEFAULT_MODEL, "chosen by the test"))


def test_a_server_that_lists_models_without_names_fails_in_one_line_naming_the_settings(
    server: FakeOpenAIServer, tmp_path: Path, make_settings
) -> None:
    """The client library raises a TypeError on such a listing: no traceback reaches the user."""
    server.listing = [{"object": "model"}]
    with pytest.raises(BackendUnavailable) as raised:
        choose_backend(_settings(make_settings, tmp_path, server.url))
    message = str(raised.value)
    assert message.startswith("the openai backend failed to load (TypeError: ")
    assert "check CITEWISE_OPENAI_BASE_URL and CITEWISE_OPENAI_MODEL" in message and "\n" not in message


def test_an_answer_from_the_server_is_verified_and_cited(
    server: FakeOpenAIServer, tmp_path: Path, make_settings, embedding_model: str
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "history.md").write_text(HISTORY, encoding="utf-8")
    service = Citewise(_settings(make_settings, tmp_path / "data", server.url))
    assert not service.ingest([docs]).failed
    server.reply = "GPT-1 had 117 million parameters."

    answer = service.ask("How many parameters did GPT-1 have?")

    assert (answer.backend, answer.model) == ("openai", DEFAULT_MODEL)
    assert not answer.refused and answer.answer == "GPT-1 had 117 million parameters. [1]"
    assert "117 million parameters" in answer.citations[0].text
    assert "GPT-1 had 117 million parameters." in server.bodies[0]["messages"][1]["content"]


def _status(settings: Settings, folder: Path) -> Status:
    """A status as `Citewise.status()` makes it, without asking any server (the notice needs settings alone)."""
    ollama = OllamaStatus(False, False, (), None, "not asked")
    return Status(settings, "default", "", 0, 0, None, None, ollama, folder, folder)


def test_a_server_on_another_machine_is_named_in_the_status(tmp_path: Path, make_settings) -> None:
    remote = _status(_settings(make_settings, tmp_path, "http://gpu-box.example:8000/v1"), tmp_path)
    assert remote.remote_notice is not None
    assert remote.remote_notice.startswith(
        "answers are generated on http://gpu-box.example:8000/v1 (CITEWISE_OPENAI_BASE_URL) once it is reachable"
    )
    local = _status(_settings(make_settings, tmp_path, "http://127.0.0.1:8000/v1"), tmp_path)
    assert local.remote_notice is None


def test_a_malformed_server_url_is_refused_naming_the_setting(tmp_path: Path, make_settings) -> None:
    with pytest.raises(ValueError, match="it has no http:// or https://"):
        make_settings(tmp_path, openai_base_url="gpu-box:8000/v1")


@pytest.mark.parametrize("chance", [0.88, 0.07])
def test_the_judge_reads_p_true_from_the_servers_top_logprobs(server: FakeOpenAIServer, chance: float) -> None:
    server.judge_chance = chance
    assert OpenAIGenerator(server.url, DEFAULT_MODEL, None, 4096).chance_true(QUESTION) == pytest.approx(chance)
    [body] = server.bodies
    assert (body["logprobs"], body["max_tokens"], body["temperature"]) == (True, 1, 0)
    assert body["top_logprobs"] > 0 and not body.get("stream")


@pytest.mark.parametrize(("word_chance", "expected"), [(0.8, 1.0), (0.2, 0.0)])
def test_a_server_without_logprobs_leaves_the_judge_its_one_word(
    server: FakeOpenAIServer, word_chance: float, expected: float
) -> None:
    server.judge_chance, server.judge_reply_chance = None, word_chance
    assert OpenAIGenerator(server.url, DEFAULT_MODEL, None, 4096).chance_true(QUESTION) == expected


def test_the_judge_on_a_server_that_is_gone_is_backend_unavailable(server: FakeOpenAIServer) -> None:
    generator = OpenAIGenerator(server.url, DEFAULT_MODEL, None, 4096)
    server.stop()
    with pytest.raises(BackendUnavailable, match="stopped answering"):
        generator.chance_true(QUESTION)
