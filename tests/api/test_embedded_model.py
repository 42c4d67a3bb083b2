"""`citewise serve` with the real embedded model (slow): one streamed question, answered and cited."""

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from citewise.core.settings import Settings
from tests.api.conftest import index_folder
from tests.processes import citewise_env, running_api

# The server assembles the model from its PyPI slices into the data folder and loads it before it answers.
START_S = 600


@pytest.mark.slow
def test_the_embedded_model_streams_a_cited_answer(
    tmp_path: Path, make_settings: Callable[..., Settings], embedding_model: str
) -> None:
    data = index_folder(tmp_path / "data", tmp_path / "docs", make_settings)
    env = citewise_env(data, CITEWISE_LLM="embedded")
    with (
        running_api(env, tmp_path / "serve.log", start_s=START_S) as url,
        httpx.Client(trust_env=False, timeout=600) as http,
    ):
        client = OpenAI(base_url=f"{url}/v1", api_key="unused", http_client=http, max_retries=0)
        question = [{"role": "user", "content": "How many parameters did GPT-1 have?"}]
        chunks = list(client.chat.completions.create(model="citewise", messages=question, stream=True))

    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    extra = chunks[-1].model_extra or {}
    assert extra["refused"] is False, text
    assert "117 million" in text and "[1]" in text
    assert any("117 million" in c["quote"] for c in extra["citations"])
