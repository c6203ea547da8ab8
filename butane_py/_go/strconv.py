"""Go's ``strconv.Quote`` (Go 1.27): what ``%q`` prints (unit names in Ignition's warnings,
go-systemd's errors).

Go source: ``src/strconv/quote.go``: ``Quote`` → ``appendQuotedWith`` → ``appendEscapedRune``
(``IsPrint`` comes from :mod:`.utf8`).
"""

from __future__ import annotations

import re

from .strings import to_bytes
from .utf8 import decode_rune as _decode_rune, is_print as _is_print

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


# quote.go: Quote, appendQuotedWith, appendEscapedRune
def go_quote(s: str | bytes) -> str:
    """strconv.Quote (what %q prints for a string or byte slice).

    ``str`` input is first encoded as :func:`.strings.to_bytes` describes, so
    U+DC80..U+DCFF print as the raw byte they stand for (``\\x80``...).
    """
    if isinstance(s, str):
        if _SAFE_ASCII.match(s):
            return '"' + s + '"'
        data = to_bytes(s)
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
