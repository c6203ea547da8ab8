#!/usr/bin/env python3
"""`butane-py check` over every .bu of the public corpus in one invocation, against one
`butane-py` process per file on the same files (target ratio <= 0.1).

For scale, the Go reference takes about 20 ms per file as one process per file.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = ROOT.parent / "shared" / "conformance" / "butane" / "cases"


def main() -> None:
    files = sorted(str(p) for p in CASES.glob("*.bu"))
    files_dir = str(CASES.parent / "files")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "butane_py")], capture_output=True)
    cmd = [sys.executable, "-m", "butane_py"]
    t0 = time.perf_counter()
    subprocess.run(cmd + ["check", "-d", files_dir, *files], capture_output=True)
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    for f in files:
        subprocess.run(cmd + ["-d", files_dir, f, "-o", os.devnull], capture_output=True)
    many = time.perf_counter() - t0
    print(f"{len(files)} files: one check process {one:.2f} s; one process per file {many:.2f} s "
          f"({many / len(files) * 1000:.0f} ms each); ratio {one / many:.3f} (target <= 0.1)")


if __name__ == "__main__":
    main()
