"""Help pages kept once rendered (butane_py/cli/_helpcache.py): read back byte for byte, on a
terminal and off one, without importing typer; rendered anew when the code, the environment or
the terminal changes; never in the way when the cache cannot be used."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios

import pytest

from .conftest import ROOT
from .test_cli_startup import PROBE


def env_for(cache, root=ROOT, **extra) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(root), BUTANE_PY_CACHE=str(cache), COLUMNS="100", **extra)
    env.pop("BUTANE_PY_HELP_CACHE")  # conftest turns the cache off for every other test
    return env


def run(args, env, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "butane_py", *args], capture_output=True, env=env, cwd=cwd,
                          timeout=120)


def pages(cache) -> list[str]:
    directory = cache / ".help"
    return sorted(os.listdir(directory)) if directory.is_dir() else []


@pytest.mark.parametrize("args", [["--help"], ["download", "--help"], ["images", "ensure", "--help"], ["iso", "--help"]],
                         ids=" ".join)
def test_a_page_read_back_is_the_page_rendered(args, tmp_path) -> None:
    env = env_for(tmp_path)
    fresh = run(args, dict(env, BUTANE_PY_HELP_CACHE="0"))
    first, second = run(args, env), run(args, env)
    assert fresh.returncode == first.returncode == second.returncode == 0
    assert fresh.stdout == first.stdout == second.stdout and b"Usage: butane-py" in fresh.stdout
    assert len(pages(tmp_path)) == 1


def test_a_page_read_back_imports_neither_typer_nor_rich(tmp_path) -> None:
    env = env_for(tmp_path, NO_COLOR="1")
    probe = subprocess.run([sys.executable, "-c", PROBE, "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert {"typer", "rich"} <= set(json.loads(probe.stderr.splitlines()[-1]))  # rendered (and kept)
    probe = subprocess.run([sys.executable, "-c", PROBE, "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert not {"typer", "rich"} & set(json.loads(probe.stderr.splitlines()[-1]))


def on_terminal(args, env, columns: int) -> bytes:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "NO_COLOR")}
    child = subprocess.Popen([sys.executable, "-m", "butane_py", *args], stdin=slave, stdout=slave, stderr=slave,
                             env=dict(env, TERM="xterm-256color"))
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert child.wait(timeout=120) == 0
    return out


def test_on_a_terminal_colours_and_width_are_kept_apart(tmp_path) -> None:
    env = env_for(tmp_path)
    wide = on_terminal(["--help"], env, 110)
    assert b"\x1b[" in wide, "rich colours a terminal"
    assert on_terminal(["--help"], env, 110) == wide == on_terminal(["--help"], dict(env, BUTANE_PY_HELP_CACHE="0"), 110)
    narrow = on_terminal(["--help"], env, 70)
    assert narrow != wide and on_terminal(["--help"], env, 70) == narrow
    assert len(pages(tmp_path)) == 2
    off = run(["--help"], env).stdout
    assert b"\x1b[" not in off, "a page rendered for a terminal is not read back into a pipe"


def test_an_edited_package_renders_anew(tmp_path) -> None:
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "butane_py", copy / "butane_py", ignore=shutil.ignore_patterns("__pycache__"))
    env = env_for(tmp_path / "cache", root=copy)
    before = run(["images", "copy", "--help"], env, cwd=tmp_path).stdout  # -m puts the working directory first
    disks = copy / "butane_py" / "cli" / "disks.py"
    disks.write_text(disks.read_text().replace("Copy a raw disk, sparse", "Copy a raw disk (edited), sparse"))
    after = run(["images", "copy", "--help"], env, cwd=tmp_path).stdout
    assert b"(edited)" in after and b"(edited)" not in before


def test_the_environment_is_part_of_the_key(tmp_path) -> None:
    env = env_for(tmp_path)
    assert run(["--help"], dict(env, COLUMNS="100")).stdout != run(["--help"], dict(env, COLUMNS="70")).stdout
    run(["--help"], dict(env, PWD="/elsewhere", SHLVL="7"))  # what changes between shells is left out
    assert len(pages(tmp_path)) == 2


def test_not_a_plain_help_request_is_never_kept(tmp_path) -> None:
    env = env_for(tmp_path)
    for args in (["download", "-h"], ["x.bu", "--help"], ["--help", "--version"], ["validate", "--nope", "--help"]):
        run(args, env)
    assert pages(tmp_path) == []


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path) -> None:
    (tmp_path / "file").write_text("not a directory")
    got = run(["--help"], env_for(tmp_path / "file"))
    assert got.returncode == 0 and b"Usage: butane-py" in got.stdout and got.stderr == b""


def test_turned_off_it_writes_nothing(tmp_path) -> None:
    assert run(["--help"], dict(env_for(tmp_path), BUTANE_PY_HELP_CACHE="0")).returncode == 0
    assert pages(tmp_path) == []


def test_old_pages_go(tmp_path) -> None:
    directory = tmp_path / ".help"
    directory.mkdir()
    for i in range(70):
        page = directory / f"{i:064x}"
        page.write_text("old")
        os.utime(page, ns=(i * 10**9, i * 10**9))
    run(["--help"], env_for(tmp_path))
    kept = pages(tmp_path)
    assert len(kept) == 64 and f"{0:064x}" not in kept and f"{69:064x}" in kept
