"""The package's shape: one import name, and imports that only point down the layers."""

import ast
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Folder -> its import name under `citewise`, lowest layer first.
PARTS = {
    "core": "citewise.core",
    "ingest": "citewise.ingest",
    "retrieval": "citewise.retrieval",
    "answer": "citewise.answer",
    "evals": "citewise.evals",
    "conversations": "citewise.conversations",
    "citewise": "citewise",
    "cli": "citewise.cli",
    "ui": "citewise.ui",
    "api": "citewise.api",
}
SURFACES = ("citewise.cli", "citewise.ui", "citewise.api")
CONVERSATIONS = "citewise.conversations"  # saved conversations: records of answers, below the facade only
# What each lower folder may not import (anything under these names): README's "Imports point down".
FORBIDDEN = {
    "core": (
        "citewise.ingest",
        "citewise.retrieval",
        "citewise.answer",
        "citewise.evals",
        CONVERSATIONS,
        "citewise.service",
        *SURFACES,
    ),
    "ingest": ("citewise.answer", "citewise.evals", CONVERSATIONS, "citewise.service", *SURFACES),
    "retrieval": ("citewise.ingest", "citewise.answer", "citewise.evals", CONVERSATIONS, "citewise.service", *SURFACES),
    "answer": ("citewise.ingest", "citewise.evals", CONVERSATIONS, "citewise.service", *SURFACES),
    # The facade calls the evals and hands itself in (evals/parts.py): the evals never import it.
    "evals": (CONVERSATIONS, "citewise.service", *SURFACES),
    # Records of answers (core's types) and their store: the facade checks the cited passages against the index.
    "conversations": (
        "citewise.ingest",
        "citewise.retrieval",
        "citewise.answer",
        "citewise.evals",
        "citewise.service",
        *SURFACES,
    ),
    "citewise": SURFACES,
}
# A surface parses, calls the facade and renders: of citewise it imports only the facade, the shared records
# and settings, and its own package. The CLI also starts the other two (`citewise ui`, `citewise serve`).
SURFACE_MAY_IMPORT = {
    "cli": ("citewise.service", "citewise.core", "citewise.cli", "citewise.ui", "citewise.api"),
    "ui": ("citewise.service", "citewise.core", "citewise.ui"),
    "api": ("citewise.service", "citewise.core", "citewise.api"),
}
OLD_NAMES = ("cli", "ui", "api", "evals", "ingest", "retrieval", "answer", "core", "conversations")


# `python -m citewise` is an entry point: it runs the CLI, like the `citewise` script does.
ENTRY_POINTS = {ROOT / "citewise" / "__main__.py"}


def modules(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if p not in ENTRY_POINTS)


def imported_names(path: Path) -> list[tuple[int, str]]:
    """Every module name `path` imports, at any depth (function-level imports too)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append((node.lineno, node.module))
            names.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return names


def under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def offending_imports(folder: str, offends: Callable[[str], bool]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in modules(folder)
        for line, name in imported_names(path)
        if offends(name)
    ]


@pytest.mark.parametrize("folder", list(FORBIDDEN))
def test_imports_point_down_the_layers(folder: str) -> None:
    wrong = offending_imports(folder, lambda name: any(under(name, f) for f in FORBIDDEN[folder]))
    assert not wrong, "a lower layer imports a higher one:\n" + "\n".join(wrong)


@pytest.mark.parametrize("folder", list(SURFACE_MAY_IMPORT))
def test_surfaces_import_only_the_facade_and_core(folder: str) -> None:
    allowed = SURFACE_MAY_IMPORT[folder]
    wrong = offending_imports(
        folder, lambda name: under(name, "citewise") and name != "citewise" and not any(under(name, a) for a in allowed)
    )
    assert not wrong, (
        "a surface reaches past the facade (re-export what it needs from citewise.service):\n" + "\n".join(wrong)
    )


@pytest.mark.parametrize("folder", list(PARTS))
def test_every_import_of_the_project_goes_through_the_citewise_name(folder: str) -> None:
    bare = offending_imports(folder, lambda name: name.split(".")[0] in OLD_NAMES)
    assert not bare, "import these as citewise.<part>:\n" + "\n".join(bare)


def test_the_layering_check_sees_a_violation(tmp_path: Path) -> None:
    """The AST walk finds a surface import hidden inside a function, so the tests above can fail."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from citewise.ui.render import CSS\n    return CSS\n", encoding="utf-8")
    assert (2, "citewise.ui.render") in imported_names(module)


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_installing_adds_one_import_name(tmp_path: Path) -> None:
    """Outside the repository, only `citewise` is importable; the folders' own names are not."""
    code = (
        "import importlib.util as u, citewise.retrieval.store, citewise.ui, citewise.api.app\n"
        f"print([n for n in {OLD_NAMES!r} if u.find_spec(n) is not None])"
    )
    result = _python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_python_dash_m_citewise_runs_the_cli(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "citewise", "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "ingest" in result.stdout and "ask" in result.stdout
