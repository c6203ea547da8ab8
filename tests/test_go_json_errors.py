"""Tests for butane_py._go.json_errors against golden data produced by go1.27.3.

Golden files (fixtures/go/json/*.json) are lists of records.  The input is
given as "input" (text, UTF-8 encoded for the test), "input_b64" (raw bytes)
or "input_parts" ([[text, repeat], ...] concatenated, for huge inputs).

* syntax_*.json: "message"/"offset" of the *json.SyntaxError from
  json.Unmarshal, or null/null when the input is valid.
* valid_any.json: "valid": whether json.Unmarshal into `any` returned nil.
* type_errors.json / type_generic.json: "message"/"offset" of the
  *json.UnmarshalTypeError, plus the location Go blamed ("start", "go_type",
  "root", "pointer") which is what the decoder passes to type_error.
"""

from __future__ import annotations

import base64
import json
import random
import time
from pathlib import Path

import pytest

from butane_py._go import json_errors as g
from butane_py._go.json_errors import (
    go_equal_fold_ascii,
    go_unquote,
    json_valid_any,
    syntax_error,
    type_error,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "go" / "json"


def _input(rec: dict) -> bytes:
    if "input_b64" in rec:
        return base64.b64decode(rec["input_b64"])
    if "input_parts" in rec:
        return "".join(text * count for text, count in rec["input_parts"]).encode("utf-8")
    return rec["input"].encode("utf-8")


def _load(pattern: str) -> list:
    params = []
    files = sorted(FIXTURES.glob(pattern))
    assert files, f"no fixtures matching {pattern}"
    for path in files:
        for i, rec in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            params.append(pytest.param(rec, id=f"{path.stem}-{i}"))
    return params


SYNTAX = _load("syntax_*.json")
VALID_ANY = _load("valid_any.json")
TYPES = _load("type_*.json")


def _expected_syntax(rec):
    if rec["message"] is None:
        return None
    return (rec["message"], rec["offset"])


@pytest.mark.parametrize("rec", SYNTAX)
def test_syntax_error_matches_go(rec):
    assert syntax_error(_input(rec)) == _expected_syntax(rec)


@pytest.mark.parametrize("rec", SYNTAX)
def test_exact_scanner_matches_go(rec):
    # The exact scanner alone (no C json fast path) must agree as well, so
    # that it is exercised on valid inputs too.
    data = _input(rec)
    expected = _expected_syntax(rec)
    assert g._scan(data) == expected
    r = g._scan(data, check_float=True)  # the json_valid_any mode
    if expected is None:
        assert r is None or r is g._OVERFLOW
    else:
        assert r == expected


@pytest.mark.parametrize("rec", VALID_ANY)
def test_json_valid_any_matches_go(rec):
    data = _input(rec)
    assert json_valid_any(data) is rec["valid"]
    # exact path alone
    r = g._scan(data, check_float=True)
    assert (r is None) is rec["valid"]


@pytest.mark.parametrize("rec", TYPES)
def test_type_error_matches_go(rec):
    data = _input(rec)
    got = type_error(data, rec["start"], rec["go_type"], rec["root"], rec["pointer"])
    assert got == (rec["message"], rec["offset"])


def test_fixture_sizes_and_counts():
    total = 0
    for path in FIXTURES.glob("*.json"):
        assert path.stat().st_size < 300 * 1024, path
        total += len(json.loads(path.read_text(encoding="utf-8")))
    assert total > 1000
    # every kind of syntax error is represented
    messages = {rec.values[0]["message"] for rec in SYNTAX}
    for needle in [
        "unexpected end of JSON input",
        "looking for beginning of value",
        "looking for beginning of object key string",
        "after object key",
        "after object key:value pair",
        "after array element",
        "after top-level value",
        "in numeric literal",
        "in literal null (expecting 'u')",
        "invalid escape sequence",
        "exceeded max depth",
    ]:
        assert any(m and needle in m for m in messages), needle


# --------------------------------------------------------------------------
# Direct checks of facts established against Go (values copied from go1.27.3
# runs; see the module docstring).


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", ("unexpected end of JSON input", 0)),
        (b"  ", ("unexpected end of JSON input", 2)),
        (b'{"a":1} x', ("invalid character 'x' after top-level value", 9)),
        (b"1.", ("unexpected end of JSON input", 0)),
        (b"[-", ("unexpected end of JSON input", 1)),
        (b'"ab\\', ("unexpected end of JSON input", 3)),
        (b"[1,]", ("invalid character ']' looking for beginning of value", 4)),
        (b'{"a":1,}', ("invalid character '}' looking for beginning of object key string", 8)),
        (b"\xef\xbb\xbf{}", ("invalid character '\\ufeff' looking for beginning of value", 3)),
        (b"[" * 10001, ("exceeded max depth", 10001)),
        (b'{"ignition":{"version":5}} x', ("invalid character 'x' after top-level value", 28)),
        (b'{"a":"\xff\\ud800"}', None),
        (b'{"a":1,"a":2}', None),
        (b"1e400", None),
    ],
)
def test_known_syntax_answers(data, expected):
    assert syntax_error(data) == expected


def test_deep_nesting_is_iterative():
    deep = b"[" * 100000 + b"]" * 100000
    assert syntax_error(deep) == ("exceeded max depth", 10001)
    ok = b'{"a":' * 10000 + b"1" + b"}" * 10000
    assert syntax_error(ok) is None
    assert syntax_error(b"[" * 10000 + b"]" * 10000) is None
    assert syntax_error(b"[" * 10000 + b"{}" + b"]" * 10000) == ("exceeded max depth", 10001)
    assert json_valid_any(b"[" * 9000 + b"1e400" + b"]" * 9000) is False
    assert json_valid_any(b"[" * 9000 + b"1e300" + b"]" * 9000) is True


def test_large_valid_document_is_fast():
    rng = random.Random(0)
    files = [
        {"path": f"/etc/f{i}", "mode": 420, "overwrite": True,
         "contents": {"source": "data:," + "x" * rng.randrange(10, 400)}}
        for i in range(30000)
    ]
    doc = json.dumps({"ignition": {"version": "3.4.0"}, "storage": {"files": files}}, indent=2).encode()
    assert len(doc) > 10_000_000
    t = time.perf_counter()
    assert syntax_error(doc) is None
    assert json_valid_any(doc) is True
    assert time.perf_counter() - t < 2.0
    # an error at the very end goes through the exact scanner
    t = time.perf_counter()
    assert syntax_error(doc + b"x") == ("invalid character 'x' after top-level value", len(doc) + 1)
    assert time.perf_counter() - t < 4.0


def test_garbage_stops_at_first_error():
    garbage = b"\x00" + bytes(range(256)) * 200_000  # ~50 MB
    t = time.perf_counter()
    assert syntax_error(garbage) == ("invalid character '\\x00' looking for beginning of value", 1)
    assert syntax_error(b'{"a":1' + b"z" * 50_000_000) == ("invalid character 'z' after object key:value pair", 7)
    assert syntax_error(b"[" * 50_000_000) == ("exceeded max depth", 10001)
    assert time.perf_counter() - t < 2.0


def test_type_error_offsets_by_kind():
    doc = b'{"a": "xy" , "b": 12.5 , "c": true, "d": {"e": 1}, "f": [1], "g": null}'
    assert type_error(doc, doc.index(b'"xy"'), "int", "R", ["a"])[1] == doc.index(b'"xy"') + 4
    assert type_error(doc, doc.index(b"12.5"), "int", "R", ["b"]) == (
        "json: cannot unmarshal number 12.5 into Go struct field R.b of type int", doc.index(b"12.5") + 4)
    assert type_error(doc, doc.index(b"12.5"), "string", "R", ["b"]) == (
        "json: cannot unmarshal number into Go struct field R.b of type string", doc.index(b"12.5") + 4)
    assert type_error(doc, doc.index(b"true"), "string", "R", ["c"])[1] == doc.index(b"true") + 4
    assert type_error(doc, doc.index(b'{"e"'), "string", "R", ["d"]) == (
        "json: cannot unmarshal object into Go struct field R.d of type string", doc.index(b'{"e"') + 1)
    assert type_error(doc, doc.index(b"[1]"), "types.File", "R", ["f", 0])[0] == (
        "json: cannot unmarshal array into R.f.0 of type types.File")
    assert type_error(doc, 0, "types.Config", "Config", []) == (
        "json: cannot unmarshal object into Go value of type types.Config", 1)
    # pointer names are escaped like a JSON pointer
    assert type_error(doc, doc.index(b"true"), "int", "R", ["a/b~c", 3])[0] == (
        "json: cannot unmarshal bool into R.a~1b~0c.3 of type int")


def test_go_unquote():
    # Spellings observed in Go's UnmarshalTypeError.Field.
    assert go_unquote(b'"mo\\u0064e"') == "mode"
    assert go_unquote(b'"Mo\\u0044e"') == "MoDe"
    assert go_unquote(b'"\xff\\ud800x"') == "\ufffd\ufffdx"
    assert go_unquote(b'"\xe2\x82"') == "\ufffd\ufffd"
    assert go_unquote(b'"\\ud83d\\ude00\\udc00\\ud800\\u0041"') == "\U0001f600\ufffd\ufffdA"
    assert go_unquote(b'"a\\"\\\\\\/\\b\\f\\n\\r\\t\xc3\xa9"') == 'a"\\/\b\f\n\r\t\u00e9'
    with pytest.raises(ValueError):
        go_unquote(b"abc")


@pytest.mark.parametrize(
    "key, name, expected",
    [
        ("mode", "mode", True),
        ("MODE", "mode", True),
        ("mOdE", "mode", True),
        ("\u017ftorage", "storage", True),
        ("\u212aernelArguments", "kernelArguments", True),
        ("m_ode", "mode", False),
        ("mode ", "mode", False),
        ("mod\u00e9", "mode", False),
        ("m0de", "mode", False),
        ("shouldExist", "shouldexist", True),
        ("[", "{", False),
    ],
)
def test_go_equal_fold_ascii(key, name, expected):
    assert go_equal_fold_ascii(key, name) is expected
