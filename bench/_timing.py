"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import subprocess
import time
from typing import Callable


def best_of(fn: Callable[[], object], n: int) -> float:
    """The fastest of ``n`` runs, in seconds (the least disturbed by other load)."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def cold(cmd: list[str], n: int = 15) -> float:
    """The median wall time of running ``cmd`` as a new process, in seconds."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
