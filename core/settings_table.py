"""The one table of settings: every `CITEWISE_*` variable, its default and its meaning, made from the fields of
core/settings.py (each field's `description`). README's Configuration table is this table
(`python -m citewise.core.settings_table` prints it; tests/core/test_settings_table.py fails when they drift),
and the Status page shows it beside the current values."""

from dataclasses import dataclass
from typing import Any

from pydantic import AliasChoices
from pydantic.fields import FieldInfo

from citewise.core.settings import Settings

# Defaults that are worked out when the settings are read, shown as what they come to.
SHOWN_DEFAULTS = {
    "data_dir": "per-user data dir",
    "chroma_url": "(embedded)",
    "min_relevance": "per embedding model",
    "model_path": "(the packaged GGUF)",
    "shared_models_dir": "`CITEWISE_DATA_DIR/models`",
}
README_START = "<!-- settings table: made from core/settings.py by `python -m citewise.core.settings_table` -->"
README_END = "<!-- end of the settings table -->"


@dataclass(frozen=True)
class SettingRow:
    name: str  # the Settings field
    variables: tuple[str, ...]  # the environment variables that set it
    default: str  # as Markdown
    meaning: str  # as Markdown (backticks for names and values)


def _variables(name: str, field: FieldInfo) -> tuple[str, ...]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice) for choice in alias.choices if str(choice).isupper())
    return (f"CITEWISE_{name.upper()}",)


def _default(name: str, value: Any) -> str:
    if name in SHOWN_DEFAULTS:
        return SHOWN_DEFAULTS[name]
    if value is None or value == "":
        return "(none)"
    if isinstance(value, float):
        return f"{value:g}"
    return f"`{value}`" if isinstance(value, str) else str(value)


def setting_rows() -> list[SettingRow]:
    """One row per setting, in the order core/settings.py declares them (internal fields left out)."""
    return [
        SettingRow(name, _variables(name, field), _default(name, field.default), field.description or "")
        for name, field in Settings.model_fields.items()
        if not field.exclude
    ]


def settings_markdown() -> str:
    """The README's table."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for row in setting_rows():
        variables = " / ".join(f"`{v}`" for v in row.variables)
        lines.append(f"| {variables} | {row.default} | {row.meaning} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(f"{README_START}\n{settings_markdown()}\n{README_END}")
