"""`citewise serve` answers only requests addressed to its own names, and changes nothing for a page of another
site: a real server, real HTTP requests on 127.0.0.1 that carry what a browser would send."""

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from citewise.core.settings import Settings
from tests.api.conftest import served_index
from tests.fakes.ollama_server import FakeOllama

KETTLE = b"# Kettle care\n\nDescale the kettle every month with citric acid so the element stays clean.\n"
ALLOWED = "citewise.lan"  # --allowed-host: the server's name on a network (behind a proxy, say)


@pytest.fixture(scope="module")
def guarded_url(
    tmp_path_factory: pytest.TempPathFactory,
    ollama: FakeOllama,
    make_settings: Callable[..., Settings],
    embedding_model: str,
) -> Iterator[str]:
    root = tmp_path_factory.mktemp("same-origin")
    with served_index(root, make_settings, ollama.url, args=["--allowed-host", ALLOWED]) as (url, _):
        yield url


@pytest.fixture
def api(guarded_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=guarded_url, trust_env=False, timeout=120) as client:
        yield client


def sources(api: httpx.Client) -> set[str]:
    return {document["source"] for document in api.get("/v1/documents").json()}


def test_a_rebound_name_is_refused(api: httpx.Client, guarded_url: str) -> None:
    """DNS rebinding: a page of evil.example, its name now pointing at 127.0.0.1, reads with its own Host."""
    port = urlsplit(guarded_url).port
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example", "localhost@evil.example"):
        response = api.get("/v1/documents", headers={"Host": host})
        assert response.status_code == 400, host
        error = response.json()["error"]
        assert error["code"] == "host_not_allowed" and "--allowed-host" in error["message"], host
        assert "model-history" not in response.text
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "localhost", ALLOWED, f"{ALLOWED}:80"):
        assert api.get("/v1/documents", headers={"Host": host}).status_code == 200, host


def test_a_page_of_another_site_cannot_upload_delete_or_ask(api: httpx.Client, guarded_url: str) -> None:
    port = urlsplit(guarded_url).port
    files = [("files", ("kettle.md", KETTLE, "text/markdown"))]
    before = sources(api)
    others = [
        {"Origin": "http://evil.example"},
        {"Origin": f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}"},  # another origin on this machine
        {"Origin": "null"},  # a sandboxed frame, a file:// page
        {"Referer": "http://evil.example/page.html"},  # no Origin: the Referer says where it came from
    ]
    for headers in others:
        response = api.post("/v1/documents", files=files, headers=headers)
        assert response.status_code == 403, headers
        assert response.json()["error"]["code"] == "cross_origin_request", headers
    assert sources(api) == before  # nothing was added

    history = next(source for source in before if source.endswith("model-history.md"))
    deleted = api.delete("/v1/documents", params={"source": history}, headers={"Origin": "http://evil.example"})
    assert deleted.status_code == 403 and sources(api) == before
    question = {"model": "citewise", "messages": [{"role": "user", "content": "What is GPT-1?"}]}
    asked = api.post("/v1/chat/completions", json=question, headers={"Origin": "https://evil.example"})
    assert asked.status_code == 403


def test_the_server_s_own_origin_and_programs_without_one_still_work(
    api: httpx.Client, guarded_url: str, ollama: FakeOllama
) -> None:
    same = api.post(
        "/v1/documents",
        files=[("files", ("kettle.md", KETTLE, "text/markdown"))],
        headers={"Origin": guarded_url, "Referer": f"{guarded_url}/somewhere"},
    )
    assert same.status_code == 200 and same.json()["files"][0]["status"] in ("added", "unchanged")
    ollama.set_reply("Descale the kettle every month with citric acid.")
    question = {"model": "citewise", "messages": [{"role": "user", "content": "How often do I descale the kettle?"}]}
    assert api.post("/v1/chat/completions", json=question).status_code == 200  # no Origin: curl, the openai client
    assert api.post("/v1/search", json={"query": "kettle"}, headers={"Referer": f"{guarded_url}/"}).status_code == 200
    kettle = same.json()["files"][0]["source"]
    assert api.delete("/v1/documents", params={"source": kettle}, headers={"Origin": guarded_url}).status_code == 200


def test_the_schema_is_served_and_no_page_loads_code_from_a_cdn(api: httpx.Client) -> None:
    assert api.get("/openapi.json").status_code == 200
    for page in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        response = api.get(page)
        assert response.status_code == 404, page
        assert "cdn" not in response.text.lower()
