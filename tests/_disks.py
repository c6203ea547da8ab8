"""Helpers for tests (and bench/) that look at disk images and interrupt the tools writing them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def data_map(path: str | os.PathLike[str]) -> list[tuple[int, int]]:
    """The data extents ``(start, end)`` of a file, as SEEK_DATA/SEEK_HOLE report them.

    Written independently of the library's own extent walk, so that it can check it."""
    extents = []
    fd = os.open(Path(path), os.O_RDONLY)
    try:
        size, pos = os.fstat(fd).st_size, 0
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:  # ENXIO: no data after pos
                break
            pos = os.lseek(fd, start, os.SEEK_HOLE)
            extents.append((start, pos))
    finally:
        os.close(fd)
    return extents


#: The end of a child script: a program's top level as the CLI's, where Ctrl-C ends quietly
#: with status 130. SIGTERM and SIGHUP need nothing: the library turns them into a quiet exit.
AS_A_PROGRAM = """
try:
    main()
except KeyboardInterrupt:
    sys.exit(130)
"""

#: The signals a test sends mid-write, each with the exit status it must give.
SIGNALS = {signal.SIGTERM: 128 + signal.SIGTERM, signal.SIGHUP: 128 + signal.SIGHUP, signal.SIGINT: 130,
           signal.SIGKILL: -signal.SIGKILL}


def interrupt(script: str, args: list[str | os.PathLike[str]], started: Callable[[], bool],
              signum: int) -> tuple[int, str]:
    """Run ``script`` (``python -c``, with the checkout on its path) as a new process, send it
    ``signum`` once ``started()`` says it is mid-write, and return its exit status and
    standard error."""
    p = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not started():
            assert p.poll() is None, f"the child ended before it started writing: {p.stderr.read()}"
            assert time.monotonic() < deadline, "the child did not start writing"
            time.sleep(0.005)
        p.send_signal(signum)
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, err


def assert_quiet_exit(signum: int, status: int, stderr: str) -> None:
    """The child ended with the status ``signum`` calls for, and said nothing (no traceback)."""
    assert (status, stderr) == (SIGNALS[signum], ""), (status, stderr)
