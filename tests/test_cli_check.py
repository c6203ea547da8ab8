"""``butane-py check``: many files in one process, by extension, with a summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import ROOT

GOOD_BU = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents:\n        local: motd.txt\n"
BAD_BU = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: etc/motd\n"
WARN_BU = "variant: fcos\nversion: 1.5.0\nbogus: 1\n"
GOOD_IGN = '{"ignition": {"version": "3.4.0"}}'
BAD_IGN = '{"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "rel"}]}}'


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "butane_py", "check", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def write(tmp_path, files: dict) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)


def test_mixed_files(tmp_path) -> None:
    write(tmp_path, {"good.bu": GOOD_BU, "motd.txt": "hi\n", "bad.bu": BAD_BU, "good.ign": GOOD_IGN, "bad.ign": BAD_IGN})
    p = run("good.bu", "bad.bu", "good.ign", "bad.ign", cwd=tmp_path)
    assert p.returncode == 1
    assert p.stdout.splitlines() == [
        "bad.bu:5:13: error: path not absolute ($.storage.files.0.path)",
        "bad.bu: error: config generated was invalid",
        "bad.ign:1:67: error: path not absolute ($.storage.files.0.path)",
        "bad.ign: error: config is invalid",
        "checked 4 files: 2 failed",
    ]


def test_strict_on_errors_says_invalid_not_warnings(tmp_path) -> None:
    """A file that fails on its errors is invalid under --strict too; warnings are not blamed."""
    write(tmp_path, {"bad.bu": BAD_BU, "bad.ign": BAD_IGN})
    p = run("--strict", "bad.bu", "bad.ign", cwd=tmp_path)
    assert p.returncode == 1
    assert "--strict" not in p.stdout
    assert "bad.bu: error: config generated was invalid" in p.stdout.splitlines()
    assert "bad.ign: error: config is invalid" in p.stdout.splitlines()


def test_files_dir_defaults_to_each_files_directory(tmp_path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub, {"good.bu": GOOD_BU, "motd.txt": "hi\n"})
    p = run(str(sub / "good.bu"))
    assert p.returncode == 0, p.stdout
    assert p.stdout == "checked 1 file: 0 failed\n"


def test_strict_and_json(tmp_path) -> None:
    write(tmp_path, {"warn.bu": WARN_BU})
    assert run("warn.bu", cwd=tmp_path).returncode == 0
    p = run("--strict", "--format", "json", "warn.bu", cwd=tmp_path)
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["failed"] == 1
    [entry] = doc["files"]
    assert entry["error"] == "Config produced warnings and --strict was specified"
    assert entry["findings"][0]["message"] == "unused key bogus"


def test_missing_file(tmp_path) -> None:
    p = run("nope.bu", cwd=tmp_path)
    assert p.returncode == 1
    assert "nope.bu: error: couldn't read config: open nope.bu: no such file or directory" in p.stdout
    assert "Traceback" not in p.stderr
