"""Text from documents reaches the terminal with its control characters escaped: a document cannot write the
clipboard (OSC 52), retitle the window (OSC 0), recolour or move the cursor (CSI) through `citewise` output."""

import json
from pathlib import Path

import pytest

from tests.processes import citewise, citewise_env

OSC52 = "\x1b]52;c;ZXZpbA==\x07"
CSI = "\x1b[31m"
DOC = (
    f"# Kettle {OSC52}care{CSI}\n\n"
    f"Descale the kettle every month with citric acid{CSI} so the element stays clean.\x1b]0;owned\x07 "
    "The 8-bit CSI \x9b2J and a bell \x07 are in here too.\n"
)
RAW_CONTROLS = ("\x1b", "\x07", "\x9b")


@pytest.fixture
def env(tmp_path: Path, embedding_model: str) -> dict[str, str]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / f"kettle{CSI}.md").write_text(DOC, encoding="utf-8")
    (docs / f"photo{OSC52}.png").write_bytes(b"\x89PNG\r\n")
    env = citewise_env(tmp_path / "data")
    ingested = citewise("ingest", str(docs), env=env)
    assert ingested.returncode == 1  # the .png is refused, the kettle indexed
    assert_no_raw_controls(ingested.stdout + ingested.stderr)
    assert "photo\\x1b]52;c;ZXZpbA==\\x07.png" in ingested.stderr  # the failure names the file, escaped
    return env


def assert_no_raw_controls(output: str) -> None:
    assert not [c for c in RAW_CONTROLS if c in output], repr(output)


def test_search_and_docs_print_document_control_characters_as_escapes(env: dict[str, str]) -> None:
    for args in (["search", "how to descale the kettle"], ["docs"]):
        done = citewise(*args, env=env)
        assert done.returncode == 0, done.stderr
        assert_no_raw_controls(done.stdout + done.stderr)
        assert "Kettle \\x1b]52;c;ZXZpbA==\\x07care\\x1b[31m" in done.stdout  # visible, not obeyed


def test_json_output_escapes_them_and_keeps_the_text(env: dict[str, str]) -> None:
    for args in (["search", "how to descale the kettle", "--json"], ["docs", "--json"]):
        done = citewise(*args, env=env)
        assert done.returncode == 0, done.stderr
        assert_no_raw_controls(done.stdout)
    [record] = json.loads(citewise("docs", "--json", env=env).stdout)
    assert record["title"] == f"Kettle {OSC52}care{CSI}"
    [hit, *_] = json.loads(citewise("search", "descale the kettle", "--json", env=env).stdout)["retrieved"]
    assert "\x9b2J" in hit["text"]


def test_an_error_quoting_a_name_escapes_it(env: dict[str, str]) -> None:
    done = citewise("remove", f"missing{OSC52}.md", env=env)
    assert done.returncode == 1
    assert_no_raw_controls(done.stdout + done.stderr)
    assert "missing\\x1b]52;c;ZXZpbA==\\x07.md is not indexed" in done.stderr
