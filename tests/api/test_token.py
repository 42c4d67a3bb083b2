"""Beyond loopback `citewise serve` needs CITEWISE_API_TOKEN, and then every request must send it."""

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from openai import AuthenticationError, OpenAI

from citewise.core.settings import Settings
from tests.api.conftest import index_folder
from tests.processes import citewise, citewise_env, running_api

TOKEN = "s3cret-token-for-tests"
NOBODY = "http://127.0.0.1:9"  # the discard port: no Ollama answers


def test_bound_to_every_address_it_answers_only_requests_with_the_token(
    tmp_path: Path, make_settings: Callable[..., Settings], embedding_model: str
) -> None:
    data = index_folder(tmp_path / "data", tmp_path / "docs", make_settings)
    env = citewise_env(data, CITEWISE_API_TOKEN=TOKEN, CITEWISE_LLM="ollama", CITEWISE_OLLAMA_HOST=NOBODY)
    with running_api(env, tmp_path / "serve.log", host="0.0.0.0", token=TOKEN) as url:
        with httpx.Client(base_url=url, trust_env=False, timeout=60) as http:
            for path in ("/v1/documents", "/v1/status", "/openapi.json", "/docs"):
                response = http.get(path)
                assert response.status_code == 401, path
                assert response.headers["www-authenticate"] == "Bearer"
                error = response.json()["error"]
                assert error["code"] == "invalid_api_key" and "CITEWISE_API_TOKEN" in error["message"]
            wrong = http.get("/v1/documents", headers={"Authorization": "Bearer not-the-token"})
            assert wrong.status_code == 401
            right = http.get("/v1/documents", headers={"Authorization": f"Bearer {TOKEN}"})
            assert right.status_code == 200 and right.json()[0]["title"] == "Language model history"
            search = http.post("/v1/search", json={"query": "GPT-2"}, headers={"Authorization": f"Bearer {TOKEN}"})
            assert search.status_code == 200

        with httpx.Client(trust_env=False, timeout=60) as client:
            rejected = OpenAI(base_url=f"{url}/v1", api_key="wrong", http_client=client, max_retries=0)
            with pytest.raises(AuthenticationError):
                rejected.models.list()
            accepted = OpenAI(base_url=f"{url}/v1", api_key=TOKEN, http_client=client, max_retries=0)
            assert [model.id for model in accepted.models.list()] == ["citewise"]


def test_on_loopback_a_set_token_is_required_too_and_a_missing_model_is_a_503(
    tmp_path: Path, make_settings: Callable[..., Settings], embedding_model: str
) -> None:
    env = citewise_env(tmp_path / "data", CITEWISE_API_TOKEN=TOKEN, CITEWISE_LLM="ollama", CITEWISE_OLLAMA_HOST=NOBODY)
    with (
        running_api(env, tmp_path / "serve.log", token=TOKEN) as url,
        httpx.Client(base_url=url, trust_env=False, timeout=60) as http,
    ):
        assert http.get("/v1/models").status_code == 401
        auth = {"Authorization": f"bearer {TOKEN}"}
        assert http.get("/v1/models", headers=auth).status_code == 200
        # No model can answer (Ollama is down): a 503 saying so, before any stream begins.
        for stream in (False, True):
            question = {"model": "citewise", "messages": [{"role": "user", "content": "Hi?"}], "stream": stream}
            response = http.post("/v1/chat/completions", json=question, headers=auth)
            assert response.status_code == 503
            assert response.json()["error"]["type"] == "backend_unavailable"
            assert NOBODY in response.json()["error"]["message"]


def test_it_refuses_to_serve_beyond_loopback_without_a_token(tmp_path: Path) -> None:
    for unset in ({}, {"CITEWISE_API_TOKEN": "  "}):
        done = citewise("serve", "--host", "0.0.0.0", "--port", "9", env=citewise_env(tmp_path / "data", **unset))
        assert done.returncode == 2
        assert "--host 0.0.0.0 can be reached from the network" in done.stderr
        assert "set CITEWISE_API_TOKEN" in done.stderr
        assert "citewise API on" not in done.stderr
