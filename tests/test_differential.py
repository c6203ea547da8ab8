"""scripts/differential.py: two fake Butanes that differ in known ways, and the report comparison."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

from .conftest import ROOT

SCRIPT = ROOT / "scripts" / "differential.py"

# A fake Butane. argv: IMPL [FLAGS...] INPUT. Each word "wN" of the input is an unused-key
# warning; IMPL b prints them in reverse order (same multiset), and misbehaves on purpose for
# the words "dupwarn" (one warning twice), "prettybug" (other stdout under --pretty) and
# "bfail" (exit 1). "fail" fails in both. stdout echoes the flags, so modes can be checked.
FAKE = r'''
import sys
impl, *flags, name = sys.argv[1:]
words = open(name).read().split()
warns = [w for w in words if w[0] == "w" and w[1:].isdigit()]
if impl == "b":
    warns.reverse()
    if "dupwarn" in words:
        warns.append(warns[0])
if "--raw-errors" in flags:
    sys.stderr.write("".join(f"warning at $.{w}, line 1 col 1: unused key {w}\n" for w in warns))
else:
    sys.stderr.write("\n".join(f"warning[$.{w}]:\n  --> {name}:1:1\n    |\n  1 | {w}\n    | ^ unused key {w}\n    |\n"
                               for w in warns))
if "fail" in words or (impl == "b" and "bfail" in words):
    sys.stderr.write("Error translating config: source config is invalid\n")
    sys.exit(1)
out = " ".join(flags)
if impl == "b" and "prettybug" in words and "--pretty" in flags:
    out += " bug"
print(out)
'''


def load_script():
    spec = importlib.util.spec_from_file_location("differential", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(tmp_path, configs, *extra):
    (tmp_path / "fake.py").write_text(FAKE)
    cases = tmp_path / "cases"
    cases.mkdir()
    for name, text in configs.items():
        (cases / name).write_text(text)
    (tmp_path / "files").mkdir()
    fake = f"{sys.executable} {tmp_path / 'fake.py'}"
    out = tmp_path / "out.json"
    p = subprocess.run([sys.executable, str(SCRIPT), "--a", f"{fake} a {{input}}", "--b", f"{fake} b {{input}}",
                        "--files", str(tmp_path / "files"), "--json", str(out), *extra, str(cases)],
                       capture_output=True, text=True, timeout=120)
    return p, json.loads(out.read_text())


def test_reports_equal_and_different_per_mode(tmp_path) -> None:
    p, res = run(tmp_path, {
        "same.bu": "nothing to see\n",
        "order.bu": "w1 w2 w3\n",          # same warnings, other order: equal
        "fails.bu": "w1 w2 fail\n",        # both fail alike, warnings reordered: equal
        "dup.bu": "w1 w2 dupwarn\n",       # b prints w2, w1, w2: a multiset differs
        "pretty.bu": "prettybug\n",        # stdout differs under --pretty only
        "exit.bu": "bfail\n",              # exit codes differ
    })
    assert p.returncode == 1, p.stderr
    counts = res["counts"]
    assert set(counts) == {"default", "pretty", "strict", "raw", "raw-strict", "files-dir"}
    assert counts["default"] == {"same": 4, "different": 2, "rc": 1, "stdout": 1, "stderr": 2}
    assert counts["pretty"] == {"same": 3, "different": 3, "rc": 1, "stdout": 2, "stderr": 2}
    found = {(d["input"].rsplit("/", 1)[1], d["mode"]): d["parts"] for d in res["differences"]}
    assert found[("dup.bu", "default")] == ["stderr"]
    assert found[("pretty.bu", "pretty")] == ["stdout"]
    assert found[("exit.bu", "strict")] == ["rc", "stdout", "stderr"]
    assert not [k for k in found if k[0] in ("same.bu", "order.bu", "fails.bu")]
    # mode flags reach the command before {input}, {files} is substituted
    recorded = {d["mode"]: d["a"][1] for d in res["differences"] if d["input"].endswith("exit.bu")}
    assert recorded["raw-strict"] == "--raw --strict\n"
    assert recorded["files-dir"] == f"--files-dir {tmp_path / 'files'}\n"
    assert "default      same      4  different      2" in p.stdout
    assert "+    | ^ unused key w2" in p.stdout  # the unified diff of dup.bu's report


def test_raw_error_lines_compare_as_a_multiset(tmp_path) -> None:
    p, res = run(tmp_path, {"order.bu": "w1 w2 w3 fail\n", "dup.bu": "w1 w2 dupwarn\n"},
                 "--modes", "raw-errors,check=--check --strict")
    assert res["counts"] == {"raw-errors": {"same": 1, "different": 1, "stderr": 1},
                             "check": {"same": 1, "different": 1, "stderr": 1}}
    assert [d["input"].rsplit("/", 1)[1] for d in res["differences"]] == ["dup.bu", "dup.bu"]
    assert "warning at $.w2, line 1 col 1: unused key w2" in res["differences"][0]["b"][2]


def test_all_same_exits_zero(tmp_path) -> None:
    p, res = run(tmp_path, {"a.bu": "w1 w2\n", "b.bu": "x\n"}, "--modes", "default,pretty")
    assert p.returncode == 0, p.stdout + p.stderr
    assert res["counts"] == {"default": {"same": 2}, "pretty": {"same": 2}}
    assert res["differences"] == []


def test_stderr_key() -> None:
    key = load_script().stderr_key
    x = b"warning[$.a]:\n  --> f.bu:1:1\n    |\n 1 | a: 1\n    | ^ unused key a\n    |\n"
    y = b"warning[$.b]:\n  --> f.bu:2:1\n    |\n 2 | b: 1\n    | ^ unused key b\n    |\n"
    tail = b"Error translating config: source config is invalid\n"
    assert key(x + b"\n" + y + tail) == key(y + b"\n" + x + tail)
    assert key(x + b"\n" + y + tail) != key(x + y + tail)              # a separator went missing
    assert key(x + b"\n" + y + tail) != key(x + b"\n" + x + tail)      # other findings
    assert key(x + tail) != key(x + b"Error translating config: config generated was invalid\n")
    assert key(x + tail) != key(tail + x)                              # the final line stays last
    assert key(x) != key(x.replace(b" 1 | a: 1", b" 1 | a: 2"))        # a block's context lines count
    r1, r2 = b"error at $.a, line 1 col 1: x\n", b"warning at $.b, line 2 col 1: y\n"
    assert key(r1 + r2 + tail) == key(r2 + r1 + tail)
    assert key(r1 + r2) != key(r1 + r1)


def test_generated_configs_are_reproducible_and_cover_every_version() -> None:
    yaml = __import__("pytest").importorskip("yaml")
    spec = importlib.util.spec_from_file_location("gen_configs", ROOT / "scripts" / "gen_configs.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    seen = set()
    for i in range(len(gen.VERSIONS)):
        text = gen.generate("t", i, mistakes=0)
        assert text == gen.generate("t", i, mistakes=0)
        doc = yaml.safe_load(text)
        seen.add((doc["variant"], doc["version"]))
    assert seen == {(v, ver) for v, ver, _ in gen.VERSIONS}
    assert len({gen.generate(s, 0) for s in ("a", "b", "c", "d")}) > 1
