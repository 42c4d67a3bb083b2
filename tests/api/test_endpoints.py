"""Search, documents (upload, list, delete), status and the OpenAPI schema of a running `citewise serve`."""

import httpx

from tests.fakes.ollama_server import FakeOllama

KETTLE = b"# Kettle care\n\nDescale the kettle every month with citric acid so the element stays clean.\n"


def test_search_returns_the_fused_hits(http: httpx.Client) -> None:
    response = http.post("/v1/search", json={"query": "GPT-1 parameters", "k": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "GPT-1 parameters"
    assert 1 <= len(body["hits"]) <= 2
    best = body["hits"][0]
    assert best["rank"] == 1 and best["source"].endswith("model-history.md")
    assert "117 million parameters" in best["text"]
    assert best["score"] > 0 and best["dense"] is not None and best["keyword"] is not None
    assert body["timings_ms"]["total"] > 0


def test_search_without_a_query_is_a_400_naming_it(http: httpx.Client) -> None:
    response = http.post("/v1/search", json={"k": 3})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "query"


def test_upload_list_ask_and_delete_a_document(http: httpx.Client, ollama: FakeOllama) -> None:
    files = [
        ("files", ("kettle.md", KETTLE, "text/markdown")),
        ("files", ("empty.md", b"", "text/markdown")),
        ("files", ("tool.exe", b"MZ\x90\x00", "application/octet-stream")),
        ("files", ("broken.pdf", b"%PDF-1.4 not really a PDF", "application/pdf")),
    ]
    response = http.post("/v1/documents", files=files)
    assert response.status_code == 200
    kettle, empty, exe, broken = response.json()["files"]
    assert kettle["name"] == "kettle.md" and kettle["status"] == "added" and kettle["chunks"] == 1
    assert kettle["error"] is None
    assert empty["status"] == "rejected" and empty["error"] == "empty.md is empty." and empty["source"] is None
    assert exe["status"] == "rejected" and "cannot read '.exe' files" in exe["error"]
    assert broken["status"] == "failed" and broken["error"] and broken["source"] is None  # not indexed, not kept

    listed = {d["source"]: d for d in http.get("/v1/documents").json()}
    assert listed[kettle["source"]]["title"] == "Kettle care"
    assert any(source.endswith("model-history.md") for source in listed)
    assert not any(source.endswith("broken.pdf") for source in listed)

    again = http.post("/v1/documents", files=[("files", ("kettle.md", KETTLE, "text/markdown"))]).json()["files"]
    assert again[0]["status"] == "unchanged" and again[0]["source"] == kettle["source"]

    ollama.set_reply("Descale the kettle every month with citric acid.")
    question = {
        "model": "citewise",
        "messages": [{"role": "user", "content": "How often should I descale the kettle?"}],
    }
    answer = http.post("/v1/chat/completions", json=question).json()
    assert answer["refused"] is False and answer["citations"][0]["source"] == kettle["source"]
    [sentence] = answer["sentences"]  # how each sentence of the draft was judged
    assert (sentence["kept"], sentence["citation"], sentence["reason"]) == (True, 1, "")
    assert sentence["judged_by"] == "binding check" and sentence["support"] > 0.5  # the default's last check

    response = http.delete("/v1/documents", params={"source": kettle["source"]})
    assert response.status_code == 200 and response.json() == {"removed": kettle["source"]}
    assert kettle["source"] not in {d["source"] for d in http.get("/v1/documents").json()}

    response = http.delete("/v1/documents", params={"source": kettle["source"]})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["message"] == f"{kettle['source']} is not indexed; GET /v1/documents lists what is."
    assert error["type"] == "not_found_error"


def test_status_says_what_is_indexed_and_which_model_answers(http: httpx.Client, ollama: FakeOllama) -> None:
    status = http.get("/v1/status").json()
    documents = http.get("/v1/documents").json()
    assert status["documents"] == len(documents)
    assert status["chunks"] == sum(d["chunks"] for d in documents)
    assert status["backend"]["name"] == "ollama"
    assert status["ollama"] == {
        "host": ollama.url,
        "remote": False,
        "reachable": True,
        "models": ["qwen2.5:1.5b-instruct"],
    }
    assert status["remote_notice"] is None


def test_openapi_schema_describes_every_route_and_the_extra_fields(http: httpx.Client) -> None:
    schema = http.get("/openapi.json").json()
    assert set(schema["paths"]) == {
        "/v1/models",
        "/v1/chat/completions",
        "/v1/search",
        "/v1/documents",
        "/v1/status",
        "/v1/conversations",
        "/v1/conversations/{conversation_id}",
        "/v1/conversations/{conversation_id}/export",
    }
    assert set(schema["paths"]["/v1/documents"]) == {"get", "post", "delete"}
    completion = schema["components"]["schemas"]["ChatCompletion"]
    assert {"citations", "refused"} <= set(completion["properties"])
    assert completion["properties"]["refused"]["description"]
    chat = schema["paths"]["/v1/chat/completions"]["post"]["responses"]
    assert "text/event-stream" in chat["200"]["content"]
    assert chat["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    documented = {code for path in schema["paths"].values() for op in path.values() for code in op["responses"]}
    assert "422" not in documented  # a malformed request is OpenAI's 400, and documented as such
    upload = schema["paths"]["/v1/documents"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload


def test_an_unknown_route_is_an_openai_error(http: httpx.Client) -> None:
    response = http.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"
