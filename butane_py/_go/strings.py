"""Go strings as bytes, and the white space of ``unicode.IsSpace`` (Go 1.27).

Go source: ``src/unicode/graphic.go``: ``IsSpace`` (the set :data:`SPACES`, which is also what
``strings.TrimSpace`` in ``src/strings/strings.go`` trims). The rest is no Go package: it
models how a Go ``string`` holds bytes, for the other modules of this package.

Inputs here are Python ``str``; they are encoded to UTF-8 before any byte-level processing.
Lone surrogates are mapped as follows: U+DC80..U+DCFF stand for the raw byte 0x80..0xFF
(Python's ``surrogateescape`` convention), any other surrogate is encoded as its 3-byte
(invalid) UTF-8 form. Results that hold bytes which are not valid UTF-8 (e.g. a URL path
containing ``%FF``) are decoded with ``surrogateescape`` so no information is lost.
"""

from __future__ import annotations


from .utf8 import decode_rune as _decode_rune

# ---------------------------------------------------------------------------
# Shared helpers: str <-> Go byte strings, UTF-8 decoding, unicode.IsSpace
# ---------------------------------------------------------------------------

# graphic.go: IsSpace: Latin-1 spaces plus the White_Space property above U+00FF.
# (Python's str.isspace also accepts U+001C..U+001F, so it cannot be used.)
SPACES = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
SPACE_SET = frozenset(map(ord, SPACES))


def to_bytes(s: str) -> bytes:
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


def to_str(b: bytes) -> str:
    """Decode a Go byte string, keeping invalid bytes as surrogate escapes."""
    return b.decode("utf-8", "surrogateescape")


def runes_str(b: bytes) -> str:
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
