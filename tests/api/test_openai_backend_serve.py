"""`citewise serve` answering through an OpenAI-compatible model server (vLLM's wire format), asked by
OpenAI's own client: the whole path a team setup takes, with the installed `openai` release on both ends."""

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from citewise.core.settings import Settings
from tests.api.conftest import index_folder
from tests.fakes.openai_server import DEFAULT_MODEL, FakeOpenAIServer
from tests.processes import citewise, citewise_env, running_api


@pytest.fixture
def model_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def _env(data: Path, model_server: FakeOpenAIServer) -> dict[str, str]:
    return citewise_env(
        data, CITEWISE_LLM="openai", CITEWISE_OPENAI_BASE_URL=model_server.url, CITEWISE_OPENAI_MODEL=DEFAULT_MODEL
    )


def test_serve_on_an_openai_compatible_backend_answers_with_citations(
    tmp_path: Path, model_server: FakeOpenAIServer, make_settings: Callable[..., Settings], embedding_model: str
) -> None:
    data = index_folder(tmp_path / "data", tmp_path / "docs", make_settings)
    model_server.reply = "GPT-1 had 117 million parameters."
    with running_api(_env(data, model_server), tmp_path / "serve.log") as url, httpx.Client(trust_env=False) as http:
        client = OpenAI(base_url=f"{url}/v1", api_key="not-needed-on-loopback", http_client=http, max_retries=0)
        reply = client.chat.completions.create(
            model="citewise", messages=[{"role": "user", "content": "How many parameters did GPT-1 have?"}]
        )

    assert reply.choices[0].message.content == "GPT-1 had 117 million parameters. [1]"
    extra = reply.model_extra or {}
    assert extra["refused"] is False
    [citation] = extra["citations"]
    assert citation["source"].endswith("model-history.md") and "117 million parameters" in citation["quote"]
    [body] = model_server.bodies  # the model server was asked once, with the passage as evidence
    assert body["model"] == DEFAULT_MODEL and "GPT-1 had 117 million parameters." in str(body["messages"])
    assert "answers: openai Qwen/Qwen2.5-7B-Instruct" in (tmp_path / "serve.log").read_text()


def test_a_model_server_that_fails_at_load_is_one_line_not_a_traceback(
    tmp_path: Path, model_server: FakeOpenAIServer, make_settings: Callable[..., Settings], embedding_model: str
) -> None:
    data = index_folder(tmp_path / "data", tmp_path / "docs", make_settings)
    model_server.listing = [{"object": "model"}]  # entries without a name: the client library raises TypeError

    done = citewise("ask", "How many parameters did GPT-1 have?", env=_env(data, model_server))

    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("Error: the openai backend failed to load (TypeError: ")
    assert line.endswith(
        "check CITEWISE_OPENAI_BASE_URL and CITEWISE_OPENAI_MODEL, or choose another backend with CITEWISE_LLM"
    )
