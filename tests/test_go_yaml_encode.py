"""The MachineConfig YAML encoder: what it writes reads back as the same value.

Byte-for-byte parity with the reference is checked by the ``parity-yaml-*`` golden cases
(tests/test_cli_translate.py::test_golden) and scripts/gen_openshift_strings.py; this file
checks, over many random strings, that the text is YAML that yaml.v3's decoder (our port)
reads back unchanged, wherever yaml.v3's own encoder is not lossy.
"""

from __future__ import annotations

import random

import pytest

from butane_py._go import yaml as _goyaml
from butane_py._go.yaml_encode import _key_less, encode
from butane_py._go.types import ANY_T

PIECES = ["a", "Z", " ", "  ", "\t", "\n", "\n\n", "\r", "\r\n", "-", "?", ":", "#", "'", '"', "*", "&", "!", "%",
          "@", "`", "[", "]", "{", "}", ",", "|", ">", "\\", "~", "0", "12", "_", ".", "e", "é", "\xa0", "\ufeff",
          "\ufffd", "🚀", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "yes", "No", "null", "1e3", "0o17",
          "1:20", "2001-12-14", "---", "...", "- ", ": ", " #", "x" * 90]


def _lossy(s: str) -> bool:
    """Strings yaml.v3 itself writes so that they read back differently (the reference shares these flaws)."""
    # U+2028 and U+2029 are line breaks to yaml.v3's emitter, copied raw into plain-less
    # styles; a literal block drops a leading line break and has no indicator for a leading tab.
    return "\u2028" in s or "\u2029" in s or ("\n" in s and s[0] in "\n\t")


def _strings(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6))) for _ in range(n)]


def _decode(text: str):
    def norm(v):
        if isinstance(v, dict):
            return {str(k): norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v

    return norm(_goyaml.decode(_goyaml.parse(text.encode("utf-8")), ANY_T))


@pytest.mark.parametrize("seed", range(4))
def test_strings_read_back(seed: int) -> None:
    strings = [s for s in _strings(seed, 1500) if not _lossy(s)]
    assert len(strings) > 1000
    for s in strings:
        doc = {"spec": {"list": [s, {"key": s}], "value": s}, "labels": {s: s} if "\n" not in s else {}}
        text = encode(doc)
        assert _decode(text) == doc, (s, text)


def test_numbers_and_literals_read_back() -> None:
    doc = {"a": [0, 1, 420, 999999, 1000000, 1234567, 2**53, True, False, None, [], {}], "b": 0.5}
    assert _decode(encode(doc)) == {
        "a": [0, 1, 420, 999999, 1000000.0, 1234567.0, float(2**53), True, False, None, [], {}], "b": 0.5}


def test_key_order_is_natural() -> None:
    # yaml.v3 compares digit runs by value, and letters after other characters unless a digit precedes.
    keys = ["a10", "a9", "a09", "a_b", "aB", "a-b", "b", "1a", "1-"]
    text = encode({k: 1 for k in keys})
    assert [line.split(":")[0] for line in text.splitlines()] == ["1a", "1-", "a-b", "a_b", "a9", "a09", "a10", "aB",
                                                                   "b"]
    assert _key_less("a2", "a10") and not _key_less("a10", "a2")


def test_unsafe_text_is_quoted_not_structure() -> None:
    # A hostile value can never add keys or items to the MachineConfig.
    for s in ["a\nkind: Evil", "x: y", "- item", "}{", "a\n- b", "#c", "&x", "*x", "!!binary x", "\u2028kind: Evil"]:
        doc = {"kind": "MachineConfig", "v": [s]}
        assert _decode(encode(doc)) == doc
