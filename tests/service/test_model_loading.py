"""The answer model is loaded once per process, however many sessions ask their first question at once (the web
UI runs each browser session in its own thread). Ollama's wire format at the HTTP boundary counts the loads."""

import threading
from collections.abc import Callable
from pathlib import Path

from citewise.core.settings import Settings
from citewise.core.types import Answer
from citewise.service import Citewise
from tests.fakes.ollama_server import FakeOllama

SESSIONS = 8
PARIS = "# France\n\nParis is the capital of France and its largest city.\n"


def test_eight_first_questions_at_once_load_one_model(
    tmp_path: Path, make_settings: Callable[..., Settings], embedding_model: str
) -> None:
    (tmp_path / "france.md").write_text(PARIS)
    with FakeOllama() as ollama:
        ollama.set_reply("Paris is the capital of France.")
        service = Citewise(make_settings(tmp_path / "data", ollama_host=ollama.url, llm="ollama"))
        assert service.ingest([tmp_path / "france.md"]).added == 1
        start = threading.Barrier(SESSIONS)
        answers: list[Answer] = []
        errors: list[BaseException] = []

        def session() -> None:
            try:
                start.wait()
                answers.append(service.ask("What is the capital of France?"))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=session) for _ in range(SESSIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        assert errors == [] and len(answers) == SESSIONS
        assert all(not a.refused and "Paris" in a.answer for a in answers)
        # Each question asks Ollama once which models it has (choosing the backend, /api/show); loading the
        # generator asks once more. One load: one more /api/show than there were questions.
        assert len(ollama.bodies("/api/show")) == SESSIONS + 1
        assert len(ollama.bodies("/api/chat")) == SESSIONS
