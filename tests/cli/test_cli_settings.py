"""What `citewise` says before it does anything: a malformed setting, an Ollama host that is not this
machine, a UI opened to the network."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from citewise.cli.main import app
from citewise.core.settings import get_settings
from tests.conftest import REMOTE_OLLAMA
from tests.environment import clear_citewise_variables

RUNNER = CliRunner()
CITEWISE = Path(sys.executable).parent / "citewise"


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The environment of a fresh shell with no citewise variables but CITEWISE_DATA_DIR (a new index)."""
    clear_citewise_variables(monkeypatch)
    monkeypatch.setenv("CITEWISE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield dict(os.environ)
    get_settings.cache_clear()


def _invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    get_settings.cache_clear()  # each invocation reads the environment afresh, like a new process
    return RUNNER.invoke(app, list(args), env=env)


@pytest.fixture
def streamlit_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The commands `citewise ui` would run; recorded instead of run, so no test opens a UI to the network."""
    calls: list[list[str]] = []

    def record(command: list[str]) -> int:
        calls.append(command)
        return 0

    monkeypatch.setattr("citewise.cli.main.run_child", record)
    return calls


@pytest.mark.parametrize(
    ("variable", "value"),
    [("OLLAMA_HOST", "localhost:abc"), ("CITEWISE_CHROMA_URL", "http://localhost:abc"), ("CITEWISE_TOP_K", "abc")],
)
def test_a_malformed_setting_stops_the_installed_command_with_one_line(
    clean_env: dict[str, str], variable: str, value: str
) -> None:
    done = subprocess.run(
        [str(CITEWISE), "docs"], env=clean_env | {variable: value}, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"Error: {variable}={value!r} is not valid: ") and line.endswith(". Fix it or unset it.")


def test_a_malformed_setting_stops_the_ui_before_it_starts(
    clean_env: dict[str, str], streamlit_calls: list[list[str]]
) -> None:
    result = _invoke("ui", env={"CITEWISE_TOP_K": "abc"})

    assert result.exit_code == 2
    assert "Error: CITEWISE_TOP_K='abc' is not valid" in result.stderr
    assert streamlit_calls == []


def test_ui_on_a_network_address_warns_that_it_has_no_login(
    clean_env: dict[str, str], streamlit_calls: list[list[str]]
) -> None:
    for host in ("0.0.0.0", "::", "192.168.1.20", "citewise.lan"):
        result = _invoke("ui", "--host", host, "--port", "8600")
        assert result.exit_code == 0, result.output
        assert (
            f"Warning: the citewise UI has no login: anyone who can reach port 8600 of {host} can read, "
            "add and delete your documents and ask about them."
        ) in result.stderr
        assert "--host 127.0.0.1" in result.stderr
        assert streamlit_calls[-1][streamlit_calls[-1].index("--server.address") + 1] == host

    for host in ("127.0.0.1", "localhost", "::1"):
        result = _invoke("ui", "--host", host)
        assert result.exit_code == 0 and "Warning" not in result.stderr
    assert len(streamlit_calls) == 7


def test_status_names_an_ollama_host_that_is_not_this_machine(clean_env: dict[str, str], remote_ollama) -> None:
    fake, through_fake = remote_ollama
    remote = _invoke("status", env={"CITEWISE_OLLAMA_HOST": REMOTE_OLLAMA, "CITEWISE_LLM": "auto"} | through_fake)
    assert remote.exit_code == 0, remote.output
    assert (
        f"Warning: answers are generated on {REMOTE_OLLAMA} (CITEWISE_OLLAMA_HOST): "
        "each question and the passages of your documents it retrieves are sent there"
    ) in remote.stdout

    data = json.loads(_invoke("status", "--json", env={"OLLAMA_HOST": REMOTE_OLLAMA} | through_fake).stdout)
    assert data["ollama"]["host"] == REMOTE_OLLAMA and data["ollama"]["remote"] is True

    for local in ("127.0.0.1:9", "localhost:9", "0.0.0.0:9"):
        result = _invoke("status", env={"OLLAMA_HOST": local})
        assert result.exit_code == 0 and "answers are generated on" not in result.stdout
    embedded = _invoke("status", env={"CITEWISE_OLLAMA_HOST": REMOTE_OLLAMA, "CITEWISE_LLM": "embedded"} | through_fake)
    assert "answers are generated on" not in embedded.stdout  # Ollama never answers, so no notice
    assert set(fake.proxied_hosts) == {"203.0.113.7:11434"}  # the "remote" requests stayed on this machine
