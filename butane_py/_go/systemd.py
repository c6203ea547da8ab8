"""Package ``github.com/coreos/go-systemd/v22/unit`` of go-systemd v22.7.0 (as vendored in
Butane v0.29.0): ``DeserializeOptions``, with which Ignition checks unit and dropin contents.

The lexer follows deserialize.go state by state, over a model of ``bufio.Reader`` so that
the line-length errors come at the byte where Go's come.

Go source: ``unit/deserialize.go``: ``DeserializeOptions``, ``lexer.lex`` (the line-length
check), ``lexer.toEOL`` and one lexer state function per branch of :func:`unit_options`;
Go 1.27 ``src/bufio/bufio.go``: ``Reader.ReadRune``, ``UnreadRune``, ``ReadBytes``
(``collectFragments``, ``ReadSlice``), ``fill`` and ``Buffered`` for :class:`_BufReader`;
``strings.TrimSpace`` / ``bytes.TrimSpace`` for :func:`_strip_go`.
"""

from __future__ import annotations

import re

from .strconv import go_quote
from .strings import SPACE_SET, SPACES, runes_str, to_bytes, to_str
from .utf8 import decode_rune as _decode_rune, full_rune as _full_rune

# ---------------------------------------------------------------------------
# github.com/coreos/go-systemd/v22/unit (v22.7.0) DeserializeOptions
# ---------------------------------------------------------------------------


class UnitParseError(ValueError):
    """unit.DeserializeOptions failed; str(exc) is Go's error text."""


# deserialize.go: SYSTEMD_LINE_MAX; bufio.go: defaultBufSize
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


# bufio.go: Reader
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

    # bufio.go: Reader.ReadRune (fill)
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

    # bufio.go: Reader.UnreadRune
    def unread_rune(self) -> None:
        self.r -= self.last

    # bufio.go: Reader.ReadBytes, collectFragments, ReadSlice
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

    # deserialize.go: lexer.toEOL
    def to_eol(self) -> tuple[bytes, bool]:
        line, eof = self.read_bytes(0x0A)
        if line.endswith(b"\r"):
            line = line[:-1]
        elif line.endswith(b"\n"):
            line = line[:-1]
        return line, eof

    # deserialize.go: the ReadRune loop of lexOptionNameFunc
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


# strings.go: TrimSpace (bytes.go: TrimSpace for byte slices)
def _strip_go(s: str) -> str:
    return s.strip(SPACES)


# deserialize.go: DeserializeOptions, deserializeAll, lexer.lex
def unit_options(content: str) -> list[tuple[str, str, str]]:
    """unit.DeserializeOptions: (section, name, value) triples; UnitParseError with Go's text."""
    data = to_bytes(content)
    br = _BufReader(data)
    check = len(data) >= _LINE_MAX  # Buffered() can never reach LINE_MAX otherwise
    opts: list[tuple[str, str, str]] = []
    state = _S_NEXT_SECTION
    after_ignore = _S_NEXT_SECTION
    section = ""
    name = ""
    partial: list[str] = []
    while True:
        # deserialize.go: lexer.lex: Buffered() >= SYSTEMD_LINE_MAX, Peek, ErrLineTooLong
        if check and br.w - br.r >= _LINE_MAX:
            r = br.r
            if data.find(b"\n", r, r + _LINE_MAX) < 0 and data.find(b"\r", r, r + _LINE_MAX) < 0:
                raise UnitParseError("line too long (max 2048 bytes)")
        # deserialize.go: lexNextSectionOrOptionFunc
        if state == _S_NEXT_SECTION_OR_OPTION:
            c = br.read_rune()
            if c < 0:
                return opts
            if c in SPACE_SET:
                continue
            if c == 0x5B:  # '['
                state = _S_SECTION_NAME
            elif c == 0x23 or c == 0x3B:  # '#' ';'
                state, after_ignore = _S_IGNORE_LINE, _S_NEXT_SECTION_OR_OPTION
            else:
                br.unread_rune()
                state = _S_OPTION_NAME
        # deserialize.go: lexOptionNameFunc
        elif state == _S_OPTION_NAME:
            name = _strip_go(runes_str(br.read_option_name()))
            partial = []
            state = _S_OPTION_VALUE
        # deserialize.go: lexOptionValueFunc
        elif state == _S_OPTION_VALUE:
            raw, eof = br.to_eol()
            line = to_str(raw)
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
        # deserialize.go: lexNextSection
        elif state == _S_NEXT_SECTION:
            c = br.read_rune()
            if c < 0:
                return opts
            if c == 0x5B:
                state = _S_SECTION_NAME
            elif c == 0x23 or c == 0x3B:
                state, after_ignore = _S_IGNORE_LINE, _S_NEXT_SECTION
        # deserialize.go: lexSectionName
        elif state == _S_SECTION_NAME:
            raw, eof = br.read_bytes(0x5D)
            if eof:
                raise UnitParseError("unable to find end of section")
            section = to_str(raw[:-1])
            state = _S_SECTION_SUFFIX
        # deserialize.go: lexSectionSuffixFunc
        elif state == _S_SECTION_SUFFIX:
            raw, _ = br.to_eol()
            garbage = _strip_go(to_str(raw))
            if garbage:
                # go-systemd formats its (never assigned) lexer.section field here
                raise UnitParseError("found garbage after section name : " + go_quote(garbage))
            state = _S_NEXT_SECTION_OR_OPTION
        # deserialize.go: ignoreLineFunc
        else:  # _S_IGNORE_LINE
            while True:
                raw, _ = br.to_eol()
                if raw.endswith(b" "):
                    raw = raw[:-1]
                if not raw.endswith(b"\\"):
                    break
            state = after_ignore
