"""YAML text exactly as Butane writes a MachineConfig.

Butane marshals the MachineConfig to JSON, decodes that into Go's generic values and
encodes them with gopkg.in/yaml.v3 (indent 2, unlimited line width). So the input here is
what ``json.Unmarshal`` gives: dicts with string keys, lists, strings, numbers (all float64
in Go), booleans and None. This module follows yaml.v3's encoder and emitter rules for
those values: the scalar style each string gets (plain, single-quoted, double-quoted or
literal block), the escapes, the indentation, and the key order of its natural sort.

Go source: Butane v0.29.0 ``config/util/util.go``: ``TranslateBytesYAML`` (the JSON round trip,
``yaml.NewEncoder``, ``SetIndent(2)``); gopkg.in/yaml.v3 v3.0.1 as vendored there:

- ``encode.go``: ``encoder.marshal``, ``mapv``, ``slicev``, ``stringv`` (with ``isBase60Float``
  and ``isOldBool``), ``floatv``, ``boolv``, ``nilv`` → :meth:`_Emitter.node`,
  :func:`_wanted_style`, :func:`_go_float`;
- ``sorter.go``: ``keyList.Less`` → :func:`_key_less`;
- ``emitterc.go``: the block-collection and scalar parts of the emitter
  (``yaml_emitter_emit_block_mapping_key``, ``yaml_emitter_emit_block_sequence_item``,
  ``yaml_emitter_check_simple_key``, ``yaml_emitter_select_scalar_style``,
  ``yaml_emitter_analyze_scalar``, ``yaml_emitter_write_*``), one :class:`_Emitter` method
  per Go function it condenses. Events are not built: the emitter runs straight off the value.
"""

from __future__ import annotations

import math
import re
from functools import cmp_to_key
from typing import Any

from .yaml import _plain_tag

__all__ = ["encode"]

_INDENT = 2  # Butane calls SetIndent(2)
_MAX_SIMPLE_KEY = 128  # longer keys (in UTF-8 bytes) are written as "? key"

_PLAIN, _SINGLE, _DOUBLE, _LITERAL = range(4)

_BREAKS = frozenset("\r\n\x85\u2028\u2029")
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
# Strings YAML 1.1 readers take for floats or booleans; yaml.v3 quotes them though it reads them as strings.
_BASE60_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_OLD_BOOLS = frozenset(("y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
                        "n", "N", "no", "No", "NO", "off", "Off", "OFF"))
_ESCAPES = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r",
            "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P"}
# Go's json.Marshal writes each byte of invalid UTF-8 as U+FFFD; here such bytes are surrogate escapes.
_SURROGATES = re.compile("[\ud800-\udfff]")


def encode(doc: Any) -> str:
    """``doc`` as yaml.v3 writes it, without the final line break."""
    e = _Emitter()
    e.node(doc, in_item=False)
    return "".join(e.out)


# Characters yaml.v3 writes as they are (tab aside): LF, printable ASCII, and the BMP from
# U+00A0 except surrogates, U+FEFF, U+FFFE and U+FFFF. It tests UTF-8 lead bytes, so
# characters outside the BMP are never printable.
_SPECIAL = re.compile("[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
_BREAK = re.compile("[\r\n\x85\u2028\u2029]")
_BREAK_SPACE = re.compile("[\r\n\x85\u2028\u2029] ")
_SPACE_BREAK = re.compile(" [\r\n\x85\u2028\u2029]")
# Indicators after the first character: ": " (or ":" at the end) and " #".
_LATER_INDICATOR = re.compile("(?<=.):(?:[ \t]|\\Z)|[ \t\0\r\n\x85\u2028\u2029]#", re.S)
_NEEDS_ESCAPE = re.compile("([^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]|[\"\\\\])")
_BREAK_SPLIT = re.compile("([\r\n\x85\u2028\u2029])")
_SINGLE_TOKEN = re.compile("[\r\n\x85\u2028\u2029]|[^\r\n\x85\u2028\u2029 ]+| +")


# emitterc.go: yaml_emitter_analyze_scalar
class _Scalar:
    """What yaml.v3's analyze_scalar learns about a value."""

    __slots__ = ("multiline", "block_plain", "single", "block")

    def __init__(self, s: str) -> None:
        if not s:
            self.multiline, self.block_plain, self.single, self.block = False, True, True, False
            return
        first, follow = s[0], s[1:2]
        indicators = (s.startswith(("---", "...")) or first in _FIRST_INDICATORS
                      or (first in "?:-" and follow in ("", " ", "\t")) or bool(_LATER_INDICATOR.search(s)))
        line_breaks = bool(_BREAK.search(s))
        special = bool(_SPECIAL.search(s))
        tabs = "\t" in s
        space_break = bool(_SPACE_BREAK.search(s))
        break_space = bool(_BREAK_SPACE.search(s))
        leading = first == " " or first in _BREAKS
        trailing_space = s[-1] == " "
        self.multiline = line_breaks
        self.block_plain = not (leading or trailing_space or s[-1] in _BREAKS or break_space or space_break
                                or tabs or special or line_breaks or indicators)
        self.single = not (break_space or space_break or tabs or special)
        self.block = not (trailing_space or space_break or special)


# encode.go: encoder.stringv, isBase60Float, isOldBool
def _wanted_style(s: str) -> int:
    """The style yaml.v3's encoder asks for a string (the emitter may overrule it)."""
    if "\n" in s:
        return _LITERAL
    if _plain_tag(s) == "!!str" and not (_BASE60_FLOAT.fullmatch(s) or s in _OLD_BOOLS):
        return _PLAIN
    return _DOUBLE


# encode.go: encoder.floatv → strconv.FormatFloat(f, 'g', -1, 64)
def _go_float(f: float) -> str:
    """strconv.FormatFloat(f, 'g', -1, 64): shortest digits; exponent form below 1e-4 and from 1e6."""
    if math.isnan(f):
        return ".nan"
    if math.isinf(f):
        return ".inf" if f > 0 else "-.inf"
    if f == 0:
        return "-0" if math.copysign(1, f) < 0 else "0"
    sign = "-" if f < 0 else ""
    mant, _, exp_s = repr(abs(f)).partition("e")
    whole, _, frac = mant.partition(".")
    digits = (whole + frac).lstrip("0")
    point = len(whole) + (int(exp_s) if exp_s else 0) - (len(whole + frac) - len((whole + frac).lstrip("0")))
    digits = digits.rstrip("0") or "0"
    exp = point - 1
    if exp < -4 or exp >= 6:
        out = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return "%s%se%s%02d" % (sign, out, "-" if exp < 0 else "+", abs(exp))
    if point <= 0:
        return sign + "0." + "0" * -point + digits
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return sign + digits[:point] + "." + digits[point:]


# sorter.go: keyList.Less
def _key_less(a: str, b: str) -> bool:
    """yaml.v3's keyList.Less for two strings: letters by code point, digit runs by value."""
    digits = False
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            digits = ca.isdecimal()
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            return al if digits else bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdecimal():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdecimal():
            an = _int64(an * 10 + ord(a[ai]) - 48)
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdecimal():
            bn = _int64(bn * 10 + ord(b[bi]) - 48)
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


_KEY = cmp_to_key(lambda a, b: -1 if _key_less(a, b) else (1 if _key_less(b, a) else 0))


def _int64(n: int) -> int:
    """Go's int64 arithmetic wraps around."""
    return (n + (1 << 63)) % (1 << 64) - (1 << 63)


def _sorted_keys(keys: list[str]) -> list[str]:
    # Where keyList.Less is not a consistent order (for example with digit runs that
    # overflow int64), the reference's result depends on Go's random map order, so it has
    # no single answer; elsewhere every sort agrees with it.
    return sorted(keys, key=_KEY)


# emitterc.go: yaml_emitter_t and the functions below
class _Emitter:
    """The parts of yaml.v3's emitter that block mappings, block sequences and scalars use.

    ``column``, ``whitespace`` and ``indention`` are the emitter's own state: they decide
    where line breaks and spaces go, so they are kept exactly as yaml.v3 keeps them.
    """

    def __init__(self) -> None:
        self.out: list[str] = []
        self.column = 0
        self.whitespace = True
        self.indention = True
        self.indent = -1
        self.indents: list[int] = []

    # -- writing

    # emitterc.go: put, write
    def put(self, text: str) -> None:
        self.out.append(text)
        self.column += len(text)

    # emitterc.go: put_break
    def put_break(self) -> None:
        self.out.append("\n")
        self.column = 0
        self.indention = True

    # emitterc.go: write_break
    def write_break(self, c: str) -> None:
        # A break other than LF is copied as it is, and counts as a new line.
        if c == "\n":
            self.put_break()
        else:
            self.out.append(c)
            self.column = 0
            self.indention = True

    # emitterc.go: yaml_emitter_write_indent
    def write_indent(self) -> None:
        indent = max(self.indent, 0)
        if not self.indention or self.column > indent or (self.column == indent and not self.whitespace):
            self.put_break()
        if self.column < indent:
            self.put(" " * (indent - self.column))
        self.whitespace = True

    # emitterc.go: yaml_emitter_write_indicator
    def indicator(self, text: str, need_ws: bool, is_ws: bool, is_indention: bool) -> None:
        if need_ws and not self.whitespace:
            self.put(" ")
        self.put(text)
        self.whitespace = is_ws
        self.indention = self.indention and is_indention

    # emitterc.go: yaml_emitter_increase_indent
    def increase_indent(self, flow: bool, in_item: bool) -> None:
        self.indents.append(self.indent)
        if self.indent < 0:
            self.indent = _INDENT if flow else 0
        elif in_item:
            self.indent += 2  # the first level inside a sequence item only skips "- "
        else:
            self.indent = _INDENT * ((self.indent + _INDENT) // _INDENT)

    # -- nodes

    # encode.go: encoder.marshal (mapv, slicev, stringv, floatv, boolv, nilv); emitterc.go:
    # yaml_emitter_emit_block_mapping_key/_value, yaml_emitter_emit_block_sequence_item,
    # yaml_emitter_check_simple_key, yaml_emitter_check_empty_mapping/_sequence
    def node(self, v: Any, in_item: bool, simple_key: bool = False) -> None:
        """``in_item``: ``v`` is a block sequence item (yaml.v3 indents those differently)."""
        if isinstance(v, dict):
            if not v:
                self.indicator("{", True, True, False)
                self.indicator("}", False, False, False)
                return
            self.increase_indent(False, in_item)
            for k in _sorted_keys(list(v)):
                self.write_indent()
                key = _clean(k)
                info = _Scalar(key)
                if not info.multiline and len(key.encode("utf-8")) <= _MAX_SIMPLE_KEY:
                    self.scalar(key, _wanted_style(key), False, True, info)
                    self.indicator(":", False, False, False)
                else:
                    self.indicator("?", True, False, True)
                    self.scalar(key, _wanted_style(key), False, False, info)
                    self.write_indent()
                    self.indicator(":", True, False, True)
                self.node(v[k], False)
            self.indent = self.indents.pop()
        elif isinstance(v, list):
            if not v:
                self.indicator("[", True, True, False)
                self.indicator("]", False, False, False)
                return
            self.increase_indent(False, in_item)
            for x in v:
                self.write_indent()
                self.indicator("-", True, False, True)
                self.node(x, True)
            self.indent = self.indents.pop()
        elif v is None:
            self.scalar("null", _PLAIN, in_item, simple_key)
        elif isinstance(v, bool):
            self.scalar("true" if v else "false", _PLAIN, in_item, simple_key)
        elif isinstance(v, (int, float)):
            # JSON numbers decode to float64 in Go.
            self.scalar(_go_float(float(v)), _PLAIN, in_item, simple_key)
        else:
            s = _clean(v)
            self.scalar(s, _wanted_style(s), in_item, simple_key)

    # emitterc.go: yaml_emitter_emit_scalar, yaml_emitter_select_scalar_style,
    # yaml_emitter_process_scalar, yaml_emitter_write_plain_scalar
    def scalar(self, s: str, style: int, in_item: bool, simple_key: bool, info: _Scalar | None = None) -> None:
        info = info or _Scalar(s)
        # yaml_emitter_select_scalar_style
        if simple_key and info.multiline:
            style = _DOUBLE
        if style == _PLAIN and (not info.block_plain or (not s and simple_key)):
            style = _SINGLE
        if style == _SINGLE and not info.single:
            style = _DOUBLE
        if style == _LITERAL and (not info.block or simple_key):
            style = _DOUBLE
        self.increase_indent(True, in_item)
        if style == _PLAIN:
            if s and not self.whitespace:
                self.put(" ")
            self.put(s)
            if s:
                self.whitespace = False
            self.indention = False
        elif style == _SINGLE:
            self.single_quoted(s)
        elif style == _DOUBLE:
            self.double_quoted(s)
        else:
            self.literal(s)
        self.indent = self.indents.pop()

    # emitterc.go: yaml_emitter_write_single_quoted_scalar
    def single_quoted(self, s: str) -> None:
        self.indicator("'", True, False, False)
        breaks = False
        for m in _SINGLE_TOKEN.finditer(s):
            tok = m.group()
            if tok[0] == " ":
                self.put(tok)
            elif tok in _BREAKS:
                if not breaks and tok == "\n":
                    self.put_break()
                self.write_break(tok)
                breaks = True
            else:
                if breaks:
                    self.write_indent()
                self.put(tok.replace("'", "''"))
                self.indention = False
                breaks = False
        self.indicator("'", False, False, False)
        self.whitespace = self.indention = False

    # emitterc.go: yaml_emitter_write_double_quoted_scalar
    def double_quoted(self, s: str) -> None:
        self.indicator('"', True, False, False)
        # yaml.v3 tests for a byte order mark at the start of the value, not at each
        # character: a value that starts with one has every character escaped.
        if s.startswith("\ufeff"):
            self.put("".join(_escape(c) for c in s))
        else:
            parts = _NEEDS_ESCAPE.split(s)  # text and, at odd places, characters to escape
            table = {c: _escape(c) for c in set(parts[1::2])}
            parts[1::2] = [table[c] for c in parts[1::2]]
            self.put("".join(parts))
        self.indicator('"', False, False, False)
        self.whitespace = self.indention = False

    # emitterc.go: yaml_emitter_write_block_scalar_hints, yaml_emitter_write_literal_scalar
    def literal(self, s: str) -> None:
        self.indicator("|", True, False, False)
        if s[0] == " " or s[0] in _BREAKS:
            self.indicator(str(_INDENT), False, False, False)
        if s[-1] not in _BREAKS:
            self.indicator("-", False, False, False)
        elif len(s) == 1 or s[-2] in _BREAKS:
            self.indicator("+", False, False, False)
        self.whitespace = True
        # Lines alternate with breaks; a break is copied as it is (LF included) and starts a
        # new line, where only a non-empty line gets its indentation.
        parts = _BREAK_SPLIT.split(s)
        if parts[0]:
            self.write_indent()  # ends the header line
            self.put(parts[0])
        pad = " " * self.indent
        out = self.out
        for i in range(1, len(parts), 2):
            out.append(parts[i])
            if parts[i + 1]:
                out.append(pad)
                out.append(parts[i + 1])
        if len(parts) > 1:
            last = parts[-1]
            self.column = len(pad) + len(last) if last else 0
        self.indention = not parts[-1]


# emitterc.go: the escapes of yaml_emitter_write_double_quoted_scalar
def _escape(c: str) -> str:
    esc = _ESCAPES.get(c)
    if esc is None:
        o = ord(c)
        esc = "x%02X" % o if o <= 0xFF else ("u%04X" % o if o <= 0xFFFF else "U%08X" % o)
    return "\\" + esc


# encoding/json Marshal (Butane's JSON round trip): each invalid UTF-8 byte becomes U+FFFD
def _clean(s: str) -> str:
    return _SURROGATES.sub("\ufffd", s) if _SURROGATES.search(s) else s
