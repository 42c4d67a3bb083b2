"""`citewise eval generate` end to end: a real subprocess, a real index, the fake Ollama answering
the generation prompts with scripted JSON (good proposals and bad ones)."""

import json
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from citewise.evals.review import save_review
from tests.environment import clean_environ
from tests.fakes.ollama_server import DEFAULT_MODEL, FakeOllama

CITEWISE = Path(sys.executable).parent / "citewise"
DOCS = {
    "kettle.md": "# Kettle\n\nDescale the kettle every month with citric acid so the element stays clean. "
    "A clean element boils water faster and uses less power, and the water tastes better too. "
    "Rinse it twice after descaling and boil one full kettle of water before making tea again.\n",
    "garden.md": "# Garden\n\nWater the Brindle roses at dawn with rainwater from the barrel beside the shed. "
    "Roses watered in the evening stay damp overnight and catch black spot, a fungus that spreads fast. "
    "Mulch the bed with bark to keep the soil cool and moist through the summer months.\n",
    "lamp.md": "# Lamp\n\nThe reading lamp takes a warm white bulb with a small screw base. "
    "Switch it off and let the bulb cool before changing it, and never touch a halogen bulb with bare fingers. "
    "Dust the shade with a soft dry brush rather than a damp cloth, which leaves marks.\n",
}


def _passage(prompt: str) -> str:
    return prompt.split("\n<<<\n")[1].split("\n>>>")[0] if "\n<<<\n" in prompt else ""


def scripted(messages: list[dict[str, Any]]) -> str:
    """What a model might propose: a grounded item for the kettle, an answer the garden passage does not
    hold, a question giving away the lamp's answer; near misses and off-topic questions as asked."""
    prompt = str(messages[-1]["content"])
    passage = _passage(prompt)
    if "Write one question that this passage answers" in prompt:
        if "kettle" in passage:
            evidence = "Descale the kettle every month with citric acid so the element stays clean."
            return json.dumps(
                {"question": "What should the kettle be descaled with?", "answer": "citric acid", "evidence": evidence}
            )
        if "Roses" in passage:
            return json.dumps(
                {
                    "question": "When are the roses watered?",
                    "answer": "in the morning",
                    "evidence": "Water the Brindle roses at dawn.",
                }
            )
        return (
            'Here you go: {"question": "Does the lamp take a warm white bulb?", "answer": "warm white bulb", '
            '"evidence": "The reading lamp takes a warm white bulb with a small screw base."}'
        )
    if "whose answer would be" in prompt:
        entity = re.search(r'about "([^"]+)"', prompt).group(1)  # type: ignore[union-attr]
        return json.dumps({"question": f"Who first grew the {entity}, and where?"})
    if "factual question about" in prompt:
        return json.dumps({"question": "How long should sourdough dough proof?"})
    return "{}"


@pytest.fixture
def indexed(tmp_path: Path, embedding_model: str) -> dict[str, str]:
    """The environment of a citewise whose index holds DOCS."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    env = clean_environ()
    env["CITEWISE_DATA_DIR"] = str(tmp_path / "data")
    subprocess.run([str(CITEWISE), "ingest", str(docs)], env=env, check=True, capture_output=True, timeout=300)
    return env


@pytest.fixture
def ollama(indexed: dict[str, str]) -> Any:
    with FakeOllama() as fake:
        fake.set_responder(scripted)
        indexed |= {"CITEWISE_LLM": "ollama", "CITEWISE_OLLAMA_HOST": fake.url, "CITEWISE_OLLAMA_MODEL": DEFAULT_MODEL}
        yield fake


def _citewise(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CITEWISE), *args], env=env, capture_output=True, text=True, timeout=300)


def _generate(env: dict[str, str], out: Path, seed: int = 3) -> dict[str, Any]:
    args = ["--n", "8", "--unanswerable", "0.5", "--languages", "en,zh", "--seed", str(seed)]
    result = _citewise(env, "eval", "generate", *args, "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_generation_keeps_checked_items_reproducibly_and_eval_runs_the_reviewed_ones(
    ollama: FakeOllama, indexed: dict[str, str], tmp_path: Path
) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    report = _generate(indexed, first)
    assert _generate(indexed, second) == {**report, "path": str(second)}
    assert first.read_bytes() == second.read_bytes()  # same seed, same passages, same decoding: same file

    records = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
    assert report["planned"] == 8 and report["written"] == len(records)
    assert report["rejected"]["answerable: answer not verbatim in the passage"] >= 1
    assert report["rejected"]["answerable: question contains the answer"] >= 1
    answerable = [r for r in records if r["answerable"]]
    assert answerable and all(r["answers"] == ["citric acid"] for r in answerable)
    assert all(r["review"] == "pending" for r in records)
    kinds = {r["origin"]["kind"] for r in records}
    assert kinds == {"answerable", "near_miss", "off_topic"}
    assert {r["origin"]["language"] for r in records} <= {"en", "zh"}
    for r in records:
        assert r["origin"]["generator"] == f"ollama:{DEFAULT_MODEL}" and r["origin"]["seed"] == 3
        if r["origin"]["kind"] != "off_topic":
            assert r["origin"]["passage"] in DOCS[Path(r["origin"]["source"]).name]
    chat = ollama.bodies("/api/chat")
    assert chat and all(body["options"]["temperature"] == 0 for body in chat)

    pending = _citewise(indexed, "eval", "--dataset", str(first), "--retrieval-only")
    assert pending.returncode != 0 and "no questions to run" in pending.stderr
    save_review(first, answerable[0]["id"], "kept")
    save_review(first, records[-1]["id"] if records[-1] is not answerable[0] else records[0]["id"], "dropped")
    run = _citewise(indexed, "eval", "--dataset", str(first), "--retrieval-only", "--config", "default")
    assert run.returncode == 0, run.stderr
    assert f"{len(records) - 2} pending review, 1 dropped" in run.stderr
    everything = _citewise(indexed, "eval", "--dataset", str(first), "--retrieval-only", "--include-pending")
    assert everything.returncode == 0, everything.stderr


def test_bad_options_are_named(ollama: FakeOllama, indexed: dict[str, str], tmp_path: Path) -> None:
    result = _citewise(indexed, "eval", "generate", "--languages", "en,xx", "--out", str(tmp_path / "o.jsonl"))
    assert result.returncode == 2 and "unknown language xx" in result.stderr
    missing = _citewise(indexed, "eval")
    assert missing.returncode == 2 and "--dataset" in missing.stderr


def test_ctrl_c_keeps_the_items_made_so_far(ollama: FakeOllama, indexed: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "cut.jsonl"  # no file there yet: the items made go to it
    report = _ctrl_c_mid_generation(ollama, indexed, out)
    assert report["interrupted"] is True and report["planned"] == 20 and report["path"] == str(out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert 1 <= len(lines) == report["written"] < 20
    assert all(json.loads(line)["review"] == "pending" for line in lines)


def _stalled_generation(ollama: FakeOllama, env: dict[str, str], out: Path) -> tuple[subprocess.Popen, threading.Event]:
    """`eval generate --out OUT` in a real process, its model stalled once the run has kept an item (in OUT or
    a file beside it); returns the process, and the event that lets the model go on."""
    stalled, release = threading.Event(), threading.Event()

    def stall_once_an_item_is_kept(messages: list[dict[str, Any]]) -> str:
        if any('"id": "gen-' in p.read_text(encoding="utf-8") for p in out.parent.glob(f"{out.name}*")):
            stalled.set()
            release.wait(60)
        return scripted(messages)

    ollama.set_responder(stall_once_an_item_is_kept)
    args = ["--n", "20", "--unanswerable", "0.5", "--seed", "3", "--out", str(out), "--json"]
    process = subprocess.Popen(
        [str(CITEWISE), "eval", "generate", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert stalled.wait(240), "the generation never kept its first item"
    except AssertionError:
        release.set()
        process.kill()
        raise
    return process, release


def _ctrl_c_mid_generation(ollama: FakeOllama, env: dict[str, str], out: Path) -> dict[str, Any]:
    """The JSON report of a generation stopped by Ctrl-C once it has kept an item (exit code 130)."""
    process, release = _stalled_generation(ollama, env, out)
    try:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        release.set()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    return json.loads(stdout)


REVIEWED = '{"id": "mine-1", "question": "Reviewed?", "answers": ["yes"], "review": "keep"}\n'


def test_a_crash_mid_generation_leaves_the_previous_file_intact(
    ollama: FakeOllama, indexed: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "reviewed.jsonl"
    out.write_text(REVIEWED, encoding="utf-8")
    process, release = _stalled_generation(ollama, indexed, out)
    process.kill()  # SIGKILL: no cleanup runs
    process.communicate(timeout=60)
    release.set()

    assert out.read_text(encoding="utf-8") == REVIEWED


def test_ctrl_c_keeps_the_previous_file_and_the_new_items_beside_it(
    ollama: FakeOllama, indexed: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "reviewed.jsonl"
    out.write_text(REVIEWED, encoding="utf-8")

    report = _ctrl_c_mid_generation(ollama, indexed, out)

    assert out.read_text(encoding="utf-8") == REVIEWED
    kept = tmp_path / "reviewed.interrupted.jsonl"
    assert report["path"] == str(kept) and report["interrupted"] is True
    assert 1 <= len(kept.read_text(encoding="utf-8").splitlines()) == report["written"] < 20
    assert list(tmp_path.glob("*.tmp")) == []
