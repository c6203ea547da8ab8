"""Behavioural ports of the small Go library functions Ignition's validator uses.

Each function reproduces the observable behaviour (accept/reject decisions,
parsed fields and error message text) of the Go code it is named after, as
built into ignition-validate (Go 1.27, go.mod ``go 1.25`` so the default
GODEBUG has ``urlstrictcolons=0``).

Strings: Go strings are byte strings that are usually UTF-8.  Inputs here are
Python ``str``; they are encoded to UTF-8 before any byte-level processing.
Lone surrogates in an input are mapped as follows: U+DC80..U+DCFF stand for
the raw byte 0x80..0xFF (Python's ``surrogateescape`` convention), any other
surrogate is encoded as its 3-byte (invalid) UTF-8 form.  Results that hold
bytes which are not valid UTF-8 (e.g. a URL path containing ``%FF``) are
decoded with ``surrogateescape`` so no information is lost.
"""

from __future__ import annotations

import re
from typing import Callable, NamedTuple, Optional
from .._goutf8 import decode_rune as _decode_rune, full_rune as _full_rune, is_print as _is_print

__all__ = [
    "GoURL",
    "UnitParseError",
    "arn_is_arn",
    "arn_parse",
    "dataurl_error",
    "go_quote",
    "path_clean",
    "path_dir",
    "path_ext",
    "path_is_abs",
    "path_join",
    "semver_parse",
    "unit_options",
    "url_parse",
    "url_query_values",
]


# ---------------------------------------------------------------------------
# Shared helpers: str <-> Go byte strings, UTF-8 decoding, unicode.IsSpace
# ---------------------------------------------------------------------------

# unicode.IsSpace: Latin-1 spaces plus the White_Space property above U+00FF.
# (Python's str.isspace also accepts U+001C..U+001F, so it cannot be used.)
_GO_SPACES = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_GO_SPACE_SET = frozenset(map(ord, _GO_SPACES))


def _to_bytes(s: str) -> bytes:
    """Encode ``s`` to the bytes Go would hold (see module docstring)."""
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError:
        pass
    out = bytearray()
    for ch in s:
        cp = ord(ch)
        if 0xDC80 <= cp <= 0xDCFF:
            out.append(cp - 0xDC00)
        else:
            out += ch.encode("utf-8", "surrogatepass")
    return bytes(out)


def _to_str(b: bytes) -> str:
    """Decode a Go byte string, keeping invalid bytes as surrogate escapes."""
    return b.decode("utf-8", "surrogateescape")


def _runes_str(b: bytes) -> str:
    """string built by WriteRune over ReadRune results: invalid bytes become U+FFFD each."""
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        pass
    out = []
    i, n = 0, len(b)
    while i < n:
        r, size = _decode_rune(b, i, n)
        out.append(chr(r))
        i += size
    return "".join(out)


# ---------------------------------------------------------------------------
# strconv.Quote
# ---------------------------------------------------------------------------

_QUOTE_SIMPLE = {
    0x07: "\\a",
    0x08: "\\b",
    0x0C: "\\f",
    0x0A: "\\n",
    0x0D: "\\r",
    0x09: "\\t",
    0x0B: "\\v",
    0x22: '\\"',
    0x5C: "\\\\",
}
_SAFE_ASCII = re.compile(r'[ !#-\[\]-~]*\Z')


def go_quote(s: str | bytes) -> str:
    """strconv.Quote (what %q prints for a string or byte slice).

    ``str`` input is first encoded as described in the module docstring, so
    U+DC80..U+DCFF print as the raw byte they stand for (``\\x80``...).
    """
    if isinstance(s, str):
        if _SAFE_ASCII.match(s):
            return '"' + s + '"'
        data = _to_bytes(s)
    else:
        data = bytes(s)
    out = ['"']
    i, n = 0, len(data)
    while i < n:
        r, size = _decode_rune(data, i, n)
        if size == 1 and r == 0xFFFD:
            out.append("\\x%02x" % data[i])
        elif r in _QUOTE_SIMPLE:
            out.append(_QUOTE_SIMPLE[r])
        elif _is_print(r):
            out.append(chr(r))
        elif r < 0x20 or r == 0x7F:
            out.append("\\x%02x" % r)
        elif r < 0x10000:
            out.append("\\u%04x" % r)
        else:
            out.append("\\U%08x" % r)
        i += size
    out.append('"')
    return "".join(out)


# ---------------------------------------------------------------------------
# path
# ---------------------------------------------------------------------------


def path_clean(p: str) -> str:
    """path.Clean: lexical shortest equivalent of a slash-separated path."""
    if p == "":
        return "."
    rooted = p[0] == "/"
    out: list[str] = []
    # Leading ".." elements of a relative path can never be removed.
    fixed = 0
    for elem in p.split("/"):
        if elem == "" or elem == ".":
            continue
        if elem == "..":
            if len(out) > fixed:
                out.pop()
            elif not rooted:
                out.append("..")
                fixed += 1
            continue
        out.append(elem)
    if rooted:
        return "/" + "/".join(out)
    return "/".join(out) or "."


def path_is_abs(p: str) -> bool:
    """path.IsAbs."""
    return p.startswith("/")


def path_ext(p: str) -> str:
    """path.Ext: suffix from the last dot in the final element, or ""."""
    for i in range(len(p) - 1, -1, -1):
        c = p[i]
        if c == "/":
            break
        if c == ".":
            return p[i:]
    return ""


def path_join(*parts: str) -> str:
    """path.Join: join the non-empty parts with "/" and Clean; "" if all are empty."""
    joined = "/".join(x for x in parts if x)
    return path_clean(joined) if joined else ""


def path_dir(p: str) -> str:
    """path.Dir: everything up to the last slash, cleaned."""
    return path_clean(p[: p.rfind("/") + 1])


# ---------------------------------------------------------------------------
# net/url
# ---------------------------------------------------------------------------


class GoURL(NamedTuple):
    """The fields of a parsed net/url.URL that the validator looks at."""

    scheme: str
    opaque: str
    host: str
    path: str
    raw_query: str


# unescape modes (only the ones with special rules are distinguished)
_M_PLAIN = 0  # path, userinfo, fragment: only %-sequence syntax is checked
_M_HOST = 1
_M_ZONE = 2
_M_QUERY = 3

_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
# ASCII bytes allowed unescaped in a host (and zone), per net/url's encoding table.
_HOST_OK = frozenset(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" b"-._~!$&'()*+,;=:[]<>\""
)
_USERINFO_OK = frozenset(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" b"-._:~!$&'()*+,;=%@"
)
_CTL = re.compile(rb"[\x00-\x1f\x7f]")
_SCHEME = re.compile(rb"([A-Za-z][A-Za-z0-9+.\-]*):")
_PORT = re.compile(rb"(?::[0-9]*)?\Z")
# A '%' can only start an escape (hex digits are never '%'), so the first
# malformed escape is the first '%' not followed by two hex digits.
_BAD_PCT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_PCT = re.compile(rb"%([0-9A-Fa-f]{2})")


def _pct_byte(m: re.Match[bytes]) -> bytes:
    return bytes((int(m.group(1), 16),))


def _unescape(s: bytes, mode: int) -> bytes | None:
    """net/url unescape; None where Go returns an error."""
    if mode == _M_PLAIN or mode == _M_QUERY:
        if mode == _M_QUERY:
            s = s.replace(b"+", b" ")  # before decoding, so %2B stays '+'
        if b"%" not in s:
            return s
        if _BAD_PCT.search(s):
            return None
        return _PCT.sub(_pct_byte, s)
    out = bytearray()
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == 0x25:  # '%'
            if i + 2 >= n or s[i + 1] not in _HEX_DIGITS or s[i + 2] not in _HEX_DIGITS:
                return None
            v = int(s[i + 1 : i + 3], 16)
            # Hosts may only %-encode non-ASCII bytes (plus %25 for zones).
            if mode == _M_HOST and v < 0x80 and v != 0x25:
                return None
            # Zones may only encode bytes that could appear literally (or space).
            if mode == _M_ZONE and v != 0x25 and v != 0x20 and v not in _HOST_OK:
                return None
            out.append(v)
            i += 3
            continue
        if c < 0x80 and c not in _HOST_OK:
            return None
        out.append(c)
        i += 1
    return bytes(out)


def _parse_ipv4_fields(s: bytes) -> bool:
    """netip.parseIPv4Fields validity."""
    val = 0
    digits = 0
    dots = 0
    last = len(s) - 1
    for i, c in enumerate(s):
        if 0x30 <= c <= 0x39:
            if digits == 1 and val == 0:
                return False  # leading zero
            val = val * 10 + c - 0x30
            digits += 1
            if val > 255:
                return False
        elif c == 0x2E:
            if i == 0 or i == last or s[i - 1] == 0x2E or dots == 3:
                return False
            dots += 1
            val = 0
            digits = 0
        else:
            return False
    return dots == 3


def _parse_ipv6(s: bytes) -> bool:
    """netip.parseIPv6 validity (zone allowed)."""
    pct = s.find(b"%")
    if pct >= 0:
        if pct == len(s) - 1:
            return False  # empty zone
        s = s[:pct]
    ellipsis = -1
    if s[:2] == b"::":
        ellipsis = 0
        s = s[2:]
        if not s:
            return True
    i = 0
    while i < 16:
        off = 0
        acc = 0
        n = len(s)
        while off < n:
            c = s[off]
            if 0x30 <= c <= 0x39:
                d = c - 0x30
            elif 0x61 <= c <= 0x66:
                d = c - 0x61 + 10
            elif 0x41 <= c <= 0x46:
                d = c - 0x41 + 10
            else:
                break
            acc = (acc << 4) + d
            if off > 3 or acc > 0xFFFF:
                return False
            off += 1
        if off == 0:
            return False
        if off < n and s[off] == 0x2E:
            # trailing embedded IPv4 must fill the last two groups
            if ellipsis < 0 and i != 12:
                return False
            if i + 4 > 16:
                return False
            if not _parse_ipv4_fields(s):
                return False
            s = b""
            i += 4
            break
        i += 2
        s = s[off:]
        if not s:
            break
        if s[0] != 0x3A or len(s) == 1:
            return False
        s = s[1:]
        if s[0] == 0x3A:
            if ellipsis >= 0:
                return False
            ellipsis = i
            s = s[1:]
            if not s:
                break
    if s:
        return False
    if i < 16:
        return ellipsis >= 0
    return ellipsis < 0


def _parse_addr_kind(s: bytes) -> int:
    """netip.ParseAddr: 0 on error, 4 for IPv4, 6 for IPv6."""
    for c in s:
        if c == 0x2E:
            return 4 if _parse_ipv4_fields(s) else 0
        if c == 0x3A:
            return 6 if _parse_ipv6(s) else 0
        if c == 0x25:
            return 0
    return 0


def _parse_host(host: bytes) -> bytes | None:
    """net/url parseHost (urlstrictcolons=0, so the port follows the last colon)."""
    open_idx = host.rfind(b"[")
    if open_idx > 0:
        return None
    if open_idx == 0:
        close = host.rfind(b"]")
        if close < 0:
            return None
        colon_port = host[close + 1 :]
        if not _PORT.match(colon_port):
            return None
        hostname = host[1:close]
        zone = hostname.find(b"%25")
        if zone >= 0:
            a = _unescape(hostname[:zone], _M_HOST)
            b = _unescape(hostname[zone:], _M_ZONE)
            if a is None or b is None:
                return None
            unescaped = a + b
        else:
            unescaped = _unescape(hostname, _M_HOST)
            if unescaped is None:
                return None
        # Only IPv6 (including IPv4-mapped) literals may be bracketed.
        if _parse_addr_kind(unescaped) != 6:
            return None
        return b"[" + unescaped + b"]" + colon_port
    colon = host.rfind(b":")
    if colon >= 0 and not _PORT.match(host, colon):
        return None
    return _unescape(host, _M_HOST)


def _parse_authority(authority: bytes) -> bytes | None:
    """net/url parseAuthority; returns the host or None on error."""
    at = authority.rfind(b"@")
    host = _parse_host(authority[at + 1 :] if at >= 0 else authority)
    if host is None or at < 0:
        return host
    userinfo = authority[:at]
    if not _USERINFO_OK.issuperset(userinfo):
        return None
    user, _, password = userinfo.partition(b":")
    if _unescape(user, _M_PLAIN) is None or _unescape(password, _M_PLAIN) is None:
        return None
    return host


def _parse(raw: bytes) -> GoURL | None:
    """net/url parse(rawURL, viaRequest=false)."""
    if _CTL.search(raw):
        return None
    if raw == b"*":
        return GoURL("", "", "", "*", "")
    m = _SCHEME.match(raw)
    if m:
        scheme = m.group(1).lower()
        rest = raw[m.end() :]
    elif raw[:1] == b":":
        return None  # missing protocol scheme
    else:
        scheme, rest = b"", raw
    # (Go's ForceQuery case, a single trailing '?', splits the same way.)
    rest, _, raw_query = rest.partition(b"?")
    if not rest.startswith(b"/"):
        if scheme:
            return GoURL(scheme.decode("ascii"), _to_str(rest), "", "", _to_str(raw_query))
        if b":" in rest.partition(b"/")[0]:
            return None  # first path segment in URL cannot contain colon
    host = b""
    if (scheme or not rest.startswith(b"///")) and rest.startswith(b"//"):
        authority = rest[2:]
        slash = authority.find(b"/")
        if slash >= 0:
            authority, rest = authority[:slash], authority[slash:]
        else:
            rest = b""
        parsed_host = _parse_authority(authority)
        if parsed_host is None:
            return None
        host = parsed_host
    path = _unescape(rest, _M_PLAIN)
    if path is None:
        return None
    return GoURL(scheme.decode("ascii"), "", _to_str(host), _to_str(path), _to_str(raw_query))


def url_parse(s: str) -> GoURL | None:
    """net/url.Parse: the parsed URL, or None where Go returns an error."""
    data = _to_bytes(s)
    head, _, frag = data.partition(b"#")
    u = _parse(head)
    # The fragment is only checked for %-syntax (control bytes are allowed there).
    if u is None or (frag and _unescape(frag, _M_PLAIN) is None):
        return None
    return u


_MAX_QUERY_PARAMS = 10000  # urlmaxqueryparams default


def url_query_values(raw_query: str) -> dict[str, list[str]]:
    """(*url.URL).Query(): url.ParseQuery with errors ignored."""
    data = _to_bytes(raw_query)
    values: dict[str, list[str]] = {}
    if data.count(b"&") + 1 > _MAX_QUERY_PARAMS:
        return values  # ParseQuery rejects the whole query
    for pair in data.split(b"&"):
        if not pair or b";" in pair:
            continue
        k, _, v = pair.partition(b"=")
        key = _unescape(k, _M_QUERY)
        if key is None:
            continue
        val = _unescape(v, _M_QUERY)
        if val is None:
            continue
        values.setdefault(_to_str(key), []).append(_to_str(val))
    return values


# ---------------------------------------------------------------------------
# github.com/vincent-petithory/dataurl (v1.0.0) DecodeString
# ---------------------------------------------------------------------------

_TSPECIALS = frozenset('()<>@,;:\\"/[]?=')
_BAD_B64_RUNE = re.compile(r"[^A-Za-z0-9+/=\n]")
_BAD_URL_RUNE = re.compile(r'[^!$-;=?-Z_a-z~]')
_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_EOF = ""


class _DataURLError(Exception):
    pass


# A lexer state: returns the next state, or None when lexing is complete.
_Step = Optional[Callable[[], "_Step"]]


def _is_token(c: str) -> bool:
    # ASCII, not a control, not whitespace, not a tspecial.  The lexer's EOF
    # value (-1) also counts as a token rune; callers test EOF first where Go does.
    if c == _EOF:
        return True
    o = ord(c)
    return 0x20 < o < 0x7F and c not in _TSPECIALS


_BAD_PCT_STR = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_HEX_CHARS = "0123456789abcdefABCDEF"


def _rfc2396_unescape_error(s: str) -> str | None:
    """Error text of dataurl.Unescape, or None."""
    m = _BAD_PCT_STR.search(s)
    bad = m.start() if m else len(s)
    # The rune loop stops at the first non-ASCII rune or malformed escape.
    na = _NON_ASCII.search(s, 0, bad)
    if na:
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


_B64_VALID = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
# Complete 4-character quanta, with the newlines the decoder skips.
_B64_QUANTA = re.compile(r"(?:\n*[A-Za-z0-9+/]\n*[A-Za-z0-9+/]\n*[A-Za-z0-9+/]\n*[A-Za-z0-9+/])*")


def _base64_error(src: str) -> str | None:
    """Error text of base64.StdEncoding.DecodeString, or None."""
    # Newlines are skipped everywhere, so validity is that of the stripped text.
    if _B64_VALID.fullmatch(src.replace("\n", "").replace("\r", "")):
        return None
    n = len(src)
    # Replay decodeQuantum from the first quantum that is not 4 plain digits.
    si = _B64_QUANTA.match(src).end()
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
        # parser side
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
        elif kind == "data":
            err = _base64_error(val) if self.reader == "base64" else _rfc2396_unescape_error(val)
            if err:
                raise _DataURLError(err)

    def run(self) -> None:
        if not self.s.startswith("data:"):
            raise _DataURLError("missing data prefix")
        self.pos = 5
        self.emit("prefix")
        state: _Step = self.after_data_prefix
        while state is not None:
            state = state()

    # Each state returns the next state or raises _DataURLError.
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

    def base64_enc(self) -> _Step:
        if self.pos > self.start:
            v = self.s[self.start : self.pos]
            if v != "base64":
                raise _DataURLError("expected base64, got " + v)
            self.seen_base64 = True
            self.emit("base64")
        return self.data_comma

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

    def after_param_val(self) -> _Step:
        step = self._delimited(self.next())
        if step is None:
            raise _DataURLError("expected semicolon or comma")
        return step

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

    def data_comma(self) -> _Step:
        self.next()
        self.emit("comma")
        bad = _BAD_B64_RUNE if self.seen_base64 else _BAD_URL_RUNE
        if bad.search(self.s, self.pos):
            raise _DataURLError("invalid data character")
        self.pos = len(self.s)
        if self.pos > self.start:
            self.emit("data")
        return None


def dataurl_error(s: str) -> str | None:
    """Error message of dataurl.DecodeString(s), or None if it decodes."""
    try:
        _DataURLLexer(s).run()
    except _DataURLError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------------------
# github.com/aws/aws-sdk-go-v2/aws/arn
# ---------------------------------------------------------------------------


def arn_is_arn(s: str) -> bool:
    """arn.IsARN."""
    return s.startswith("arn:") and s.count(":") >= 5


def arn_parse(s: str) -> tuple[str, str, str, str, str]:
    """arn.Parse: (partition, service, region, account_id, resource); ValueError with Go's text."""
    if not s.startswith("arn:"):
        raise ValueError("arn: invalid prefix")
    sections = s.split(":", 5)
    if len(sections) != 6:
        raise ValueError("arn: not enough sections")
    return sections[1], sections[2], sections[3], sections[4], sections[5]


# ---------------------------------------------------------------------------
# github.com/coreos/go-semver (v0.3.1)
# ---------------------------------------------------------------------------

_SEMVER_IDENT = re.compile(r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*")
_DECIMAL = re.compile(r"[0-9]+")
_INT64_MAX = (1 << 63) - 1


def semver_parse(s: str) -> tuple[int, int, int, str, str] | None:
    """semver.NewVersion: (major, minor, patch, prerelease, metadata) or None on error.

    Tuples compare equal exactly when Go's Version structs do.
    """
    version, plus, metadata = s.partition("+")
    version, dash, pre = version.partition("-")
    parts = version.split(".", 2)
    if len(parts) != 3:
        return None
    for ident in (pre, metadata):
        if ident and not _SEMVER_IDENT.fullmatch(ident):
            return None
    nums = []
    for p in parts:
        # '+' and '-' were split off above, so ParseInt only sees unsigned text.
        if not _DECIMAL.fullmatch(p):
            return None
        v = int(p)
        if v > _INT64_MAX:
            return None
        nums.append(v)
    return nums[0], nums[1], nums[2], pre, metadata


# ---------------------------------------------------------------------------
# github.com/coreos/go-systemd/v22/unit (v22.7.0) DeserializeOptions
# ---------------------------------------------------------------------------


class UnitParseError(ValueError):
    """unit.DeserializeOptions failed; str(exc) is Go's error text."""


_LINE_MAX = 2048
_BUF_SIZE = 4096  # bufio default buffer size
_NAME_END = re.compile(rb"[=\n\r]")

# lexer states
_S_NEXT_SECTION = 0
_S_SECTION_NAME = 1
_S_SECTION_SUFFIX = 2
_S_IGNORE_LINE = 3
_S_NEXT_SECTION_OR_OPTION = 4
_S_OPTION_NAME = 5
_S_OPTION_VALUE = 6


class _BufReader:
    """Position bookkeeping of a bufio.Reader (4096 bytes) over strings.Reader.

    ``r`` is the absolute offset consumed, ``w`` the absolute offset read from
    the source; Buffered() is ``w - r``.  A fill slides the buffer and reads as
    much as fits, i.e. sets ``w = min(r + 4096, n)``.  Once the source is
    exhausted a fill only reports EOF, so no separate sticky error is needed.
    """

    __slots__ = ("data", "n", "r", "w", "last")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.n = len(data)
        self.r = 0
        self.w = 0
        self.last = 0

    def read_rune(self) -> int:
        """ReadRune; returns -1 at EOF."""
        r, w, data = self.r, self.w, self.data
        if w - r < 4 and w < self.n and not _full_rune(data, r, w):
            w = self.w = min(r + _BUF_SIZE, self.n)
        if r == w:
            return -1
        c = data[r]
        if c < 0x80:
            self.r = r + 1
            self.last = 1
            return c
        c, size = _decode_rune(data, r, w)
        self.r = r + size
        self.last = size
        return c

    def unread_rune(self) -> None:
        self.r -= self.last

    def read_bytes(self, delim: int) -> tuple[bytes, bool]:
        """ReadBytes(delim): (bytes, hit_eof)."""
        start, n = self.r, self.n
        i = self.data.find(delim, start)
        r, w = start, self.w
        while True:
            if 0 <= i < w:
                self.r, self.w = i + 1, w
                return self.data[start : i + 1], False
            if w == n:
                self.r, self.w = n, n
                return self.data[start:], True
            if w - r >= _BUF_SIZE:
                r = w  # ErrBufferFull: the full buffer is taken as a fragment
            else:
                w = min(r + _BUF_SIZE, n)

    def to_eol(self) -> tuple[bytes, bool]:
        line, eof = self.read_bytes(0x0A)
        if line.endswith(b"\r"):
            line = line[:-1]
        elif line.endswith(b"\n"):
            line = line[:-1]
        return line, eof

    def read_option_name(self) -> bytes:
        """ReadRune until '=': returns the bytes before it; errors as the lexer reports them."""
        data, n = self.data, self.n
        m = _NAME_END.search(data, self.r)
        if m is None:
            raise UnitParseError("EOF")
        e = m.start()
        if data[e] != 0x3D:
            raise UnitParseError("unexpected newline encountered while parsing option name")
        start = self.r
        # Replay the buffer fills ReadRune would make on the way to the '='
        # (only possible when the scan ends within 4 bytes of the buffered end).
        p = start
        while self.w < n and e > self.w - 4:
            w = self.w
            # Runes before w - 7 cannot reach the refill zone (w - 3 .. w).
            # Decoding from a mid-rune byte resynchronises within 3 bytes,
            # so starting at w - 7 still finds the true rune starts there.
            q = max(p, w - 7)
            filled = False
            while q <= e:
                if q > w - 4 and not _full_rune(data, q, w):
                    self.w = min(q + _BUF_SIZE, n)
                    filled = True
                    break
                q += _decode_rune(data, q, n)[1]
            if not filled:
                break
            p = q
        self.r = e + 1
        self.last = 1
        return data[start:e]


def _strip_go(s: str) -> str:
    return s.strip(_GO_SPACES)


def unit_options(content: str) -> list[tuple[str, str, str]]:
    """unit.DeserializeOptions: (section, name, value) triples; UnitParseError with Go's text."""
    data = _to_bytes(content)
    br = _BufReader(data)
    check = len(data) >= _LINE_MAX  # Buffered() can never reach LINE_MAX otherwise
    opts: list[tuple[str, str, str]] = []
    state = _S_NEXT_SECTION
    after_ignore = _S_NEXT_SECTION
    section = ""
    name = ""
    partial: list[str] = []
    while True:
        if check and br.w - br.r >= _LINE_MAX:
            r = br.r
            if data.find(b"\n", r, r + _LINE_MAX) < 0 and data.find(b"\r", r, r + _LINE_MAX) < 0:
                raise UnitParseError("line too long (max 2048 bytes)")
        if state == _S_NEXT_SECTION_OR_OPTION:
            c = br.read_rune()
            if c < 0:
                return opts
            if c in _GO_SPACE_SET:
                continue
            if c == 0x5B:  # '['
                state = _S_SECTION_NAME
            elif c == 0x23 or c == 0x3B:  # '#' ';'
                state, after_ignore = _S_IGNORE_LINE, _S_NEXT_SECTION_OR_OPTION
            else:
                br.unread_rune()
                state = _S_OPTION_NAME
        elif state == _S_OPTION_NAME:
            name = _strip_go(_runes_str(br.read_option_name()))
            partial = []
            state = _S_OPTION_VALUE
        elif state == _S_OPTION_VALUE:
            raw, eof = br.to_eol()
            line = _to_str(raw)
            if _strip_go(line):
                partial.append(line)
                if line.endswith("\\"):
                    if not eof:
                        partial.append("\n")
                    continue
            val = "".join(partial)
            val = _strip_go(val) + "\n" if val.endswith("\n") else _strip_go(val)
            opts.append((section, name, val))
            state = _S_NEXT_SECTION_OR_OPTION
        elif state == _S_NEXT_SECTION:
            c = br.read_rune()
            if c < 0:
                return opts
            if c == 0x5B:
                state = _S_SECTION_NAME
            elif c == 0x23 or c == 0x3B:
                state, after_ignore = _S_IGNORE_LINE, _S_NEXT_SECTION
        elif state == _S_SECTION_NAME:
            raw, eof = br.read_bytes(0x5D)
            if eof:
                raise UnitParseError("unable to find end of section")
            section = _to_str(raw[:-1])
            state = _S_SECTION_SUFFIX
        elif state == _S_SECTION_SUFFIX:
            raw, _ = br.to_eol()
            garbage = _strip_go(_to_str(raw))
            if garbage:
                # go-systemd formats its (never assigned) lexer.section field here
                raise UnitParseError("found garbage after section name : " + go_quote(garbage))
            state = _S_NEXT_SECTION_OR_OPTION
        else:  # _S_IGNORE_LINE
            while True:
                raw, _ = br.to_eol()
                if raw.endswith(b" "):
                    raw = raw[:-1]
                if not raw.endswith(b"\\"):
                    break
            state = after_ignore
