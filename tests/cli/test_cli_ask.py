"""`citewise ask` as a person reads it: the passages first, then the draft, then the verified answer."""

import json
import re
import subprocess
import sys
from pathlib import Path

from citewise.core.waterfall import WATERFALL_KEYS
from tests.environment import clean_environ
from tests.fakes.ollama_server import DEFAULT_MODEL, FakeOllama

CITEWISE = Path(sys.executable).parent / "citewise"
KETTLE = (
    "# Kettle\n\nDescale the kettle every month with citric acid so the element stays clean.\n"
    "Rinse it twice with clean water after descaling.\n"
)


def _indexed_kettle(tmp_path: Path) -> dict[str, str]:
    """The environment of a citewise whose index holds the kettle note (no CITEWISE_* leaks in)."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "kettle.md").write_text(KETTLE, encoding="utf-8")
    env = clean_environ()
    env["CITEWISE_DATA_DIR"] = str(tmp_path / "data")
    subprocess.run([str(CITEWISE), "ingest", str(tmp_path / "docs")], env=env, check=True, capture_output=True)
    return env


def _ask_over_ollama(tmp_path: Path, reply: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`citewise ask [args] QUESTION` over the kettle note, the model behind a fake Ollama giving `reply`."""
    env = _indexed_kettle(tmp_path)
    with FakeOllama() as ollama:
        ollama.set_reply(reply)
        env |= {"CITEWISE_LLM": "ollama", "CITEWISE_OLLAMA_HOST": ollama.url, "CITEWISE_OLLAMA_MODEL": DEFAULT_MODEL}
        return subprocess.run(
            [str(CITEWISE), "ask", *args, "How often should I descale the kettle?"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )


def test_ask_shows_the_passages_it_reads_before_the_answer(tmp_path: Path, embedding_model: str) -> None:
    result = _ask_over_ollama(tmp_path, "Descale the kettle every month with citric acid.")

    assert result.returncode == 0, result.stderr
    reading = result.stderr.index("Reading 1 passage:")
    assert result.stderr.index("[1] Kettle", reading) < result.stderr.index("Descale the kettle every month", reading)
    assert reading < result.stderr.rindex("citric acid.")  # the streamed draft comes after the passages
    assert "Descale the kettle every month with citric acid. [1]" in result.stdout


def test_ask_prints_each_sentence_once_verified_while_the_model_still_writes(
    tmp_path: Path, embedding_model: str
) -> None:
    env = _indexed_kettle(tmp_path)
    first = "Descale the kettle every month with citric acid."
    with FakeOllama() as ollama:
        ollama.set_reply(f"{first} Rinse it twice with clean water after descaling.")
        ollama.pause_after(f"{first} Rinse")  # the first sentence is closed; the model writes on
        env |= {"CITEWISE_LLM": "ollama", "CITEWISE_OLLAMA_HOST": ollama.url, "CITEWISE_OLLAMA_MODEL": DEFAULT_MODEL}
        with subprocess.Popen(
            [str(CITEWISE), "ask", "How often should I descale the kettle?"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            assert process.stdout is not None
            line = process.stdout.readline()
            model_done_at_first_line = ollama.replied.is_set()
            ollama.resume()
            rest, errors = process.communicate(timeout=120)

    assert process.returncode == 0, errors
    assert line == f"{first} [1]\n"
    assert not model_done_at_first_line  # printed while the model was paused in its second sentence
    assert rest.startswith("Rinse it twice with clean water after descaling. [2]\n")  # its own span: [2]
    assert "first verified sentence" in rest
    # On stderr each draft sentence is on its own line, above its verdict on stdout.
    assert f"\n{first}\nRinse it twice" in errors


def test_ask_json_carries_the_waterfall_in_the_order_it_runs(tmp_path: Path, embedding_model: str) -> None:
    reply = "Descale the kettle every month with citric acid. Rinse it twice with clean water."

    result = _ask_over_ollama(tmp_path, reply, "--json")

    assert result.returncode == 0, result.stderr
    steps = json.loads(result.stdout)["waterfall"]
    assert list(steps) == list(WATERFALL_KEYS)
    # Not run here; and Ollama gives no split of the prompt into cached and new tokens.
    not_run = {"rewrite_ms", "translate_ms", "look_again_ms", "judge_ms", "prompt_tokens_cached"}
    assert {key for key, value in steps.items() if value is None} == not_run
    assert len(steps["verify_ms"]) == 2 and min(steps["verify_ms"]) >= 0
    numbers = [value for key, value in steps.items() if key not in not_run and key != "verify_ms"]
    assert all(value >= 0 for value in numbers)
    assert steps["network_ms"] == round(steps["model_call_ms"] - steps["server_ms"], 1)


def test_ask_prints_the_prompt_and_the_model_servers_time(tmp_path: Path, embedding_model: str) -> None:
    result = _ask_over_ollama(tmp_path, "Descale the kettle every month with citric acid.")

    assert result.returncode == 0, result.stderr
    assert re.search(r"select \d+ ms, prompt \d+ new tokens, evaluated in \d+ ms \(\d+ tok/s\)", result.stdout)
    assert re.search(r"model server \d+ ms, network and queueing \d+ ms", result.stdout)


def test_ask_quotes_the_closest_sentence_before_the_answer_for_a_specific_question(
    tmp_path: Path, embedding_model: str
) -> None:
    """Shown as a quote (stderr, with the progress) as soon as the evidence is chosen; in --json as "quote"."""
    env = _indexed_kettle(tmp_path)

    with FakeOllama() as ollama:
        ollama.set_reply("Descale the kettle every month with citric acid [1].")
        env |= {"CITEWISE_LLM": "ollama", "CITEWISE_OLLAMA_HOST": ollama.url, "CITEWISE_OLLAMA_MODEL": DEFAULT_MODEL}

        def ask(*args: str) -> subprocess.CompletedProcess[str]:
            command = [str(CITEWISE), "ask", *args]
            return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True)

        streamed = ask("How often should I descale the kettle?")
        as_json = json.loads(ask("How often should I descale the kettle?", "--json").stdout)

    sentence = "Descale the kettle every month with citric acid so the element stays clean."
    quoted = streamed.stderr.index("Closest sentence [1] (a quote, not the answer; that is being written):")
    assert streamed.stderr.index(sentence, quoted) < streamed.stderr.rindex("citric acid [1].")  # before the draft
    assert as_json["quote"]["text"] == sentence and as_json["quote"]["n"] == 1
    assert as_json["quote"]["source"].endswith("kettle.md")
    assert as_json["timings_ms"]["quote"] == as_json["timings_ms"]["sources"]
