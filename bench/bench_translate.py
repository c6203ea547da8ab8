#!/usr/bin/env python3
"""Benchmark Butane translation.

- A generated fcos config with 8,000 files, each with ``mode`` and a one-line ``inline``:
  target <= 1.0 s (the reference Go Butane takes 4.9 to 5.2 s on this kind of machine).
  Baseline in the same process: composing the same YAML with ruamel's C composer.
- The whole public corpus (``../shared/conformance/butane/cases``) in one process.
- Cold start of ``butane-py small.bu -o /dev/null``: target <= 150 ms; baseline a bare interpreter.
Set REFERENCE_BUTANE=/path/to/butane to time the reference on the same input.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _timing import best_of, cold  # noqa: E402
CASES = ROOT.parent / "shared" / "conformance" / "butane" / "cases"


def generate(n: int = 8000) -> bytes:
    lines = ["variant: fcos", "version: 1.5.0", "storage:", "  files:"]
    for i in range(n):
        lines += [f"    - path: /etc/bench/file{i}.conf", "      mode: 0644", "      contents:",
                  f"        inline: setting{i}=value"]
    return ("\n".join(lines) + "\n").encode()






def main() -> None:
    from ruamel.yaml.cyaml import CBaseLoader

    from butane_py import butane

    data = generate()
    result = butane.translate(data)
    assert result.ok, result.error
    t = best_of(lambda: butane.translate(data), 3)
    t_yaml = best_of(lambda: CBaseLoader(data.decode()).get_single_node(), 3)
    print(f"8,000 files ({len(data) / 1e3:.0f} KB): {t * 1000:7.1f} ms (target <= 1000 ms); "
          f"C YAML compose alone {t_yaml * 1000:.1f} ms, ratio {t / t_yaml:.1f}")
    ref = os.environ.get("REFERENCE_BUTANE")
    with tempfile.TemporaryDirectory() as tmp:
        big = pathlib.Path(tmp, "big.bu")
        big.write_bytes(data)
        if ref:
            t_ref = best_of(lambda: subprocess.run([ref, str(big)], capture_output=True), 2)
            print(f"reference (Go) on the same file: {t_ref * 1000:.0f} ms; speed-up {t_ref / t:.1f}x")
        small = pathlib.Path(tmp, "small.bu")
        small.write_text("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n"
                         "      mode: 0644\n      contents:\n        inline: hello\n")
        # Cold start as installed: with bytecode compiled (an editable checkout under
        # PYTHONDONTWRITEBYTECODE would otherwise recompile every module on every run).
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "butane_py")], capture_output=True)
        base = cold([sys.executable, "-c", "pass"])
        ours = cold([sys.executable, "-m", "butane_py", str(small), "-o", "/dev/null"])
        print(f"cold start small.bu: {ours * 1000:.1f} ms (target <= 150 ms); bare interpreter {base * 1000:.1f} ms")
    if CASES.is_dir():
        files = sorted(CASES.glob("*.bu"))
        inputs = [p.read_bytes() for p in files]
        cwd = os.getcwd()
        os.chdir(CASES.parent)
        try:
            t0 = time.perf_counter()
            for d in inputs:
                butane.translate(d, files_dir="files")
            t_all = time.perf_counter() - t0
        finally:
            os.chdir(cwd)
        print(f"whole corpus, one process: {len(inputs)} configs in {t_all:.2f} s ({t_all / len(inputs) * 1000:.2f} ms each)")


if __name__ == "__main__":
    main()
