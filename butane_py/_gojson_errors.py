r"""Go 1.27 ``encoding/json.Unmarshal`` error reporting, reproduced exactly.

Go 1.27 builds with GOEXPERIMENT=jsonv2, so v1 ``json.Unmarshal`` is a thin
layer over ``encoding/json/v2`` + ``jsontext`` running with the v1 option set
(AllowDuplicateNames, AllowInvalidUTF8, MatchCaseInsensitiveNames,
MergeWithLegacySemantics, ReportErrorsWithLegacySemantics, ...).  This module
reproduces the messages and byte offsets that stack produces.  Everything
stated here was checked against go1.27.3: see the golden files in
fixtures/gojson/ (all expected values come from real Go) and
tests/test_gojson_errors.py.

API
---
``syntax_error(data)``  -> ``(message, offset)`` of the *json.SyntaxError, or None.
``type_error(data, start, go_type, root, pointer)`` -> ``(message, offset)``
    of the *json.UnmarshalTypeError for the value starting at ``data[start]``.
``json_valid_any(data)`` -> whether ``var v any; json.Unmarshal(data, &v)`` is nil.
``go_unquote(raw)`` -> the way Go unquotes an object name (for ``pointer``).
``go_equal_fold_ascii(key, name)`` -> Go's case-insensitive field match.

Syntax errors (``syntax_error``)
--------------------------------
Unmarshal validates the whole input (one value plus optional whitespace
``' ' \t \r \n``) before it decodes anything.  Messages:

* ``unexpected end of JSON input``.  Offset is len(data) in general, but
  the start of a number that is cut short (``1.``, ``-``, ``[1e+`` -> 1),
  the backslash of a cut-short escape (``"ab\``, ``"\u12``), or the lead
  byte of a UTF-8 sequence cut short at the very end of an unterminated
  string.  Empty or all-whitespace input: offset len(data).
* ``invalid character X <where>`` with <where> one of ``looking for
  beginning of value``, ``looking for beginning of object key string``,
  ``after object key``, ``after object key:value pair``, ``after array
  element``, ``after top-level value``, ``in numeric literal``, ``in
  string`` (raw control byte < 0x20), or ``in literal true (expecting
  'r')`` (literal errors keep the expectation).  X is Go's
  strconv.QuoteRune of the offending rune ('x', '\x00', '\n', '\u00a0',
  '\ufeff' for a BOM, '\'' ...) or '\xff' for a byte of invalid UTF-8.
  Offset = index of that rune + its length in bytes.  A leading ',' or
  ':' is reported as ``looking for beginning of value``.
* ``invalid escape sequence `\x` in string`` (the bad escape text: 2 bytes,
  6 for a bad ``\uXXXX``, or the rest of the input when fewer than 6 bytes
  remain; quoted with strconv.Quote instead of backquotes when it holds a
  space, a non-printable, a backquote or invalid UTF-8).  Offset = just
  past that text.
* ``exceeded max depth``: the 10001st nested object/array; offset = its
  index + 1.
Invalid UTF-8 inside strings, lone surrogate escapes and duplicate names are
all accepted.

Type errors: rules the decoder must follow
------------------------------------------
(b) Syntax first.  A syntax error anywhere (even trailing garbage after the
    value) is reported instead of any type error, and nothing is decoded.
(a) Which type error.  Decoding is a single pass in document order; a value
    that does not fit is skipped, decoding continues, and Unmarshal returns
    the FIRST type error met in document order.  Values of unknown names are
    skipped without any check.  Duplicate names are not detected: every
    occurrence is decoded in turn, so an error under an earlier occurrence
    wins even if a later duplicate is fine (and a bad later one is reported
    when the earlier ones are fine).  Ignition decodes into
    ``util.versionStub`` first (root "versionStub"); only if that succeeds
    does it decode into ``types.Config`` (root "Config").
    Name matching: the exact field name (json tag) first, otherwise
    strings.EqualFold (Unicode simple folding, so "MODE", "mOdE",
    "\u017ftorage" with LATIN SMALL LETTER LONG S and "\u212aernelArguments" with
    the KELVIN SIGN all match; '_' and '-' are significant: "m_ode" is
    unknown).  Names are compared after unescaping, so "mo\u0064e" is
    "mode".  The Field path uses the name from the input (unescaped, see
    go_unquote), not the Go name: ``Config.Storage.FILES.0.MoDe``.
    Per Go kind (a ``*T`` field reports type T; null is never an error):
    string-kinded (string, types.Device, ...) takes only strings; bool only
    true/false; struct only objects; slice only arrays; int only integers.
(c) Numbers into int (64-bit): the text must be an integer literal (no
    fraction, no exponent) within [-9223372036854775808,
    9223372036854775807].  ``-0`` is fine (0).  ``1e3``, ``1E+3``, ``1.0``,
    ``420.0``, ``-0.0``, ``0.5``, ``1e400`` and ``9223372036854775808``,
    ``-9223372036854775809``, ``18446744073709551616`` all fail with Value
    ``number <text as written>``.  A string (even "420") is Value ``string``.
(d) null: into a non-pointer string/int/bool/struct it does nothing (the
    value from an earlier duplicate is kept); into a pointer or a slice it
    sets nil (dropping what an earlier duplicate stored).  A null element of
    a []struct is a zero element (or, when the slice is being reused, leaves
    the existing element untouched).  null at the top level is accepted.
(e) Merging (duplicates, or a struct reached twice through duplicated
    parents): decoding into an existing value merges into it.  Struct
    members not mentioned keep their values; a non-nil pointer's target is
    reused; a slice decoded from a NON-EMPTY array reuses its backing array
    in place: element i is decoded on top of backing element i -- including
    elements past the current length that an earlier, longer array left
    behind (they are never cleared) -- elements beyond the backing array
    start as zero values, and the length becomes the array's length.  ``[]``
    replaces the slice with a fresh empty one and null with nil (both drop
    the backing elements).  Example: "files":[A,B], then "files":[C], then
    "files":[D,E] gives [C+D, B+E]; with "files":[] in the middle it gives
    [D, E].
Message and Offset:
* ``json: cannot unmarshal V into Go struct field ROOT.PATH of type T``;
  the words ``Go struct field `` are dropped when the last PATH segment is
  non-empty and all digits (an array element).  PATH = pointer joined with
  '.', indices in decimal, names escaped RFC-6901 style ('~' -> '~0', '/'
  -> '~1').  With an empty pointer: ``json: cannot unmarshal V into Go
  value of type T``.
* V: ``string``, ``bool``, ``object``, ``array``, ``number``; for numbers
  into numeric Go kinds ``number <text>``; (``null`` cannot occur here).
* T: reflect String(): ``int``, ``string``, ``bool``, ``types.Device``,
  ``types.Resource``, ``[]types.File``, ``types.Config``,
  ``util.versionStub``, ``struct { Version string }``, ...
* Offset: just past a scalar (past the closing quote / last digit / the
  literal); for an object or array the index of its '{' or '[' plus one.

json_valid_any
--------------
True iff the syntax is valid and no number (integers included) overflows a
float64, i.e. rounds to +-Inf (``1e400``, a 400-digit integer); underflow
(``1e-400``) is fine; duplicate names are fine.

Implementation notes and known limits
-------------------------------------
* Valid input is confirmed with the C ``json`` scanner (a strict superset
  check is impossible, but every construct it accepts that Go would not --
  NaN/Infinity constants -- is rejected through parse_constant, and the
  nesting it accepts is bounded by the recursion limit).  Anything else goes
  through an exact, iterative, linear-time replica of jsontext's
  consume* functions.  The fast path is skipped when sys.getrecursionlimit()
  exceeds 9000.
* Float64 overflow relies on Python's correctly rounded float(); Go's
  ParseFloat is also correctly rounded, except possibly for inputs with
  more than 800 significant digits lying on the exact overflow midpoint.
* go_equal_fold_ascii is exact only for ASCII field names (all of
  Ignition's are).
"""

from __future__ import annotations

import json as _json
import re as _re
import sys as _sys
from bisect import bisect_right as _bisect_right

__all__ = [
    "syntax_error",
    "type_error",
    "json_valid_any",
    "go_unquote",
    "go_equal_fold_ascii",
    "MAX_DEPTH",
]

#: Go's jsontext nesting limit; the container opened at depth MAX_DEPTH+1 fails.
MAX_DEPTH = 10000

_EOF_MSG = "unexpected end of JSON input"

# ---------------------------------------------------------------------------
# Go's notion of printable runes (strconv.IsPrint == unicode.IsPrint, Unicode
# 17.0.0 as shipped with Go 1.27).  Stored as base-36 deltas between the
# boundaries of alternating [non-printable, printable) runs starting at 0.
# Generated by enumerating strconv.IsPrint over all runes with the Go 1.27.3
# toolchain.
_PRINT_DELTAS = """
w 2n y c 1 ju 2 6 4 7 1 1 1 k 1 b1 1 12 2 1e 2 3 1 1j 8 r 4 6 h m 1 5c
1 1c 2 1n 2 2t e 1n 2 1d 2 f 1 s 2 1 1 b 5 w 7 23 1 4h 1 8 2 2 2 m 1 7
1 1 3 4 2 9 2 2 2 4 8 1 4 2 1 5 2 p 2 3 1 6 4 2 2 m 1 7 1 2 1 2 1 2 2 1
1 5 4 2 2 3 3 1 7 4 1 1 7 h a 3 1 9 1 3 1 m 1 7 1 2 1 5 2 a 1 3 1 3 2 1
f 4 2 c 7 7 1 3 1 8 2 2 2 m 1 7 1 2 1 5 2 9 2 2 2 3 7 3 4 2 1 5 2 i a 2
1 6 3 3 1 4 3 2 1 1 1 2 3 2 3 3 3 c 4 5 3 3 1 4 2 1 6 1 e l 5 d 1 3 1 n
1 g 2 9 1 3 1 4 7 2 1 3 1 2 2 4 2 a 7 m 1 3 1 n 1 a 1 5 2 9 1 3 1 4 7 2
5 3 1 4 2 a 1 3 c d 1 3 1 1f 1 3 1 6 4 g 2 q 1 3 1 i 3 o 1 9 1 1 2 7 3
1 4 6 1 1 1 8 6 a 2 3 c 1m 4 t 11 2 1 1 1 5 1 o 1 1 1 n 2 5 1 1 1 7 1 a
2 4 w 20 1 10 4 13 1 10 1 f 1 d 11 5i 1 1 5 1 2 ah 1 4 2 7 1 1 1 4 2 15
1 4 2 x 1 4 2 7 1 1 1 4 2 f 1 1l 1 4 2 1v 2 w 3 q 6 2e 2 6 2 hs 1 s 3 2h
7 m 9 o 9 k c d 1 3 1 2 c 2m 2 a 6 a 6 e 1 b 6 2h 7 17 5 1y a v 1 c 4 c
4 1 3 16 2 5 b 18 4 q 6 b 3 1q 2 1t 1 t 2 b 6 a 6 e 2 1a 2 c k 25 1 4m
8 1o 3 f 3 1q 5 17 2 b 8 17 5 eu 2 6 2 12 2 6 2 8 1 1 1 1 1 1 1 v 2 1h
1 f 1 e 2 6 1 j 2 3 1 9 h o 8 1b h 2 2 r 1 d 3 y e x f 3w 4 ii m b l 1ec
2 am 5 19 1 1 5 1 2 1k 7 2 e o 9 7 1 7 1 7 1 7 1 7 1 7 1 7 1 7 1 3i y q
1 2h c 5y q g 1 1r 1 2e 2 2v 5 17 1 2m 1 2e 9 1c 1 mlp 3 1j 9 9o k 54 8
65 k 1o 3 a 6 1k 8 1y 8 c 6 38 b u 3 26 1 b 4 x 1 1j 9 e 2 a 2 2v o s a
6 2 6 2 6 9 7 1 7 1 1o 4 3i 2 a 6 8mc c n 4 1d 6is a6 2 2y 12 7 c 5 5 q
1 5 1 1 1 2 1 2 1 i2 w 16 6 1f 1 j 1 4 4 5 1 3r 4 5a 3 6 2 6 2 6 2 3 3
7 1 7 d 2 2 c 1 q 1 j 1 2 1 f 2 e y 3f 5 3 4 19 3 2g 1 d 3 1 1b 1a 3m t
3 1d f s 4 10 9 u 5 17 5 u 1 11 4 e 16 4e 2 a 6 10 4 10 4 14 8 1g b c 1
f 1 7 1 2 1 b 1 f 1 7 1 2 3 1g c 8n 9 m a 8 o 6 1 16 1 9 1x 6 2 1 1 18
1 2 3 1 2 n 1 20 8 9 1c j 1 2 5 x 3 r 5 r 12 1k 4 k 2 1e 1 2 5 8 1 3 1
t 2 3 4 a 7 9 7 1s w 13 4 c 9 1i 3 t 2 r 5 q 7 4 c 7 28 21 1j 1f d 1f 7
1a 8 a 6 12 3 t 8 2 5s v 1 16 1 3 2 2 g 6 8 9 x 1a 8 16 m q 12 s k n 9
26 4 10 9 1q 1 5 d p 7 a 6 1h 1 i 8 13 9 2o 1 k b i 1 1b 1q 7 1 1 1 4 1
f 1 b 6 1n 5 a 6 4 1 8 2 2 2 m 1 7 1 2 1 5 1 a 2 2 2 3 2 1 6 1 5 7 2 7
3 5 b a 1 1 2 1 1 12 1 a 1 1 2 1 1 4 1 a 1 2 8 2 t 2k 1 5 u 20 8 a 4m 1i
2 12 y 1x b a 6 d j 1m 6 a 6 k s r 2 f 4 n 55 1o 2s 2b c 8 2 1 2 8 1 2
1 u 1 2 2 c 9 a 1y 8 2 1a 2 b r 20 8 2b d 21 7 a 2e 8 2g y e a 6 9 1 19
1 e a t 3 w 2 m 1 e 21 7 1 2 1 18 3 1 1 2 1 9 8 a 6 6 1 2 1 11 1 2 1 6
7 a 6 18 4 a 6u p 7 h 1 15 3 t 2d 1 f 1e d pn 2u 33 1 5 b 5g 218 2r d ts
g m a 32z 5 g7 5a1 1m 1c6 ft 7 v 1 a 4 29 1 a 6 u 2 6 a 1y a a 1 7 1 l
5 j c0 1m 5i 2j 5 p 2 p 18 23 4 1l 7 h 1s 5 b 7 9 5p2 15 w 2p 37 6pp 4
1 7 1 2 1 83 f 1 t 3 2 1 e 4 8 b0 1s4 2z 5 d 3 9 7 a 2 4 31c 71 3 c4 6
n f h f 1a 2 n 9 38 1o 6u a 13 2 22 8 34 l 1y 3e k c k c 2f 9 p 3r 2d 1
1z 1 2 2 1 2 2 2 4 1 c 1 1 1 7 1 1t 1 4 2 8 1 7 1 s 1 4 1 5 1 1 3 7 1 9g
2 84 2 ji f 5 1 f uo v 6 6 5x 7 1 h 2 7 1 2 1 5 5 1q x 1 34 19 3 e 2 a
4 2 8w v h 1m 5 1 cw 16 5y 17 4 1 5c v 1 m 8 2 68 7 1 4 1 2 1 f 1 5h 2
g 15 24 4 a 4 2 lt 1w 24 1p 5e 4 1 r 1 2 1 1 2 1 1 a 1 4 1 1 1 1 6 1 4
1 1 1 1 1 1 3 1 2 1 1 2 1 1 1 1 1 1 1 1 1 1 2 1 1 2 4 1 7 1 4 1 4 1 1 1
a 1 h 5 3 1 5 1 h 1g 2 7i 18 4 2s c f 2 f 1 f 1 11 a 4u 1k t d 18 4 9 7
2 e 6 4a rd 3 h 3 d 3 62 6 c 4 1 f c 4 1k 8 a 6 14 8 u 2 c 4 2 e 9 13 9k
8 e 2 d 3 b 3 1l 1 1 4 g 2 c 4 a 7 43 1 2v sl wyo w 3dq 2 4ge 2 5rl f ha
1wi f2 15u 3t7 5 6ju f62u 6o
"""


def _build_print_bounds() -> list[int]:
    bounds = []
    acc = 0
    for tok in _PRINT_DELTAS.split():
        acc += int(tok, 36)
        bounds.append(acc)
    return bounds


_PRINT_BOUNDS = _build_print_bounds()


def _is_print(r: int) -> bool:
    # An odd number of boundaries <= r means r lies in a printable run.
    return _bisect_right(_PRINT_BOUNDS, r) & 1 == 1


_GO_SPACE = frozenset(
    (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029,
     0x202F, 0x205F, 0x3000) + tuple(range(0x2000, 0x200B))
)

_RUNE_ERROR = 0xFFFD

# ---------------------------------------------------------------------------
# UTF-8 decoding exactly like Go's unicode/utf8 (invalid -> (RuneError, 1)).

# For each lead byte: (size, lo, hi) of the accepted second byte; size 0 means
# the byte can never start a multi-byte sequence.
_LEAD = [(0, 0, 0)] * 256
for _b in range(0xC2, 0xE0):
    _LEAD[_b] = (2, 0x80, 0xBF)
_LEAD[0xE0] = (3, 0xA0, 0xBF)
for _b in range(0xE1, 0xF0):
    _LEAD[_b] = (3, 0x80, 0xBF)
_LEAD[0xED] = (3, 0x80, 0x9F)
_LEAD[0xF0] = (4, 0x90, 0xBF)
for _b in range(0xF1, 0xF4):
    _LEAD[_b] = (4, 0x80, 0xBF)
_LEAD[0xF4] = (4, 0x80, 0x8F)
del _b


def _decode_rune(b: bytes, i: int, end: int | None = None) -> tuple[int, int]:
    """Go's utf8.DecodeRune(b[i:end]) -> (rune, size); size 0 at end."""
    if end is None:
        end = len(b)
    if i >= end:
        return _RUNE_ERROR, 0
    c = b[i]
    if c < 0x80:
        return c, 1
    size, lo, hi = _LEAD[c]
    if size == 0 or i + size > end:
        return _RUNE_ERROR, 1
    c1 = b[i + 1]
    if c1 < lo or c1 > hi:
        return _RUNE_ERROR, 1
    if size == 2:
        return ((c & 0x1F) << 6) | (c1 & 0x3F), 2
    c2 = b[i + 2]
    if c2 < 0x80 or c2 > 0xBF:
        return _RUNE_ERROR, 1
    if size == 3:
        return ((c & 0x0F) << 12) | ((c1 & 0x3F) << 6) | (c2 & 0x3F), 3
    c3 = b[i + 3]
    if c3 < 0x80 or c3 > 0xBF:
        return _RUNE_ERROR, 1
    return ((c & 0x07) << 18) | ((c1 & 0x3F) << 12) | ((c2 & 0x3F) << 6) | (c3 & 0x3F), 4


def _full_rune(b: bytes, i: int, end: int) -> bool:
    """Go's utf8.FullRune(b[i:end])."""
    n = end - i
    if n <= 0:
        return False
    size, lo, hi = _LEAD[b[i]]
    if size == 0 or n >= size:
        return True
    if n > 1 and not (lo <= b[i + 1] <= hi):
        return True
    if n > 2 and not (0x80 <= b[i + 2] <= 0xBF):
        return True
    return False


def _iter_runes(b: bytes):
    """Yield (rune, size) pairs the way Go ranges over a string."""
    i = 0
    n = len(b)
    while i < n:
        r, size = _decode_rune(b, i, n)
        yield r, size, i
        i += size


# ---------------------------------------------------------------------------
# strconv quoting.

_SIMPLE_ESC = {0x07: "\\a", 0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x0B: "\\v"}


def _escape_rune(r: int, quote: int) -> str:
    if r == quote or r == 0x5C:
        return "\\" + chr(r)
    if _is_print(r):
        return chr(r)
    esc = _SIMPLE_ESC.get(r)
    if esc is not None:
        return esc
    if r < 0x20 or r == 0x7F:
        return "\\x%02x" % r
    if r > 0x10FFFF or 0xD800 <= r <= 0xDFFF:
        r = _RUNE_ERROR
    if r < 0x10000:
        return "\\u%04x" % r
    return "\\U%08x" % r


def _quote_rune_bytes(b: bytes) -> str:
    """jsonwire.QuoteRune: quote the first rune of b."""
    r, size = _decode_rune(b, 0)
    if r == _RUNE_ERROR and size == 1:
        return "'\\x%x'" % b[0]
    return "'" + _escape_rune(r, 0x27) + "'"


def _go_quote(b: bytes) -> str:
    """strconv.Quote(string(b))."""
    out = ['"']
    for r, size, i in _iter_runes(b):
        if size == 1 and r == _RUNE_ERROR:
            out.append("\\x%02x" % b[i])
        else:
            out.append(_escape_rune(r, 0x22))
    out.append('"')
    return "".join(out)


def _invalid_text(label: str, what: bytes, where: str) -> str:
    """jsonwire.InvalidTextError.Error() for the given parts."""
    runes = list(_iter_runes(what))
    if len(runes) == 1:
        shown = _quote_rune_bytes(what)
    elif any(r == 0x60 or r == _RUNE_ERROR or r in _GO_SPACE or not _is_print(r) for r, _, _ in runes):
        shown = _go_quote(what)
    else:
        shown = "`" + what.decode("utf-8") + "`"
    return "invalid " + label + " " + shown + (" " + where if where else "")


# The v1 wrapper cuts " (expecting ...)" (unless the message is about a
# literal) and then renames a few phrases.  We only ever produce the "where"
# phrases below, so the rewritten forms are spelled out directly.
_W_VALUE = "looking for beginning of value"  # "at start of value"
_W_KEY = "looking for beginning of object key string"  # "at start of string (expecting '\"')"
_W_COLON = "after object key"  # "after object name (expecting ':')"
_W_OBJ_NEXT = "after object key:value pair"  # "after object value (expecting ',' or '}')"
_W_ARR_NEXT = "after array element"  # "after array element (expecting ',' or ']')"
_W_NUMBER = "in numeric literal"  # "in number (expecting digit)"
_W_STRING = "in string"  # "in string (expecting non-control character)"
_W_TOP = "after top-level value"


def _bad_char(data: bytes, p: int, where: str) -> tuple[str, int]:
    """An 'invalid character' error for the rune at data[p:]; Offset is past it."""
    _, size = _decode_rune(data, p)
    what = data[p : p + size]
    return "invalid character " + _quote_rune_bytes(what) + " " + where, p + size


def _bad_escape(data: bytes, p: int, q: int) -> tuple[str, int]:
    what = data[p:q]
    return _invalid_text("escape sequence", what, "in string"), q


# ---------------------------------------------------------------------------
# Exact (slow-path) scanner.

_WS = _re.compile(rb"[ \t\r\n]*")
_STR_BODY = _re.compile(rb'[^"\\\x00-\x1f]*')
_NUM = _re.compile(rb"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_HEX4 = _re.compile(rb"[0-9a-fA-F]{4}")
_HEX_ONLY = _re.compile(rb"[0-9a-fA-F]*\Z")

# Atomic groups / possessive quantifiers (Python 3.11+) keep failures linear.
_STR_FULL = rb'"(?:[^"\\\x00-\x1f]++|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*+"'
_NUM_FULL = rb"-?(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?+(?:[eE][+-]?[0-9]++)?+"
_SCALAR = rb"(?>" + _STR_FULL + rb"|" + _NUM_FULL + rb"|true|false|null)"
_WSP = rb"[ \t\r\n]*+"
# Runs of definitely-valid "scalar ," elements inside an array, and of
# '"key": scalar ,' members inside an object.  Each leaves the scanner right
# at the start of the next element/key (after whitespace).
_ARR_RUN = _re.compile(rb"(?:" + _SCALAR + _WSP + rb"," + _WSP + rb")++")
_OBJ_RUN = _re.compile(rb"(?:" + _STR_FULL + _WSP + rb":" + _WSP + _SCALAR + _WSP + rb"," + _WSP + rb")++")
_STR_SIMPLE = _re.compile(_STR_FULL)

_DIGITS = frozenset(b"-0123456789")

# Scanner states.
_S_VALUE, _S_KEY, _S_AFTER = 0, 1, 2


def _string_end(data: bytes, pos: int):
    """Scan the JSON string starting at data[pos] == '"'.

    Returns the index just past the closing quote, or an (message, offset)
    error tuple.
    """
    n = len(data)
    m = _STR_SIMPLE.match(data, pos)
    if m is not None:
        return m.end()
    i = pos + 1
    run_start = i
    body = _STR_BODY.match
    while True:
        i = body(data, i).end()
        if i >= n:
            # Unterminated.  Go stops early (at the lead byte) if the data
            # ends with a truncated but otherwise valid UTF-8 prefix.
            s = n - 1
            lo = max(run_start, n - 3)
            while s >= lo and 0x80 <= data[s] <= 0xBF:
                s -= 1
            if s >= lo and not _full_rune(data, s, n):
                return _EOF_MSG, s
            return _EOF_MSG, n
        c = data[i]
        if c == 0x22:
            return i + 1
        if c == 0x5C:
            if i + 1 >= n:
                return _EOF_MSG, i
            e = data[i + 1]
            if e in b'"\\/bfnrt':
                i += 2
            elif e == 0x75:  # 'u'
                if n < i + 6:
                    if _HEX_ONLY.match(data, i + 2):
                        return _EOF_MSG, i
                    return _bad_escape(data, i, n)
                if _HEX4.match(data, i + 2) is None:
                    return _bad_escape(data, i, i + 6)
                i += 6
            else:
                return _bad_escape(data, i, i + 2)
            run_start = i
            continue
        # control character
        return "invalid character " + _quote_rune_bytes(data[i : i + 1]) + " " + _W_STRING, i + 1


def _number_end(data: bytes, pos: int):
    """Scan the JSON number at data[pos] (a '-' or digit)."""
    n = len(data)
    m = _NUM.match(data, pos)
    if m is None:  # a lone '-' not followed by a digit
        if pos + 1 >= n:
            return _EOF_MSG, pos
        return _bad_char(data, pos + 1, _W_NUMBER)
    e = m.end()
    if e < n and m.group(2) is None:
        c = data[e]
        if c == 0x2E and m.group(1) is None:  # '.' without digits
            if e + 1 >= n:
                return _EOF_MSG, pos
            return _bad_char(data, e + 1, _W_NUMBER)
        if c == 0x65 or c == 0x45:  # 'e' / 'E' without digits
            j = e + 1
            if j < n and data[j] in b"+-":
                j += 1
            if j >= n:
                return _EOF_MSG, pos
            return _bad_char(data, j, _W_NUMBER)
    return e


_LITERALS = {0x6E: b"null", 0x74: b"true", 0x66: b"false"}


def _literal_end(data: bytes, pos: int, lit: bytes):
    if data.startswith(lit, pos):
        return pos + len(lit)
    n = len(data)
    for k in range(len(lit)):
        if pos + k >= n:
            return _EOF_MSG, n
        if data[pos + k] != lit[k]:
            _, size = _decode_rune(data, pos + k)
            what = data[pos + k : pos + k + size]
            msg = "invalid character %s in literal %s (expecting '%s')" % (
                _quote_rune_bytes(what), lit.decode(), chr(lit[k]))
            return msg, pos + k + size
    raise AssertionError("unreachable")


def _scan(data: bytes, check_float: bool = False):
    """Exact replica of Go's v1 syntax check.

    Returns None if valid, an (message, offset) tuple otherwise.  With
    check_float, returns the sentinel _OVERFLOW instead of None when some
    number overflows float64 (used by json_valid_any).
    """
    n = len(data)
    ws = _WS.match
    pos = ws(data, 0).end()
    if pos >= n:
        return _EOF_MSG, n
    if data[pos] in b":,":
        return _bad_char(data, pos, _W_VALUE)
    stack = []  # 0x7B '{' or 0x5B '['
    push = stack.append
    pop = stack.pop
    arr_run = _ARR_RUN.match
    obj_run = _OBJ_RUN.match
    overflow = False
    state = _S_VALUE
    while True:
        if state == _S_VALUE:
            # data[pos] is the first byte of a value (pos < n).
            c = data[pos]
            if c == 0x22:
                r = _string_end(data, pos)
                if r.__class__ is tuple:
                    return r
                pos = r
                state = _S_AFTER
            elif c in _DIGITS:
                r = _number_end(data, pos)
                if r.__class__ is tuple:
                    return r
                if check_float and not overflow and float(data[pos:r]) in _INFS:
                    overflow = True
                pos = r
                state = _S_AFTER
            elif c == 0x7B or c == 0x5B:
                if len(stack) == MAX_DEPTH:
                    return "exceeded max depth", pos + 1
                pos = ws(data, pos + 1).end()
                if pos >= n:
                    return _EOF_MSG, n
                close = 0x7D if c == 0x7B else 0x5D
                if data[pos] == close:
                    pos += 1
                    state = _S_AFTER
                else:
                    push(c)
                    if c == 0x7B:
                        state = _S_KEY
                        if data[pos] == 0x22 and not check_float:
                            m = obj_run(data, pos)
                            if m is not None:
                                pos = m.end()
                                if pos >= n:
                                    return _EOF_MSG, n
                    elif not check_float:
                        m = arr_run(data, pos)
                        if m is not None:
                            pos = m.end()
                            if pos >= n:
                                return _EOF_MSG, n
            else:
                lit = _LITERALS.get(c)
                if lit is None:
                    return _bad_char(data, pos, _W_VALUE)
                r = _literal_end(data, pos, lit)
                if r.__class__ is tuple:
                    return r
                pos = r
                state = _S_AFTER
        elif state == _S_KEY:
            # data[pos] should start an object name (pos < n).
            if data[pos] != 0x22:
                return _bad_char(data, pos, _W_KEY)
            r = _string_end(data, pos)
            if r.__class__ is tuple:
                return r
            pos = ws(data, r).end()
            if pos >= n:
                return _EOF_MSG, n
            if data[pos] != 0x3A:
                return _bad_char(data, pos, _W_COLON)
            pos = ws(data, pos + 1).end()
            if pos >= n:
                return _EOF_MSG, n
            state = _S_VALUE
        else:  # _S_AFTER: just past a complete value
            if not stack:
                pos = ws(data, pos).end()
                if pos < n:
                    return _bad_char(data, pos, _W_TOP)
                return _OVERFLOW if overflow else None
            pos = ws(data, pos).end()
            if pos >= n:
                return _EOF_MSG, n
            c = data[pos]
            top = stack[-1]
            if c == 0x2C:  # ','
                pos = ws(data, pos + 1).end()
                if pos >= n:
                    return _EOF_MSG, n
                if not check_float:
                    m = (obj_run if top == 0x7B else arr_run)(data, pos)
                    if m is not None:
                        pos = m.end()
                        if pos >= n:
                            return _EOF_MSG, n
                state = _S_KEY if top == 0x7B else _S_VALUE
            elif top == 0x7B:
                if c != 0x7D:
                    return _bad_char(data, pos, _W_OBJ_NEXT)
                pop()
                pos += 1
            else:
                if c != 0x5D:
                    return _bad_char(data, pos, _W_ARR_NEXT)
                pop()
                pos += 1


_OVERFLOW = ("<float64 overflow>", -1)
_INFS = (float("inf"), float("-inf"))


class _Reject(Exception):
    pass


def _reject_constant(_s):
    raise _Reject


def _float_checked(s: str) -> float:
    f = float(s)
    if f in _INFS:
        raise _Reject
    return f


def _python_accepts(data: bytes, check_float: bool) -> bool | None:
    """Fast path through the C json scanner.

    True: certainly valid for Go (and, with check_float, no float64
    overflow).  False: only with check_float, a number overflows float64.
    None: undecided (syntax error, too deep for Python, ...), use the exact
    scanner.
    """
    if _sys.getrecursionlimit() > 9000:
        return None  # Python could then accept nesting deeper than Go's limit
    try:
        # Strict decoding fails fast on binary garbage; documents with
        # invalid UTF-8 inside strings just take the exact scanner.
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    conv = _float_checked if check_float else float
    try:
        _json.loads(text, parse_float=conv, parse_int=conv, parse_constant=_reject_constant)
    except _Reject:
        return False if check_float else None
    except Exception:  # JSONDecodeError, RecursionError, MemoryError, ...
        return None
    return True


# ---------------------------------------------------------------------------
# Public API.


def syntax_error(data: bytes) -> tuple[str, int] | None:
    """The (message, Offset) of the *json.SyntaxError json.Unmarshal reports.

    None when data is one syntactically valid JSON value (surrounded by
    optional whitespace).  Empty input gives ("unexpected end of JSON
    input", 0), exactly like Go.
    """
    data = bytes(data)
    if _python_accepts(data, False):
        return None
    r = _scan(data)
    if r is _OVERFLOW:  # pragma: no cover - only produced with check_float
        return None
    return r


def json_valid_any(data: bytes) -> bool:
    """True exactly when ``var v any; json.Unmarshal(data, &v)`` returns nil.

    That requires valid syntax and that no JSON number (integer literals
    included) rounds to +-Inf as a float64 (e.g. 1e400 or a 400-digit
    integer).  Duplicate names, invalid UTF-8 inside strings, lone surrogate
    escapes and underflow (1e-400 -> 0) are all accepted; nesting is limited
    to MAX_DEPTH like any other input.
    """
    data = bytes(data)
    fast = _python_accepts(data, True)
    if fast is not None:
        return fast
    return _scan(data, check_float=True) is None


_NUMERIC_GO_TYPES = frozenset(
    "int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 uintptr float32 float64".split()
)


def _scalar_end(data: bytes, start: int) -> int:
    c = data[start]
    if c == 0x22:
        r = _string_end(data, start)
    elif c in _DIGITS:
        r = _number_end(data, start)
    else:
        lit = _LITERALS.get(c)
        if lit is None:
            raise ValueError("no JSON value starts at byte %d" % start)
        r = _literal_end(data, start, lit)
    if r.__class__ is tuple:
        raise ValueError("invalid JSON value at byte %d: %s" % (start, r[0]))
    return r


def _pointer_token(tok) -> str:
    if isinstance(tok, bool) or not isinstance(tok, (int, str)):
        raise TypeError("pointer tokens must be str (object names) or int (array indices)")
    if isinstance(tok, int):
        return str(tok)
    # Go renders names as UTF-8 runes (invalid bytes already became U+FFFD
    # while unquoting) and escapes them per RFC 6901.
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in tok):
        tok = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in tok)
    return tok.replace("~", "~0").replace("/", "~1")


def type_error(
    data: bytes,
    start: int,
    go_type: str,
    root: str,
    pointer: list[str | int],
    *,
    numeric: bool | None = None,
) -> tuple[str, int]:
    """The (message, Offset) of the *json.UnmarshalTypeError for one value.

    ``data[start]`` is the first byte of the offending JSON value (data must
    be syntactically valid).  ``go_type`` is the reflect.Type String() of
    the Go value it was decoded into (after pointer indirection: a ``*int``
    field reports ``int``), ``root`` the Name() of the root Go type, and
    ``pointer`` the path from the root: object names as Go unquotes them
    (see go_unquote) and array indices as ints.  ``numeric`` overrides
    whether go_type is of a numeric kind (by default: the predeclared
    integer/float type names); it only matters for JSON numbers, which are
    then quoted verbatim ("number 420.0").
    """
    data = bytes(data)
    c = data[start]
    if c == 0x7B:
        value, offset = "object", start + 1
    elif c == 0x5B:
        value, offset = "array", start + 1
    else:
        offset = _scalar_end(data, start)
        if c == 0x22:
            value = "string"
        elif c == 0x74 or c == 0x66:
            value = "bool"
        elif c == 0x6E:
            value = "null"
        else:
            if numeric is None:
                numeric = go_type in _NUMERIC_GO_TYPES
            value = "number"
            if numeric:
                value += " " + data[start:offset].decode("ascii")
    if pointer:
        struct = root
        field = ".".join(_pointer_token(t) for t in pointer)
    else:
        struct = field = ""
    if struct or field:
        last = field[field.rfind(".") + 1 :]
        into = "" if last and last.strip("0123456789") == "" else "Go struct field "
        msg = "json: cannot unmarshal %s into %s%s.%s of type %s" % (value, into, struct, field, go_type)
    else:
        msg = "json: cannot unmarshal %s into Go value of type %s" % (value, go_type)
    return msg, offset


_UNESC = {0x22: '"', 0x5C: "\\", 0x2F: "/", 0x62: "\b", 0x66: "\f", 0x6E: "\n", 0x72: "\r", 0x74: "\t"}
_PLAIN_RUN = _re.compile(rb'[\x20-\x21\x23-\x5b\x5d-\x7f]*')


def go_unquote(raw: bytes) -> str:
    """Unquote a (syntactically valid) JSON string the way Go does.

    ``raw`` includes the surrounding quotes.  Each byte of invalid UTF-8
    becomes U+FFFD, and every \\uXXXX escape of a surrogate that is not the
    high half of a valid pair becomes U+FFFD (a following escape that did not
    complete the pair is decoded on its own).  This is the spelling Go uses
    for object names in UnmarshalTypeError.Field and for struct field
    matching.
    """
    raw = bytes(raw)
    if not raw or raw[0] != 0x22:
        raise ValueError("not a JSON string")
    out = []
    i = 1
    n = len(raw)
    while i < n:
        j = _PLAIN_RUN.match(raw, i).end()
        if j > i:
            out.append(raw[i:j].decode("ascii"))
            i = j
            continue
        c = raw[i]
        if c == 0x22:
            return "".join(out)
        if c == 0x5C:
            e = raw[i + 1]
            if e != 0x75:
                out.append(_UNESC[e])
                i += 2
                continue
            v1 = int(raw[i + 2 : i + 6], 16)
            i += 6
            if 0xD800 <= v1 <= 0xDFFF:
                r = 0xFFFD
                if (0xD800 <= v1 <= 0xDBFF and raw[i : i + 2] == b"\\u"
                        and _HEX4.fullmatch(raw, i + 2, i + 6)):
                    v2 = int(raw[i + 2 : i + 6], 16)
                    if 0xDC00 <= v2 <= 0xDFFF:
                        r = 0x10000 + ((v1 - 0xD800) << 10) + (v2 - 0xDC00)
                        i += 6
                out.append(chr(r))
            else:
                out.append(chr(v1))
            continue
        r, size = _decode_rune(raw, i, n)
        out.append(chr(r))  # invalid bytes: size 1, U+FFFD
        i += size
    raise ValueError("unterminated JSON string")


def go_equal_fold_ascii(key: str, name: str) -> bool:
    """strings.EqualFold(key, name) for an ASCII-only ``name``.

    This is how v1-compatible struct decoding matches an object name that is
    not an exact field name: Unicode simple case folding, under which only
    U+017F (long s) and U+212A (Kelvin sign) fold onto ASCII letters.
    """
    if len(key) != len(name):
        return False
    for a, b in zip(key, name):
        if a == b:
            continue
        lb = b.lower()
        if a.isascii():
            if a.lower() != lb or not lb.isalpha():
                return False
        elif not ((a == "\u017f" and lb == "s") or (a == "\u212a" and lb == "k")):
            return False
    return True
