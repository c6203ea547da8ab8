r"""Go 1.27 ``encoding/json.Unmarshal`` error reporting, reproduced exactly.

Go 1.27 builds with GOEXPERIMENT=jsonv2, so v1 ``json.Unmarshal`` is a thin
layer over ``encoding/json/v2`` + ``jsontext`` running with the v1 option set
(AllowDuplicateNames, AllowInvalidUTF8, MatchCaseInsensitiveNames,
MergeWithLegacySemantics, ReportErrorsWithLegacySemantics, ...).  This module
reproduces the messages and byte offsets that stack produces.  Everything
stated here was checked against go1.27.3: see the golden files in
fixtures/go/json/ (all expected values come from real Go) and
tests/test_go_json_errors.py.

Go source (Go 1.27, ``src/encoding/json/``)
-------------------------------------------
* ``v2_decode.go``: ``Unmarshal`` → ``v2/arshal.go``: ``Unmarshal``,
  ``unmarshalDecode`` (with legacy semantics the whole value is checked
  first, by ``jsontext/decode.go``: ``CheckNextValue``); errors go through
  ``v2_inject.go``: ``transformUnmarshalError`` and ``v2_scanner.go``:
  ``transformSyntacticError`` / ``syntaxErrorReplacer`` (v1 wording).
* ``jsontext/decode.go``: ``CheckNextValue``, ``checkEOF``,
  ``consumeValue``, ``consumeObject``, ``consumeArray``, ``consumeString``,
  ``consumeNumber``, ``consumeLiteral`` (the order of checks, hence which
  error wins); ``jsontext/state.go``: ``maxNestingDepth``, ``errMaxDepth``.
* ``internal/jsonwire/decode.go``: ``ConsumeString``, ``ConsumeNumber``,
  ``ConsumeLiteral``; ``internal/jsonwire/wire.go``: ``QuoteRune``,
  ``NewInvalidCharacterError``, ``NewInvalidEscapeSequenceError``,
  ``InvalidTextError.Error``.
* ``v2_decode.go``: ``UnmarshalTypeError.Error``; ``v2_inject.go``:
  ``transformUnmarshalError`` (Value, Struct, Field); ``v2/fields.go``:
  ``structField.matchFoldedName`` (v1 case folding);
  ``internal/jsonwire/decode.go``: ``AppendUnquote`` (object names).
* ``src/strconv/quote.go``: ``Quote`` and ``appendEscapedRune``, for the
  quoted parts of messages.

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
from .strings import SPACE_SET as _GO_SPACE
from .utf8 import RUNE_ERROR as _RUNE_ERROR, decode_rune as _decode_rune, full_rune as _full_rune, is_print as _is_print

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
# quote.go: appendEscapedRune, Quote; jsonwire/wire.go: QuoteRune, InvalidTextError.Error

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


# v2_scanner.go: transformSyntacticError, syntaxErrorReplacer (v1 wording)
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


# jsonwire/wire.go: NewInvalidCharacterError, NewInvalidEscapeSequenceError
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
# jsontext/decode.go: consume*; internal/jsonwire/decode.go: Consume*

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


# jsonwire/decode.go: ConsumeString (ConsumeStringResumable)
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


# jsonwire/decode.go: ConsumeNumber (ConsumeNumberResumable)
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


# jsonwire/decode.go: ConsumeLiteral
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


# jsontext/decode.go: CheckNextValue, consumeValue, consumeObject, consumeArray, checkEOF
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


# v2/arshal.go: unmarshalDecode → jsontext/decode.go: CheckNextValue; v2_inject.go: transformUnmarshalError
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


# v2/arshal_any.go: unmarshalValueAny (numbers go through strconv.ParseFloat)
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


# v2_inject.go: transformUnmarshalError; v2_decode.go: UnmarshalTypeError.Error
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


# jsonwire/decode.go: AppendUnquote (object names in Field and for field matching)
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


# v2/fields.go: structField.matchFoldedName → strings.EqualFold
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
