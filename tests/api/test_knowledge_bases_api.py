"""Knowledge bases over a real `citewise serve`: OpenAI's own client asks `citewise/papers` and gets citations
from that base only; `kb` on the search and document routes; one model per base; an unknown base is a 404."""

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openai
import pytest
from openai import OpenAI

from citewise.core.settings import Settings
from citewise.service import Citewise
from tests.api.conftest import MODELS_HISTORY
from tests.fakes.openai_server import DEFAULT_MODEL, FakeOpenAIServer
from tests.processes import citewise_env, running_api

# The same file name in the default base, saying something else about GPT-1.
OTHER_HISTORY = "# Language model history\n\nGPT-1 was trained on the BookCorpus dataset of 7,000 unpublished books.\n"


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, make_settings: Callable[..., Settings], embedding_model: str
) -> Iterator[tuple[str, FakeOpenAIServer, Path, Path]]:
    """`citewise serve` over a folder whose `default` base and `papers` base each hold a model-history.md."""
    root = tmp_path_factory.mktemp("kb-api")
    papers_docs, other_docs = root / "papers", root / "other"
    for folder, text in ((papers_docs, MODELS_HISTORY), (other_docs, OTHER_HISTORY)):
        folder.mkdir()
        (folder / "model-history.md").write_text(text, encoding="utf-8")
    default = Citewise(make_settings(root / "data"))
    default.create_base("papers")
    assert default.base("papers").ingest([papers_docs]).added == 1
    assert default.ingest([other_docs]).added == 1
    with FakeOpenAIServer() as model_server:
        env = citewise_env(
            root / "data",
            CITEWISE_LLM="openai",
            CITEWISE_OPENAI_BASE_URL=model_server.url,
            CITEWISE_OPENAI_MODEL=DEFAULT_MODEL,
        )
        with running_api(env, root / "serve.log") as url:
            yield url, model_server, papers_docs, other_docs


@pytest.fixture
def client(served: tuple[str, FakeOpenAIServer, Path, Path]) -> Iterator[OpenAI]:
    with httpx.Client(trust_env=False) as http:
        yield OpenAI(base_url=f"{served[0]}/v1", api_key="unused", http_client=http, max_retries=0)


@pytest.fixture
def http(served: tuple[str, FakeOpenAIServer, Path, Path]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[0], trust_env=False, timeout=120) as client:
        yield client


def test_the_openai_client_asks_one_base_and_gets_its_citations_only(
    served: tuple[str, FakeOpenAIServer, Path, Path], client: OpenAI
) -> None:
    _, model_server, papers_docs, _ = served
    model_server.reply = "GPT-1 had 117 million parameters."
    model_server.bodies.clear()

    reply = client.chat.completions.create(
        model="citewise/papers", messages=[{"role": "user", "content": "How many parameters did GPT-1 have?"}]
    )

    assert reply.model == "citewise/papers"
    assert reply.choices[0].message.content == "GPT-1 had 117 million parameters. [1]"
    extra = reply.model_extra or {}
    assert extra["refused"] is False and extra["citations"]
    assert {c["source"] for c in extra["citations"]} == {str(papers_docs / "model-history.md")}
    prompt = str(model_server.bodies[0]["messages"])
    assert "117 million" in prompt and "BookCorpus" not in prompt  # the other base's passage was not read


def test_models_lists_one_model_per_base(client: OpenAI) -> None:
    assert sorted(model.id for model in client.models.list()) == ["citewise", "citewise/papers"]


def test_an_unknown_base_is_a_404_naming_it(client: OpenAI, http: httpx.Client) -> None:
    with pytest.raises(openai.NotFoundError, match="no knowledge base named 'nope'"):
        client.chat.completions.create(model="citewise/nope", messages=[{"role": "user", "content": "GPT-1?"}])
    for response in (
        http.post("/v1/search", json={"query": "GPT-1", "kb": "nope"}),
        http.get("/v1/documents", params={"kb": "nope"}),
        http.delete("/v1/documents", params={"kb": "nope", "source": "/x.md"}),
        http.get("/v1/status", params={"kb": "nope"}),
    ):
        assert response.status_code == 404, response.text
        assert "no knowledge base named 'nope'" in response.json()["error"]["message"]


def test_search_and_documents_take_kb(served: tuple[str, FakeOpenAIServer, Path, Path], http: httpx.Client) -> None:
    _, _, papers_docs, other_docs = served
    papers_file, other_file = str(papers_docs / "model-history.md"), str(other_docs / "model-history.md")

    papers_hits = http.post("/v1/search", json={"query": "GPT-1 BookCorpus parameters", "kb": "papers"}).json()
    default_hits = http.post("/v1/search", json={"query": "GPT-1 BookCorpus parameters"}).json()

    assert {hit["source"] for hit in papers_hits["hits"]} == {papers_file}
    assert {hit["source"] for hit in default_hits["hits"]} == {other_file}
    assert [d["source"] for d in http.get("/v1/documents", params={"kb": "papers"}).json()] == [papers_file]
    assert http.get("/v1/status", params={"kb": "papers"}).json()["kb"] == "papers"
    assert http.delete("/v1/documents", params={"kb": "papers", "source": other_file}).status_code == 404
    uploaded = http.post(
        "/v1/documents", params={"kb": "papers"}, files={"files": ("notes.md", b"# Notes\n\nA note for papers.\n")}
    ).json()
    [outcome] = uploaded["files"]
    assert outcome["status"] == "added"
    papers_sources = [d["source"] for d in http.get("/v1/documents", params={"kb": "papers"}).json()]
    assert outcome["source"] in papers_sources
    assert [d["source"] for d in http.get("/v1/documents").json()] == [other_file]
