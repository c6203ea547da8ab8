#!/usr/bin/env python3
"""Benchmark `validate` on a generated 6,000-file, 1,000-unit config (about 1.6 MB).

Prints the time per run and ratios against baselines measured in the same process:
the stdlib's C JSON parser on the same bytes, and (cold start) a bare interpreter.
Targets (issue 2): validate <= 0.5 s; cold start of `butane-py validate small.ign` <= 150 ms.
Set REFERENCE_VALIDATE=/path/to/ignition-validate to time the Go reference too.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _timing import best_of, cold  # noqa: E402


def generate(n_files: int = 6000, n_units: int = 1000) -> bytes:
    files = [
        {
            "path": f"/etc/bench/dir{i % 50}/file{i}.conf",
            "mode": 0o644,
            "overwrite": True,
            "contents": {
                "source": "data:,setting%3Dvalue%0Aanother%3D" + str(i) + "%0A",
                "verification": {"hash": "sha256-" + f"{i:064x}"},
            },
        }
        for i in range(n_files)
    ]
    units = [
        {
            "name": f"bench-{i}.service",
            "enabled": True,
            "contents": "[Unit]\nDescription=Benchmark unit %d\n\n"
            "[Service]\nType=oneshot\nExecStart=/usr/bin/true\nRemainAfterExit=yes\n\n"
            "[Install]\nWantedBy=multi-user.target\n" % i,
            "dropins": [{"name": "10-env.conf", "contents": "[Service]\nEnvironment=N=%d\n" % i}],
        }
        for i in range(n_units)
    ]
    cfg = {"ignition": {"version": "3.4.0"}, "storage": {"files": files}, "systemd": {"units": units}}
    return json.dumps(cfg).encode()






def main() -> None:
    from butane_py import ignition

    data = generate()
    report = ignition.validate(data)
    assert not report.is_fatal, str(report)[:500]
    t_validate = best_of(lambda: ignition.validate(data), 5)
    t_json = best_of(lambda: json.loads(data), 5)
    print(f"config: {len(data) / 1e6:.2f} MB, 6000 files, 1000 units, {len(report)} findings")
    print(f"validate:            {t_validate * 1000:8.1f} ms   (target <= 500 ms)")
    print(f"baseline json.loads: {t_json * 1000:8.1f} ms   ratio validate/json.loads = {t_validate / t_json:.1f}")
    ref = os.environ.get("REFERENCE_VALIDATE")
    with tempfile.TemporaryDirectory() as tmp:
        big = pathlib.Path(tmp, "big.ign")
        big.write_bytes(data)
        small = ROOT / "fixtures" / "examples" / "hello.ign"
        if ref:
            t_ref = best_of(lambda: subprocess.run([ref, str(big)], capture_output=True), 5)
            print(f"reference (Go):      {t_ref * 1000:8.1f} ms   ratio butane-py/reference = {t_validate / t_ref:.2f}")
        # Cold start as installed: with bytecode compiled (an editable checkout under
        # PYTHONDONTWRITEBYTECODE would otherwise recompile every module on every run).
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "butane_py")], capture_output=True)
        base = cold([sys.executable, "-c", "pass"])
        ours = cold([sys.executable, "-m", "butane_py", "validate", str(small)])
        print(f"cold start validate small.ign: {ours * 1000:6.1f} ms (target <= 150 ms); "
              f"bare interpreter {base * 1000:.1f} ms; ratio {ours / base:.2f}")


if __name__ == "__main__":
    main()
