#!/usr/bin/env python3
"""Benchmark the full check of a 1 GiB image: SHA-256 + detached OpenPGP signature.

Creates a 1 GiB file (a 16 MiB pool of os.urandom data written 64 times: incompressible
for any filesystem and as costly to hash as fully random data; the hash cost does not
depend on the byte values), signs it with the coreos-installer test key, then measures,
in the same run on the same (page-cached) file:

* ``sha256sum FILE`` (coreutils, one pass), the baseline;
* ``butane_py.fetch.verify_file`` with the expected SHA-256 and the signature, streaming.

Prints the throughput ratio (target >= 0.45x sha256sum) and the peak RSS of the check
(VmHWM; target < 100 MB). The check runs in a fresh child process so its peak RSS is not
inflated by the setup. Usage: python bench/bench_verify.py [SIZE_MIB] [DIR]
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEYS = ROOT / "fixtures" / "third_party" / "coreos-installer" / "verify"

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from butane_py.fetch import Keyring, verify_file
ring = Keyring.from_files([sys.argv[2]])
sig = open(sys.argv[4], "rb").read()
t0 = time.perf_counter()
verify_file(sys.argv[3], sha256=sys.argv[5], signature=sig, keyring=ring)
dt = time.perf_counter() - t0
hwm = 0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        hwm = int(line.split()[1]) * 1024
print(json.dumps({"seconds": dt, "vmhwm": hwm}))
"""


def make_file(path: pathlib.Path, size_mib: int) -> str:
    pool = os.urandom(16 << 20)
    h = hashlib.sha256()
    with open(path, "wb") as fh:
        written = 0
        while written < size_mib << 20:
            block = pool[: min(len(pool), (size_mib << 20) - written)]
            fh.write(block)
            h.update(block)
            written += len(block)
    return h.hexdigest()


def main() -> None:
    import pysequoia

    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    base = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-verify-", dir=base))
    try:
        data = tmp / "image.raw"
        digest = make_file(data, size_mib)
        signer = pysequoia.Tsk.from_file(str(KEYS / "test-key.priv.asc")).signer()
        pysequoia.sign_file(
            signer,
            str(data),
            str(tmp / "image.raw.sig"),
            mode=pysequoia.SignatureMode.DETACHED,
            armor=False,
        )
        sig_hash = pysequoia.Sig.from_file(str(tmp / "image.raw.sig")).hash_algorithm

        def sha256sum() -> float:
            t0 = time.perf_counter()
            out = subprocess.run(
                ["sha256sum", str(data)], capture_output=True, check=True, text=True
            ).stdout
            assert out.split()[0] == digest
            return time.perf_counter() - t0

        def check() -> dict:
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    str(ROOT),
                    str(KEYS / "test-key.pub.asc"),
                    str(data),
                    str(tmp / "image.raw.sig"),
                    digest,
                ],
                capture_output=True,
                check=True,
                text=True,
            ).stdout
            return json.loads(out)

        sha256sum()  # warm the page cache
        base_t = min(sha256sum() for _ in range(3))
        runs = [check() for _ in range(3)]
        ours_t = min(r["seconds"] for r in runs)
        hwm = max(r["vmhwm"] for r in runs)
        mib = size_mib
        print(f"file: {mib} MiB, signature hash {sig_hash}")
        print(f"sha256sum:               {base_t:7.3f} s  {mib / base_t:8.1f} MiB/s")
        print(f"SHA-256 + OpenPGP check: {ours_t:7.3f} s  {mib / ours_t:8.1f} MiB/s")
        ratio = base_t / ours_t
        print(
            f"throughput ratio: {ratio:.2f}x sha256sum (target >= 0.45x) {'OK' if ratio >= 0.45 else 'MISSED'}"
        )
        print(
            f"peak RSS (VmHWM) of the check process: {hwm / 1e6:.1f} MB (target < 100 MB) {'OK' if hwm < 100e6 else 'MISSED'}"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
