"""What the figures were measured on: cores, CPU model and vector extensions, memory, load, versions."""

import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

# The CPU flags that decide how fast the embedding model (torch) and llama.cpp run.
VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "amx_tile")
PACKAGES = ("torch", "sentence-transformers", "chromadb", "llama_cpp_python", "scipy", "numpy")


def _cpuinfo() -> tuple[str, list[str]]:
    """The CPU's model name and the vector flags it has (Linux /proc/cpuinfo; unknown elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown", []
    model, flags = "unknown", set[str]()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and model == "unknown":
            model = value.strip()
        elif key.strip() == "flags" and not flags:
            flags = set(value.split())
    return model, [flag for flag in VECTOR_FLAGS if flag in flags]


def _ram_gib() -> float:
    return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def describe_machine() -> dict[str, Any]:
    """The machine and software the benchmark runs on, as JSON-ready values."""
    model, flags = _cpuinfo()
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": model,
        "cpu_flags": flags,
        "ram_gib": _ram_gib(),
        "load_average": [round(x, 2) for x in os.getloadavg()],  # at the start: a busy machine reads slower
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": {package: _version(package) for package in PACKAGES},
    }


def machine_line(machine: dict[str, Any]) -> str:
    """One line for the table's heading."""
    packages = ", ".join(f"{name} {v}" for name, v in machine["packages"].items() if v)
    return (
        f"{machine['usable_cores']} of {machine['cores']} cores, {machine['cpu']} ({' '.join(machine['cpu_flags'])}), "
        f"{machine['ram_gib']} GiB RAM, load {' '.join(map(str, machine['load_average']))}; "
        f"Python {machine['python']}; {packages}"
    )
