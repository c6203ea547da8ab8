"""Go's ``net/url`` parser (Go 1.27), as Ignition's validation uses it: ``Parse`` and ``Query``.

Accept/reject decisions and the parsed fields are Go's; where Go returns an error, these
functions return None (Ignition reports its own message, not Go's). Butane and Ignition
v2.26.0 declare ``go 1.24.0``, so the GODEBUG defaults are those of Go 1.24 and 1.25:
``urlstrictcolons=0`` (Go 1.26 changed it) and ``urlmaxqueryparams`` at its default limit.

Go source: ``src/net/url/url.go``: ``Parse``, ``parse``, ``getScheme``, ``parseAuthority``,
``parseHost``, ``validOptionalPort``, ``validUserinfo``, ``unescape`` (with the ``shouldEscape``
table of ``encoding_table.go``), ``URL.Query`` and ``parseQuery``; ``src/net/netip/netip.go``:
``ParseAddr``, ``parseIPv4Fields`` and ``parseIPv6`` for bracketed hosts.
"""

from __future__ import annotations

import re
from collections import namedtuple

from .strings import to_bytes, to_str

# ---------------------------------------------------------------------------
# net/url
# ---------------------------------------------------------------------------


# url.go: URL (the fields read)
class GoURL(namedtuple("GoURL", "scheme opaque host path raw_query")):
    """The fields of a parsed net/url.URL that the validator looks at, all str. (Not a
    typing.NamedTuple: importing typing costs start-up time.)"""

    __slots__ = ()


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
# Every byte but the control bytes: what deleting them leaves is the control bytes (one
# C pass, much quicker than a regular expression over a data URL of megabytes).
_NOT_CTL = bytes(b for b in range(256) if 0x20 <= b != 0x7F)
_SCHEME = re.compile(rb"([A-Za-z][A-Za-z0-9+.\-]*):")
_PORT = re.compile(rb"(?::[0-9]*)?\Z")
# A '%' can only start an escape (hex digits are never '%'), so the first
# malformed escape is the first '%' not followed by two hex digits.
_BAD_PCT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_PCT = re.compile(rb"%([0-9A-Fa-f]{2})")


def _pct_byte(m: re.Match[bytes]) -> bytes:
    return bytes((int(m.group(1), 16),))


# url.go: unescape, shouldEscape (encoding_table.go)
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


# netip.go: parseIPv4Fields
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


# netip.go: parseIPv6
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


# netip.go: ParseAddr
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


# url.go: parseHost, validOptionalPort
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


# url.go: parseAuthority, validUserinfo
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


# url.go: parse, stringContainsCTLByte, getScheme
def _parse(raw: bytes) -> GoURL | None:
    """net/url parse(rawURL, viaRequest=false)."""
    if raw.translate(None, _NOT_CTL):
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
            return GoURL(scheme.decode("ascii"), to_str(rest), "", "", to_str(raw_query))
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
    return GoURL(scheme.decode("ascii"), "", to_str(host), to_str(path), to_str(raw_query))


# url.go: Parse, URL.setFragment
def url_parse(s: str) -> GoURL | None:
    """net/url.Parse: the parsed URL, or None where Go returns an error."""
    data = to_bytes(s)
    head, _, frag = data.partition(b"#")
    u = _parse(head)
    # The fragment is only checked for %-syntax (control bytes are allowed there).
    if u is None or (frag and _unescape(frag, _M_PLAIN) is None):
        return None
    return u


# url.go: URL.Query, ParseQuery, parseQuery, urlParamsWithinMax
_MAX_QUERY_PARAMS = 10000  # urlmaxqueryparams default


def url_query_values(raw_query: str) -> dict[str, list[str]]:
    """(*url.URL).Query(): url.ParseQuery with errors ignored."""
    data = to_bytes(raw_query)
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
        values.setdefault(to_str(key), []).append(to_str(val))
    return values
