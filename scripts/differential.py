#!/usr/bin/env python3
"""Run two Butane implementations over the same configs and report where they differ.

Usage:
  differential.py --a CMD --b CMD [--files DIR] [--modes M,...] [--jobs N]
                  [--timeout S] [--json OUT] [--show N] DIR_OR_FILE...

CMD is a shell-free command line; {input} is replaced by the config's file name (each command
runs in the config's directory, so both print the same name in their reports) and {files} by
the absolute --files directory. A mode's flags go just before the {input} argument; a command
without {input} reads the config on stdin. Directories are searched for *.bu files.

Modes (default: every one except raw-errors; files-dir only when --files is given):
  default      no flag             strict       --strict
  pretty       --pretty            raw          --raw
  raw-strict   --raw --strict      files-dir    --files-dir {files}
  raw-errors   --raw-errors
  NAME=FLAGS   a mode of your own, e.g. "check=--check --strict"

Per config and mode, the exit codes and stdout must be equal byte for byte. stderr must be
equal byte for byte except for the order of diagnostics: the reference prints the unused-key
warnings of one mapping in map order, which is random, so the report is split into findings
(a pretty finding starts at a line "error[...]" / "warning[...]" / "info[...]" and runs over
its indented lines; a --raw-errors finding is one "error at ..." line) and the findings are
compared as a multiset, while everything around them ("Error translating config: ...", blank
separators) must match in place.

Prints per mode how many configs gave the same result and how many differed (and in which of
exit code / stdout / stderr), then the first N differences as unified diffs. Exit status: 0
when nothing differed, 1 when something did, 2 on a usage error.
"""

import argparse
import collections
import concurrent.futures as cf
import difflib
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys

MODES = {
    "default": [],
    "pretty": ["--pretty"],
    "strict": ["--strict"],
    "raw": ["--raw"],
    "raw-strict": ["--raw", "--strict"],
    "files-dir": ["--files-dir", "{files}"],
    "raw-errors": ["--raw-errors"],
}
DEFAULT_MODES = ["default", "pretty", "strict", "raw", "raw-strict", "files-dir"]

FINDING = re.compile(r"(error|warning|info)\[")
RAW_FINDING = re.compile(r"(error|warning|info) at ")
BLOCK = "\0finding\0"


def stderr_key(data):
    """A comparable form of a report: (the text with each finding replaced by a marker, the
    sorted findings). Two reports with the same findings in another order get the same key."""
    text = data.decode("utf-8", "surrogateescape")
    skeleton, findings, block = [], [], None

    def close():
        # A finding's trailing blank lines separate it from the next one: they belong to the
        # skeleton, so a missing or extra separator still counts as a difference.
        nonlocal block
        if block is None:
            return
        tail = []
        while block and block[-1].strip() == "":
            tail.insert(0, block.pop())
        findings.append("".join(block))
        skeleton.append(BLOCK)
        skeleton.extend(tail)
        block = None

    for line in text.splitlines(keepends=True):
        if RAW_FINDING.match(line):
            close()
            findings.append(line)
            skeleton.append(BLOCK)
        elif FINDING.match(line):
            close()
            block = [line]
        elif block is not None and (line[:1] == " " or line.strip() == ""):
            block.append(line)
        else:
            close()
            skeleton.append(line)
    close()
    return "".join(skeleton), sorted(findings)


def parse_modes(spec, have_files):
    modes = {}
    names = DEFAULT_MODES if spec is None else [m.strip() for m in spec.split(",") if m.strip()]
    for name in names:
        if "=" in name:
            name, flags = name.split("=", 1)
            modes[name] = shlex.split(flags)
        elif name in MODES:
            if name == "files-dir" and not have_files:
                if spec is None:
                    continue
                raise SystemExit("differential.py: error: mode files-dir needs --files DIR")
            modes[name] = MODES[name]
        else:
            raise SystemExit(f"differential.py: error: unknown mode {name!r} (known: {', '.join(MODES)})")
    if not modes:
        raise SystemExit("differential.py: error: no modes")
    return modes


def collect(paths):
    found = []
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            found.extend(sorted(p.rglob("*.bu")))
        elif p.is_file():
            found.append(p)
        else:
            raise SystemExit(f"differential.py: error: {p}: no such file or directory")
    return found


def build_argv(template, flags, name, files):
    subst = lambda s: s.replace("{input}", name).replace("{files}", files or "")
    argv = shlex.split(template)
    at = next((i for i, a in enumerate(argv) if "{input}" in a), len(argv))
    return [subst(a) for a in argv[:at] + flags + argv[at:]], at < len(argv)


def run(template, flags, path, files, timeout):
    argv, named = build_argv(template, flags, path.name, files)
    try:
        with open(path, "rb") as stdin:
            p = subprocess.run(argv, cwd=path.parent, stdin=stdin if not named else subprocess.DEVNULL,
                               capture_output=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return "timeout", b"", b""
    except OSError as e:
        return "cannot run", b"", str(e).encode()


def compare(args, path, mode, flags):
    ra = run(args.a, flags, path, args.files, args.timeout)
    rb = run(args.b, flags, path, args.files, args.timeout)
    parts = []
    if ra[0] != rb[0]:
        parts.append("rc")
    if ra[1] != rb[1]:
        parts.append("stdout")
    if ra[2] != rb[2] and stderr_key(ra[2]) != stderr_key(rb[2]):
        parts.append("stderr")
    return {"input": str(path), "mode": mode, "flags": flags, "parts": parts, "a": ra, "b": rb}


def text(data):
    return data.decode("utf-8", "replace")


def unified(a, b, label, limit=60):
    lines = list(difflib.unified_diff(text(a).splitlines(), text(b).splitlines(),
                                      f"A {label}", f"B {label}", lineterm="", n=2))
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more diff lines)"]
    return "\n".join(lines)


def show(res):
    ra, rb = res["a"], res["b"]
    out = [f"=== {res['input']} [{res['mode']}: {' '.join(res['flags']) or 'no flags'}] "
           f"differs in {', '.join(res['parts'])}; exit A={ra[0]} B={rb[0]}"]
    if "stdout" in res["parts"]:
        out.append(unified(ra[1], rb[1], "stdout"))
    if "stderr" in res["parts"]:
        out.append(unified(ra[2], rb[2], "stderr"))
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--a", required=True, help="first command (e.g. the reference)")
    ap.add_argument("--b", required=True, help="second command (e.g. butane-py)")
    ap.add_argument("paths", nargs="+", metavar="DIR_OR_FILE")
    ap.add_argument("--files", help="directory for {files} and the files-dir mode")
    ap.add_argument("--modes", help="comma-separated modes (see above)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel configs (default 2)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per run (default 60)")
    ap.add_argument("--json", metavar="OUT", help="write counts and every difference as JSON")
    ap.add_argument("--show", type=int, default=10, metavar="N", help="print the first N differences")
    args = ap.parse_args(argv)
    if args.files:
        args.files = os.path.abspath(args.files)
    modes = parse_modes(args.modes, bool(args.files))
    inputs = collect(args.paths)
    tasks = [(p, m, f) for p in inputs for m, f in modes.items()]
    results = [None] * len(tasks)
    with cf.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = {pool.submit(compare, args, *t): i for i, t in enumerate(tasks)}
        for done, fut in enumerate(cf.as_completed(futures), 1):
            results[futures[fut]] = fut.result()
            if done % max(1, len(tasks) // 20) == 0:  # long runs: show they are moving
                print(f"{done}/{len(tasks)} runs compared", file=sys.stderr, flush=True)

    counts = {m: collections.Counter() for m in modes}
    for r in results:
        c = counts[r["mode"]]
        c["same" if not r["parts"] else "different"] += 1
        for part in r["parts"]:
            c[part] += 1
    print(f"{len(inputs)} configs, {len(modes)} modes")
    for m, c in counts.items():
        detail = ", ".join(f"{p} {c[p]}" for p in ("rc", "stdout", "stderr") if c[p])
        print(f"{m:12} same {c['same']:6}  different {c['different']:6}" + (f"  ({detail})" if detail else ""))
    diffs = [r for r in results if r["parts"]]
    for r in diffs[:args.show]:
        print()
        print(show(r))
    if args.json:
        dump = {"configs": len(inputs), "counts": {m: dict(c) for m, c in counts.items()},
                "differences": [dict(r, a=[r["a"][0], text(r["a"][1]), text(r["a"][2])],
                                     b=[r["b"][0], text(r["b"][1]), text(r["b"][2])]) for r in diffs]}
        tmp = f"{args.json}.tmp{os.getpid()}"  # a whole report or none
        with open(tmp, "w") as f:
            json.dump(dump, f, indent=1, ensure_ascii=False)
        os.replace(tmp, args.json)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
