"""Elapsed time as every stage records it."""

import time


def ms_since(start: float) -> float:
    """Milliseconds since the perf_counter() reading `start`, to 0.1 ms."""
    return round((time.perf_counter() - start) * 1000, 1)
