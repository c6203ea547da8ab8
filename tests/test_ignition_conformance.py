"""The reference ignition-validate's recorded verdicts, run in-process.

Every case must agree on verdict, findings and positions, except the ones listed in
``ignition_known_disagreements.txt``; that list may only shrink (a listed case that now
agrees fails the test until it is removed from the list).
"""

from __future__ import annotations

import pathlib

import pytest

from butane_py.ignition import parse_config

from ._conformance import findings, read_known
from .conftest import CONFORMANCE, need_conformance

need_conformance()
CASES = CONFORMANCE / "ignition" / "cases"
KNOWN_FILE = pathlib.Path(__file__).with_name("ignition_known_disagreements.txt")
KNOWN = read_known(KNOWN_FILE)
NAMES = sorted(p.name[:-4] for p in CASES.glob("*.ign")) if CASES.is_dir() else []


def outcome(name: str) -> tuple[bool, str]:
    data = (CASES / f"{name}.ign").read_bytes()
    expected_ok = int((CASES / f"{name}.rc").read_text()) == 0
    want = findings((CASES / f"{name}.out").read_text())
    result = parse_config(data)
    have = findings(str(result.report))
    if result.ok != expected_ok:
        return False, f"verdict: expected {'valid' if expected_ok else 'invalid'}"
    if want != have:
        return False, f"missing {sorted(want - have)[:3]} extra {sorted(have - want)[:3]}"
    return True, ""


def test_corpus_present() -> None:
    assert len(NAMES) > 2000, f"conformance corpus not found under {CASES}"


@pytest.mark.parametrize("name", NAMES)
def test_case(name: str) -> None:
    ok, why = outcome(name)
    if name in KNOWN:
        assert not ok, f"{name} agrees now: remove it from {KNOWN_FILE.name}"
    else:
        assert ok, why


def test_known_list_names_real_cases() -> None:
    assert KNOWN <= set(NAMES), sorted(KNOWN - set(NAMES))
