"""The reference Butane's recorded behaviour, run in-process through the API.

Each case must agree on verdict, output (exactly) and diagnostics, except those listed in
``butane_known_disagreements.txt``, which may only shrink.

The shared files directory lost two symbolic links when it was packaged (each became a
regular file holding its target). The reference recorded the corpus with the links, so
this test runs on a copy with them restored; ``check.py`` on the shared copy cannot
reproduce the tree cases that use them, for any implementation.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil

import pytest

from butane_py import butane
from butane_py.report import render_pretty

from ._conformance import findings, read_known
from .conftest import SHARED

BASE = SHARED / "conformance" / "butane"
CASES = BASE / "cases"
KNOWN_FILE = pathlib.Path(__file__).with_name("butane_known_disagreements.txt")
KNOWN = read_known(KNOWN_FILE)
NAMES = sorted(p.name[:-3] for p in CASES.glob("*.bu")) if CASES.is_dir() else []
# Files of the shared copy that were symbolic links when the corpus was recorded.
LOST_SYMLINKS = {"tree/sub/link-to-run": "../run.sh", "gen/tree3/nested/link": "../with space.txt"}
IMPLEMENTED_VARIANTS = {"fcos", "flatcar", "r4e", "fiot"}
_VARIANT = re.compile(rb"^variant:\s*['\"]?([A-Za-z0-9]+)", re.M)


def variant_of(name: str) -> str:
    m = _VARIANT.search((CASES / f"{name}.bu").read_bytes())
    return m.group(1).decode() if m else ""


IMPLEMENTED = [n for n in NAMES if variant_of(n) in IMPLEMENTED_VARIANTS]
OTHERS = [n for n in NAMES if variant_of(n) not in IMPLEMENTED_VARIANTS]


@pytest.fixture(scope="module")
def files_dir(tmp_path_factory) -> pathlib.Path:
    root = tmp_path_factory.mktemp("conformance")
    files = root / "files"
    shutil.copytree(BASE / "files", files, symlinks=True)
    for rel, target in LOST_SYMLINKS.items():
        path = files / rel
        if path.is_file() and not path.is_symlink() and path.read_text() == target:
            path.chmod(0o644)
            path.unlink()
            path.symlink_to(target)
    (root / "cases").symlink_to(CASES)
    return files


def outcome(name: str, files_dir: pathlib.Path) -> tuple[bool, str]:
    data = (CASES / f"{name}.bu").read_bytes()
    expected_rc = int((CASES / f"{name}.rc").read_text())
    stderr = CASES / f"{name}.stderr"
    want = findings(stderr.read_text()) if stderr.exists() else set()
    cwd = os.getcwd()
    os.chdir(files_dir.parent)
    try:
        result = butane.translate(data, files_dir="files")
    finally:
        os.chdir(cwd)
    have = findings(render_pretty(result.report, f"cases/{name}.bu", data))
    if result.ok != (expected_rc == 0):
        return False, f"verdict: {result.error}"
    if want != have:
        return False, f"diagnostics: missing {sorted(want - have)[:3]} extra {sorted(have - want)[:3]}"
    expected = CASES / f"{name}.ign"
    if result.ok and expected.exists() and not name.startswith("openshift"):
        if json.loads(expected.read_text()) != json.loads(result.output):
            return False, "output differs"
    return True, ""


def test_corpus_present() -> None:
    assert len(NAMES) > 800, f"conformance corpus not found under {CASES}"


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_case(name: str, files_dir: pathlib.Path) -> None:
    ok, why = outcome(name, files_dir)
    if name in KNOWN:
        assert not ok, f"{name} agrees now: remove it from {KNOWN_FILE.name}"
    else:
        assert ok, why


@pytest.mark.parametrize("name", OTHERS)
def test_other_variants_do_not_crash(name: str, files_dir: pathlib.Path) -> None:
    outcome(name, files_dir)  # variants of a later issue: a clean failure, never a crash


def test_known_list_names_real_cases() -> None:
    assert KNOWN <= set(NAMES), sorted(KNOWN - set(NAMES))
