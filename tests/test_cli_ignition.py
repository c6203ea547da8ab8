"""``butane-py ignition merge`` and the library calls under it: golden cases in
fixtures/cli/ignition-merge/ (NAME.args after ``ignition merge``, run there; NAME.stdout,
NAME.stderr, NAME.rc expected), then what golden files cannot show."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from butane_py import ignition
from butane_py.errors import ValidationError

from .conftest import ROOT

GOLDEN = ROOT / "fixtures" / "cli" / "ignition-merge"


def run(*args: str, stdin: bytes | None = None, cwd=GOLDEN) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "butane_py", "ignition", "merge", *args], input=stdin,
                          capture_output=True, env=env, cwd=cwd, timeout=120)


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.args")))
def test_golden(name: str) -> None:
    p = run(*(GOLDEN / f"{name}.args").read_text().split())
    assert p.returncode == int((GOLDEN / f"{name}.rc").read_text())
    assert p.stderr.decode() == (GOLDEN / f"{name}.stderr").read_text()
    assert p.stdout == (GOLDEN / f"{name}.stdout").read_bytes()


def test_golden_merges_are_valid_configs() -> None:
    for out in GOLDEN.glob("*.stdout"):
        if out.stat().st_size:
            assert ignition.parse_config(out.read_bytes()).ok, out.name


def test_output_file_and_standard_input(tmp_path) -> None:
    out = tmp_path / "merged.ign"
    p = run("-o", str(out), "-", "user.ign", stdin=(GOLDEN / "base.ign").read_bytes())
    assert (p.returncode, p.stdout, p.stderr) == (0, b"", b"")
    assert out.read_bytes() == (GOLDEN / "merge.stdout").read_bytes()
    warned = run("-", "warning.ign", stdin=b'{"ignition": {"version": "3.4.0"}, "x": 1}')
    assert warned.returncode == 0
    assert warned.stderr.decode().splitlines() == [
        "<stdin>: warning at $.x, line 1 col 36: unused key x",
        "warning.ign: warning at $.passwrd, line 1 col 102: unused key passwrd",
    ]
    twice = run("-", "-", stdin=b"{}")
    assert twice.returncode == 2 and b"only one input can be standard input" in twice.stderr


def decoded(doc: dict) -> ignition.ParseResult:
    parsed = ignition.parse_config(json.dumps(doc))
    assert parsed.ok, parsed.report
    return parsed


def test_merge_configs_library() -> None:
    base = decoded({"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/a", "mode": 420}]}})
    user = decoded({"ignition": {"version": "3.5.0"}, "storage": {"files": [{"path": "/a", "mode": 384}]}})
    merged = ignition.merge_configs([base, user])
    assert merged.version == "3.5.0"
    assert ignition.to_json(merged.config, merged.version) == (
        '{"ignition":{"version":"3.5.0"},"storage":{"files":[{"path":"/a","mode":384}]}}')
    assert merged.overrides == [(1, ignition.Override("storage.files[path=/a].mode", 420, 384,
                                                       "storage.files[path=/a].mode"))]
    # The same merge as ignition.merge once the base is translated up, and the inputs untouched.
    up = ignition.translate(base.config, "3.3.0", "3.5.0")
    assert merged.config == ignition.merge(up, user.config, "3.5.0")
    assert base.config["ignition"]["version"] == "3.3.0"
    assert ignition.overrides(up, user.config, "3.5.0") == [o for _, o in merged.overrides]
    invalid = ignition.parse_config(b'{"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "a"}]}}')
    with pytest.raises(ValidationError, match="config 2 is not a valid Ignition config"):
        ignition.merge_configs([base, invalid])


def test_overrides_of_equal_values_and_appended_lists() -> None:
    """Setting what the parent already has, or adding to concatenated and keyed lists, replaces nothing."""
    doc = {"ignition": {"version": "3.4.0"},
           "storage": {"files": [{"path": "/a", "mode": 420, "append": [{"source": "data:,a"}]}]},
           "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["k1"]}]}}
    more = {"ignition": {"version": "3.4.0"},
            "storage": {"files": [{"path": "/a", "mode": 420, "append": [{"source": "data:,b"}]}]},
            "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["k2"]}]}}
    assert ignition.overrides(decoded(doc).config, decoded(more).config, "3.4.0") == []


def test_every_keyed_entry_has_a_name_in_paths() -> None:
    from butane_py.ignition._merge import _KEY_FIELDS
    from butane_py.ignition._rules import ITEM_KEYS

    assert set(_KEY_FIELDS) | {"Partition"} == set(ITEM_KEYS)
