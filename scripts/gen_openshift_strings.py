#!/usr/bin/env python3
"""Differential check of MachineConfig YAML text against the reference Butane.

Generates random openshift configs (every version) whose strings mix the character classes
YAML treats specially, in every string-bearing MachineConfig field, translates each with
the reference binary and with butane-py (in process), and compares exit status and stdout
byte for byte. Usage:

    python3 scripts/gen_openshift_strings.py --ref /work/ref/butane --count 2000 --seed 1

Exit status 1 if any case differs; the differing cases are kept under --keep (default a
temporary directory) as NAME.bu with the two outputs beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from butane_py.butane import translate  # noqa: E402

VERSIONS = [f"4.{m}.0" for m in range(8, 23)] + ["4.23.0-experimental"]

# Whole strings that YAML readers may take for something other than a string.
WORDS = [
    "1", "0", "-1", "+1", "0o17", "0o8", "017", "08", "1e3", "1E3", "1e+3", ".5", "5.", "-.5", "0x1F", "0X1f", "0b101",
    "-0b1", "-0o7", "1_000", "1__0", "_1", "1:20", "1:20:30.5", "-1:60", "190:20:30", "1.2.3", "9223372036854775808",
    "18446744073709551616", "1e400", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "yes", "Yes", "YES", "No", "no", "on",
    "On", "OFF", "off", "y", "Y", "n", "N", "~", "null", "Null", "NULL", "nULL", "true", "True", "TRUE", "tRUE",
    "false", "False", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10", "2001-1-2",
    "2001-13-40", "20011-12-14", "<<", "=", "-", "--", "---", "...", "....", "- a", "? a", "?a", ": a", ":a", "a:",
    "a: b", "a :b", "a #b", "a#b", "#a", "*a", "&a", "!a", "!!str", "|", ">", "|-", "%a", "@a", "`a", "'a", '"a',
    "[a]", "{a}", "a,b", "a]", "{\"t\":1}", "-k", "--cipher", "-v", "--", "a\\b", "\\", "a'b", "a\"b", "''", "\"\"",
    "",
]
# Pieces that are joined at random into longer strings.
PIECES = [
    "a", "Z", "word", "x=1", " ", "  ", "\t", "\n", "\n\n", "\r", "\r\n", "-", "?", ":", "#", "'", '"', "*", "&", "!",
    "%", "@", "`", "[", "]", "{", "}", ",", "|", ">", "\\", "/", ".", "=", "~", "0", "12", "_", "é", "ü", "中文",
    "\u00a0", "\u0085", "\u2028", "\u2029", "\ufeff", "\u0301", "e\u0301", "\ufffd", "\ufffe" if False else "\ufffc",
    "\uffff" if False else "\ud7ff", "\ue000", "🚀", "\U0001f600", "\U00010000", "\x00", "\x01", "\x07", "\x08",
    "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x9f", "\xa0", "\xff", "\u0100", "\u2027",
]


def _atom(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.25:
        return rng.choice(WORDS)
    if r < 0.35:
        # Long strings, with or without spaces (yaml.v2 would fold these; v3 must not).
        unit = rng.choice(["abc ", "abcdef", "a-b ", "x" * 7, "word, ", "é ", "🚀 "])
        return (unit * rng.randint(10, 60)).strip(rng.choice(["", " "]))
    n = rng.randint(1, 6)
    s = "".join(rng.choice(PIECES + WORDS[:40]) for _ in range(n))
    if rng.random() < 0.2:
        s = rng.choice([" ", "\n", "\t", "- ", "  "]) + s
    if rng.random() < 0.2:
        s += rng.choice([" ", "\n", "\n\n", "\n\n\n", "\t", ":", " #"])
    return s


def _one_line(s: str) -> str:
    return s.replace("\n", " ").replace("\r", " ").replace("\x85", " ").replace("\u2028", " ").replace("\u2029", " ")


def q(s: str) -> str:
    """``s`` as a YAML double-quoted scalar that yaml.v3 reads back exactly."""
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif 0x20 <= o < 0x7F:
            out.append(c)
        elif o <= 0xFF:
            out.append("\\x%02x" % o)
        elif o <= 0xFFFF:
            out.append("\\u%04x" % o)
        else:
            out.append("\\U%08x" % o)
    out.append('"')
    return "".join(out)


def _unit_contents(rng: random.Random) -> str:
    lines = ["[Unit]"]
    for _ in range(rng.randint(0, 3)):
        lines.append("Description=" + _one_line(_atom(rng)).strip())
    if rng.random() < 0.3:
        lines.append("# " + _one_line(_atom(rng)))
    if rng.random() < 0.3:
        lines.append("")
    sep = "\r\n" if rng.random() < 0.1 else "\n"
    return sep.join(lines) + sep * rng.choice([0, 1, 1, 2])


def _number(rng: random.Random) -> int:
    return rng.choice([0, 1, 5, 99999, 100000, 999999, 1000000, 1234567, 10**15, 2**53 + 1, 2**62, 123456789012])


def gen(rng: random.Random, version: str) -> tuple[str, dict[str, bytes]]:
    """A config and the files it reads (for ``contents_local``)."""
    minor = int(version.split(".")[1])
    files: dict[str, bytes] = {}
    out = [f"variant: openshift\nversion: {version}\nmetadata:\n  name: {q(_atom(rng) or 'n')}\n  labels:"]
    out.append(f"    machineconfiguration.openshift.io/role: {q(_atom(rng) or 'worker')}")
    keys = set()
    for _ in range(rng.choice([0, 0, 1, 3, 14])):
        k = _atom(rng) if rng.random() < 0.5 else "".join(rng.choice("aZ09-_.:/ \u00e9") for _ in range(rng.randint(1, 5)))
        if rng.random() < 0.05:
            k = "k" * rng.randint(120, 140)
        if k in keys or k == "machineconfiguration.openshift.io/role":
            continue
        keys.add(k)
        out.append(f"    {q(k)}: {q(_atom(rng))}")
    out.append("openshift:")
    out.append("  kernel_arguments: [" + ", ".join(q(_atom(rng)) for _ in range(rng.randint(0, 5))) + "]")
    out.append("  extensions: [" + ", ".join(q(_atom(rng)) for _ in range(rng.randint(0, 3))) + "]")
    if rng.random() < 0.3:
        out.append(f"  fips: {rng.choice(['true', 'false'])}")
    if rng.random() < 0.3:
        out.append(f"  kernel_type: {rng.choice(['default', 'realtime', ''])}")
    out.append("storage:\n  files:")
    for i in range(rng.randint(0, 3)):
        out.append(f"    - path: {q('/etc/f' + str(i) + _one_line(_atom(rng)).replace(chr(0), ''))}")
        out.append(f"      mode: {rng.choice([420, 493, 384, 0])}")
        if rng.random() < 0.5:
            out.append(f"      contents:\n        inline: {q(_atom(rng))}")
        else:
            raw = "".join("%%%02X" % rng.randrange(256) if rng.random() < 0.3 else rng.choice(["a", "b", ",", ";", "=", "%20", "%0A", "%F0%9F%9A%80"]) for _ in range(5))
            out.append(f"      contents:\n        source: {q('data:,' + raw)}")
        if rng.random() < 0.3:
            out.append(f"      user:\n        name: {q(_atom(rng))}")
        if rng.random() < 0.3:
            out.append(f"      group:\n        name: {q(_atom(rng))}")
    if rng.random() < 0.3:
        out.append("  luks:\n    - name: " + q("l" + _one_line(_atom(rng)).replace("/", "")) + "\n      device: /dev/sdb")
        out.append("      options: [" + ", ".join(q(_atom(rng)) for _ in range(rng.randint(0, 3))) + "]")
    if rng.random() < 0.3:
        out.append("  disks:\n    - device: /dev/sdc\n      partitions:")
        out.append(f"        - number: {rng.randint(1, 9)}\n          size_mib: {_number(rng)}\n"
                   f"          start_mib: {_number(rng)}\n          label: {q(_one_line(_atom(rng)).replace(':', '')[:30])}")
    if rng.random() < 0.3:
        out.append("  filesystems:\n    - device: /dev/sdd\n      format: xfs")
        out.append("      options: [" + ", ".join(q(_atom(rng)) for _ in range(rng.randint(0, 3))) + "]")
        out.append(f"      label: {q(_one_line(_atom(rng))[:6])}")
        if rng.random() < 0.5:
            # A generated mount unit: its name and contents carry the escaped path.
            out.append(f"      path: {q('/var/' + _one_line(_atom(rng)).replace(chr(0), '')[:20])}")
            out.append("      with_mount_unit: true")
            out.append("      mount_options: [" + ", ".join(q(_one_line(_atom(rng))) for _ in range(2)) + "]")
    if rng.random() < 0.2:
        inline = json.dumps({"ignition": {"version": "3.2.0"}, "passwd": {"users": [{"name": _atom(rng)}]}})
        out.append("ignition:\n  config:\n    merge:\n      - inline: " + q(inline))
    out.append("systemd:\n  units:")
    for i in range(rng.randint(0, 3)):
        name = _one_line(_atom(rng)).replace("/", "").replace(chr(0), "") + f"u{i}.service"
        out.append(f"    - name: {q(name)}")
        if minor >= 14 and rng.random() < 0.2:
            data = _unit_contents(rng).encode("utf-8")
            if rng.random() < 0.5:
                # Invalid UTF-8 (possible only from a local file).
                data = b"[Unit]\nDescription=a" + bytes([rng.choice([0x80, 0xFF, 0xC3, 0xED])]) + b"b\n" + data
            files[f"u{i}"] = data
            out.append(f"      contents_local: u{i}")
        elif rng.random() < 0.9:
            out.append(f"      contents: {q(_unit_contents(rng))}")
        if rng.random() < 0.3:
            out.append(f"      enabled: {rng.choice(['true', 'false'])}")
        if rng.random() < 0.3:
            out.append(f"      dropins:\n        - name: {q(_one_line(_atom(rng)).replace('/', '') + 'd.conf')}")
            out.append(f"          contents: {q(_unit_contents(rng))}")
    out.append("passwd:\n  users:\n    - name: core")
    out.append("      ssh_authorized_keys: [" + ", ".join(q(_atom(rng)) for _ in range(rng.randint(0, 3))) + "]")
    if minor >= 13 and rng.random() < 0.5:
        out.append(f"      password_hash: {q(_atom(rng))}")
    return "\n".join(out) + "\n", files


def run_case(ref: str, work: Path, name: str, text: str, files: dict[str, bytes]) -> tuple[str, bool, bytes, bytes]:
    """("same" | "differ" | "unstable", reference succeeded, reference stdout, butane-py stdout).

    "unstable": the reference itself gives different outputs from run to run (it sorts
    map keys whose order is not transitive in Go's random map order).
    """
    fdir = work / (name + ".d")
    fdir.mkdir()
    for k, v in files.items():
        (fdir / k).write_bytes(v)
    bu = work / (name + ".bu")
    bu.write_text(text, encoding="utf-8")
    p = subprocess.run([ref, "-d", str(fdir), str(bu)], capture_output=True, timeout=60)
    res = translate(text.encode("utf-8"), files_dir=str(fdir))
    ours = (res.output + "\n").encode("utf-8", "surrogateescape") if res.output is not None else b""
    if (p.returncode == 0) == (res.output is not None) and p.stdout == ours:
        return "same", p.returncode == 0, p.stdout, ours
    outs = {subprocess.run([ref, "-d", str(fdir), str(bu)], capture_output=True, timeout=60).stdout for _ in range(20)}
    # Unstable only if the reference varies and the two differ in line order alone.
    unstable = len(outs | {p.stdout}) > 1 and sorted(p.stdout.splitlines()) == sorted(ours.splitlines())
    return ("unstable" if unstable else "differ"), p.returncode == 0, p.stdout, ours


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ref", default="/work/ref/butane")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="directory for the cases that differ")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    keep = Path(args.keep) if args.keep else None
    work = Path(tempfile.mkdtemp(prefix="gen-openshift-"))
    bad = ok = unstable = 0
    try:
        for n in range(args.count):
            version = rng.choice(VERSIONS)
            text, files = gen(rng, version)
            name = f"case{n:05d}"
            verdict, ref_ok, ref_out, ours = run_case(args.ref, work, name, text, files)
            ok += ref_ok
            unstable += verdict == "unstable"
            if verdict == "differ":
                bad += 1
                if keep:
                    keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(work / (name + ".bu"), keep / (name + ".bu"))
                    shutil.copytree(work / (name + ".d"), keep / (name + ".d"), dirs_exist_ok=True)
                    (keep / (name + ".ref")).write_bytes(ref_out)
                    (keep / (name + ".py")).write_bytes(ours)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.count} cases, {ok} translated by the reference, {bad} differ, "
          f"{unstable} where the reference's own output varies", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    sys.exit(main())
