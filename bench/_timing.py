"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import subprocess
import sys
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


# A small parent between the benchmark and the measured program. Linux carries a process's
# RSS high-water mark across exec, so a child spawned by the (large) benchmark process would
# report at least the benchmark's own size; this parent is a bare interpreter.
_MEASURE = """
import os, subprocess, sys, time
with open(sys.argv[1], "wb") as out:
    t0 = time.perf_counter()
    p = subprocess.Popen(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t0
print(elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def measured_run(cmd: list[str], stdout: str, env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """Run ``cmd`` with its output in the file ``stdout``: (wall seconds, peak RSS in KiB, exit code)."""
    p = subprocess.run([sys.executable, "-c", _MEASURE, stdout, *cmd], capture_output=True, text=True,
                       env=env, check=True)
    elapsed, kib, code = p.stdout.split()
    return float(elapsed), int(kib), int(code)
