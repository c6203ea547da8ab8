#!/usr/bin/env python3
"""Start-up of every command: CPU time against a bare interpreter (issue 16: each <= 4x).

Each command runs as the console script does (its entry point is read from pyproject.toml),
with the package's bytecode compiled as an install leaves it. CPU time is the child's user +
system time, the median of N runs (argument 1, default 21); the commands and the bare
``python -c pass`` take turns, so that drift in the machine's load touches them all alike.

Help pages are kept once rendered (``butane_py/cli/_helpcache.py``), in a temporary cache here:
the first ``--help`` of each kind renders with typer and rich, and its CPU time is printed
beside the median, which is that of the pages read back.
"""

from __future__ import annotations

import lzma
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "fixtures" / "examples"
ISO_XZ = ROOT / "fixtures" / "third_party" / "coreos-installer" / "iso" / "embed-areas-2023-07.x86_64.iso.xz"
TARGET = 4.0


def entry_point() -> list[str]:
    """The interpreter command that does what the installed ``butane-py`` script does."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, func = scripts["butane-py"].split(":")
    return [sys.executable, "-c", f"import sys; from {module} import {func}; sys.exit({func}())"]


def commands(tmp: pathlib.Path) -> dict[str, list[str]]:
    iso = tmp / "live.iso"
    iso.write_bytes(lzma.decompress(ISO_XZ.read_bytes()))
    one = tmp / "one.bu"
    shutil.copyfile(EXAMPLES / "hello.bu", one)
    subprocess.run([*entry_point(), "iso", "ignition", "embed", "-f", "-i", str(EXAMPLES / "hello.ign"), str(iso)],
                   check=True, cwd=ROOT, env=_env())
    return {
        "--version": ["--version"],
        "--version -v": ["--version", "-v"],
        "--help": ["--help"],
        "validate small.ign": ["validate", str(EXAMPLES / "hello.ign")],
        "translate small.bu": [str(one), "-o", os.devnull],
        "check one.bu": ["check", str(one)],
        "schema --variant fcos --version 1.6.0": ["schema", "--variant", "fcos", "--version", "1.6.0"],
        "iso ignition show x.iso": ["iso", "ignition", "show", str(iso)],
        "download --help": ["download", "--help"],
    }


HELP_CACHE = tempfile.mkdtemp(prefix="bench-help-")


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100", NO_COLOR="1", BUTANE_PY_CACHE=HELP_CACHE)
    env.pop("BUTANE_PY_HELP_CACHE", None)
    return env


def cpu_time(cmd: list[str]) -> tuple[float, int]:
    """User + system CPU seconds of one run of ``cmd``, and its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=_env()).returncode
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), rc


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "butane_py")], capture_output=True)
    bare = [sys.executable, "-c", "pass"]
    with tempfile.TemporaryDirectory() as tmp:
        runs = {name: [*entry_point(), *args] for name, args in commands(pathlib.Path(tmp)).items()}
        times: dict[str, list[float]] = {"bare": [], **{name: [] for name in runs}}
        codes: dict[str, int] = {}
        for _ in range(n):
            times["bare"].append(cpu_time(bare)[0])
            for name, cmd in runs.items():
                t, codes[name] = cpu_time(cmd)
                times[name].append(t)
    base = statistics.median(times["bare"])
    print(f"{'command':40} {'CPU ms':>8} {'x bare':>7}   (median of {n}; target <= {TARGET:g}x)")
    print(f"{'python -c pass':40} {base * 1000:8.1f} {1:7.2f}")
    for name in runs:
        t = statistics.median(times[name])
        note = "" if t / base <= TARGET else "  over target"
        if "--help" in name:
            note += f"  (first run, rendering: {times[name][0] * 1000:.1f} ms)"
        if codes[name]:
            note += f"  (exit {codes[name]})"
        print(f"{name:40} {t * 1000:8.1f} {t / base:7.2f}{note}")


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(HELP_CACHE, ignore_errors=True)
