"""The pre-commit hooks, run by the real ``pre-commit`` tool on a temporary repository."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is not installed")

GOOD_BU = "variant: fcos\nversion: 1.5.0\n"
BAD_BU = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: etc/x\n"
GOOD_IGN = '{"ignition": {"version": "3.4.0"}}'
BAD_IGN = '{"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "rel"}]}}'


@pytest.fixture(scope="module")
def precommit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


def repo_with(tmp_path, files: dict):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run(["git", "commit", "-qm", "configs"], cwd=tmp_path, check=True, env=env)


def try_repo(tmp_path, hook: str, home) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home))
    return subprocess.run(["pre-commit", "try-repo", str(ROOT), hook, "--all-files"], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=900)


def test_check_hook(tmp_path, precommit_home) -> None:
    repo_with(tmp_path, {"good.bu": GOOD_BU, "bad.bu": BAD_BU, "other.ign": GOOD_IGN})
    p = try_repo(tmp_path, "butane-py-check", precommit_home)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "bad.bu:5:13: error: path not absolute ($.storage.files.0.path)" in p.stdout
    assert "checked 2 files: 1 failed" in p.stdout, "only the .bu files are checked"


def test_validate_hook(tmp_path, precommit_home) -> None:
    repo_with(tmp_path, {"good.ign": GOOD_IGN, "bad.ign": BAD_IGN})
    p = try_repo(tmp_path, "butane-py-validate", precommit_home)
    assert p.returncode == 1
    assert "bad.ign:1:67: error: path not absolute" in p.stdout


def test_hooks_pass_on_good_files(tmp_path, precommit_home) -> None:
    repo_with(tmp_path, {"good.bu": GOOD_BU, "good.ign": GOOD_IGN})
    for hook in ("butane-py-check", "butane-py-validate"):
        p = try_repo(tmp_path, hook, precommit_home)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "Passed" in p.stdout


def _documented_repo(tmp_path, precommit_home, marker: str, files: dict):
    """A git repository with the docs/precommit.md YAML block containing ``marker`` as its
    configuration, and a function that runs ``pre-commit run --all-files`` in it with this
    checkout's butane-py first on PATH (`language: system` runs the one on PATH)."""
    import re
    import sys

    text = (ROOT / "docs" / "precommit.md").read_text()
    config = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if marker in b)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "butane-py"
    shim.write_text(f"#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m butane_py \"$@\"\n")
    shim.chmod(0o755)
    repo = tmp_path / "repo"
    repo.mkdir()
    repo_with(repo, {".pre-commit-config.yaml": config, **files})
    env = dict(os.environ, PRE_COMMIT_HOME=str(precommit_home), PATH=f"{bindir}:{os.environ['PATH']}")

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(["pre-commit", "run", "--all-files"], cwd=repo, capture_output=True, text=True,
                              env=env, timeout=300)

    return repo, run


def test_documented_local_hooks_work(tmp_path, precommit_home) -> None:
    """The `repo: local` configuration of docs/precommit.md, copied as is, checks a repository."""
    repo, run = _documented_repo(tmp_path, precommit_home, "repo: local",
                                 {"good.bu": GOOD_BU, "bad.bu": BAD_BU, "good.ign": GOOD_IGN, "bad.ign": BAD_IGN})
    p = run()
    assert p.returncode == 1, p.stdout + p.stderr
    assert "bad.bu:5:13: error: path not absolute ($.storage.files.0.path)" in p.stdout
    assert "bad.ign:1:67: error: path not absolute" in p.stdout
    assert p.stdout.count("Failed") == 2, p.stdout
    (repo / "bad.bu").unlink()
    (repo / "bad.ign").unlink()
    p = run()
    assert p.returncode == 0 and p.stdout.count("Passed") == 2, p.stdout + p.stderr


def test_documented_portable_hook_argument(tmp_path, precommit_home) -> None:
    """The `args: [--portable]` configuration of docs/precommit.md, copied as is, fails a config
    that uses butane-py's own sections, at the key, and passes one that does not."""
    repo, run = _documented_repo(tmp_path, precommit_home, "args: [--portable]",
                                 {"good.bu": GOOD_BU, "ext.bu": GOOD_BU + "sysctl:\n  vm.swappiness: 10\n"})
    p = run()
    assert p.returncode == 1, p.stdout + p.stderr
    assert "ext.bu:3:1: error: sysctl is a butane-py extension" in p.stdout
    assert "checked 2 files: 1 failed" in p.stdout
    (repo / "ext.bu").unlink()
    p = run()
    assert p.returncode == 0 and "Passed" in p.stdout, p.stdout + p.stderr
