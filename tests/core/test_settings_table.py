"""One table of settings, made from core/settings.py: README's Configuration table is it, every setting has a
meaning, and the Status page shows the same rows."""

from pathlib import Path

from citewise.core.settings import Settings
from citewise.core.settings_table import README_END, README_START, setting_rows, settings_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_the_one_made_from_the_settings() -> None:
    text = README.read_text(encoding="utf-8")
    assert README_START in text and README_END in text, "README lost the settings table's markers"
    shown = text.split(README_START, 1)[1].split(README_END, 1)[0].strip()
    assert shown == settings_markdown(), (
        "README's settings table differs from core/settings.py: run `python -m citewise.core.settings_table` "
        "and paste its output over the table"
    )


def test_every_setting_is_in_the_table_with_a_meaning() -> None:
    rows = setting_rows()
    fields = [name for name, field in Settings.model_fields.items() if not field.exclude]
    assert [row.name for row in rows] == fields
    assert [row.name for row in rows if not row.meaning.strip()] == []
    variables = {v for row in rows for v in row.variables}
    assert {"CITEWISE_TOP_K", "CITEWISE_MODELS_DIR", "CITEWISE_OLLAMA_HOST", "OLLAMA_HOST"} <= variables
    assert {row.name: row.default for row in rows}["lock_timeout"] == "300"
