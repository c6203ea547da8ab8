#!/usr/bin/env python3
"""Benchmark embedding an Ignition config into a 1 GiB live ISO.

Builds a 1 GiB image from the 2023-07 x86_64 embed-areas fixture
(``fixtures/third_party/coreos-installer/iso``): the 1 MiB ISO volume, then a hole, 256 MiB of
real (random, incompressible) data that the ISO parser never reads, then a hole to 1 GiB.
Then measures, in the same run on the same (page-cached) file:

* in place: ``ignition_embed(iso, config, force=True)``, alternating with an untimed
  ``ignition_remove`` so every run really writes; median and min (target <= 50 ms);
* to a new file: ``ignition_embed(iso, config, output=OUT, force=True)`` (copy + patch +
  atomic rename beside OUT; no fsync, as cp) against ``cp --reflink=auto ISO OUT2`` as a subprocess,
  in the same directory, interleaved, each output deleted between runs; ratio of the medians
  (target <= 1.5). ``cp`` followed by ``sync OUT2`` is timed too, for reference.

Finally checks that the new file holds the config and, once the config is removed from it
again, is byte-identical to the source (SHA-256), and reports how sparse it stayed.
Usage: python bench/bench_embed.py [RUNS] [DIR]
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

FIXTURE = ROOT / "fixtures" / "third_party" / "coreos-installer" / "iso" / "embed-areas-2023-07.x86_64.iso.xz"

MIB = 1 << 20
SIZE = 1024 * MIB  # the whole image, sparse
DATA_AT = 512 * MIB  # where the real data starts
DATA_LEN = 256 * MIB  # how much real data
CONFIG = b'{"ignition":{"version":"3.4.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchBenchBenchBenchBenchBenchBenchBench bench"]}]}}\n'


def timed(fn: Callable[[], object]) -> float:
    """One run of ``fn``, in seconds."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def sha256_file(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * MIB):
            h.update(chunk)
    return h.hexdigest()


def allocated(path: pathlib.Path) -> int:
    return os.stat(path).st_blocks * 512


def build(path: pathlib.Path) -> int:
    """The 1 GiB image at ``path``; returns the size of the ISO volume."""
    with open(path, "wb") as fh:
        subprocess.run(["xz", "-dc", str(FIXTURE)], stdout=fh, check=True)
    iso_size = path.stat().st_size
    assert iso_size <= DATA_AT
    os.truncate(path, SIZE)
    pool = os.urandom(16 * MIB)
    with open(path, "r+b") as fh:
        fh.seek(DATA_AT)
        fh.writelines(pool for _ in range(DATA_LEN // len(pool)))
        fh.flush()
        os.fsync(fh.fileno())
    return iso_size


def main() -> None:
    from butane_py.embed import describe, ignition_embed, ignition_remove, ignition_show

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    base = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-embed-", dir=base))
    try:
        src = tmp / "live.iso"
        out = tmp / "out.iso"
        out_cp = tmp / "out-cp.iso"
        iso_size = build(src)
        area = describe(str(src))["ignition"]
        print(f"image: {src} ({tmp} on {_fstype(tmp)})")
        print(f"  [0, {iso_size / MIB:g} MiB)            ISO volume (fixture {FIXTURE.name})")
        print(f"    Ignition area {area['length'] // 1024} KiB at byte {area['offset']} (found by {area['found_by']})")
        print(f"  [{iso_size / MIB:g} MiB, {DATA_AT // MIB} MiB)       hole")
        print(f"  [{DATA_AT // MIB} MiB, {(DATA_AT + DATA_LEN) // MIB} MiB)     random data, written out")
        print(f"  [{(DATA_AT + DATA_LEN) // MIB} MiB, {SIZE // MIB} MiB)    hole")
        print(f"  size {SIZE / MIB:.0f} MiB, allocated {allocated(src) / MIB:.1f} MiB; config {len(CONFIG)} bytes; {runs} runs each")
        pristine = sha256_file(src)  # also warms the page cache

        # -- in place
        embed_t, remove_t = [], []
        for _ in range(runs):
            embed_t.append(timed(lambda: ignition_embed(str(src), CONFIG, force=True)))
            assert ignition_show(str(src)) == CONFIG
            remove_t.append(timed(lambda: ignition_remove(str(src))))
        med = statistics.median(embed_t)
        print(f"in place: embed median {med * 1000:.2f} ms, min {min(embed_t) * 1000:.2f} ms "
              f"(target <= 50 ms) {'PASS' if med <= 0.050 else 'FAIL'}; "
              f"remove median {statistics.median(remove_t) * 1000:.2f} ms")

        # -- to a new file, against cp
        def ours() -> None:
            ignition_embed(str(src), CONFIG, output=str(out), force=True)

        def cp() -> None:
            subprocess.run(["cp", "--reflink=auto", str(src), str(out_cp)], check=True)

        def cp_sync() -> None:
            cp()
            subprocess.run(["sync", str(out_cp)], check=True)

        def clean() -> None:
            for p in (out, out_cp):
                p.unlink(missing_ok=True)

        samples: dict[str, list[float]] = {"ours": [], "cp": [], "cp+sync": []}
        fns = {"ours": ours, "cp": cp, "cp+sync": cp_sync}
        order = list(fns)
        for name in order:  # warm-up, untimed
            fns[name]()
            clean()
        for i in range(runs):
            for name in order[i % 3:] + order[: i % 3]:  # rotate who goes first
                samples[name].append(timed(fns[name]))
                clean()
        med = {k: statistics.median(v) for k, v in samples.items()}
        for name in order:
            print(f"-o {name:8} median {med[name] * 1000:8.1f} ms, min {min(samples[name]) * 1000:8.1f} ms")
        ratio = med["ours"] / med["cp"]
        print(f"-o ratio ours / cp: {ratio:.2f} (target <= 1.5) {'PASS' if ratio <= 1.5 else 'FAIL'}; "
              f"ours / (cp + sync): {med['ours'] / med['cp+sync']:.2f}")

        # -- correctness of the last kind of run
        ours()
        assert ignition_show(str(out)) == CONFIG, "the new file does not hold the config"
        assert sha256_file(src) == pristine, "the source changed"
        out_alloc = allocated(out)
        ignition_remove(str(out))
        same = sha256_file(out) == pristine
        print(f"check: ignition_show(OUT) == config; OUT after remove {'==' if same else '!='} source (SHA-256); "
              f"OUT allocated {out_alloc / MIB:.1f} MiB vs source {allocated(src) / MIB:.1f} MiB")
        if not same:
            raise SystemExit("FAIL: the new file differs from the source outside the embed area")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fstype(path: pathlib.Path) -> str:
    try:
        out = subprocess.run(["df", "--output=fstype", str(path)], capture_output=True, text=True,
                             check=True).stdout.split()
        return out[-1]
    except (OSError, IndexError, subprocess.CalledProcessError):
        return "?"


if __name__ == "__main__":
    main()
