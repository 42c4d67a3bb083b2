"""`citewise ask` as a person reads it: the passages first, then the draft, then the verified answer."""

import os
import subprocess
import sys
from pathlib import Path

from tests.fakes.ollama_server import DEFAULT_MODEL, FakeOllama

CITEWISE = Path(sys.executable).parent / "citewise"
KETTLE = "# Kettle\n\nDescale the kettle every month with citric acid so the element stays clean.\n"


def test_ask_shows_the_passages_it_reads_before_the_answer(tmp_path: Path, embedding_model: str) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "kettle.md").write_text(KETTLE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEWISE_") and k != "OLLAMA_HOST"}
    env["CITEWISE_DATA_DIR"] = str(tmp_path / "data")
    subprocess.run([str(CITEWISE), "ingest", str(tmp_path / "docs")], env=env, check=True, capture_output=True)

    with FakeOllama() as ollama:
        ollama.set_reply("Descale the kettle every month with citric acid.")
        env |= {"CITEWISE_LLM": "ollama", "CITEWISE_OLLAMA_HOST": ollama.url, "CITEWISE_OLLAMA_MODEL": DEFAULT_MODEL}
        result = subprocess.run(
            [str(CITEWISE), "ask", "How often should I descale the kettle?"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert result.returncode == 0, result.stderr
    reading = result.stderr.index("Reading 1 passage:")
    assert result.stderr.index("[1] Kettle", reading) < result.stderr.index("Descale the kettle every month", reading)
    assert reading < result.stderr.rindex("citric acid.")  # the streamed draft comes after the passages
    assert "Descale the kettle every month with citric acid. [1]" in result.stdout
