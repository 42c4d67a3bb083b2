"""requirements.lock agrees with pyproject.toml, and this environment runs what the lock pins.

A lock that falls behind pyproject.toml (a dependency added, removed or re-bounded without running
scripts/update-deps.sh) would install something CI never tested; these tests fail first."""

import os
import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
# scripts/update-deps.sh runs these tests on a candidate lock before it replaces this one.
LOCK = Path(os.environ.get("CITEWISE_LOCK") or ROOT / "requirements.lock")
# Inputs the lock is compiled from besides pyproject.toml (scripts/update-deps.sh names the same).
EXTRA_INPUTS = (ROOT / "scripts" / "pip.in",)
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)\s*(?:;\s*(?P<marker>.+))?$")
VIA = re.compile(r"^\s*#\s+(?:via\s+)?(?P<source>\S.*)$")


def _pins() -> dict[str, list[tuple[Version, Marker | None, set[str]]]]:
    """Each locked package's pins (a universal lock may pin two versions under exclusive markers), with
    the sources each pin's annotation names."""
    pins: dict[str, list[tuple[Version, Marker | None, set[str]]]] = {}
    current: set[str] | None = None
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if pin := PIN.match(line):
            marker = Marker(pin["marker"]) if pin["marker"] else None
            current = set()
            pins.setdefault(canonicalize_name(pin["name"]), []).append((Version(pin["version"]), marker, current))
        elif current is not None and (via := VIA.match(line)) and via["source"] != "via":
            current.add(via["source"].strip())
    return pins


def _direct_requirements() -> list[Requirement]:
    """What pyproject.toml and the extra inputs ask for, the project's own extras left out."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    for path in EXTRA_INPUTS:
        lines += [line.split("#")[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    requirements = [Requirement(line) for line in lines if line]
    return [req for req in requirements if canonicalize_name(req.name) != canonicalize_name(project["name"])]


def test_every_line_of_the_lock_is_an_exact_pin() -> None:
    text = LOCK.read_text(encoding="utf-8")
    loose = [line for line in text.splitlines() if line and not line.startswith((" ", "#")) and not PIN.match(line)]
    assert loose == [], f"requirements.lock has lines that pin nothing: {loose}; run scripts/update-deps.sh"
    assert "scripts/update-deps.sh" in text.splitlines()[1], "the lock's header must name the command that makes it"


def test_every_requirement_of_pyproject_is_locked_within_its_bounds() -> None:
    pins = _pins()
    missing, outside = [], []
    for req in _direct_requirements():
        locked = pins.get(canonicalize_name(req.name))
        if not locked:
            missing.append(req.name)
        outside += [f"{req} (locked {version})" for version, _, _ in locked or () if version not in req.specifier]
    assert missing == [], f"pyproject.toml asks for {missing}, requirements.lock has no pin: run scripts/update-deps.sh"
    assert outside == [], f"requirements.lock pins versions pyproject.toml excludes: {outside}"


def test_the_lock_holds_no_direct_dependency_that_pyproject_dropped() -> None:
    asked = {canonicalize_name(req.name) for req in _direct_requirements()}
    from_pyproject = {
        name
        for name, entries in _pins().items()
        for _, _, sources in entries
        if any(source.startswith(("citewise (pyproject.toml)", "-r scripts/")) for source in sources)
    }
    assert from_pyproject - asked == set(), "requirements.lock still pins dropped dependencies: run update-deps.sh"


def test_this_environment_has_the_locked_version_of_every_locked_package_it_has() -> None:
    """What setup.sh installed is what the lock pins (a local build label such as torch's +cpu aside)."""
    drifted = []
    for name, entries in _pins().items():
        wanted = [version for version, marker, _ in entries if marker is None or marker.evaluate()]
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            continue  # a package only another platform's build asks for (torch's CUDA wheels)
        if wanted and Version(installed.public) not in wanted:
            drifted.append(f"{name} {installed} (locked {wanted[0]})")
    assert drifted == [], f"installed versions differ from requirements.lock: {drifted}; run scripts/setup.sh"
