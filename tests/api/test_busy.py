"""A busy model does not stall `citewise serve`: questions wait in a bounded queue of their own, the other routes
answer meanwhile, and a client that goes away stops its answer (a slow fake Ollama, its real wire format)."""

import http.client
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest

from citewise.core.settings import Settings
from tests.api.conftest import served_index
from tests.fakes.ollama_server import FakeOllama
from tests.processes import wait_for

# One more question than the threads the routes share (anyio's default limiter, 40): with the questions in
# that pool, every thread would wait for the model, and nothing else would be answered.
QUEUE = 41
QUESTION = "How many parameters did GPT-1 have?"
SUPPORTED = "GPT-1 had 117 million parameters."
SECOND = "GPT-2 followed in 2019 with 1.5 billion parameters."
UNSUPPORTED = "It was trained on the moon by a team of robots."  # dropped by the verifier: nothing is sent for it
WAIT_S = 120  # bounds every wait; the model's reply takes far longer than that to finish unless it is stopped


@pytest.fixture(scope="module")
def slow_ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as fake:
        yield fake


@pytest.fixture(scope="module")
def busy_url(
    tmp_path_factory: pytest.TempPathFactory,
    slow_ollama: FakeOllama,
    make_settings: Callable[..., Settings],
    embedding_model: str,
) -> Iterator[str]:
    root = tmp_path_factory.mktemp("busy")
    with served_index(root, make_settings, slow_ollama.url, CITEWISE_API_QUEUE=str(QUEUE)) as (url, _):
        yield url


def question(stream: bool = False) -> dict:
    return {"model": "citewise", "messages": [{"role": "user", "content": QUESTION}], "stream": stream}


def test_while_the_model_is_busy_the_other_routes_answer_and_a_full_queue_is_a_503(
    busy_url: str, slow_ollama: FakeOllama
) -> None:
    slow_ollama.set_piece_delay(0)
    slow_ollama.set_reply(f"{SUPPORTED} {SECOND}")
    slow_ollama.pause_after(SUPPORTED, timeout_s=4 * WAIT_S)  # every answer stops mid-way until resume()
    asked_before = len(slow_ollama.bodies("/api/chat"))

    def ask(_: int) -> httpx.Response:
        with httpx.Client(base_url=busy_url, trust_env=False, timeout=4 * WAIT_S) as client:
            return client.post("/v1/chat/completions", json=question())

    with ThreadPoolExecutor(QUEUE) as pool, httpx.Client(base_url=busy_url, trust_env=False, timeout=WAIT_S) as api:
        asking = [pool.submit(ask, n) for n in range(QUEUE)]
        try:
            waiting = lambda: len(slow_ollama.bodies("/api/chat")) - asked_before == QUEUE  # noqa: E731
            wait_for(waiting, f"all {QUEUE} questions to reach the model", timeout=WAIT_S)

            assert api.get("/v1/models").status_code == 200
            assert api.get("/v1/documents").status_code == 200
            assert api.get("/v1/status").status_code == 200
            assert api.post("/v1/search", json={"query": "GPT-2"}).status_code == 200
            refused = api.post("/v1/chat/completions", json=question(stream=True))
            assert not any(answer.done() for answer in asking)  # all of that while the model was busy
        finally:
            slow_ollama.resume()
        answers = [answer.result() for answer in asking]

    assert refused.status_code == 503
    assert refused.headers["retry-after"].isdigit()
    error = refused.json()["error"]
    assert error["code"] == "queue_full" and "CITEWISE_API_QUEUE" in error["message"]
    assert {answer.status_code for answer in answers} == {200}
    assert {answer.json()["choices"][0]["message"]["content"] for answer in answers} == {
        f"{SUPPORTED} [1] {SECOND} [2]"
    }


@pytest.mark.parametrize("stream", [True, False])
def test_a_client_that_goes_away_stops_the_model(busy_url: str, slow_ollama: FakeOllama, stream: bool) -> None:
    slow_ollama.resume()  # no pause
    slow_ollama.set_reply(" ".join([SUPPORTED, *[UNSUPPORTED] * 10]))  # ~110 pieces, one every 0.2 s
    slow_ollama.set_piece_delay(0.2)
    slow_ollama.replied.clear()
    cut_before = len(slow_ollama.cut_off)
    try:
        if stream:
            with (
                httpx.Client(base_url=busy_url, trust_env=False, timeout=WAIT_S) as client,
                client.stream("POST", "/v1/chat/completions", json=question(stream=True)) as response,
            ):
                assert response.status_code == 200
                for line in response.iter_lines():
                    if SUPPORTED in line:  # the first verified sentence: the model writes on
                        break  # and the client goes away
        else:
            asked_before = len(slow_ollama.bodies("/api/chat"))
            address = urlsplit(busy_url)
            connection = http.client.HTTPConnection(address.hostname, address.port, timeout=WAIT_S)
            body = json.dumps(question()).encode()
            connection.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
            wait_for(lambda: len(slow_ollama.bodies("/api/chat")) > asked_before, "the question to reach the model")
            connection.close()  # the client goes away before the answer
        wait_for(lambda: len(slow_ollama.cut_off) > cut_before or slow_ollama.replied.is_set(), "the reply's end")
    finally:
        slow_ollama.set_piece_delay(0)

    assert not slow_ollama.replied.is_set()  # the model did not write its reply to the end
    pieces = len(slow_ollama.pieces())
    assert len(slow_ollama.cut_off) == cut_before + 1 and slow_ollama.cut_off[-1] < pieces
