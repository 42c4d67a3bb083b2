"""What the UI says about its settings: a malformed variable in place of a traceback, and an Ollama host
on another machine, which the prompts (the passages of the documents) are sent to."""

from html import escape
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import REMOTE_OLLAMA
from tests.ui.conftest import APP
from tests.ui.test_app_pages import FIRST_RUN_S, _app, _html

# A documentation address (RFC 5737): never this machine, and nothing there answers as Ollama.


def test_a_malformed_setting_is_one_line_on_every_page(use_data_dir, tmp_path: Path) -> None:
    use_data_dir(tmp_path / "data", CITEWISE_TOP_K="abc")
    for page in ("ask", "documents", "evals", "status"):
        at = AppTest.from_file(str(APP), default_timeout=FIRST_RUN_S).run()
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, at.exception
        assert escape(
            "CITEWISE_TOP_K='abc' is not valid: input should be a valid integer, unable to parse string as an "
            "integer. Fix it or unset it."
        ) in _html(at)
        assert at.title[0].value == "citewise cannot start"


def test_status_names_an_ollama_host_on_another_machine(use_data_dir, indexed_dir: Path, remote_ollama) -> None:
    fake, through_fake = remote_ollama
    use_data_dir(indexed_dir, CITEWISE_LLM="auto", CITEWISE_OLLAMA_HOST=REMOTE_OLLAMA, **through_fake)
    assert (
        f"Answers are generated on {REMOTE_OLLAMA} (CITEWISE_OLLAMA_HOST): each question "
        "and the passages of your documents it retrieves are sent there."
    ) in _html(_app("status"))

    use_data_dir(indexed_dir, CITEWISE_LLM="auto")  # Ollama on 127.0.0.1
    assert "Answers are generated on" not in _html(_app("status"))
    assert set(fake.proxied_hosts) == {"203.0.113.7:11434"}  # the "remote" requests stayed on this machine
