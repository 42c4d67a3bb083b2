"""OpenAI's own client asks `citewise serve`: cited answers, streamed and not, refusals, follow-ups."""

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from openai import OpenAI

from tests.fakes.ollama_server import FakeOllama

QUESTION = "How many parameters did GPT-1 have?"
SUPPORTED = "GPT-1 had 117 million parameters."
SECOND = "GPT-2 followed in 2019 with 1.5 billion parameters."
UNSUPPORTED = "It was trained on the moon by a team of robots."  # no passage says so: the verifier drops it


@pytest.fixture
def client(api_url: str) -> Iterator[OpenAI]:
    with httpx.Client(trust_env=False, timeout=120) as http:
        yield OpenAI(base_url=f"{api_url}/v1", api_key="not-needed-on-loopback", http_client=http, max_retries=0)


def test_openai_client_lists_the_model(client: OpenAI) -> None:
    assert [model.id for model in client.models.list()] == ["citewise"]


def test_a_streamed_answer_carries_only_verified_text_and_its_citations(client: OpenAI, ollama: FakeOllama) -> None:
    ollama.set_reply(f"{SUPPORTED} {UNSUPPORTED} {SECOND}")
    stream = client.chat.completions.create(
        model="citewise", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)

    pieces = [chunk.choices[0].delta.content for chunk in chunks if chunk.choices[0].delta.content]
    # One verified sentence a chunk, each with its marker; the unsupported draft sentence never reaches the client.
    assert pieces == [f"{SUPPORTED} [1]", f" {SECOND} [2]"]
    assert chunks[0].choices[0].delta.role == "assistant"
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    extra = final.model_extra or {}
    assert extra["refused"] is False
    first, second = extra["citations"]
    assert [first["n"], second["n"]] == [1, 2]
    assert first["source"].endswith("model-history.md") and first["title"] == "Language model history"
    for citation in (first, second):
        start, end = citation["span"]
        assert citation["quote"] == citation["text"][start:end]
    assert "GPT-1 had 117 million parameters" in first["quote"] and "1.5 billion" in second["quote"]
    assert all(not (chunk.model_extra or {}).get("citations") for chunk in chunks[:-1])


def test_a_verified_sentence_is_streamed_while_the_model_writes_the_next(client: OpenAI, ollama: FakeOllama) -> None:
    ollama.set_reply(f"{SUPPORTED} {SECOND}")
    ollama.pause_after(f"{SUPPORTED} GPT-2")  # the first sentence is closed; the model writes on
    ollama.replied.clear()  # the fake serves the whole module: an earlier reply set it
    try:
        stream = client.chat.completions.create(
            model="citewise", messages=[{"role": "user", "content": QUESTION}], stream=True
        )
        first = next(chunk.choices[0].delta.content for chunk in stream if chunk.choices[0].delta.content)
        model_done_at_first_piece = ollama.replied.is_set()
    finally:
        ollama.resume()
    rest = [chunk.choices[0].delta.content for chunk in stream if chunk.choices[0].delta.content]

    assert first == f"{SUPPORTED} [1]"
    assert not model_done_at_first_piece  # verified and sent before the model finished
    assert rest == [f" {SECOND} [2]"]


def test_a_non_streamed_answer_is_a_chat_completion_with_citations(client: OpenAI, ollama: FakeOllama) -> None:
    ollama.set_reply(SUPPORTED)
    completion = client.chat.completions.create(model="citewise", messages=[{"role": "user", "content": QUESTION}])

    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == f"{SUPPORTED} [1]"
    extra = completion.model_extra or {}
    assert extra["refused"] is False
    assert [c["n"] for c in extra["citations"]] == [1]
    assert extra["citations"][0]["chunk_id"]


@pytest.mark.parametrize("stream", [False, True])
def test_a_question_the_documents_do_not_answer_is_refused(client: OpenAI, ollama: FakeOllama, stream: bool) -> None:
    ollama.set_reply("Mercury boils at 357 degrees Celsius.")
    messages = [{"role": "user", "content": "At what temperature does mercury boil?"}]
    if stream:
        chunks = list(client.chat.completions.create(model="citewise", messages=messages, stream=True))
        text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
        extra = chunks[-1].model_extra or {}
    else:
        completion = client.chat.completions.create(model="citewise", messages=messages)
        text, extra = completion.choices[0].message.content or "", completion.model_extra or {}
    assert extra["refused"] is True and extra["citations"] == []
    assert text and "357" not in text  # the refusal says the documents don't say, not the model's guess


def test_earlier_turns_are_the_history_of_a_follow_up(client: OpenAI, ollama: FakeOllama) -> None:
    ollama.set_reply(SUPPORTED)
    before = len(ollama.bodies("/api/chat"))
    client.chat.completions.create(
        model="citewise",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "When was GPT-1 released?"},
            {"role": "assistant", "content": "GPT-1 was released by OpenAI in 2018. [1]"},
            {"role": "user", "content": "How many parameters did it have?"},
        ],
    )
    rewrite, _answer = ollama.bodies("/api/chat")[before:]
    prompt = rewrite["messages"][-1]["content"]
    assert "User: When was GPT-1 released?" in prompt
    assert "Assistant: GPT-1 was released by OpenAI in 2018." in prompt
    assert "Last question: How many parameters did it have?" in prompt


def test_the_stream_is_openai_server_sent_events(http: httpx.Client, ollama: FakeOllama) -> None:
    ollama.set_reply(SUPPORTED)
    body = {"model": "citewise", "messages": [{"role": "user", "content": QUESTION}], "stream": True}
    with http.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = response.read().decode()
    events = [event for event in raw.split("\n\n") if event]
    assert all(event.startswith("data: ") for event in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(event.removeprefix("data: ")) for event in events[:-1]]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk["id"] for chunk in chunks}) == 1


def test_questions_asked_at_once_are_each_answered(api_url: str, ollama: FakeOllama) -> None:
    ollama.set_reply(SUPPORTED)
    body = {"model": "citewise", "messages": [{"role": "user", "content": QUESTION}]}

    def ask(_: int) -> dict:
        with httpx.Client(base_url=api_url, trust_env=False, timeout=120) as http:
            return http.post("/v1/chat/completions", json=body).json()

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(ask, range(3)))
    assert [a["choices"][0]["message"]["content"] for a in answers] == [f"{SUPPORTED} [1]"] * 3
    assert len({a["id"] for a in answers}) == 3


def test_a_request_that_is_not_a_question_is_an_openai_error(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", json={"model": "citewise", "messages": []})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "messages" in response.json()["error"]["message"]

    last_is_answer = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    response = http.post("/v1/chat/completions", json={"model": "citewise", "messages": last_is_answer})
    assert response.status_code == 400
    assert "last message must be the user's question" in response.json()["error"]["message"]

    response = http.post(
        "/v1/chat/completions", json={"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"
