"""Package ``github.com/vincent-petithory/dataurl`` v1.0.0 (as vendored in Butane v0.29.0):
``DecodeString``, with which Ignition checks ``data:`` URLs, and ``Escape``, with which Butane
writes them.

:func:`dataurl_error` gives the error text Ignition reports for a bad data URL, or None.

Go source:

- ``lex.go``: the lexer, one state function (``lexAfterDataPrefix``, ``lexInParamAttr``, …)
  per step. :class:`_DataURLLexer` keeps its states as methods, each marked with the state
  functions it covers; states that only emit and move on are merged into their neighbour.
- ``dataurl.go``: ``parser.parse`` (fused into ``_DataURLLexer.emit``: each item is checked
  as it is emitted) and ``DecodeString``; the data readers it calls are ``Unescape``
  (``rfc2396.go``) and ``base64.StdEncoding.DecodeString`` (Go 1.27
  ``src/encoding/base64/base64.go``); quoted parameter values go through ``strconv.Unquote``
  (``src/strconv/quote.go``). The data, most of a URL that may be megabytes long, is checked
  in place by quick passes in C (strict ``binascii``, ``bytes.translate``) that accept only
  what Go accepts; the exact replay of Go's checks runs only when they do not.
- ``rfc2396.go``: ``Escape``, ``isUnreserved`` and ``Unescape``.
"""

from __future__ import annotations

import binascii
import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Callable, Optional

# ---------------------------------------------------------------------------
# github.com/vincent-petithory/dataurl (v1.0.0) DecodeString
# ---------------------------------------------------------------------------

# lex.go: isTSpecialRune, isBase64Rune, isURLCharRune
_TSPECIALS = frozenset('()<>@,;:\\"/[]?=')
_BAD_B64_RUNE = re.compile(r"[^A-Za-z0-9+/=\n]")
_BAD_URL_RUNE = re.compile(r'[^!$-;=?-Z_a-z~]')
_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_EOF = ""


class _DataURLError(Exception):
    pass


# A lexer state: returns the next state, or None when lexing is complete.
if TYPE_CHECKING:
    _Step = Optional[Callable[[], "_Step"]]


# lex.go: isTokenRune
def _is_token(c: str) -> bool:
    # ASCII, not a control, not whitespace, not a tspecial.  The lexer's EOF
    # value (-1) also counts as a token rune; callers test EOF first where Go does.
    if c == _EOF:
        return True
    o = ord(c)
    return 0x20 < o < 0x7F and c not in _TSPECIALS


# rfc2396.go: Unescape
_BAD_PCT_STR = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_HEX_CHARS = "0123456789abcdefABCDEF"


def _rfc2396_unescape_error(s: str, start: int = 0) -> str | None:
    """Error text of dataurl.Unescape(s[start:]), or None."""
    m = _BAD_PCT_STR.search(s, start)
    bad = m.start() if m else len(s)
    # The rune loop stops at the first non-ASCII rune or malformed escape.
    if not s.isascii() and _NON_ASCII.search(s, start, bad):
        return "rfc2396: non-ASCII char detected"
    if not m:
        return None
    tail = s[bad + 1 : bad + 3]
    for k in range(2):
        if k >= len(tail):
            return "rfc2396: unexpected end of unescape sequence"
        if tail[k] not in _HEX_CHARS:
            # The message formats the '%' rune, not the offending byte.
            return "rfc2396: invalid char 0x25 in unescape sequence"
    return None  # unreachable: the regex only matches malformed escapes


# Unencoded data is checked a slice at a time in C (encoded to ASCII, then bytes.translate):
# a regular expression costs 10 to 20 ns a character, and data URLs can be megabytes long.
_CHECK_CHUNK = 1 << 20
_URL_DATA_CHARS = bytes(b for b in range(128) if not _BAD_URL_RUNE.match(chr(b)))
# "%" stays, hex digits become "H", anything else ".".
_ESCAPE_SHAPE = bytes(b if b == 0x25 else 0x48 if chr(b) in _HEX_CHARS else 0x2E for b in range(256))


def _url_data_ok(s: str, start: int) -> bool:
    """Whether ``s[start:]`` surely has only the characters unencoded data may have, and only
    well-formed escapes (False: maybe not; the exact checks decide then)."""
    if not s.isascii():
        return False
    for i in range(start, len(s), _CHECK_CHUNK):
        # Two more characters, for the hex digits of an escape at the end of the slice.
        piece = s[i : i + _CHECK_CHUNK + 2].encode("ascii")
        if piece.translate(None, _URL_DATA_CHARS):
            return False
        # Well-formed escapes are masked (same length, so positions stay); a "%" left is not one.
        if piece.translate(_ESCAPE_SHAPE).replace(b"%HH", b".HH").find(b"%", 0, _CHECK_CHUNK) >= 0:
            return False
    return True


# base64.go: Encoding.DecodeString, decodeQuantum (Go 1.27 encoding/base64)
# Complete 4-character quanta, with the newlines the decoder skips.
# Compiled on first use (re caches it): only invalid base64 needs it.
_B64_QUANTA = r"(?:\n*[A-Za-z0-9+/]\n*[A-Za-z0-9+/]\n*[A-Za-z0-9+/]\n*[A-Za-z0-9+/])*"
# Checked a slice at a time, so that no copy of a large data URL is made; a multiple of 4.
_B64_CHUNK = 1 << 20


def _base64_valid(s: str, start: int) -> bool:
    """Whether ``s[start:]`` surely decodes with base64.StdEncoding (False: maybe not).

    Go's decoder skips newlines anywhere. Without them, whole quanta with padding only in
    the last one, which strict binascii finds all in the alphabet, Go accepts too (strict
    binascii alone lets padding after a whole quantum pass). Anything else is left to the
    exact replay in :func:`_base64_error`.
    """
    if s.find("\r", start) >= 0:
        return False
    if s.find("\n", start) >= 0:
        s, start = s[start:].replace("\n", ""), 0
    n = len(s)
    if (n - start) % 4 or s.find("=", start, n - 2) >= 0:
        return False
    try:
        for i in range(start, n, _B64_CHUNK):
            binascii.a2b_base64(s[i : i + _B64_CHUNK], strict_mode=True)
    except (binascii.Error, ValueError):  # ValueError: not ASCII
        return False
    return True


def _base64_error(src: str) -> str | None:
    """Error text of base64.StdEncoding.DecodeString, or None."""
    n = len(src)
    # Replay decodeQuantum from the first quantum that is not 4 plain digits.
    si = re.match(_B64_QUANTA, src).end()
    while si < n:
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return "illegal base64 data at input byte %d" % (si - j)
            c = src[si]
            si += 1
            if c in _B64_ALPHABET:
                j += 1
                continue
            if c == "\n" or c == "\r":
                continue
            if c != "=" or j < 2:
                return "illegal base64 data at input byte %d" % (si - 1)
            if j == 2:
                while si < n and src[si] in "\r\n":
                    si += 1
                if si == n:
                    return "illegal base64 data at input byte %d" % n
                if src[si] != "=":
                    return "illegal base64 data at input byte %d" % (si - 1)
                si += 1
            while si < n and src[si] in "\r\n":
                si += 1
            if si < n:
                return "illegal base64 data at input byte %d" % si
            return None
    return None


# quote.go: Unquote, unquote (Go 1.27 strconv)
def _unquote_ok(s: str) -> bool:
    """Whether strconv.Unquote succeeds on a double-quoted ASCII string ``s``."""
    end = s.find('"', 1)
    if end < 0:
        return False
    end += 1
    head = s[:end]
    if "\\" not in head and "\n" not in head:
        # no escapes: fine iff the first inner quote closes the whole string
        return end == len(s)
    i, n = 1, len(s)
    while i < n and s[i] != '"':
        c = s[i]
        if c == "\n":
            return False
        if c != "\\":
            i += 1
            continue
        if i + 1 >= n:
            return False
        e = s[i + 1]
        i += 2
        if e in "abfnrtv\\\"":
            continue
        if e in "xuU":
            k = 2 if e == "x" else 4 if e == "u" else 8
            digits = s[i : i + k]
            if len(digits) < k or any(d not in "0123456789abcdefABCDEF" for d in digits):
                return False
            i += k
            if e != "x":
                v = int(digits, 16)
                if v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
                    return False
            continue
        if "0" <= e <= "7":
            digits = s[i : i + 2]
            if len(digits) < 2 or any(not "0" <= d <= "7" for d in digits):
                return False
            if int(e + digits, 8) > 255:
                return False
            i += 2
            continue
        return False
    return i == n - 1


# lex.go: lexer (next, backup, emit) + dataurl.go: parser.parse
class _DataURLLexer:
    """The dataurl lexer fused with its parser: each item is handled as it is emitted."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.start = 0
        self.pos = 0
        self.width = 0
        self.seen_base64 = False
        self.unquote = False
        self.reader: str | None = None

    def next(self) -> str:
        if self.pos >= len(self.s):
            self.width = 0
            return _EOF
        c = self.s[self.pos]
        self.width = 1
        self.pos += 1
        return c

    def backup(self) -> None:
        self.pos -= self.width

    def emit(self, kind: str) -> None:
        val = self.s[self.start : self.pos]
        self.start = self.pos
        # parser side (dataurl.go: parser.parse)
        if kind == "lquote":
            self.unquote = True
        elif kind == "paramval":
            if self.unquote:
                self.unquote = False
                if not _unquote_ok('"' + val + '"'):
                    raise _DataURLError("invalid syntax")
            else:
                err = _rfc2396_unescape_error(val)
                if err:
                    raise _DataURLError(err)
        elif kind == "base64":
            self.reader = "base64"
        elif kind == "comma":
            if self.reader is None:
                self.reader = "ascii"

    # lex.go: lexer.run, lexBeforeDataPrefix, lexDataPrefix
    def run(self) -> None:
        if not self.s.startswith("data:"):
            raise _DataURLError("missing data prefix")
        self.pos = 5
        self.emit("prefix")
        state: _Step = self.after_data_prefix
        while state is not None:
            state = state()

    # Each state returns the next state or raises _DataURLError.
    # lex.go: lexAfterDataPrefix
    def after_data_prefix(self) -> _Step:
        c = self.next()
        step = self._delimited(c)
        if step is not None:
            return step
        if c in "xX":
            if self.next() == "-":
                return self.in_media_type_x
            return self.in_media_type
        if _is_token(c):
            return self.in_media_type
        raise _DataURLError("invalid character after data prefix")

    # lex.go: lexXTokenMediaType
    def in_media_type_x(self) -> _Step:
        while True:
            c = self.next()
            if c == "/":
                self.backup()
                return self.media_type
            if c == _EOF:
                raise _DataURLError("missing media type slash")
            if not _is_token(c):
                raise _DataURLError("invalid character for media type")

    # lex.go: lexInDiscreteMediaType (isDiscreteType, isCompositeType)
    def in_media_type(self) -> _Step:
        while True:
            c = self.next()
            if c == "/":
                self.backup()
                t = self.s[self.start : self.pos]
                if not t.startswith(("text", "image", "audio", "video", "application", "message", "multipart")):
                    raise _DataURLError("invalid media type")
                return self.media_type
            if c == _EOF:
                raise _DataURLError("missing media type slash")
            if not _is_token(c):
                raise _DataURLError("invalid character for media type")

    # lex.go: lexMediaType, lexMediaSep, lexAfterMediaSep, lexMediaSubType
    def media_type(self) -> _Step:
        if self.pos > self.start:
            self.emit("type")
        self.next()
        self.emit("slash")
        self._token_run("incomplete media type", "invalid character for media subtype")
        if self.pos > self.start:
            self.emit("subtype")
        # What may follow a subtype is what may follow a parameter value.
        return self.after_param_val

    # lex.go: lexParamSemicolon, lexAfterParamSemicolon, lexInParamAttr
    def param_semicolon(self) -> _Step:
        self.next()
        self.emit("semicolon")
        c = self.next()
        if c == _EOF or c == "=" or c == ",":
            raise _DataURLError("unterminated parameter sequence")
        if not _is_token(c):
            raise _DataURLError("invalid character for parameter attribute")
        self.backup()
        while True:
            c = self.next()
            if c == "=":
                self.backup()
                return self.param_attr
            if c == ",":
                self.backup()
                return self.base64_enc
            if c == _EOF:
                raise _DataURLError("unterminated parameter sequence")
            if not _is_token(c):
                raise _DataURLError("invalid character for parameter attribute")

    # lex.go: lexBase64Enc
    def base64_enc(self) -> _Step:
        if self.pos > self.start:
            v = self.s[self.start : self.pos]
            if v != "base64":
                raise _DataURLError("expected base64, got " + v)
            self.seen_base64 = True
            self.emit("base64")
        return self.data_comma

    # lex.go: lexParamAttr, lexParamEqual, lexAfterParamEqual, lexInParamVal, lexParamVal
    def param_attr(self) -> _Step:
        if self.pos > self.start:
            self.emit("attr")
        self.next()
        self.emit("equal")
        c = self.next()
        if c == '"':
            self.emit("lquote")
            return self.in_quoted_val
        if c == _EOF:
            raise _DataURLError("missing comma before data")
        if not _is_token(c):
            raise _DataURLError("invalid character for parameter value")
        self._token_run("missing comma before data", "invalid character for parameter value")
        if self.pos > self.start:
            self.emit("paramval")
        return self.after_param_val

    # lex.go: the token loops of lexAfterMediaSep and lexInParamVal
    def _token_run(self, at_eof: str, bad_char: str) -> None:
        """Consume token characters up to (not including) the next ``;`` or ``,``."""
        while True:
            c = self.next()
            if c == ";" or c == ",":
                self.backup()
                return
            if c == _EOF:
                raise _DataURLError(at_eof)
            if not _is_token(c):
                raise _DataURLError(bad_char)

    # lex.go: lexInQuotedStringParamVal, lexEscapedChar, lexQuotedStringParamVal
    def in_quoted_val(self) -> _Step:
        while True:
            c = self.next()
            if c == _EOF:
                raise _DataURLError("unclosed quoted string")
            if c == "\\":
                # Any ASCII rune (or EOF, which compares below MaxASCII) is accepted.
                e = self.next()
                if e != _EOF and ord(e) > 0x7F:
                    raise _DataURLError("invalid escaped character")
                continue
            if c == '"':
                self.backup()
                break
            if ord(c) > 0x7F:
                raise _DataURLError("invalid character for parameter value")
        if self.pos > self.start:
            self.emit("paramval")
        self.next()
        self.emit("rquote")
        return self.after_param_val

    # lex.go: lexAfterParamVal, lexAfterMediaSubType
    def after_param_val(self) -> _Step:
        step = self._delimited(self.next())
        if step is None:
            raise _DataURLError("expected semicolon or comma")
        return step

    # lex.go: the ';', ',' and eof cases of lexAfterDataPrefix and lexAfterParamVal
    def _delimited(self, c: str) -> _Step:
        """The step a ``;`` or ``,`` leads to (left unread), or None for anything else."""
        if c == ";":
            self.backup()
            return self.param_semicolon
        if c == ",":
            self.backup()
            return self.data_comma
        if c == _EOF:
            raise _DataURLError("missing comma before data")
        return None

    # lex.go: lexDataComma, lexData, lexBase64Data
    def data_comma(self) -> _Step:
        self.next()
        self.emit("comma")
        # The data is checked in place: it is most of the URL, which may be large.
        if _base64_valid(self.s, self.pos) if self.reader == "base64" else _url_data_ok(self.s, self.pos):
            return None
        bad = _BAD_B64_RUNE if self.seen_base64 else _BAD_URL_RUNE
        if bad.search(self.s, self.pos):
            raise _DataURLError("invalid data character")
        if self.pos == len(self.s):
            return None
        if self.reader == "base64":
            err = _base64_error(self.s[self.pos :])
        else:
            err = _rfc2396_unescape_error(self.s, self.pos)
        if err:
            raise _DataURLError(err)
        return None


# dataurl.go: DecodeString
def dataurl_error(s: str) -> str | None:
    """Error message of dataurl.DecodeString(s), or None if it decodes."""
    # The two shapes Butane writes: the lexer reads their headers in one way only.
    if s.startswith("data:,") and _url_data_ok(s, 6):
        return None
    if s.startswith("data:;base64,") and _base64_valid(s, 13):
        return None
    try:
        _DataURLLexer(s).run()
    except _DataURLError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------------------
# rfc2396.go: Escape, isUnreserved
# ---------------------------------------------------------------------------

UNRESERVED = (b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
               b"-_.!~*'()")
_HEX = b"0123456789ABCDEF"
# Each byte becomes three: itself or "%", then its escape's two hex digits or two NULs.
_ESC_FIRST = bytes(b if b in UNRESERVED else 0x25 for b in range(256))
_ESC_HIGH = bytes(0 if b in UNRESERVED else _HEX[b >> 4] for b in range(256))
_ESC_LOW = bytes(0 if b in UNRESERVED else _HEX[b & 15] for b in range(256))
_ESC_CHUNK = 1 << 18


def escape(data: bytes) -> str:
    """``dataurl.Escape``: RFC 2396 unreserved bytes as-is, others as %XX."""
    data = bytes(data)
    if not data.translate(None, UNRESERVED):
        return data.decode("ascii")
    # A per-byte loop in Python costs ~100 ns a byte; the tables, slice assignments and the
    # deletion of the NULs all run in C. Chunks bound the three-fold scratch buffer.
    out = bytearray()
    for i in range(0, len(data), _ESC_CHUNK):
        piece = data[i : i + _ESC_CHUNK]
        wide = bytearray(3 * len(piece))
        wide[0::3] = piece.translate(_ESC_FIRST)
        wide[1::3] = piece.translate(_ESC_HIGH)
        wide[2::3] = piece.translate(_ESC_LOW)
        out += wide.translate(None, b"\0")
    return out.decode("ascii")
