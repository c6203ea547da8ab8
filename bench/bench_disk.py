#!/usr/bin/env python3
"""Benchmark the native disk tools (issue 17) against qemu-img and cp, in one run.

Builds a sparse raw disk (default 2 GiB holding 512 MiB of data in 16 extents: random and
repetitive 64 KiB pieces, some 4 KiB blocks zeros) and its qcow2 made by
``qemu-img convert -O qcow2``. Then,
each tool a new process, interleaved, every output removed and the page cache's dirty pages
synced between runs (untimed):

* qcow2 -> raw: ``qcow2_to_raw`` into a new file (no fsync, as qemu-img) against
  ``qemu-img convert -O raw``: ratio of the median wall times (target <= 1.2), CPU times;
  with ``--compressed`` the same for zlib- and zstd-compressed qcow2 (for information);
* copy: ``butane-py images copy RAW OUT --size 20G`` (``copy_disk``, which fsyncs before its
  rename; the command starts without typer) against
  ``cp --sparse=always`` then ``truncate -s 20G``: ratio (target <= 1.5), and against the
  same followed by ``sync FILE``, like for like;
* the peak RSS of ours (target <= 100 MB), through a small measuring parent.

Ours runs as a new Python process (the command itself for the copy) and, for reference, as a call in this
process (without the interpreter's start-up, which is most of the difference on small disks).

Finally checks that our raw disk is byte-identical to qemu-img's and the copy to its source,
and that the copy takes the space its source takes (``du``).

Usage: python bench/bench_disk.py [--small] [--runs N] [--dir DIR] [--size BYTES]
       [--data BYTES] [--copy-size SIZE] [--compressed]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import random
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests._rss import measured, read_kib  # noqa: E402
from tests._disks import data_map  # noqa: E402

MIB = 1 << 20
ENV = dict(os.environ, PYTHONPATH=str(ROOT))

CONVERT = """
import os, sys
from butane_py.images._qcow2 import qcow2_to_raw
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
qcow2_to_raw(sys.argv[1], fd)
"""


def copy_command(src, dst, size: str) -> list[str]:
    """The command a user runs: ``butane-py images copy SRC DST --size SIZE``."""
    return [sys.executable, "-m", "butane_py", "images", "copy", str(src), str(dst), "--size", size]


def run(tool: list[str] | Callable[[], object]) -> tuple[float, float]:
    """Run ``tool``, a command or an in-process call; its wall time and CPU time (user and
    system, all threads), in seconds."""
    who = resource.RUSAGE_SELF if callable(tool) else resource.RUSAGE_CHILDREN
    before = resource.getrusage(who)
    t0 = time.perf_counter()
    if callable(tool):
        tool()
    else:
        subprocess.run(tool, env=ENV, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(who)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def shell(*commands: list[str]) -> list[str]:
    """One process running ``commands`` in turn (so each sample is one process)."""
    return ["sh", "-c", " && ".join(shlex.join(c) for c in commands)]


def build(raw: pathlib.Path, size: int, data: int) -> None:
    extents = 16
    extent = data // extents
    stride = size // extents
    rng = random.Random(17)
    # 64 KiB pieces, random and repetitive in turn (so compressed qcow2 compress about 2:1),
    # each starting with a 4 KiB block of zeros one time in four.
    piece = 64 << 10
    pool = bytearray(b"".join(rng.randbytes(piece) if i % 2 else rng.randbytes(512) * (piece // 512)
                              for i in range(4 * MIB // piece)))
    for block in range(0, len(pool), 4 * piece):
        pool[block : block + 4096] = bytes(4096)
    with open(raw, "wb") as f:
        f.truncate(size)
        for i in range(extents):
            f.seek(i * stride + (i % 3) * MIB)
            for _ in range(extent // len(pool)):
                f.write(pool)
            f.write(pool[: extent % len(pool)])
        f.flush()
        os.fsync(f.fileno())


def sha256(path: pathlib.Path, length: int | None = None) -> str:
    h = hashlib.sha256()
    remaining = length if length is not None else path.stat().st_size
    with open(path, "rb") as f:
        while remaining > 0:
            chunk = f.read(min(remaining, 8 * MIB))
            if not chunk:
                break
            h.update(chunk)
            remaining -= len(chunk)
    return h.hexdigest()


def past_first_block(path: pathlib.Path) -> list[tuple[int, int]]:
    """The data map of a raw disk but its first 4 KiB: qemu-img always allocates that block
    in a raw file it creates (to probe direct I/O alignment), zeros or not."""
    return [(max(start, 4096), end) for start, end in data_map(path) if end > 4096]


def compare(label: str, tools: dict[str, list[str] | Callable[[], object]], outputs: list[pathlib.Path], runs: int) -> dict[str, float]:
    """Interleaved runs of each tool; prints and returns the median wall times."""
    walls: dict[str, list[float]] = {name: [] for name in tools}
    cpus: dict[str, list[float]] = {name: [] for name in tools}
    names = list(tools)
    for i in range(runs):
        for name in names[i % len(names):] + names[: i % len(names)]:  # rotate who goes first
            for out in outputs:
                out.unlink(missing_ok=True)
            os.sync()
            wall, cpu = run(tools[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
    med = {name: statistics.median(v) for name, v in walls.items()}
    for name in names:
        print(f"  {label} {name:14} wall median {med[name]:7.3f} s (min {min(walls[name]):7.3f}), "
              f"CPU median {statistics.median(cpus[name]):7.3f} s")
    return med


def verdict(ratio: float, target: float) -> str:
    return f"{ratio:.2f} (target <= {target}) {'PASS' if ratio <= target else 'FAIL'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="256 MiB disk, 64 MiB of data, 3 runs")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--dir", type=pathlib.Path, help="where the files go (default: the temporary directory)")
    parser.add_argument("--size", type=int, help="virtual size in bytes (default 2 GiB)")
    parser.add_argument("--data", type=int, help="bytes of data (default 512 MiB)")
    parser.add_argument("--copy-size", default="20G", help="the size the copy is extended to (default 20G)")
    parser.add_argument("--compressed", action="store_true", help="also zlib- and zstd-compressed qcow2")
    args = parser.parse_args()
    size = args.size or (256 * MIB if args.small else 2048 * MIB)
    data = args.data or (64 * MIB if args.small else 512 * MIB)
    runs = args.runs or (3 if args.small else 7)
    for tool in ("qemu-img", "cp", "truncate", "sync"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed")

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-disk-", dir=args.dir))
    try:
        raw, ours_raw, qemu_raw = tmp / "disk.raw", tmp / "ours.raw", tmp / "qemu.raw"
        build(raw, size, data)
        images = {"plain": tmp / "disk.qcow2"}
        if args.compressed:
            images["zlib"] = tmp / "zlib.qcow2"
            images["zstd"] = tmp / "zstd.qcow2"
        options = {"plain": [], "zlib": ["-c"], "zstd": ["-c", "-o", "compression_type=zstd"]}
        for kind, image in images.items():
            subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", *options[kind], str(raw), str(image)],
                           check=True)
        fs = subprocess.run(["df", "--output=fstype", str(tmp)], capture_output=True, text=True).stdout.split()[-1]
        print(f"disk: {size / MIB:.0f} MiB, {data / MIB:.0f} MiB of data; qcow2 "
              + ", ".join(f"{k} {p.stat().st_size / MIB:.0f} MiB" for k, p in images.items())
              + f"; in {tmp} ({fs}); {runs} runs each; load average {os.getloadavg()[0]:.1f}")

        from butane_py.images._qcow2 import qcow2_to_raw
        from butane_py.images._sparse import copy_disk

        def convert_here(image: pathlib.Path) -> Callable[[], object]:
            def convert() -> None:
                with open(ours_raw, "xb") as out:
                    qcow2_to_raw(image, out)
            return convert

        ratios = {}
        for kind, image in images.items():
            med = compare(f"qcow2 {kind:5} ->", {
                "butane-py": [sys.executable, "-c", CONVERT, str(image), str(ours_raw)],
                "(in-process)": convert_here(image),
                "qemu-img": ["qemu-img", "convert", "-O", "raw", str(image), str(qemu_raw)],
            }, [ours_raw, qemu_raw], runs)
            ratios[kind] = med["butane-py"] / med["qemu-img"]
            ratios[f"{kind} in-process"] = med["(in-process)"] / med["qemu-img"]
            print(f"  qcow2 {kind} -> raw ratio butane-py / qemu-img: {verdict(ratios[kind], 1.2)}; "
                  f"in-process / qemu-img: {med['(in-process)'] / med['qemu-img']:.2f}")
            for out in (ours_raw, qemu_raw):
                out.unlink(missing_ok=True)
            subprocess.run([sys.executable, "-c", CONVERT, str(image), str(ours_raw)], env=ENV, check=True)
            subprocess.run(["qemu-img", "convert", "-O", "raw", str(image), str(qemu_raw)], check=True)
            if sha256(ours_raw) != sha256(qemu_raw) or past_first_block(ours_raw) != past_first_block(qemu_raw):
                raise SystemExit(f"FAIL: our raw disk from the {kind} qcow2 differs from qemu-img's")

        copy, copy_cp = tmp / "vm.raw", tmp / "vm-cp.raw"
        cp = ["cp", "--sparse=always", str(raw), str(copy_cp)]
        extend = ["truncate", "-s", args.copy_size, str(copy_cp)]
        med = compare("copy", {
            "butane-py": copy_command(raw, copy, args.copy_size),
            "(in-process)": lambda: copy_disk(raw, copy, args.copy_size),
            "cp": shell(cp, extend),
            "cp+sync": shell(cp, extend, ["sync", str(copy_cp)]),
        }, [copy, copy_cp], runs)
        copy_ratio = med["butane-py"] / med["cp"]
        copy_ratios = {"cp": copy_ratio, "cp+sync": med["butane-py"] / med["cp+sync"],
                       "in-process/cp": med["(in-process)"] / med["cp"],
                       "in-process/cp+sync": med["(in-process)"] / med["cp+sync"]}
        for out in (copy, copy_cp):
            out.unlink(missing_ok=True)
        how = copy_disk(raw, copy, args.copy_size)
        subprocess.run(shell(cp, extend), check=True)
        print(f"  copy --size {args.copy_size} ratio butane-py / cp: {verdict(copy_ratio, 1.5)}; "
              f"butane-py / (cp + sync FILE): {med['butane-py'] / med['cp+sync']:.2f}; "
              f"in-process / (cp + sync FILE): {med['(in-process)'] / med['cp+sync']:.2f}")
        du = {p.name: int(subprocess.run(["du", "-B1", str(p)], capture_output=True, text=True).stdout.split()[0])
              for p in (raw, copy, copy_cp)}
        if sha256(copy, raw.stat().st_size) != sha256(raw) or du[copy.name] != du[raw.name]:
            raise SystemExit(f"FAIL: the copy differs from its source ({du})")
        print(f"  du: source {du[raw.name] / MIB:.1f} MiB, butane-py copy ({how}) {du[copy.name] / MIB:.1f} MiB, "
              f"cp copy {du[copy_cp.name] / MIB:.1f} MiB")

        rss = {}
        for what, argv, out in (
            ("qcow2 -> raw", [sys.executable, "-c", CONVERT, str(images["plain"]), str(ours_raw)], ours_raw),
            ("copy", copy_command(raw, copy, args.copy_size), copy),
        ):
            out.unlink(missing_ok=True)
            rss_file = tmp / "rss"
            subprocess.run(measured(argv, rss_file), check=True, env=ENV)
            rss[what] = read_kib(rss_file) / 1024
        print("peak RSS of butane-py: " + ", ".join(f"{k} {v:.1f} MiB" for k, v in rss.items())
              + f" (target <= 100 MB) {'PASS' if max(rss.values()) * MIB <= 100e6 else 'FAIL'}")
        print("summary: " + json.dumps({
            "qcow2_to_raw_ratio": {k: round(v, 2) for k, v in ratios.items()},
            "copy_ratio": {k: round(v, 2) for k, v in copy_ratios.items()},
            "peak_rss_mib": {k: round(v, 1) for k, v in rss.items()},
            "load_average": round(os.getloadavg()[0], 1),
        }))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
