"""The Evals page's review screen in headless Chromium: keep one generated item, drop another, and the file says so."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.environment import clean_environ
from tests.processes import UI_START_S, running_ui
from tests.ui.conftest import CLOSED_PORT_URL

pytestmark = pytest.mark.browser

PASSAGE = "Descale the kettle every month with citric acid so the element stays clean. <b>Rinse</b> it twice."


def _generated(item_id: str, question: str, answerable: bool = True) -> dict:
    return {
        "id": item_id,
        "question": question,
        "answers": ["citric acid"] if answerable else [],
        "evidence": ["Descale the kettle every month with citric acid so the element stays clean."]
        if answerable
        else [],
        "answerable": answerable,
        "review": "pending",
        "origin": {
            "generator": "ollama:test",
            "seed": 0,
            "kind": "answerable" if answerable else "off_topic",
            "language": "en",
            "passage": PASSAGE,
        },
    }


def _idle(page: Page) -> None:
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)


def test_keep_and_drop_are_saved_to_the_generated_file(tmp_path: Path, page: Page) -> None:
    generated = tmp_path / "mine.jsonl"
    items = [
        _generated("gen-000", "What should the kettle be descaled with?"),
        _generated("gen-001", "How often is the kettle descaled?"),
        _generated("gen-002", "How long should sourdough proof?", answerable=False),
    ]
    generated.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    data = tmp_path / "data"
    env = clean_environ()
    env |= {"CITEWISE_DATA_DIR": str(data), "CITEWISE_LLM": "embedded", "CITEWISE_OLLAMA_HOST": CLOSED_PORT_URL}
    data.mkdir()
    with running_ui(env, data / "ui.log", cwd=data) as url:
        page.goto(f"{url}/evals")
        expect(page.get_by_role("heading", name="Evals")).to_be_visible(timeout=UI_START_S * 1000)
        page.get_by_text("Review a generated set").click()
        box = page.get_by_placeholder("/path/to/my.jsonl")
        box.fill(str(generated))
        box.press("Enter")
        counts = page.locator(".cw-review-counts")
        expect(counts).to_contain_text("0 kept · 0 dropped · 3 pending", timeout=60_000)
        passage = page.locator(".cw-passage").first
        expect(passage.locator("mark")).to_have_text(
            "Descale the kettle every month with citric acid so the element stays clean."
        )
        expect(passage).to_contain_text("<b>Rinse</b>")  # the passage is text, never HTML

        page.get_by_role("button", name="Keep").first.click()  # gen-000; it leaves the pending list
        expect(counts).to_contain_text("1 kept · 0 dropped · 2 pending", timeout=60_000)
        _idle(page)
        expect(page.get_by_text("What should the kettle be descaled with?")).to_have_count(0, timeout=60_000)
        page.get_by_role("button", name="Drop").first.click()  # gen-001
        expect(counts).to_contain_text("1 kept · 1 dropped · 1 pending", timeout=60_000)
        _idle(page)

    saved = [json.loads(line) for line in generated.read_text(encoding="utf-8").splitlines()]
    assert [r["review"] for r in saved] == ["kept", "dropped", "pending"]
    assert [r["question"] for r in saved] == [i["question"] for i in items]
