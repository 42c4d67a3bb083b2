"""A team's setup: one `chroma run` server, one citewise process answering (`citewise serve`) and another,
with its own data folder as on another machine, ingesting and removing. The answering process sees each
change at its next request."""

import os
from pathlib import Path

import httpx

from tests.processes import CITEWISE, citewise_env, run, running_api

HANDOVER = "# Shift handover\n\nOvernight the XQ-7734 valve on line two was swapped for a spare.\n"
BREAD = "# Sourdough\n\nFeed the starter with equal weights of flour and water the evening before baking.\n"


def sources(api: httpx.Client, query: str) -> list[str]:
    """The documents whose words match the query (the keyword half of the answering process's search)."""
    response = api.post("/v1/search", json={"query": query, "k": 3})
    assert response.status_code == 200, response.text
    return [Path(hit["source"]).name for hit in response.json()["hits"] if hit["keyword"] is not None]


def test_a_process_on_another_data_folder_ingests_and_the_answering_one_sees_it(
    chroma_server: str, tmp_path: Path
) -> None:
    shared = {"CITEWISE_CHROMA_URL": chroma_server, "CITEWISE_COLLECTION": f"team{os.getpid()}"}
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bread.md").write_text(BREAD, encoding="utf-8")
    ingesting = citewise_env(tmp_path / "ingesting-machine", **shared)
    assert run([str(CITEWISE), "ingest", str(docs)], ingesting).returncode == 0

    answering = citewise_env(tmp_path / "answering-machine", **shared)
    with running_api(answering, tmp_path / "serve.log") as url, httpx.Client(base_url=url, timeout=60) as api:
        assert sources(api, "sourdough starter flour") == ["bread.md"]
        assert sources(api, "XQ-7734 valve") == []

        (docs / "handover.md").write_text(HANDOVER, encoding="utf-8")
        assert run([str(CITEWISE), "ingest", str(docs)], ingesting).returncode == 0
        assert sources(api, "XQ-7734 valve") == ["handover.md"]

        removed = run([str(CITEWISE), "remove", str((docs / "bread.md").resolve())], ingesting)
        assert removed.returncode == 0, removed.stderr
        assert sources(api, "sourdough starter flour") == []
        listed = [Path(d["source"]).name for d in api.get("/v1/documents").json()]
        assert listed == ["handover.md"]
