"""Huge integers in Butane YAML: yaml.v3's resolution, never Python's int() digit limit."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

import butane_py

HUGE = "1" * 5000


@pytest.mark.parametrize(
    "literal",
    [HUGE, "-" + HUGE, "0x" + "f" * 5000, "0o" + "7" * 5000, HUGE + ".5"],
    ids=["decimal", "negative", "hex", "octal", "float"],
)
def test_huge_number_in_an_int_field(literal: str) -> None:
    # ParseInt, ParseUint and ParseFloat all fail, so yaml.v3 resolves it as a string.
    cfg = f"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n      mode: {literal}\n"
    r = butane_py.translate(cfg.encode())
    assert r.output is None
    assert r.error.startswith("yaml: unmarshal errors:\n  line 6: cannot unmarshal !!str `")
    assert r.error.endswith("...` into int")


def test_huge_number_in_a_string_field() -> None:
    cfg = f"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n      contents:\n        inline: {HUGE}\n"
    r = butane_py.translate(cfg.encode())
    assert r.error is None, r
    contents = json.loads(r.output)["storage"]["files"][0]["contents"]
    assert contents["compression"] == "gzip"
    assert gzip.decompress(base64.b64decode(contents["source"].split(",", 1)[1])) == HUGE.encode()


def test_huge_number_in_an_inline_ignition_config() -> None:
    # The embedded config goes through the same JSON decoder as validate.
    doc = '{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/a","mode":%s}]}}' % HUGE
    cfg = f"variant: fcos\nversion: 1.5.0\nignition:\n  config:\n    merge:\n      - inline: '{doc}'\n"
    r = butane_py.translate(cfg.encode())
    assert r.output is None
    assert any("cannot unmarshal number " + HUGE in e.message for e in r.report.entries), r.report
