"""Peak RSS of a butane-py child, measured from a small parent.

Linux keeps a process's memory high-water mark across exec, and Python starts children with
vfork, so a child of the (large) pytest process reports at least pytest's own size. A small
Python parent in between sees only the child's real peak.
"""

from __future__ import annotations

import sys
from pathlib import Path

_MEASURE = """
import resource, subprocess, sys
p = subprocess.run(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(p.returncode if p.returncode >= 0 else 128 - p.returncode)
"""


def measured(argv: list[str], rss_file: Path) -> list[str]:
    """``argv`` run under the measuring parent, which writes the peak RSS (KiB) to ``rss_file``."""
    return [sys.executable, "-c", _MEASURE, str(rss_file), *argv]


def read_kib(rss_file: Path) -> int:
    return int(rss_file.read_text())
