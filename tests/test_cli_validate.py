"""``butane-py validate`` as a user runs it: real processes, bad input, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT

HELLO = ROOT / "fixtures" / "examples" / "hello.ign"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "butane_py", "validate", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
    )


def assert_clean_failure(p: subprocess.CompletedProcess, expect: str) -> None:
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    assert p.returncode == 1, out
    assert "Traceback" not in out, out
    assert expect in out, out
    assert len(out.strip().splitlines()) <= 2, out


def test_valid_example() -> None:
    p = run(str(HELLO))
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout == b"" and p.stderr == b""


def test_stdin() -> None:
    p = run("-", stdin=HELLO.read_bytes())
    assert p.returncode == 0
    p = run(stdin=b'{"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "x"}]}}')
    assert p.returncode == 1
    assert p.stdout.decode() == "error at $.storage.files.0.path, line 1 col 67: path not absolute\n"


def test_json_format() -> None:
    p = run("--format", "json", stdin=b'{"ignition": {"version": "3.4.0"}, "extra": 1}')
    assert p.returncode == 0
    doc = json.loads(p.stdout)
    assert doc["valid"] is True
    assert doc["findings"] == [
        {"kind": "warning", "path": "$.extra", "line": 1, "column": 36, "message": "unused key extra"}
    ]


@pytest.mark.parametrize(
    "data, expect",
    [
        (b"\x00\xff\xfe garbage \x89PNG", "invalid character"),
        (b'{"ignition": {"version": "3.4.0"}, "x": "\xff\xfe"} \xff', "after top-level value"),
        (b'\xef\xbb\xbf{"ignition": {"version": "3.4.0"}}', "invalid character"),
        (b"", "not a config (empty)"),
        (b"null", "invalid config version"),
        (b'{"ignition": {"version": "3.9.0"}}', "unsupported config version"),
        (b'{"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "/a", "mode": 99999999999999999999999}]}}',
         "cannot unmarshal number 99999999999999999999999"),
    ],
    ids=["binary", "invalid-utf8-trailing", "bom", "empty", "null", "unknown-version", "int-beyond-64-bits"],
)
def test_bad_input(data: bytes, expect: str) -> None:
    assert_clean_failure(run(stdin=data), expect)


def test_deeply_nested() -> None:
    data = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    assert_clean_failure(run(stdin=data), "exceeded max depth")


def test_nested_within_go_limit_is_accepted(tmp_path) -> None:
    data = b'{"ignition": {"version": "3.4.0"}, "deep": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    p = run(stdin=data)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().startswith("warning at $.deep, line 1 col 36: unused key deep")


def test_missing_file(tmp_path) -> None:
    assert_clean_failure(run(str(tmp_path / "nope.ign")), "no such file or directory")


def test_directory(tmp_path) -> None:
    assert_clean_failure(run(str(tmp_path)), "is a directory")


def test_100_mb_file(tmp_path) -> None:
    big = tmp_path / "big.ign"
    with open(big, "wb") as f:
        f.write(b'{"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "/etc/big", "contents": {"source": "data:,')
        chunk = b"a" * (1 << 20)
        for _ in range(100):
            f.write(chunk)
        f.write(b'"}, "mode": 420}]}}')
    p = run(str(big))
    assert p.returncode == 0, p.stdout[:500] + p.stderr[:500]
    big.write_bytes(b"x" * 100 * (1 << 20))
    assert_clean_failure(run(str(big)), "invalid character 'x' looking for beginning of value")


def test_fast_path_matches_typer_options() -> None:
    """The fast argument path must accept exactly the options the typer command declares."""
    import typer.main

    from butane_py.cli import _app, _fast, validate

    command = typer.main.get_command(_app.build("validate")).commands["validate"]  # type: ignore[attr-defined]
    declared = {opt for p in command.params if p.param_type_name == "option" for opt in p.opts}
    declared.discard("--help")
    assert declared == {name for opt in validate.OPTIONS.values() for name in opt.names} == {"--format"}
    assert validate.OPTIONS["fmt"].choices == tuple(m.value for m in validate.OutputFormat) == ("text", "json")
    assert _fast._plain(("validate",), ["--format", "json", "x.ign"]) is not None
    assert _fast._plain(("validate",), ["--format", "yaml", "x.ign"]) is None  # typer reports it
    assert _fast._plain(("validate",), ["--help"]) is None


def test_usage_errors_exit_2() -> None:
    p = run("--format", "yaml")
    assert p.returncode == 2
    assert b"Traceback" not in p.stderr


HUGE = "1" * 5000  # past Python's int() digit limit (4300)


@pytest.mark.parametrize(
    "doc, expect",
    [
        ('{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/a","mode":%s}]}}' % HUGE,
         f"error at line 1 col 5073: json: cannot unmarshal number {HUGE} into Go struct field "
         "Config.storage.files.0.mode of type int"),
        ('{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/a","mode":-%s}]}}' % HUGE,
         f"json: cannot unmarshal number -{HUGE} into Go struct field Config.storage.files.0.mode of type int"),
        ('{"ignition":{"version":%s}}' % HUGE,
         "json: cannot unmarshal number into Go struct field versionStub.ignition.version of type string"),
        ('{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":%s}]}}' % HUGE,
         "json: cannot unmarshal number into Go struct field Config.storage.files.0.path of type string"),
        (HUGE, "json: cannot unmarshal number into Go value of type util.versionStub"),
    ],
    ids=["int-field", "negative", "version", "string-field", "top-level"],
)
def test_huge_integer_is_a_type_error(doc: str, expect: str) -> None:
    # As Go's encoding/json: a number that fits no integer is a type error, like 2^64.
    assert_clean_failure(run(stdin=doc.encode()), expect)


def test_huge_integer_in_an_unused_key_is_only_a_warning() -> None:
    p = run(stdin=('{"ignition":{"version":"3.4.0"},"x":%s}' % HUGE).encode())
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().strip() == "warning at $.x, line 1 col 33: unused key x"
