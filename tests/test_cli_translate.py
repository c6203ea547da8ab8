"""``butane-py [INPUT]`` as a user runs it: real processes, files, bad input, exit codes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

SIMPLE = b"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n      contents:\n        inline: hello\n"


def run(*args: str, stdin: bytes | None = None, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "butane_py", *args], input=stdin, capture_output=True, env=env, cwd=cwd, timeout=120
    )


def assert_clean_failure(p: subprocess.CompletedProcess, expect: str) -> None:
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 1, (p.returncode, err)
    assert "Traceback" not in err, err
    assert expect in err, err
    assert p.stdout == b""


def test_stdin_to_stdout() -> None:
    p = run(stdin=SIMPLE)
    assert p.returncode == 0, p.stderr
    assert p.stdout.endswith(b"}\n") and p.stdout.count(b"\n") == 1
    doc = json.loads(p.stdout)
    assert doc["ignition"]["version"] == "3.4.0"
    assert doc["storage"]["files"][0] == {
        "path": "/etc/motd",
        "contents": {"compression": "", "source": "data:,hello"},
        "mode": 420,
    }


def test_pretty_and_check(tmp_path) -> None:
    src = tmp_path / "c.bu"
    src.write_bytes(SIMPLE)
    p = run("-p", str(src))
    assert p.returncode == 0
    assert p.stdout.startswith(b'{\n  "ignition": {\n    "version": "3.4.0"\n  },')
    p = run("--check", str(src))
    assert p.returncode == 0 and p.stdout == b""


def test_output_file_is_atomic(tmp_path) -> None:
    src, out = tmp_path / "c.bu", tmp_path / "c.ign"
    src.write_bytes(SIMPLE)
    p = run(str(src), "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert json.loads(out.read_bytes())["ignition"]["version"] == "3.4.0"
    before = out.read_bytes()
    src.write_bytes(SIMPLE.replace(b"/etc/motd", b"etc/motd"))  # invalid now
    p = run(str(src), "-o", str(out))
    assert p.returncode == 1
    assert out.read_bytes() == before, "a failed run must not touch the output"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["c.bu", "c.ign"], "no temporary files left behind"


def test_output_to_dev_null(tmp_path) -> None:
    src = tmp_path / "c.bu"
    src.write_bytes(SIMPLE)
    p = run(str(src), "-o", "/dev/null")
    assert p.returncode == 0, p.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode), "/dev/null must never be replaced by a file"


def test_output_to_fifo(tmp_path) -> None:
    src, fifo = tmp_path / "c.bu", tmp_path / "fifo"
    src.write_bytes(SIMPLE)
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    p = run(str(src), "-o", str(fifo))
    out, _ = reader.communicate(timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(out)["ignition"]["version"] == "3.4.0"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


GOLDEN = ROOT / "fixtures" / "cli" / "translate"


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.args")))
def test_golden(name: str) -> None:
    """Golden cases recorded from the reference butane: flags, stdout, stderr, exit code.

    The input is NAME.bu; a case without one names its input (or none) in NAME.args."""
    args = (GOLDEN / f"{name}.args").read_text().split()
    if (GOLDEN / f"{name}.bu").exists():
        args.append(f"{name}.bu")
    p = run(*args, cwd=GOLDEN)
    assert p.returncode == int((GOLDEN / f"{name}.rc").read_text())
    assert p.stderr.decode() == (GOLDEN / f"{name}.stderr").read_text()
    assert p.stdout == (GOLDEN / f"{name}.stdout").read_bytes()


def test_color_always() -> None:
    p = run("--color=always", stdin=b"variant: fcos\nversion: 1.5.0\nbogus: 1\n")
    assert p.returncode == 0
    assert b"\x1b[1;33mwarning\x1b[0m[$.bogus]:" in p.stderr


@pytest.mark.parametrize(
    "data, expect",
    [
        (b"version: 1.5.0\n", "Error translating config: error parsing variant; must be specified"),
        (b"variant: fcos\nversion: 1.5\n", "error parsing version; must be a valid semver"),
        (b"variant: fcos\nversion: 1.9.0\n", "No translator exists for variant fcos with version 1.9.0"),
        (b"variant: rhcos\nversion: 0.1.0\n", "rhcos variant has been removed"),
        (b"variant: fcos\nversion: 1.5.0\nstorage: [\n", "Error unmarshaling yaml: yaml: line"),
        (b"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n      mode: abc\n",
         "yaml: unmarshal errors:\n  line 6: cannot unmarshal !!str `abc` into int"),
        (b"variant: fcos\nversion: 1.5.0\na: 1\na: 2\n", "already defined"),
        (b"\xff\xfe\x00garbage", "Error translating config"),
    ],
    ids=["no-variant", "bad-version", "unknown-version", "rhcos", "yaml-syntax", "wrong-type", "duplicate-key",
         "binary"],
)
def test_bad_input(data: bytes, expect: str) -> None:
    assert_clean_failure(run(stdin=data), expect)


def test_missing_and_directory_input(tmp_path) -> None:
    assert_clean_failure(run(str(tmp_path / "nope.bu")), "no such file or directory")
    assert_clean_failure(run(str(tmp_path)), "is a directory")


def test_usage_error_exits_2() -> None:
    p = run("a.bu", "-o")
    assert p.returncode == 2
    assert b"Traceback" not in p.stderr


@pytest.fixture
def files_dir(tmp_path):
    files = tmp_path / "files"
    (files / "sub").mkdir(parents=True)
    (files / "sub" / "ok.txt").write_text("inside\n")
    (tmp_path / "secret.txt").write_text("outside\n")
    (files / "sneaky").symlink_to(tmp_path / "secret.txt")
    (files / "sneaky-dir").symlink_to(tmp_path)
    return files


@pytest.mark.parametrize("local", ["../secret.txt", "sub/../../secret.txt", "sneaky"])
def test_local_escape_refused(files_dir, local: str) -> None:
    cfg = f"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/x\n      contents:\n        local: {local}\n"
    p = run("-d", str(files_dir), stdin=cfg.encode())
    assert_clean_failure(p, "local file path traverses outside the files directory")


def test_absolute_local_stays_inside(files_dir) -> None:
    # As in the reference, an absolute local path is joined under the files directory.
    cfg = b"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/x\n      contents:\n        local: /sub/ok.txt\n"
    p = run("-d", str(files_dir), stdin=cfg)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["storage"]["files"][0]["contents"]["source"] == "data:,inside%0A"


@pytest.mark.parametrize("local", ["..", "sneaky-dir"])
def test_tree_escape_refused(files_dir, local: str) -> None:
    cfg = f"variant: fcos\nversion: 1.5.0\nstorage:\n  trees:\n    - local: {local}\n      path: /etc/t\n"
    p = run("-d", str(files_dir), stdin=cfg.encode())
    assert_clean_failure(p, "local file path traverses outside the files directory")


def test_local_without_files_dir() -> None:
    cfg = b"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/x\n      contents:\n        local: a\n"
    assert_clean_failure(run(stdin=cfg), "local file paths are relative to a files directory")


def test_billion_laughs() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    data = ("variant: fcos\nversion: 1.5.0\n" + "\n".join(lines) + "\nstorage:\n  files: *a9\n").encode()
    # The child reports its own high-water mark (VmHWM is per address space, so it does not
    # count the pytest process it was forked from, as getrusage's maxrss would).
    wrapper = (
        "import runpy, sys\n"
        "sys.argv = ['butane-py']\n"
        "code = 0\n"
        "try:\n    runpy.run_module('butane_py', run_name='__main__')\n"
        "except SystemExit as exc:\n    code = exc.code\n"
        "hwm = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "sys.stderr.write(f'\\nVmHWM {hwm}\\n')\n"
        "sys.exit(code)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # The timeout only guards against a hang; the memory bound below is what shows that the
    # aliases were never expanded.
    p = subprocess.run([sys.executable, "-c", wrapper], input=data, capture_output=True, env=env, timeout=60)
    assert p.returncode == 1
    assert b"cannot unmarshal !!seq into v0_5.File" in p.stderr  # refused, as the reference does
    assert b"Traceback" not in p.stderr
    peak_kib = int(p.stderr.rsplit(b"VmHWM ", 1)[1])
    assert peak_kib < 200 * 1024, f"peak RSS: {peak_kib} KiB"


def test_100_mb_input(tmp_path) -> None:
    big = tmp_path / "big.bu"
    big.write_bytes(b"variant: fcos\nversion: 1.5.0\n" + b"\x00" * (100 << 20))
    assert_clean_failure(run(str(big)), "Error translating config")


def test_fast_path_matches_typer_options() -> None:
    """The fast argument path accepts exactly the options the typer command declares."""
    import typer.main

    from butane_py.cli import _app, _fast, translate

    command = typer.main.get_command(_app.translate_app)
    declared = {opt for p in command.params if p.param_type_name == "option" for opt in p.opts}
    fast = {name for opt in translate.OPTIONS.values() for name in opt.names}
    handled_elsewhere = {"-V", "--version", "-v", "--verbose", "-h", "--help", "--install-completion", "--show-completion"}
    assert declared - handled_elsewhere == fast
    assert _fast._plain((), ["-ps", "-d", "files", "x.bu", "-o", "y.ign", "--color=never"]) is not None
    assert _fast._plain((), ["a.bu", "b.bu", "--color=never"]) is not None  # fragments
    for handed_to_typer in (["--help"], ["-V"], ["--bogus"], ["--color=sometimes"], ["--color", "never", "a.bu"]):
        assert _fast._plain((), handed_to_typer) is None


def test_shell_completion_offers_commands() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), _BUTANE_PY_COMPLETE="complete_bash",
               COMP_WORDS="butane-py st", COMP_CWORD="1")
    p = subprocess.run([sys.executable, "-m", "butane_py"], capture_output=True, text=True, env=env, timeout=60)
    assert "stream" in p.stdout.split()


UNPRIVILEGED = ROOT / "fixtures" / "cli" / "translate-unprivileged"


@pytest.mark.skipif(os.geteuid() != 0 or not __import__("shutil").which("setpriv"),
                    reason="needs root to run as nobody (permissions do not bind root)")
@pytest.mark.parametrize("name", sorted(p.stem for p in UNPRIVILEGED.glob("*.args")))
def test_golden_unprivileged(name: str) -> None:
    """Recorded from the reference butane run as nobody: an unreadable input, -o to a read-only
    file and into a read-only directory. Nothing is changed."""
    import shutil
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="butane-py-unpriv-", dir="/tmp"))
    try:
        work.chmod(0o777)
        (work / "ok.bu").write_text("variant: fcos\nversion: 1.5.0\n")
        (work / "unreadable.bu").write_text("variant: fcos\nversion: 1.5.0\n")
        (work / "unreadable.bu").chmod(0)
        (work / "read-only.ign").write_text("old\n")
        (work / "read-only.ign").chmod(0o444)
        (work / "read-only-dir").mkdir(mode=0o555)
        (work / "read-only-dir").chmod(0o555)
        env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
        p = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", sys.executable,
                            "-m", "butane_py", *(UNPRIVILEGED / f"{name}.args").read_text().split()],
                           capture_output=True, env=env, cwd=work, timeout=120)
        assert p.returncode == int((UNPRIVILEGED / f"{name}.rc").read_text())
        assert p.stderr.decode() == (UNPRIVILEGED / f"{name}.stderr").read_text()
        assert p.stdout == (UNPRIVILEGED / f"{name}.stdout").read_bytes()
        assert (work / "read-only.ign").read_text() == "old\n"
        assert os.listdir(work / "read-only-dir") == []
    finally:
        shutil.rmtree(work)
