"""The API's read-only routes over saved conversations: list, one with its turns, and its Markdown export, behind
the server's token and same-origin rules like every route."""

from collections.abc import Callable
from pathlib import Path

import httpx

from citewise.core.settings import Settings
from citewise.service import Citewise
from tests.api.conftest import index_folder
from tests.fakes.ollama_server import DEFAULT_MODEL, FakeOllama
from tests.processes import citewise_env, serving_api

TOKEN = "s3cret-token-for-tests"
QUESTION = "How many parameters did GPT-1 have?"


def test_conversations_are_listed_opened_and_exported_with_the_token(
    tmp_path: Path, make_settings: Callable[..., Settings], embedding_model: str, ollama: FakeOllama
) -> None:
    ollama.set_reply("GPT-1 had 117 million parameters.")
    data = index_folder(tmp_path / "data", tmp_path / "docs", make_settings)
    env = citewise_env(data, CITEWISE_API_TOKEN=TOKEN, CITEWISE_LLM="ollama", CITEWISE_OLLAMA_HOST=ollama.url)
    with serving_api(env, tmp_path / "serve.log", token=TOKEN) as (url, _):
        # Saved by another process (as the web UI or `citewise ask` would) while the server runs.
        settings = make_settings(data, llm="ollama", ollama_host=ollama.url, ollama_model=DEFAULT_MODEL)
        service = Citewise(settings)
        conversation, _ = service.save_turn(None, QUESTION, service.ask(QUESTION))

        with httpx.Client(base_url=url, trust_env=False, timeout=60) as http:
            for path in ("/v1/conversations", f"/v1/conversations/{conversation}/export"):
                assert http.get(path).status_code == 401, path
            auth = {"Authorization": f"Bearer {TOKEN}"}
            rebound = http.get("/v1/conversations", headers={**auth, "Host": "attacker.example"})
            assert rebound.status_code == 400

            [listed] = http.get("/v1/conversations", headers=auth).json()
            assert (listed["id"], listed["title"], listed["turns"]) == (conversation, QUESTION, 1)
            [turn] = http.get(f"/v1/conversations/{conversation}", headers=auth).json()["turns"]
            assert turn["answer"] == "GPT-1 had 117 million parameters. [1]"
            assert turn["citations"][0]["quote"] == "GPT-1 had 117 million parameters."

            exported = http.get(f"/v1/conversations/{conversation}/export", headers=auth)
            assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/markdown")
            assert exported.headers["content-disposition"] == (
                'attachment; filename="how-many-parameters-did-gpt-1-have.md"'
            )
            assert exported.text.startswith("# How many parameters did GPT\\-1 have\\?\n")
            one = http.get(f"/v1/conversations/{conversation}/export", params={"answer": 2}, headers=auth)
            assert one.status_code == 404 and "not an answer 2" in one.json()["error"]["message"]

            missing = http.get("/v1/conversations/0123456789abcdef", headers=auth)
            assert missing.status_code == 404
            assert missing.json()["error"]["code"] == "conversation_not_found"
