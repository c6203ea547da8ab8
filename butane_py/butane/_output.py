"""Ignition JSON exactly as the reference writes it.

Butane marshals with a fork of Go's encoding/json in which ``omitempty`` also drops
all-zero structs. Fields keep Go's order; a few fields have no ``omitempty`` and are
always written. Strings are escaped as Go escapes them (``<``, ``>``, ``&``, U+2028 and
U+2029 as ``\\u`` escapes; control characters as ``\\u00XX`` except ``\\n``, ``\\r``, ``\\t``;
each byte of invalid UTF-8 from a local file as ``\\ufffd``).
"""

from __future__ import annotations

import json
import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

from ..ignition._spec import FieldType, Spec

# Fields written even when empty, by struct (they have no ``omitempty`` in the reference).
ALWAYS = {
    "Config": {"ignition"},
    "Disk": {"device"},
    "Dropin": {"name"},
    "Filesystem": {"device"},
    "HTTPHeader": {"name"},
    "Luks": {"name"},
    "File": {"path"},
    "Directory": {"path"},
    "Link": {"path"},
    "PasswdGroup": {"name"},
    "PasswdUser": {"name"},
    "Raid": {"name"},
    "Unit": {"name"},
    "ConfigReference": {"source"},
    "CaReference": {"source"},
    "Custom": {"config", "pin"},
}
# Spec 3.0 to 3.2 also always write these.
ALWAYS_BEFORE_3_3 = {"Link": {"target"}, "Raid": {"devices", "level"}}


def value(config: dict, spec: Spec) -> dict:
    return _struct(spec, "Config", config)


def _always(spec: Spec, name: str) -> set[str]:
    out = set(ALWAYS.get(name, ()))
    if spec.semver < (3, 3, 0, "", "") and name in ALWAYS_BEFORE_3_3:
        out |= ALWAYS_BEFORE_3_3[name]
    if name == "Ignition":
        out.add("version")
    return out


def _struct(spec: Spec, name: str, v: dict) -> dict:
    out: dict = {}
    always = _always(spec, name)
    for fname, ft in spec.compiled[name].fields:
        x = v.get(fname)
        if fname in always:
            out[fname] = _value(spec, ft, x, True)
            continue
        if _is_empty(spec, ft, x):
            continue
        out[fname] = _value(spec, ft, x, False)
    return out


def _is_empty(spec: Spec, ft: FieldType, x: Any) -> bool:
    """What ``omitempty`` drops in the reference's encoder: nil, "", 0, false, an empty
    list (nil or not), and a struct whose fields are all empty in this same sense (so a
    struct holding only empty lists goes too, unlike Go's IsZero)."""
    if x is None:
        return True
    if ft.pointer:
        return False
    if ft.kind == "list":
        return not x
    if ft.kind == "struct":
        return all(_is_empty(spec, t, x.get(n)) for n, t in spec.compiled[ft.struct].fields)  # type: ignore[index]
    return not x


def _value(spec: Spec, ft: FieldType, x: Any, always: bool) -> Any:
    if x is None:
        if ft.pointer or ft.kind == "list":
            return None
        return {"string": "", "int": 0, "bool": False}.get(ft.kind, {})
    if ft.kind == "struct":
        return _struct(spec, ft.struct, x)  # type: ignore[arg-type]
    if ft.kind == "list":
        item: FieldType = ft.item  # type: ignore[assignment]
        return [_struct(spec, item.struct, e) if item.kind == "struct" else e for e in x]  # type: ignore[arg-type]
    return x


# These three are compiled on first use (re caches them): most documents need none of them.
_NEEDS_NON_ASCII = "[\u2028\u2029\ud800-\udfff]"
_GO_CHARS = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
# A backslash and the character it escapes, taken as pairs so that "\\\\b" stays as it is.
_ESCAPE_PAIR = r"\\."
_GO_PAIRS = {"\\b": "\\u0008", "\\f": "\\u000c"}
_SURROGATE = "[\ud800-\udfff]"


def dumps(doc: Any, pretty: bool = False) -> str:
    if pretty:
        text = json.dumps(doc, indent=2, ensure_ascii=False)
    else:
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    if _needs_go_escape(text):
        text = _go_escape(text)
    return text


def _needs_go_escape(text: str) -> bool:
    """Whether Go writes ``text`` otherwise than json.dumps did. A few substring scans in C
    are much quicker on a large document than one regular expression."""
    if "<" in text or ">" in text or "&" in text:
        return True
    if "\\" in text and ("\\b" in text or "\\f" in text):
        return True
    return not text.isascii() and re.search(_NEEDS_NON_ASCII, text) is not None


def _go_escape(text: str) -> str:
    # Outside strings JSON has none of these characters, and none is part of an escape, so
    # plain replacements are safe; each runs in C over the whole (possibly large) text.
    for c, esc in _GO_CHARS.items():
        if c in text:
            text = text.replace(c, esc)
    if "\\b" in text or "\\f" in text:
        text = re.sub(_ESCAPE_PAIR, lambda m: _GO_PAIRS.get(m.group(), m.group()), text)
    if not text.isascii():
        # A byte of invalid UTF-8 (read with surrogateescape): Go writes U+FFFD's escape.
        text = re.sub(_SURROGATE, "\\\\ufffd", text)
    return text
