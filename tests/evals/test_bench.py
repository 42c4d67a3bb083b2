"""The benchmark's pieces, small and real: synthetic chunks, the machine, the table; and `citewise bench`
run as a process on a 200-chunk index (embedded Chroma and a `chroma run` server). No timing is asserted."""

import json
import subprocess
from pathlib import Path

import numpy as np

from citewise.evals.bench.ask_speed import measure_asks
from citewise.evals.bench.machine import describe_machine, machine_line
from citewise.evals.bench.report import Row, format_rows
from citewise.evals.bench.run import ASK_ROW_ORDER, ask_rows
from citewise.evals.bench.synthetic import (
    CHUNKS_PER_DOCUMENT,
    SENTENCES_PER_CHUNK,
    SentenceVectors,
    draw_chunks,
    real_sentences,
    split_sentences,
    synthetic_documents,
)
from citewise.ingest.pipeline import ingest_paths
from citewise.service import Citewise
from tests.fakes.ollama_server import FakeOllama
from tests.processes import CITEWISE, citewise_env

KETTLE = (
    "# Kettle\n\nDescale the kettle every month with citric acid.\nRinse it twice with clean water after descaling.\n"
)


def test_drawn_chunks_are_the_same_for_the_same_seed_and_grow_by_prefix() -> None:
    drawn = draw_chunks(sentence_count=50, n=300, seed=7)

    assert drawn == draw_chunks(sentence_count=50, n=300, seed=7)
    assert drawn != draw_chunks(sentence_count=50, n=300, seed=8)
    assert draw_chunks(sentence_count=50, n=120, seed=7) == drawn[:120]  # a smaller scale is a prefix
    low, high = SENTENCES_PER_CHUNK
    assert {len(ids) for ids in drawn} == set(range(low, high + 1))
    assert all(0 <= i < 50 for ids in drawn for i in ids)


def _sentence_vectors(count: int, dimensions: int = 8) -> SentenceVectors:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(count, dimensions)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return SentenceVectors([f"Sentence number {i} says something." for i in range(count)], vectors, None, Path("x"))


def test_synthetic_documents_hold_chunks_as_ingest_makes_them_with_mean_vectors() -> None:
    base = _sentence_vectors(40)
    drawn = draw_chunks(40, 250, seed=3)

    documents = synthetic_documents(base, drawn[100:], first=100)

    assert [len(d.chunks) for d in documents] == [CHUNKS_PER_DOCUMENT, 50]
    again = synthetic_documents(base, drawn[100:], first=100)
    assert [d.chunks for d in again] == [d.chunks for d in documents]
    assert all(np.array_equal(a.vectors, b.vectors) for a, b in zip(again, documents, strict=True))
    earlier = synthetic_documents(base, drawn[:100])
    sources = [d.source for d in earlier + documents]
    assert len(set(sources)) == len(sources)  # growing the index never replaces a document
    ids = [c.id for d in documents for c in d.chunks]
    assert len(set(ids)) == len(ids)
    first = documents[0]
    body = "\n\n".join(c.text for c in first.chunks)
    assert first.chars == len(body)
    assert all(body[c.start : c.end] == c.text for c in first.chunks)
    assert first.chunks[0].text == " ".join(base.sentences[i] for i in drawn[100])
    expected = base.vectors[list(drawn[100])].mean(axis=0)
    assert np.allclose(first.vectors[0], expected / np.linalg.norm(expected), atol=1e-6)
    assert np.allclose(np.linalg.norm(first.vectors, axis=1), 1.0, atol=1e-5)


def test_sentences_come_from_prose_only() -> None:
    text = (
        "# A heading that is long enough\n\n| a | table | row | with | cells |\n\n"
        "One. This sentence has five words. And a **bold** one follows here!\n"
    )

    assert split_sentences(text) == ["This sentence has five words.", "And a bold one follows here!"]
    sentences = real_sentences()
    assert len(sentences) == len(set(sentences)) > 300


def test_the_machine_is_described_with_cores_memory_and_versions() -> None:
    machine = describe_machine()

    assert machine["cores"] >= 1 and 1 <= machine["usable_cores"] <= machine["cores"]
    assert machine["ram_gib"] > 0
    assert machine["cpu"] and isinstance(machine["cpu_flags"], list)
    assert machine["packages"]["chromadb"] and machine["packages"]["torch"]
    assert f"{machine['ram_gib']} GiB RAM" in machine_line(machine)


def test_the_table_has_a_line_per_row_with_its_target() -> None:
    rows = [
        Row("search dense 10k embedded", "p50 9 ms, p95 12 ms (n=3)", "p95 <= 40 ms (~11k)", True, 512.0),
        Row("x", "y"),
    ]

    lines = format_rows(rows).splitlines()

    assert len(lines) == 4 and lines[0].startswith("| benchmark")
    assert "p95 <= 40 ms (~11k)" in lines[2] and "| yes " in lines[2] and "512" in lines[2]
    assert len({len(line) for line in lines}) == 1


def test_bench_command_writes_every_search_and_add_row_as_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = citewise_env(tmp_path / "data")
    args = ["bench", "--scale", "200", "--only", "search,add", "--queries", "5", "--out", str(out)]
    args += ["--cache-dir", str(tmp_path / "cache")]

    done = subprocess.run([str(CITEWISE), *args], env=env, capture_output=True, text=True, timeout=1200)

    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data["command"].startswith("citewise bench --scale 200")
    assert data["machine"]["cores"] >= 1 and data["machine"]["ram_gib"] > 0
    assert data["synthetic"]["sentences"] > 300 and 0 < data["synthetic"]["fidelity_mean_cosine"] <= 1
    assert data["synthetic"]["cache_build_s"] is not None  # a fresh cache folder: embedded now
    assert list((tmp_path / "cache").glob("sentences-*.npy"))
    rows = {row["benchmark"]: row for row in data["rows"]}
    for backend in ("embedded", "server"):
        for mode in ("dense", "keyword", "fused"):
            row = rows[f"search {mode} 200 {backend}"]
            assert row["figures"]["chunks"] == 200 and row["figures"]["n"] == 5
            assert 0 < row["figures"]["p50_ms"] <= row["figures"]["p95_ms"]
            assert row["target"] == "p95 <= 40 ms (~11k)" and row["met"] in (True, False)
        added = rows[f"add one file to 200 {backend}"]["figures"]
        assert added["chunks_before"] == 200 and added["chunks_added"] > 0
        assert added["total_s"] > 0 and added["embed_s"] > 0
    assert not any(name.startswith(("ingest", "ask", "cold start")) for name in rows)
    assert "| search fused 200 server" in done.stdout  # the table, as printed


def test_bench_refuses_a_bad_scale_or_part_naming_it(tmp_path: Path) -> None:
    env = citewise_env(tmp_path / "data")

    bad_scale = subprocess.run([str(CITEWISE), "bench", "--scale", "10k"], env=env, capture_output=True, text=True)
    bad_part = subprocess.run([str(CITEWISE), "bench", "--only", "serch"], env=env, capture_output=True, text=True)

    assert bad_scale.returncode == 2 and "--scale takes positive chunk counts" in bad_scale.stderr
    assert "10k" in bad_scale.stderr
    assert bad_part.returncode == 2 and "unknown part(s) serch" in bad_part.stderr


def test_the_ask_rows_give_the_waterfall_in_the_order_it_runs(tmp_path: Path, make_settings, embedding_model) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "kettle.md").write_text(KETTLE, encoding="utf-8")
    with FakeOllama() as ollama:
        ollama.set_reply("Descale the kettle every month with citric acid. Rinse it twice with clean water.")
        service = Citewise(make_settings(tmp_path / "data", ollama_host=ollama.url, llm="ollama"))
        assert not ingest_paths(service.store, [tmp_path / "docs"]).failed
        figures = measure_asks(service, ["How often should I descale the kettle?"] * 2)

    rows = ask_rows(figures)

    stages = [row.figures["stage"] for row in rows]
    assert stages == [stage for stage in ASK_ROW_ORDER if stage != "judge"]  # the default pipeline asks no judge
    named = {row.figures["stage"]: row for row in rows}
    assert named["select"].benchmark.startswith("ask select (2 dev questions") and named["select"].figures["n"] == 2
    assert named["prompt_tokens"].figures["new_p50"] > 0 and named["prompt_tokens"].result.startswith("p50 ")
    evaluation = named["prompt_eval"]
    assert evaluation.figures["p50_ms"] >= 0 and " tok/s" in evaluation.result
    assert evaluation.figures["tokens_per_s_p50"] > 0
    assert named["verify"].figures["n"] == 4 and "(4 sentences)" in named["verify"].benchmark
    assert named["network"].figures["p50_ms"] >= 0
