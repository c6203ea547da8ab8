"""YAML text for a decompiled Butane config: block style, keys in the order given.

The Go-compatible encoder sorts keys and picks its own scalar styles; a readable Butane
config wants the schema's key order, modes in octal (``0644``, YAML 1.1 octal as Butane
reads it) and multi-line text as ``|`` literal blocks. Every block scalar is parsed back
with the project's YAML parser before it is used, so the text always reads back to the
same data; anything a block cannot hold is double-quoted.
"""

from __future__ import annotations

import re
from typing import Any

from .._go import yaml as _goyaml
from .._go.types import ANY_T

_INDENT = 2


class Octal(int):
    """An int written in octal with a leading zero (a file or directory mode)."""


# Plain scalars: a safe first character, no indicator sequences, printable ASCII or
# ordinary non-ASCII text, and a value that reads back as a string.
_PLAIN = re.compile(r"[^\s\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\-?:,\[\]{}#&*!|>'\"%@`](?:[^\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff:#]|:(?! )(?!\Z)|(?<! )#)*")
# Words YAML 1.1 readers take for booleans ("<<" is the merge key, below).
_YAML11_WORDS = frozenset(("y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off",
                           "OFF"))
# What a literal block holds as it is: tab, LF and printable characters.
_BLOCK_UNSAFE = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


def dump(doc: dict) -> str:
    """``doc`` (dicts in key order, lists, str, int, :class:`Octal`, bool) as YAML text."""
    out: list[str] = []
    _mapping(doc, 0, out)
    return "\n".join(out) + "\n"


def _mapping(m: dict, indent: int, out: list[str]) -> None:
    pad = " " * indent
    for key, value in m.items():
        k = _scalar(str(key), indent, as_key=True)
        if isinstance(value, dict) and value:
            out.append(f"{pad}{k}:")
            _mapping(value, indent + _INDENT, out)
        elif isinstance(value, list) and value:
            out.append(f"{pad}{k}:")
            _sequence(value, indent + _INDENT, out)
        else:
            out.append(f"{pad}{k}: {_scalar(value, indent)}")


def _sequence(items: list, indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, (dict, list)) and item:
            inner: list[str] = []
            if isinstance(item, dict):
                _mapping(item, indent + _INDENT, inner)
            else:
                _sequence(item, indent + _INDENT, inner)
            # The item's first line moves up beside its dash.
            out.append(f"{pad}- {inner[0][indent + _INDENT:]}")
            out.extend(inner[1:])
        else:
            out.append(f"{pad}- {_scalar(item, indent)}")


def _scalar(v: Any, indent: int, as_key: bool = False) -> str:
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    if isinstance(v, Octal):
        return "0" + format(int(v), "o") if v >= 0 else str(int(v))
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if _plain_ok(s):
        return s
    if not as_key and "\n" in s:
        block = _literal(s, indent + _INDENT)
        if block is not None:
            return block
    return _double_quoted(s)


def _plain_ok(s: str) -> bool:
    if not s or s != s.strip() or s in _YAML11_WORDS or s == "<<" or not _PLAIN.fullmatch(s):
        return False
    return _goyaml._plain_tag(s) == "!!str"


def _literal(s: str, indent: int) -> str | None:
    """``s`` as a ``|`` block at ``indent``, or None when a block cannot hold it exactly."""
    if _BLOCK_UNSAFE.search(s):
        return None
    body = s.rstrip("\n")
    trailing = len(s) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    lines = s.split("\n")[:-1] if chomp == "+" else body.split("\n")
    # A first line that starts with a space (or is empty) needs the indentation said; the
    # indicator counts from the parent's indentation, which is the block's less one step.
    indicator = str(_INDENT) if body[:1] in (" ", "") else ""
    pad = " " * indent
    text = f"|{indicator}{chomp}\n" + "\n".join(pad + line if line else "" for line in lines)
    probe = "k: " + text.replace("\n" + pad, "\n" + " " * _INDENT) + "\n"
    try:
        back = _goyaml.unmarshal(probe.encode("utf-8"), ANY_T)
    except _goyaml.YAMLError:
        return None
    return text if isinstance(back, dict) and back.get("k") == s else None


def _double_quoted(s: str) -> str:
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif o < 0x20 or 0x7F <= o <= 0x9F or c in "\u2028\u2029\ufeff" or 0xD800 <= o <= 0xDFFF or o >= 0xFFFE and o <= 0xFFFF:
            out.append(f"\\x{o:02x}" if o <= 0xFF else f"\\u{o:04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def load(text: str) -> Any:
    """Parse YAML text with the project's (Go-compatible) parser."""
    return _goyaml.unmarshal(text.encode("utf-8"), ANY_T)
