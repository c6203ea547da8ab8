#!/usr/bin/env python3
"""Benchmark configs that embed large contents, against the reference Go Butane (issue 16).

Each content is embedded once in an fcos 1.6.0 config and translated by both tools, one new
process per run, the two tools alternating; the best of ``--runs`` wall times is kept, with
the highest peak RSS of each tool and whether the two outputs are byte-identical. Contents:

* ``local:`` files: random bytes, source text (the stdlib's ``.py`` files), ``abc`` repeated,
  JSON, a real binary (ELF files from /usr);
* inline text (the source text, made YAML-printable, as a literal block);
* inline base64 of random bytes (``source: data:;base64,...`` as one plain scalar).

Then a long inline scalar (``--scalar-size``) in each YAML style, with ``compression: gzip``
set so that no compressor runs and the time is the parse and the data URL; then ``big.bu``
(6,000 small files and 1,000 units; target <= 0.2x Go).

Set REFERENCE_BUTANE=/path/to/butane to compare with the reference; without it only
butane-py is measured. Usage: bench_contents.py [--sizes 100K,1M,4M,16M] [--runs N]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pathlib
import random
import re
import subprocess
import sys
import sysconfig
import tempfile
from typing import Callable

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _timing import measured_run  # noqa: E402

KB = 1 << 10
MB = 1 << 20
HEADER = "variant: fcos\nversion: 1.6.0\nstorage:\n  files:\n    - path: /var/lib/bench/content\n      contents:\n"


def random_bytes(n: int) -> bytes:
    return random.Random(16).randbytes(n)


def source_text(n: int) -> bytes:
    out = bytearray()
    stdlib = pathlib.Path(sysconfig.get_paths()["stdlib"])
    while len(out) < n:
        for p in sorted(stdlib.rglob("*.py")):
            out += p.read_bytes()
            if len(out) >= n:
                break
    return bytes(out[:n])


def abc(n: int) -> bytes:
    return (b"abc" * (n // 3 + 1))[:n]


def json_text(n: int) -> bytes:
    rnd = random.Random(16)
    records = []
    size = 0
    while size < n:
        i = len(records)
        r = {"id": i, "name": f"host-{i:05d}", "enabled": i % 3 != 0,
             "address": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
             "labels": {"zone": rnd.choice(["a", "b", "c"]), "rack": rnd.randrange(40)},
             "load": round(rnd.random(), 4)}
        records.append(r)
        size += 160
    text = json.dumps(records, indent=2).encode()
    while len(text) < n:
        text += text
    return text[:n]


def real_binary(n: int) -> bytes:
    out = bytearray()
    for top in ("/usr/bin", "/usr/lib"):
        for dirpath, dirs, files in os.walk(top):
            dirs.sort()
            for name in sorted(files):
                p = os.path.join(dirpath, name)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                try:
                    with open(p, "rb") as f:
                        if f.read(4) != b"\x7fELF":
                            continue
                        out += b"\x7fELF" + f.read()
                except OSError:
                    continue
                if len(out) >= n:
                    return bytes(out[:n])
    if not out:
        raise SystemExit("no ELF files found under /usr")
    while len(out) < n:
        out += out
    return bytes(out[:n])


_NOT_YAML_PRINTABLE = re.compile("[^\t\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd]")


def yaml_text(n: int) -> str:
    """Source text without the characters YAML forbids (form feeds, CRs, a BOM)."""
    text = _NOT_YAML_PRINTABLE.sub("", source_text(n).decode("utf-8", "replace"))
    return text.lstrip(" \n")


def local(files_dir: pathlib.Path, data: bytes) -> str:
    (files_dir / "content").write_bytes(data)
    return HEADER + "        local: content\n"


def literal(text: str, indent: int = 10) -> str:
    pad = " " * indent
    return "|\n" + "".join(pad + line if line.strip() else "\n" for line in text.splitlines(True))


# name -> builds the .bu text of a content of n bytes (writing any local file into files_dir)
KINDS: dict[str, Callable[[pathlib.Path, int], str]] = {
    "random bytes, local:": lambda d, n: local(d, random_bytes(n)),
    "source text, local:": lambda d, n: local(d, source_text(n)),
    "abc repeated, local:": lambda d, n: local(d, abc(n)),
    "JSON, local:": lambda d, n: local(d, json_text(n)),
    "a real binary, local:": lambda d, n: local(d, real_binary(n)),
    "inline text": lambda d, n: HEADER + "        inline: " + literal(yaml_text(n)),
    "inline base64 of random bytes": lambda d, n: HEADER + "        source: data:;base64,"
    + base64.b64encode(random_bytes(n)).decode() + "\n",
}


def words(n: int) -> list[str]:
    """Lines of about 70 characters of words, n characters in all."""
    rnd = random.Random(16)
    vocab = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
             "juliett", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo"]
    lines, size = [], 0
    while size < n:
        line = " ".join(rnd.choice(vocab) for _ in range(10))
        lines.append(line)
        size += len(line) + 1
    return lines


SCALAR_HEADER = HEADER + "        compression: gzip\n"
SCALARS: dict[str, Callable[[list[str]], str]] = {
    "plain": lambda ls: "inline: " + "\n          ".join(ls) + "\n",
    "double-quoted": lambda ls: 'inline: "' + "\n          ".join(ls) + '"\n',
    "literal |": lambda ls: "inline: " + literal("\n".join(ls) + "\n"),
    "folded >": lambda ls: "inline: >" + literal("\n".join(ls) + "\n")[1:],
}


def big_bu(n_files: int = 6000, n_units: int = 1000) -> str:
    """The Butane form of bench_validate's config: small inline files and units with drop-ins."""
    out = ["variant: fcos", "version: 1.6.0", "storage:", "  files:"]
    for i in range(n_files):
        out += [f"    - path: /etc/bench/dir{i % 50}/file{i}.conf", "      mode: 0644", "      overwrite: true",
                "      contents:", f'        inline: "setting=value\\nanother={i}\\n"']
    out += ["systemd:", "  units:"]
    for i in range(n_units):
        out += [f"    - name: bench-{i}.service", "      enabled: true", "      contents: |",
                "        [Unit]", f"        Description=Benchmark unit {i}", "", "        [Service]",
                "        Type=oneshot", "        ExecStart=/usr/bin/true", "        RemainAfterExit=yes", "",
                "        [Install]", "        WantedBy=multi-user.target", "      dropins:",
                "        - name: 10-env.conf", "          contents: |", "            [Service]",
                f"            Environment=N={i}"]
    return "\n".join(out) + "\n"


def parse_size(s: str) -> int:
    s = s.strip().upper()
    for suffix, mult in (("K", KB), ("M", MB)):
        if s.endswith(suffix):
            return int(float(s[:-1]) * mult)
    return int(s)


def label(n: int) -> str:
    return f"{n // MB} MB" if n >= MB else f"{n // KB} KB"


class Bench:
    def __init__(self, tmp: pathlib.Path, ref: str | None, runs: int) -> None:
        self.tmp = tmp
        self.files_dir = tmp / "files"
        self.files_dir.mkdir()
        self.ref = ref
        self.runs = runs
        self.env = dict(os.environ, PYTHONPATH=str(ROOT))

    def measure(self, bu_text: str) -> dict:
        """Best wall time and peak RSS of each tool on ``bu_text``, and whether the outputs match."""
        bu = self.tmp / "input.bu"
        bu.write_text(bu_text)
        tools = {"py": [sys.executable, "-m", "butane_py"]}
        if self.ref:
            tools["go"] = [self.ref]
        best: dict[str, tuple[float, int]] = {}
        failed = set()
        for _ in range(self.runs):
            for name, cmd in tools.items():
                t, kib, code = measured_run([*cmd, "--files-dir", str(self.files_dir), str(bu)],
                                            str(self.tmp / f"out-{name}.json"), self.env)
                if code:
                    failed.add(name)
                prev = best.get(name)
                best[name] = (min(t, prev[0]) if prev else t, max(kib, prev[1]) if prev else kib)
        same = None
        if self.ref:
            same = (self.tmp / "out-py.json").read_bytes() == (self.tmp / "out-go.json").read_bytes()
        return {"best": best, "failed": failed, "same": same}


def row(name: str, r: dict) -> str:
    py_t, py_kib = r["best"]["py"]
    cells = f"{name:<40} {py_t:8.2f} s {py_kib / 1024:7.0f} MB"
    if "go" in r["best"]:
        go_t, go_kib = r["best"]["go"]
        mark = "" if r["same"] else "  OUTPUTS DIFFER"
        cells += (f" | {go_t:8.2f} s {go_kib / 1024:7.0f} MB | {py_t / go_t:6.2f}x  "
                  f"{py_kib / go_kib:5.2f}x{mark}")
    for name in sorted(r["failed"]):
        cells += f"  {name} FAILED"
    return cells


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100K,1M,4M,16M", help="content sizes (default: 100K,1M,4M,16M)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each tool per case; the best is kept")
    ap.add_argument("--kinds", help="only the contents whose name contains this text")
    ap.add_argument("--scalar-size", default="4M", help="size of the long scalars (0 to skip)")
    ap.add_argument("--no-big", action="store_true", help="skip big.bu")
    args = ap.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    ref = os.environ.get("REFERENCE_BUTANE")
    if not ref:
        print("(set REFERENCE_BUTANE=/path/to/butane to compare with the reference Go Butane)")
    # Timed as installed: with bytecode compiled.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "butane_py")], capture_output=True)
    head = f"{'case':<40} {'butane-py':>10} {'RSS':>10}"
    if ref:
        head += f" | {'Go':>10} {'RSS':>10} | {'time':>7}  {'RSS':>6} (butane-py/Go)"
    ratios: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(pathlib.Path(tmp), ref, args.runs)
        print(f"best of {args.runs}, alternating; fcos 1.6.0\n{head}")
        for kind, build in KINDS.items():
            if args.kinds and args.kinds not in kind:
                continue
            for n in sizes:
                r = bench.measure(build(bench.files_dir, n))
                print(row(f"{kind} {label(n)}", r), flush=True)
                if ref:
                    ratios.setdefault(kind, {})[n] = r["best"]["py"][0] / r["best"]["go"][0]
        scalar_n = parse_size(args.scalar_size)
        if scalar_n:
            lines = words(scalar_n)
            for style, build_scalar in SCALARS.items():
                r = bench.measure(SCALAR_HEADER + "        " + build_scalar(lines))
                print(row(f"{label(scalar_n)} scalar, {style}", r), flush=True)
        if not args.no_big:
            r = bench.measure(big_bu())
            print(row("big.bu (6,000 files, 1,000 units)", r) + "  (target <= 0.2x Go)", flush=True)
    if ratios:
        print("\ntime butane-py / Go (target <= 1.0x)")
        print("| content | " + " | ".join(label(n) for n in sizes) + " |")
        print("|---" * (len(sizes) + 1) + "|")
        for kind, by_size in ratios.items():
            print(f"| {kind} | " + " | ".join(f"{by_size[n]:.2f}x" for n in sizes) + " |")


if __name__ == "__main__":
    main()
