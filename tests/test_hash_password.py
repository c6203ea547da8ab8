"""``butane-py hash-password``: standard input, the prompt, and hashes that verify."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from passlib.hash import grub_pbkdf2_sha512, sha512_crypt

from butane_py.passwords import _libcrypt, yescrypt_available

from .conftest import ROOT


def run(*args: str, stdin: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "butane_py", "hash-password", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=60)


def test_sha512_from_stdin() -> None:
    p = run(stdin="correct horse\n")
    assert p.returncode == 0, p.stderr
    h = p.stdout.strip()
    assert h.startswith("$6$")
    assert sha512_crypt.verify("correct horse", h)
    assert not sha512_crypt.verify("wrong", h)


def test_grub_from_stdin() -> None:
    h = run("--grub", stdin="correct horse\n").stdout.strip()
    assert h.startswith("grub.pbkdf2.sha512.10000.")
    assert grub_pbkdf2_sha512.verify("correct horse", h)


@pytest.mark.skipif(not yescrypt_available(), reason="libcrypt without yescrypt")
def test_yescrypt() -> None:
    h = run("--method", "yescrypt", stdin="correct horse\n").stdout.strip()
    assert h.startswith("$y$")
    # crypt(3) with the hash as its setting reproduces the hash for the right password only.
    import ctypes
    import ctypes.util

    lib = ctypes.CDLL(ctypes.util.find_library("crypt"))
    lib.crypt.restype = ctypes.c_char_p
    assert lib.crypt(b"correct horse", h.encode()).decode() == h
    assert lib.crypt(b"wrong", h.encode()).decode() != h
    assert _libcrypt("$y$", "x").startswith("$y$")


def test_empty_password_refused() -> None:
    p = run(stdin="\n")
    assert p.returncode == 1
    assert "the password is empty" in p.stderr


def test_prompt_twice_without_echo() -> None:
    pexpect = pytest.importorskip("pexpect")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = pexpect.spawn(sys.executable, ["-m", "butane_py", "hash-password"], env=env, encoding="utf-8", timeout=30)
    child.expect("Password: ")
    child.sendline("tty secret")
    child.expect(r"Password \(again\): ")
    child.sendline("tty secret")
    child.expect(r"\$6\$\S+")
    h = child.after.strip()
    child.expect(pexpect.EOF)
    assert "tty secret" not in child.before, "the password must not be echoed"
    assert sha512_crypt.verify("tty secret", h)
    child = pexpect.spawn(sys.executable, ["-m", "butane_py", "hash-password"], env=env, encoding="utf-8", timeout=30)
    child.expect("Password: ")
    child.sendline("one")
    child.expect(r"Password \(again\): ")
    child.sendline("two")
    child.expect("the passwords do not match")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
