"""YAML decoding exactly as Butane's vendored gopkg.in/yaml.v3 does it.

``parse`` builds yaml.v3's node tree of the first document (positions as ``yaml.Node``
reports them), ``decode`` applies yaml.v3's ``Decode`` rules for a Go target type described
by :class:`~butane_py._go.types.GoType`, ``stub_decode`` is Butane's version/variant probe.

Parsing uses libyaml's C parser (the one in ruamel.yaml.clib) when the input has nothing on
which that libyaml and yaml.v3 are known to differ; otherwise — and for every input libyaml
rejects, and a process's first few kilobytes of input — it uses a Python port of
yaml.v3's reader, scanner and parser, so that error texts, line numbers and the acceptance of
odd inputs are yaml.v3's. Both give the same trees.

Representation of decoded values (see ``decode``): structs are dicts of the fields yaml.v3
assigned, pointers are their pointee, Go nil is None (or an absent struct key).

It follows gopkg.in/yaml.v3 v3.0.1 as vendored in Butane v0.29.0
(``vendor/gopkg.in/yaml.v3/``). Each class and function is marked with the yaml.v3 file and
function it follows; by part:

- ``readerc.go`` (with ``apic.go``'s read handler): the reader, the start of
  :class:`_Scanner` (``update``: when characters become available and reader errors arise);
- ``scannerc.go``: the rest of :class:`_Scanner`, one method per ``yaml_parser_*`` function,
  largely in the Go file's order (``fetch_next_token`` is ``yaml_parser_fetch_next_token``, …);
- ``parserc.go``: :class:`_Parser`, one method per ``yaml_parser_parse_*`` state function;
- ``yamlh.go`` / ``yamlprivateh.go``: token, event and mark types, character classes;
- ``decode.go``: :class:`_Composer` (its ``parser``: events to nodes) and, further down,
  :class:`_Decoder` (its ``decoder``: nodes to Go values); ``yaml.go``: ``Node``,
  ``Unmarshal``, ``Decoder.Decode``, the error texts;
- ``resolve.go``: scalar resolution, with the Go 1.27 ``strconv`` and ``time`` functions it
  calls (each marked).

The scanner and parser repeat about 50 similar runs of four lines or more (buffer a few
characters, test one, skip or read it, or report an error; peek a token and check its type),
spelled out again in each ``scan_*`` / ``fetch_*`` / ``parse_*`` method. They are kept on
purpose: yaml.v3 repeats them the same way, so each method can be compared with its Go
function line by line, and the exact order of checks (which decides which error wins and
where) stays visible. Folding them into helpers would lose that. Scalars are read a run
at a time (a line, or as far as yaml.v3's buffer reaches before a refill), not a character
at a time, so that a long scalar costs a few operations a line; when the input has no
reader error and no BOM, when yaml.v3 refills its buffer cannot be seen, and all the text
is available from the start. The fast path
(libyaml through ruamel.yaml.clib, further down) is not a port; it is used only where it
is known to give the port's trees.
"""

from __future__ import annotations

import binascii
import bisect
import gc
import math
import re
import sys
import unicodedata
from _thread import allocate_lock

from .types import ANY, ANY_T, BOOL, INT, MAP, PTR, SLICE, STRING, STRING_T, STRUCT, GoType


__all__ = ["YAMLError", "GoPanic", "GoUint64", "GoAnyMap", "GoTime", "YNode", "parse", "decode", "stub_decode",
           "unmarshal", "decoder_decode", "NODE_MAP", "SEQ", "SCALAR", "ALIAS", "STYLE_TAGGED", "STYLE_DOUBLE",
           "STYLE_SINGLE", "STYLE_LITERAL", "STYLE_FOLDED", "STYLE_FLOW"]


# yaml.go: yamlError, handleErr (errors surface as their text)
class YAMLError(Exception):
    """A yaml.v3 error; ``message`` is exactly what its ``err.Error()`` returns."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------
# Exact port of yaml.v3's reader, scanner and parser (slow path).
#
# The C parser (libyaml inside ruamel.yaml.clib) is used whenever it is known to agree
# with yaml.v3; this port handles everything else: all syntax errors (their texts and line
# numbers), and inputs with features where the two implementations differ.
# Marks are (index, line, column) tuples counted in characters, like yaml.v3's.
# ---------------------------------------------------------------------------

_RAW_CHUNK = 512  # yaml.v3's input_raw_buffer_size

_ENC_UTF8, _ENC_UTF16LE, _ENC_UTF16BE = 1, 2, 3

# Characters yaml.v3's reader refuses ("control characters are not allowed"): all but tab, line
# feed, carriage return, printable ASCII, NEL, U+00A0 to U+D7FF, U+E000 to U+FFFD and beyond
# U+FFFF. Spelled as the refused characters, whose class compiles in a tenth of the time of the
# allowed ones' complement (about 3 ms), and compiled on first use (re caches it), by the
# pure-Python reader only and for text that is not all ASCII.
_BAD_CHARS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]"

_INF = 1 << 62
# The ASCII characters yaml.v3's reader accepts.
_ASCII_TEXT = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F)])
_UTF8_CONT = bytes(range(0x80, 0xC0))


class _Stop(Exception):
    """Raised inside the port when yaml.v3 would return false; the state holds the error."""


# Token types.
(_T_NONE, _T_STREAM_START, _T_STREAM_END, _T_VERSION_DIRECTIVE, _T_TAG_DIRECTIVE, _T_DOCUMENT_START,
 _T_DOCUMENT_END, _T_BLOCK_SEQUENCE_START, _T_BLOCK_MAPPING_START, _T_BLOCK_END, _T_FLOW_SEQUENCE_START,
 _T_FLOW_SEQUENCE_END, _T_FLOW_MAPPING_START, _T_FLOW_MAPPING_END, _T_BLOCK_ENTRY, _T_FLOW_ENTRY, _T_KEY,
 _T_VALUE, _T_ALIAS, _T_ANCHOR, _T_TAG, _T_SCALAR) = range(22)

# Scalar styles (event level).
_S_ANY, _S_PLAIN, _S_SINGLE, _S_DOUBLE, _S_LITERAL, _S_FOLDED = 0, 1, 2, 3, 4, 5

_ERR_NONE, _ERR_READER, _ERR_SCANNER, _ERR_PARSER = 0, 2, 3, 4

_BREAKS = "\r\n\x85\u2028\u2029"
_BLANKZ = " \t\r\n\x85\u2028\u2029\x00"
_BREAKZ = "\r\n\x85\u2028\u2029\x00"
_ALPHA = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-")
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789ABCDEFabcdef")
_URI_CHARS = _ALPHA | frozenset(";/?:@&=+$,.!~*'()[]%")
_PLAIN_NOSTART = frozenset("-?:,[]{}#&*!|>'\"%@`")
_ANCHOR_END = frozenset("?:,]}%@`")
_FLOW_PLAIN_END = frozenset(",?[]{}")
# Runs the scanners take at once instead of a character at a time: the rest of a line up to
# a character with a meaning of its own there.
_PLAIN_LINE = re.compile("[^\r\n\x85\u2028\u2029\x00:]*")
_PLAIN_LINE_FLOW = re.compile("[^\r\n\x85\u2028\u2029\x00:,?\\[\\]{}]*")
_PLAIN_WORD = re.compile("[^ \t]*")
_SINGLE_LINE = re.compile("[^\r\n\x85\u2028\u2029\x00']*")
_DOUBLE_LINE = re.compile('[^\r\n\x85\u2028\u2029\x00"\\\\]*')
_BLOCK_LINE = re.compile("[^\r\n\x85\u2028\u2029\x00]*")
_SPACES = re.compile(" *")
_BLOCK_LINE_ENDS = {}


def _short_empty_line(indent):
    """Finds an empty line with some but fewer than ``indent`` spaces."""
    return re.compile("\n {1,%d}\n" % (indent - 1))


def _block_line_end(indent):
    """Finds the first "\\n" in a block scalar not followed by ``indent`` spaces and content,
    or by an empty line (up to ``indent`` spaces)."""
    pattern = _BLOCK_LINE_ENDS.get(indent)
    if pattern is None:
        pattern = _BLOCK_LINE_ENDS[indent] = re.compile(
            "\n(?! {%d}[^\r\n\x85\u2028\u2029\x00]| {0,%d}\n)" % (indent, indent))
    return pattern


# yamlh.go: yaml_token_t
class _Tok:
    __slots__ = ("typ", "start", "end", "value", "suffix", "style", "major", "minor")

    def __init__(self, typ, start, end, value=None, suffix=None, style=0):
        self.typ = typ
        self.start = start
        self.end = end
        self.value = value
        self.suffix = suffix
        self.style = style


# yamlh.go: yaml_simple_key_t
class _SimpleKey:
    __slots__ = ("possible", "required", "token_number", "mark")

    def __init__(self, possible, required, token_number, mark):
        self.possible = possible
        self.required = required
        self.token_number = token_number
        self.mark = mark


# yamlh.go: yaml_comment_t
class _Comment:
    """yaml_comment_t: marks (index only where only the index is used) and texts."""
    __slots__ = ("scan_index", "token_index", "start", "end_index", "head", "line", "foot")

    def __init__(self, scan_index, token_index, start, end_index, head="", line="", foot=""):
        self.scan_index = scan_index
        self.token_index = token_index
        self.start = start
        self.end_index = end_index
        self.head = head
        self.line = line
        self.foot = foot

    def clear(self):
        self.scan_index = self.token_index = self.end_index = 0
        self.start = (0, 0, 0)
        self.head = self.line = self.foot = ""


# yamlprivateh.go: width
def _utf8_width(b):
    if b & 0x80 == 0:
        return 1
    if b & 0xE0 == 0xC0:
        return 2
    if b & 0xF0 == 0xE0:
        return 3
    if b & 0xF8 == 0xF0:
        return 4
    return 0


# readerc.go, scannerc.go; yaml_parser_t (yamlh.go), reader and scanner half
class _Scanner:
    """yaml.v3's scanner state (yaml_parser_t, scanner half) over a decoded text."""

    def __init__(self, data: bytes):
        self.raw = data
        self.raw_in = 0  # bytes handed out by the read handler so far
        self.dec_pos = 0  # bytes decoded so far
        self.eof = False
        self.enc_done = False
        self.avail = 0  # characters decoded so far (infinite once the NUL sentinel is added)
        self.reader_error = None
        self.bstart = 0  # character at buffer[0] (yaml.v3's is_bom looks there)
        self._prepare_text()

        self.pos = 0  # == mark.index
        self.line = 0
        self.column = 0
        self.newlines = 0

        self.error = _ERR_NONE
        self.problem = ""
        self.context_mark = (0, 0, 0)
        self.problem_mark = (0, 0, 0)

        self.tokens = []
        self.head = 0
        self.tokens_parsed = 0
        self.token_available = False
        self.stream_start_produced = False
        self.stream_end_produced = False
        self.indent = 0
        self.indents = []
        self.simple_key_allowed = False
        self.simple_keys = []
        self.sk_by_tok = {}
        self.flow_level = 0
        self.comments = []

    # -- reader ---------------------------------------------------------------------------
    #
    # The decoded text is computed once; what is emulated is *when* yaml.v3's reader
    # (512-byte raw reads, decoding whole raw buffers) makes characters available and
    # raises its errors, since that decides which error wins and whether an error in a
    # later document is seen at all.

    # readerc.go: yaml_parser_determine_encoding, and the decoding of yaml_parser_update_buffer done once
    def _prepare_text(self):
        data = self.raw
        if data[:2] == b"\xff\xfe":
            enc, start = _ENC_UTF16LE, 2
        elif data[:2] == b"\xfe\xff":
            enc, start = _ENC_UTF16BE, 2
        elif data[:3] == b"\xef\xbb\xbf":
            enc, start = _ENC_UTF8, 3
        else:
            enc, start = _ENC_UTF8, 0
        self.raw_start = start
        self.enc = enc
        self.err = None  # (byte offset, bytes needed, problem, only at eof)
        self.char_ends = None
        if enc == _ENC_UTF8:
            try:
                text = data[start:].decode("utf-8")
                bad_byte = None
            except UnicodeDecodeError as e:
                bad_byte = start + e.start
                text = data[start:bad_byte].decode("utf-8")
            # ASCII text is checked in C, many times quicker than the expression: what is
            # left of the bytes once the allowed ones are deleted is the BOM, if any.
            if text.isascii() and data.translate(None, _ASCII_TEXT) == data[:start]:
                m = None
            else:
                m = re.search(_BAD_CHARS, text)
            if m is not None:
                ci = m.start()
                off = start + len(text[:ci].encode("utf-8"))
                self.err = (off, len(m.group().encode("utf-8")), "control characters are not allowed", False)
                text = text[:ci]
            elif bad_byte is not None:
                problem, need, at_eof = self._utf8_problem(bad_byte)
                self.err = (bad_byte, need, problem, at_eof)
        else:
            text, ends, err = self._decode_utf16(start)
            self.char_ends = ends
            self.err = err
        self.text = text + "\x00" * 16
        self.text_len = len(text)
        self._cnt_to = start  # _count_chars bookkeeping
        self._cnt = 0
        if self.err is None and "\ufeff" not in text:
            # Without a reader error to raise, or a BOM for the scanner to find at the start
            # of the buffer, when the buffer is refilled cannot be seen: all is there at once.
            self.avail = _INF

    # readerc.go: yaml_parser_update_buffer (the UTF-8 checks and their errors)
    def _utf8_problem(self, i):
        r = self.raw
        n = len(r)
        octet = r[i]
        w = _utf8_width(octet)
        if w == 0:
            return "invalid leading UTF-8 octet", 1, False
        if w > n - i:
            return "incomplete UTF-8 octet sequence", w, True
        value = octet & (0x7F, 0x1F, 0x0F, 0x07)[w - 1]
        for k in range(1, w):
            o = r[i + k]
            if o & 0xC0 != 0x80:
                return "invalid trailing UTF-8 octet", w, False
            value = (value << 6) + (o & 0x3F)
        if not (w == 1 or (w == 2 and value >= 0x80) or (w == 3 and value >= 0x800) or (w == 4 and value >= 0x10000)):
            return "invalid length of a UTF-8 sequence", w, False
        if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
            return "invalid Unicode character", w, False
        return "control characters are not allowed", w, False

    # readerc.go: yaml_parser_update_buffer (the UTF-16 branch)
    def _decode_utf16(self, start):
        r = self.raw
        n = len(r)
        lo, hi = (0, 1) if self.enc == _ENC_UTF16LE else (1, 0)
        out = []
        ends = []
        i = start
        while i < n:
            if n - i < 2:
                return "".join(out), ends, (i, 2, "incomplete UTF-16 character", True)
            value = r[i + lo] + (r[i + hi] << 8)
            if value & 0xFC00 == 0xDC00:
                return "".join(out), ends, (i, 2, "unexpected low surrogate area", False)
            w = 2
            if value & 0xFC00 == 0xD800:
                w = 4
                if n - i < 4:
                    return "".join(out), ends, (i, 4, "incomplete UTF-16 surrogate pair", True)
                value2 = r[i + lo + 2] + (r[i + hi + 2] << 8)
                if value2 & 0xFC00 != 0xDC00:
                    return "".join(out), ends, (i, 4, "expected low surrogate area", False)
                value = 0x10000 + ((value & 0x3FF) << 10) + (value2 & 0x3FF)
            if not (value in (0x09, 0x0A, 0x0D) or 0x20 <= value <= 0x7E or value == 0x85
                    or 0xA0 <= value <= 0xD7FF or 0xE000 <= value <= 0xFFFD or 0x10000 <= value <= 0x10FFFF):
                return "".join(out), ends, (i, w, "control characters are not allowed", False)
            out.append(chr(value))
            i += w
            ends.append(i)
        return "".join(out), ends, None

    def _chars_upto(self, b):
        """Complete characters in raw[raw_start:b] (b never beyond an error offset)."""
        if self.char_ends is not None:
            return bisect.bisect_right(self.char_ends, b)
        r = self.raw
        if b > self._cnt_to:
            seg = r[self._cnt_to:b]
            self._cnt += len(seg.translate(None, _UTF8_CONT))
            self._cnt_to = b
        cnt = self._cnt
        # An incomplete last character does not count.
        k = b - 1
        lim = max(self.raw_start, b - 4)
        while k >= lim and r[k] & 0xC0 == 0x80:
            k -= 1
        if k >= self.raw_start and r[k] & 0x80 and k + _utf8_width(r[k]) > b:
            cnt -= 1
        return cnt

    def _char_boundary(self, b):
        """The end of the last complete character at or before byte b."""
        if self.char_ends is not None:
            i = bisect.bisect_right(self.char_ends, b)
            return self.char_ends[i - 1] if i else self.raw_start
        r = self.raw
        k = b - 1
        lim = max(self.raw_start, b - 4)
        while k >= lim and r[k] & 0xC0 == 0x80:
            k -= 1
        if k >= self.raw_start and r[k] & 0x80 and k + _utf8_width(r[k]) > b:
            return k
        return b

    # readerc.go: yaml_parser_update_raw_buffer; apic.go: yaml_string_read_handler
    def _read_raw(self):
        # yaml_parser_update_raw_buffer with the string / bytes.Reader read handler.
        if self.eof:
            return
        leftover = self.raw_in - self.dec_pos
        if leftover >= _RAW_CHUNK:
            return
        if self.raw_in >= len(self.raw):
            self.eof = True
            return
        self.raw_in = min(len(self.raw), self.raw_in + _RAW_CHUNK - leftover)

    # readerc.go: yaml_parser_set_reader_error
    def _reader_fail(self, problem):
        self.error = _ERR_READER
        self.problem = problem
        self.reader_error = problem
        raise _Stop

    # readerc.go: yaml_parser_update_buffer
    def update(self, length):
        """yaml_parser_update_buffer(length); raises _Stop on a reader error."""
        self.bstart = self.pos
        if self.reader_error is not None:
            self._reader_fail(self.reader_error)
        if not self.enc_done:
            while not self.eof and self.raw_in - self.dec_pos < 3:
                self._read_raw()
            self.dec_pos = self.raw_start
            self.enc_done = True
        first = True
        while self.avail - self.pos < length:
            if not first or self.dec_pos == self.raw_in:
                self._read_raw()
            first = False
            err = self.err
            if err is not None and err[0] < self.raw_in and (err[0] + err[1] <= self.raw_in or self.eof):
                self.avail = self._chars_upto(err[0])
                self.dec_pos = err[0]
                self._reader_fail(err[2])
            upto = self.raw_in if err is None else min(self.raw_in, err[0])
            if self.eof and err is None:
                self.avail = _INF
                break
            self.dec_pos = self._char_boundary(upto)
            self.avail = self._chars_upto(self.dec_pos)
            if self.eof:
                self.avail = _INF
                break

    # scannerc.go: cache
    def cache(self, n):
        if self.avail - self.pos < n:
            self.update(n)

    # -- character helpers ------------------------------------------------------------------

    def ch(self, k=0):
        return self.text[self.pos + k]

    # scannerc.go: skip
    def skip(self):
        c = self.text[self.pos]
        if c != " " and c != "\t":
            self.newlines = 0
        self.pos += 1
        self.column += 1

    # scannerc.go: skip_line
    def skip_line(self):
        t = self.text
        p = self.pos
        if t[p] == "\r" and t[p + 1] == "\n":
            self.pos += 2
            self.column = 0
            self.line += 1
            self.newlines += 1
        elif t[p] in _BREAKS:
            self.pos += 1
            self.column = 0
            self.line += 1
            self.newlines += 1

    # scannerc.go: read
    def read(self, s):
        c = self.text[self.pos]
        if c != " " and c != "\t":
            self.newlines = 0
        s.append(c)
        self.pos += 1
        self.column += 1

    # scannerc.go: read_line
    def read_line(self, s):
        t = self.text
        p = self.pos
        c = t[p]
        if c == "\r" and t[p + 1] == "\n":
            s.append("\n")
            self.pos += 2
        elif c == "\r" or c == "\n" or c == "\x85":
            s.append("\n")
            self.pos += 1
        elif c == "\u2028" or c == "\u2029":
            s.append(c)
            self.pos += 1
        else:
            return
        self.column = 0
        self.line += 1
        self.newlines += 1

    def mark(self):
        return (self.pos, self.line, self.column)

    # -- errors -----------------------------------------------------------------------------

    # scannerc.go: yaml_parser_set_scanner_error
    def scanner_error(self, context_mark, problem):
        self.error = _ERR_SCANNER
        self.context_mark = context_mark
        self.problem = problem
        self.problem_mark = self.mark()
        raise _Stop

    # -- token queue ------------------------------------------------------------------------

    # apic.go: yaml_insert_token
    def insert_token(self, pos, tok):
        if pos < 0:
            self.tokens.append(tok)
        else:
            self.tokens.insert(self.head + pos, tok)

    # scannerc.go: yaml_parser_fetch_more_tokens
    def fetch_more_tokens(self):
        while True:
            if self.head < len(self.tokens) - 2:
                idx = self.sk_by_tok.get(self.tokens_parsed)
                if idx is None:
                    break
                if not self.simple_key_is_valid(self.simple_keys[idx]):
                    break
            self.fetch_next_token()
        self.token_available = True

    # scannerc.go: yaml_parser_fetch_next_token
    def fetch_next_token(self):
        if self.avail - self.pos < 1:
            self.update(1)
        if not self.stream_start_produced:
            self.fetch_stream_start()
            return
        scan_mark = self.mark()
        self.scan_to_next_token()
        self.unroll_indent(self.column, scan_mark)
        if self.avail - self.pos < 4:
            self.update(4)
        t = self.text
        p = self.pos
        c = t[p]
        if c == "\x00":
            self.fetch_stream_end()
            return
        if self.column == 0:
            if c == "%":
                self.fetch_directive()
                return
            if c == "-" and t[p + 1] == "-" and t[p + 2] == "-" and t[p + 3] in _BLANKZ:
                self.fetch_document_indicator(_T_DOCUMENT_START)
                return
            if c == "." and t[p + 1] == "." and t[p + 2] == "." and t[p + 3] in _BLANKZ:
                self.fetch_document_indicator(_T_DOCUMENT_END)
                return
        comment_mark = self.mark()
        if self.tokens and ((self.flow_level == 0 and c == ":") or (self.flow_level > 0 and c == ",")):
            comment_mark = self.tokens[-1].start
        if c == "[":
            self.fetch_flow_collection_start(_T_FLOW_SEQUENCE_START)
        elif c == "{":
            self.fetch_flow_collection_start(_T_FLOW_MAPPING_START)
        elif c == "]":
            self.fetch_flow_collection_end(_T_FLOW_SEQUENCE_END)
        elif c == "}":
            self.fetch_flow_collection_end(_T_FLOW_MAPPING_END)
        elif c == ",":
            self.fetch_flow_entry()
        elif c == "-" and t[p + 1] in _BLANKZ:
            self.fetch_block_entry()
        elif c == "?" and (self.flow_level > 0 or t[p + 1] in _BLANKZ):
            self.fetch_key()
        elif c == ":" and (self.flow_level > 0 or t[p + 1] in _BLANKZ):
            self.fetch_value()
        elif c == "*":
            self.fetch_anchor(_T_ALIAS)
        elif c == "&":
            self.fetch_anchor(_T_ANCHOR)
        elif c == "!":
            self.fetch_tag()
        elif c == "|" and self.flow_level == 0:
            self.fetch_block_scalar(True)
        elif c == ">" and self.flow_level == 0:
            self.fetch_block_scalar(False)
        elif c == "'":
            self.fetch_flow_scalar(True)
        elif c == '"':
            self.fetch_flow_scalar(False)
        elif (not (c in _BLANKZ or c in _PLAIN_NOSTART) or (c == "-" and t[p + 1] not in " \t")
              or (self.flow_level == 0 and (c == "?" or c == ":") and t[p + 1] not in _BLANKZ)):
            self.fetch_plain_scalar()
        else:
            self.scanner_error(self.mark(), "found character that cannot start any token")
        # The deferred line-comment scan (only reached when the fetch succeeded).
        if self.tokens and self.tokens[-1].typ == _T_BLOCK_ENTRY:
            return
        self.scan_line_comment(comment_mark)

    # scannerc.go: yaml_simple_key_is_valid
    def simple_key_is_valid(self, sk):
        if not sk.possible:
            return False
        if sk.mark[1] < self.line or sk.mark[0] + 1024 < self.pos:
            if sk.required:
                self.scanner_error(sk.mark, "could not find expected ':'")
            sk.possible = False
            return False
        return True

    # scannerc.go: yaml_parser_save_simple_key
    def save_simple_key(self):
        required = self.flow_level == 0 and self.indent == self.column
        if self.simple_key_allowed:
            sk = _SimpleKey(True, required, self.tokens_parsed + (len(self.tokens) - self.head), self.mark())
            self.remove_simple_key()
            self.simple_keys[-1] = sk
            self.sk_by_tok[sk.token_number] = len(self.simple_keys) - 1

    # scannerc.go: yaml_parser_remove_simple_key
    def remove_simple_key(self):
        sk = self.simple_keys[-1]
        if sk.possible:
            if sk.required:
                self.scanner_error(sk.mark, "could not find expected ':'")
            sk.possible = False
            self.sk_by_tok.pop(sk.token_number, None)

    # scannerc.go: yaml_parser_increase_flow_level
    def increase_flow_level(self):
        self.simple_keys.append(_SimpleKey(False, False, self.tokens_parsed + (len(self.tokens) - self.head),
                                           self.mark()))
        self.flow_level += 1
        if self.flow_level > 10000:
            self.scanner_error(self.simple_keys[-1].mark, "exceeded max depth of 10000")

    # scannerc.go: yaml_parser_decrease_flow_level
    def decrease_flow_level(self):
        if self.flow_level > 0:
            self.flow_level -= 1
            sk = self.simple_keys.pop()
            self.sk_by_tok.pop(sk.token_number, None)

    # scannerc.go: yaml_parser_roll_indent
    def roll_indent(self, column, number, typ, mark):
        if self.flow_level > 0:
            return
        if self.indent < column:
            self.indents.append(self.indent)
            self.indent = column
            if len(self.indents) > 10000:
                self.scanner_error(self.simple_keys[-1].mark, "exceeded max depth of 10000")
            if number > -1:
                number -= self.tokens_parsed
            self.insert_token(number, _Tok(typ, mark, mark))

    # scannerc.go: yaml_parser_unroll_indent
    def unroll_indent(self, column, scan_mark):
        if self.flow_level > 0:
            return
        block_mark = (scan_mark[0] - 1, scan_mark[1], scan_mark[2])
        while self.indent > column:
            stop_index = block_mark[0]
            for i in range(len(self.comments) - 1, -1, -1):
                cm = self.comments[i]
                if cm.end_index < stop_index:
                    break
                if cm.start[2] == self.indent + 1:
                    block_mark = cm.start
                stop_index = cm.scan_index
            self.insert_token(-1, _Tok(_T_BLOCK_END, block_mark, block_mark))
            self.indent = self.indents.pop()

    # scannerc.go: yaml_parser_fetch_stream_start
    def fetch_stream_start(self):
        self.indent = -1
        self.simple_keys.append(_SimpleKey(False, False, 0, (0, 0, 0)))
        self.sk_by_tok = {}
        self.simple_key_allowed = True
        self.stream_start_produced = True
        m = self.mark()
        self.insert_token(-1, _Tok(_T_STREAM_START, m, m))

    # scannerc.go: yaml_parser_fetch_stream_end
    def fetch_stream_end(self):
        if self.column != 0:
            self.column = 0
            self.line += 1
        self.unroll_indent(-1, self.mark())
        self.remove_simple_key()
        self.simple_key_allowed = False
        m = self.mark()
        self.insert_token(-1, _Tok(_T_STREAM_END, m, m))

    # scannerc.go: yaml_parser_fetch_directive
    def fetch_directive(self):
        self.unroll_indent(-1, self.mark())
        self.remove_simple_key()
        self.simple_key_allowed = False
        self.insert_token(-1, self.scan_directive())

    # scannerc.go: yaml_parser_fetch_document_indicator
    def fetch_document_indicator(self, typ):
        self.unroll_indent(-1, self.mark())
        self.remove_simple_key()
        self.simple_key_allowed = False
        start = self.mark()
        self.skip()
        self.skip()
        self.skip()
        self.insert_token(-1, _Tok(typ, start, self.mark()))

    # scannerc.go: yaml_parser_fetch_flow_collection_start
    def fetch_flow_collection_start(self, typ):
        self.save_simple_key()
        self.increase_flow_level()
        self.simple_key_allowed = True
        start = self.mark()
        self.skip()
        self.insert_token(-1, _Tok(typ, start, self.mark()))

    # scannerc.go: yaml_parser_fetch_flow_collection_end
    def fetch_flow_collection_end(self, typ):
        self.remove_simple_key()
        self.decrease_flow_level()
        self.simple_key_allowed = False
        start = self.mark()
        self.skip()
        self.insert_token(-1, _Tok(typ, start, self.mark()))

    # scannerc.go: yaml_parser_fetch_flow_entry
    def fetch_flow_entry(self):
        self.remove_simple_key()
        self.simple_key_allowed = True
        start = self.mark()
        self.skip()
        self.insert_token(-1, _Tok(_T_FLOW_ENTRY, start, self.mark()))

    # scannerc.go: yaml_parser_fetch_block_entry
    def fetch_block_entry(self):
        if self.flow_level == 0:
            if not self.simple_key_allowed:
                self.scanner_error(self.mark(), "block sequence entries are not allowed in this context")
            self.roll_indent(self.column, -1, _T_BLOCK_SEQUENCE_START, self.mark())
        self.remove_simple_key()
        self.simple_key_allowed = True
        start = self.mark()
        self.skip()
        self.insert_token(-1, _Tok(_T_BLOCK_ENTRY, start, self.mark()))

    # scannerc.go: yaml_parser_fetch_key
    def fetch_key(self):
        if self.flow_level == 0:
            if not self.simple_key_allowed:
                self.scanner_error(self.mark(), "mapping keys are not allowed in this context")
            self.roll_indent(self.column, -1, _T_BLOCK_MAPPING_START, self.mark())
        self.remove_simple_key()
        self.simple_key_allowed = self.flow_level == 0
        start = self.mark()
        self.skip()
        self.insert_token(-1, _Tok(_T_KEY, start, self.mark()))

    # scannerc.go: yaml_parser_fetch_value
    def fetch_value(self):
        sk = self.simple_keys[-1]
        if self.simple_key_is_valid(sk):
            self.insert_token(sk.token_number - self.tokens_parsed, _Tok(_T_KEY, sk.mark, sk.mark))
            self.roll_indent(sk.mark[2], sk.token_number, _T_BLOCK_MAPPING_START, sk.mark)
            sk.possible = False
            self.sk_by_tok.pop(sk.token_number, None)
            self.simple_key_allowed = False
        else:
            if self.flow_level == 0:
                if not self.simple_key_allowed:
                    self.scanner_error(self.mark(), "mapping values are not allowed in this context")
                self.roll_indent(self.column, -1, _T_BLOCK_MAPPING_START, self.mark())
            self.simple_key_allowed = self.flow_level == 0
        start = self.mark()
        self.skip()
        self.insert_token(-1, _Tok(_T_VALUE, start, self.mark()))

    # scannerc.go: yaml_parser_fetch_anchor
    def fetch_anchor(self, typ):
        self.save_simple_key()
        self.simple_key_allowed = False
        self.insert_token(-1, self.scan_anchor(typ))

    # scannerc.go: yaml_parser_fetch_tag
    def fetch_tag(self):
        self.save_simple_key()
        self.simple_key_allowed = False
        self.insert_token(-1, self.scan_tag())

    # scannerc.go: yaml_parser_fetch_block_scalar
    def fetch_block_scalar(self, literal):
        self.remove_simple_key()
        self.simple_key_allowed = True
        self.insert_token(-1, self.scan_block_scalar(literal))

    # scannerc.go: yaml_parser_fetch_flow_scalar
    def fetch_flow_scalar(self, single):
        self.save_simple_key()
        self.simple_key_allowed = False
        self.insert_token(-1, self.scan_flow_scalar(single))

    # scannerc.go: yaml_parser_fetch_plain_scalar
    def fetch_plain_scalar(self):
        self.save_simple_key()
        self.simple_key_allowed = False
        self.insert_token(-1, self.scan_plain_scalar())

    # scannerc.go: yaml_parser_scan_to_next_token
    def scan_to_next_token(self):
        scan_mark = self.mark()
        t = self.text
        while True:
            if self.avail - self.pos < 1:
                self.update(1)
            t = self.text
            if self.column == 0 and t[self.bstart] == "\ufeff":
                self.skip()
            if self.avail - self.pos < 1:
                self.update(1)
                t = self.text
            while t[self.pos] == " " or ((self.flow_level > 0 or not self.simple_key_allowed) and t[self.pos] == "\t"):
                self.skip()
                if self.avail - self.pos < 1:
                    self.update(1)
                    t = self.text
            if self.comments and len(self.tokens) > 1:
                cm = self.comments[-1]
                if (self.tokens[-2].typ == _T_BLOCK_SEQUENCE_START and self.tokens[-1].typ == _T_BLOCK_ENTRY
                        and cm.line and t[self.pos] not in _BREAKS):
                    # A line comment after "- " becomes a head comment.
                    cm.head = cm.line
                    cm.line = ""
                    if cm.start[1] == self.line - 1:
                        cm.token_index = self.pos
            if t[self.pos] == "#":
                self.scan_comments(scan_mark)
                t = self.text
            if t[self.pos] in _BREAKS:
                if self.avail - self.pos < 2:
                    self.update(2)
                    t = self.text
                self.skip_line()
                if self.flow_level == 0:
                    self.simple_key_allowed = True
            else:
                break

    # scannerc.go: yaml_parser_scan_directive
    def scan_directive(self):
        start = self.mark()
        self.skip()
        name = self.scan_directive_name(start)
        if name == "YAML":
            major, minor = self.scan_version_directive_value(start)
            tok = _Tok(_T_VERSION_DIRECTIVE, start, self.mark())
            tok.major = major
            tok.minor = minor
        elif name == "TAG":
            handle, prefix = self.scan_tag_directive_value(start)
            tok = _Tok(_T_TAG_DIRECTIVE, start, self.mark(), handle, prefix)
        else:
            self.scanner_error(start, "found unknown directive name")
        self.cache(1)
        while self.ch() in " \t":
            self.skip()
            self.cache(1)
        if self.ch() == "#":
            while self.ch() not in _BREAKZ:
                self.skip()
                self.cache(1)
        if self.ch() not in _BREAKZ:
            self.scanner_error(start, "did not find expected comment or line break")
        if self.ch() in _BREAKS:
            self.cache(2)
            self.skip_line()
        return tok

    # scannerc.go: yaml_parser_scan_directive_name
    def scan_directive_name(self, start):
        self.cache(1)
        s = []
        while self.ch() in _ALPHA:
            self.read(s)
            self.cache(1)
        if not s:
            self.scanner_error(start, "could not find expected directive name")
        if self.ch() not in _BLANKZ:
            self.scanner_error(start, "found unexpected non-alphabetical character")
        return "".join(s)

    # scannerc.go: yaml_parser_scan_version_directive_value
    def scan_version_directive_value(self, start):
        self.cache(1)
        while self.ch() in " \t":
            self.skip()
            self.cache(1)
        major = self.scan_version_directive_number(start)
        if self.ch() != ".":
            self.scanner_error(start, "did not find expected digit or '.' character")
        self.skip()
        minor = self.scan_version_directive_number(start)
        return major, minor

    # scannerc.go: yaml_parser_scan_version_directive_number
    def scan_version_directive_number(self, start):
        self.cache(1)
        value = 0
        length = 0
        while self.ch() in _DIGITS:
            length += 1
            if length > 2:
                self.scanner_error(start, "found extremely long version number")
            value = value * 10 + ord(self.ch()) - 48
            self.skip()
            self.cache(1)
        if length == 0:
            self.scanner_error(start, "did not find expected version number")
        return value

    # scannerc.go: yaml_parser_scan_tag_directive_value
    def scan_tag_directive_value(self, start):
        self.cache(1)
        while self.ch() in " \t":
            self.skip()
            self.cache(1)
        handle = self.scan_tag_handle(True, start)
        self.cache(1)
        if self.ch() not in " \t":
            self.scanner_error(start, "did not find expected whitespace")
        while self.ch() in " \t":
            self.skip()
            self.cache(1)
        prefix = self.scan_tag_uri(True, "", start)
        self.cache(1)
        if self.ch() not in _BLANKZ:
            self.scanner_error(start, "did not find expected whitespace or line break")
        return handle, prefix

    # scannerc.go: yaml_parser_scan_anchor
    def scan_anchor(self, typ):
        s = []
        start = self.mark()
        self.skip()
        self.cache(1)
        while self.ch() in _ALPHA:
            self.read(s)
            self.cache(1)
        end = self.mark()
        c = self.ch()
        if not s or not (c in _BLANKZ or c in _ANCHOR_END):
            self.scanner_error(start, "did not find expected alphabetic or numeric character")
        return _Tok(typ, start, end, "".join(s))

    # scannerc.go: yaml_parser_scan_tag
    def scan_tag(self):
        start = self.mark()
        self.cache(2)
        if self.ch(1) == "<":
            handle = ""
            self.skip()
            self.skip()
            suffix = self.scan_tag_uri(False, "", start)
            if self.ch() != ">":
                self.scanner_error(start, "did not find the expected '>'")
            self.skip()
        else:
            handle = self.scan_tag_handle(False, start)
            if handle[0] == "!" and len(handle) > 1 and handle[-1] == "!":
                suffix = self.scan_tag_uri(False, "", start)
            else:
                suffix = self.scan_tag_uri(False, handle, start)
                handle = "!"
                if not suffix:
                    handle, suffix = suffix, handle
        self.cache(1)
        if self.ch() not in _BLANKZ:
            self.scanner_error(start, "did not find expected whitespace or line break")
        return _Tok(_T_TAG, start, self.mark(), handle, suffix)

    # scannerc.go: yaml_parser_set_scanner_tag_error
    def _tag_error(self, directive, start, problem):
        # yaml_parser_set_scanner_tag_error: the context text is not part of yaml.v3's messages.
        self.scanner_error(start, problem)

    # scannerc.go: yaml_parser_scan_tag_handle
    def scan_tag_handle(self, directive, start):
        self.cache(1)
        if self.ch() != "!":
            self._tag_error(directive, start, "did not find expected '!'")
        s = []
        self.read(s)
        self.cache(1)
        while self.ch() in _ALPHA:
            self.read(s)
            self.cache(1)
        if self.ch() == "!":
            self.read(s)
        elif directive and "".join(s) != "!":
            self._tag_error(directive, start, "did not find expected '!'")
        return "".join(s)

    # scannerc.go: yaml_parser_scan_tag_uri
    def scan_tag_uri(self, directive, head, start):
        # The URI is collected as bytes (escapes may produce any octets).
        s = bytearray()
        has_tag = len(head) > 0
        if len(head) > 1:
            s += head[1:].encode("utf-8", "surrogatepass")
        self.cache(1)
        while self.ch() in _URI_CHARS:
            if self.ch() == "%":
                self.scan_uri_escapes(directive, start, s)
            else:
                s += self.ch().encode("utf-8", "surrogatepass")
                self.read([])
            self.cache(1)
            has_tag = True
        if not has_tag:
            self._tag_error(directive, start, "did not find expected tag URI")
        return s.decode("utf-8", "surrogateescape")

    # scannerc.go: yaml_parser_scan_uri_escapes
    def scan_uri_escapes(self, directive, start, s):
        w = 1024
        while w > 0:
            self.cache(3)
            if not (self.ch() == "%" and self.ch(1) in _HEX and self.ch(2) in _HEX):
                self._tag_error(directive, start, "did not find URI escaped octet")
            octet = int(self.ch(1) + self.ch(2), 16)
            if w == 1024:
                w = _utf8_width(octet)
                if w == 0:
                    self._tag_error(directive, start, "found an incorrect leading UTF-8 octet")
            elif octet & 0xC0 != 0x80:
                self._tag_error(directive, start, "found an incorrect trailing UTF-8 octet")
            s.append(octet)
            self.skip()
            self.skip()
            self.skip()
            w -= 1

    # scannerc.go: yaml_parser_scan_block_scalar
    def scan_block_scalar(self, literal):
        start = self.mark()
        self.skip()
        self.cache(1)
        chomping = 0
        increment = 0
        c = self.ch()
        if c == "+" or c == "-":
            chomping = 1 if c == "+" else -1
            self.skip()
            self.cache(1)
            if self.ch() in _DIGITS:
                if self.ch() == "0":
                    self.scanner_error(start, "found an indentation indicator equal to 0")
                increment = ord(self.ch()) - 48
                self.skip()
        elif c in _DIGITS:
            if c == "0":
                self.scanner_error(start, "found an indentation indicator equal to 0")
            increment = ord(c) - 48
            self.skip()
            self.cache(1)
            c = self.ch()
            if c == "+" or c == "-":
                chomping = 1 if c == "+" else -1
                self.skip()
        self.cache(1)
        while self.ch() in " \t":
            self.skip()
            self.cache(1)
        if self.ch() == "#":
            self.scan_line_comment(start)
            while self.ch() not in _BREAKZ:
                self.skip()
                self.cache(1)
        if self.ch() not in _BREAKZ:
            self.scanner_error(start, "did not find expected comment or line break")
        if self.ch() in _BREAKS:
            self.cache(2)
            self.skip_line()
        end = [self.mark()]
        indent = [0]
        if increment > 0:
            indent[0] = self.indent + increment if self.indent >= 0 else increment
        s = []
        leading_break = []
        trailing_breaks = []
        self.scan_block_scalar_breaks(indent, trailing_breaks, start, end)
        self.cache(1)
        leading_blank = False
        while self.column == indent[0] and self.ch() != "\x00":
            trailing_blank = self.ch() in " \t"
            if not literal and not leading_blank and not trailing_blank and leading_break and leading_break[0] == "\n":
                if not trailing_breaks:
                    s.append(" ")
            else:
                s.extend(leading_break)
            del leading_break[:]
            s.extend(trailing_breaks)
            del trailing_breaks[:]
            if self.avail == _INF:
                self._block_lines(indent[0], literal, s, end)
            leading_blank = self.ch() in " \t"
            while self.ch() not in _BREAKZ:
                # As many characters as yaml.v3 has in its buffer, up to the line break.
                run = _BLOCK_LINE.match(self.text, self.pos, min(len(self.text), self.avail)).group()
                s.append(run)
                self.pos += len(run)
                self.column += len(run)
                if run[-1] not in " \t" or run.strip(" \t"):
                    self.newlines = 0
                self.cache(1)
            self.cache(2)
            self.read_line(leading_break)
            self.scan_block_scalar_breaks(indent, trailing_breaks, start, end)
        if chomping != -1:
            s.extend(leading_break)
        if chomping == 1:
            s.extend(trailing_breaks)
        return _Tok(_T_SCALAR, start, end[0], "".join(s), None, _S_LITERAL if literal else _S_FOLDED)

    # scannerc.go: yaml_parser_scan_block_scalar, its loop over ordinary lines taken at once
    def _block_lines(self, indent, literal, s, end):
        """Read this line of a block scalar, and those after it, at once while they are
        ordinary: each ends in "\\n", and the next has ``indent`` spaces then content, or is
        empty (up to ``indent`` spaces). Leaves the scanner at the content of the last line
        with content, as the loop in :meth:`scan_block_scalar` would, having kept or folded
        the line breaks as it does."""
        t = self.text
        p = self.pos
        # The first line break after which the lines are not ordinary, or the first other
        # break (the text ends in NULs). Two searches: one expression with both is slower.
        m = _block_line_end(indent).search(t, p)
        b = m.start() if m else t.index("\x00", p)
        for c in "\r\x85\u2028\u2029":
            odd = t.find(c, p, b)
            if odd >= 0:
                b = odd
        # Back to the last line with content: empty lines before b may be trailing breaks.
        spaces = " " * indent
        q = t.rfind("\n", p, b)
        while q >= 0 and not (t.startswith(spaces, q + 1) and t[q + 1 + indent] not in _BREAKZ):
            q = t.rfind("\n", p, q)
        if q < 0:
            return
        stop = q + 1 + indent
        region = t[p:stop]
        if literal and (indent == 1 or not _short_empty_line(indent).search(region)):
            # Content lines lose their indentation, and empty lines are empty already or have
            # all of it: one replace, without a list of the lines (the text may be megabytes).
            s.append(region.replace("\n" + spaces, "\n"))
        else:
            # The last piece is the last line's indentation; content lines lose theirs, and
            # empty lines (up to indent spaces) are empty.
            pieces = region.split("\n")
            lines = [pieces[0]]
            lines += [x[indent:] if len(x) > indent else "" for x in pieces[1:-1]]
            del pieces
            if literal:
                lines.append("")
                s.append("\n".join(lines))
            else:
                # Between two lines with content: a break folds to a space if both start
                # with no blank and no empty line is between them; empty lines stay breaks.
                blank = " \t"
                nxt = t[stop] in blank
                joins = []
                empty = 0
                for c in reversed(lines):
                    if not c:
                        empty += 1
                        continue
                    first = c[0] in blank
                    joins.append("\n" * (empty + 1) if first or nxt else "\n" * empty if empty else " ")
                    joins.append(c)
                    nxt = first
                    empty = 0
                joins.reverse()
                s.append("".join(joins))
        # Line breaks since the last character that is not a blank, looking back a line at a
        # time from the last one read.
        count = region.count("\n")
        newlines = self.newlines + count
        e = region.rfind("\n")
        k = 0
        while e >= 0:
            k += 1
            before = region.rfind("\n", 0, e)
            if region[before + 1 : e].strip(" \t"):
                newlines = k
                break
            e = before
        self.newlines = newlines
        self.line += count
        self.pos = stop
        self.column = indent
        end[0] = (stop - indent, self.line, 0)

    # scannerc.go: yaml_parser_scan_block_scalar_breaks
    def scan_block_scalar_breaks(self, indent, breaks, start, end):
        end[0] = self.mark()
        max_indent = 0
        while True:
            self.cache(1)
            while (indent[0] == 0 or self.column < indent[0]) and self.ch() == " ":
                stop = min(len(self.text), self.avail)
                if indent[0]:
                    stop = min(stop, self.pos + indent[0] - self.column)
                n = _SPACES.match(self.text, self.pos, stop).end() - self.pos
                self.pos += n
                self.column += n
                self.cache(1)
            if self.column > max_indent:
                max_indent = self.column
            if (indent[0] == 0 or self.column < indent[0]) and self.ch() == "\t":
                self.scanner_error(start, "found a tab character where an indentation space is expected")
            if self.ch() not in _BREAKS:
                break
            self.cache(2)
            self.read_line(breaks)
            end[0] = self.mark()
        if indent[0] == 0:
            indent[0] = max_indent
            if indent[0] < self.indent + 1:
                indent[0] = self.indent + 1
            if indent[0] < 1:
                indent[0] = 1

    # scannerc.go: yaml_parser_scan_flow_scalar
    def scan_flow_scalar(self, single):
        start = self.mark()
        self.skip()
        s = []
        leading_break = []
        trailing_breaks = []
        whitespaces = []
        while True:
            self.cache(4)
            t = self.text
            p = self.pos
            if (self.column == 0 and ((t[p] == "-" and t[p + 1] == "-" and t[p + 2] == "-")
                                      or (t[p] == "." and t[p + 1] == "." and t[p + 2] == "."))
                    and t[p + 3] in _BLANKZ):
                self.scanner_error(start, "found unexpected document indicator")
            if t[p] == "\x00":
                self.scanner_error(start, "found unexpected end of stream")
            leading_blanks = False
            while self.text[self.pos] not in _BLANKZ:
                t = self.text
                p = self.pos
                c = t[p]
                if single and c == "'" and t[p + 1] == "'":
                    s.append("'")
                    self.skip()
                    self.skip()
                elif single and c == "'":
                    break
                elif not single and c == '"':
                    break
                elif not single and c == "\\" and t[p + 1] in _BREAKS:
                    self.cache(3)
                    self.skip()
                    self.skip_line()
                    leading_blanks = True
                    break
                elif not single and c == "\\":
                    code_length = 0
                    e = t[p + 1]
                    simple = _ESCAPES.get(e)
                    if simple is not None:
                        s.append(simple)
                    elif e == "x":
                        code_length = 2
                    elif e == "u":
                        code_length = 4
                    elif e == "U":
                        code_length = 8
                    else:
                        self.scanner_error(start, "found unknown escape character")
                    self.skip()
                    self.skip()
                    if code_length > 0:
                        self.cache(code_length)
                        value = 0
                        for k in range(code_length):
                            h = self.ch(k)
                            if h not in _HEX:
                                self.scanner_error(start, "did not find expected hexdecimal number")
                            value = (value << 4) + int(h, 16)
                        if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
                            self.scanner_error(start, "found invalid Unicode character escape code")
                        s.append(chr(value))
                        for k in range(code_length):
                            self.skip()
                else:
                    # This character and the rest of the line up to a quote or backslash, as
                    # far as yaml.v3 would not have refilled its buffer (it looks 4 characters
                    # ahead after blanks); blanks at its end are left to the loop below (they
                    # fold if a line break follows).
                    m = (_SINGLE_LINE if single else _DOUBLE_LINE).match(t, p, min(len(t), self.avail - 4))
                    run = m.group().rstrip(" \t") if m else ""
                    if run:
                        s.append(run)
                        self.pos += len(run)
                        self.column += len(run)
                        self.newlines = 0
                    else:
                        self.read(s)
                self.cache(2)
            self.cache(1)
            c = self.ch()
            if single:
                if c == "'":
                    break
            elif c == '"':
                break
            while self.ch() in " \t" or self.ch() in _BREAKS:
                if self.ch() in " \t":
                    if not leading_blanks:
                        self.read(whitespaces)
                    else:
                        self.skip()
                else:
                    self.cache(2)
                    if not leading_blanks:
                        del whitespaces[:]
                        self.read_line(leading_break)
                        leading_blanks = True
                    else:
                        self.read_line(trailing_breaks)
                self.cache(1)
            if leading_blanks:
                if leading_break and leading_break[0] == "\n":
                    if not trailing_breaks:
                        s.append(" ")
                    else:
                        s.extend(trailing_breaks)
                else:
                    s.extend(leading_break)
                    s.extend(trailing_breaks)
                del trailing_breaks[:]
                del leading_break[:]
            else:
                s.extend(whitespaces)
                del whitespaces[:]
        self.skip()
        return _Tok(_T_SCALAR, start, self.mark(), "".join(s), None, _S_SINGLE if single else _S_DOUBLE)

    # scannerc.go: yaml_parser_scan_plain_scalar
    def scan_plain_scalar(self):
        s = []
        leading_break = []
        trailing_breaks = []
        whitespaces = []
        leading_blanks = False
        indent = self.indent + 1
        start = self.mark()
        end = start
        flow = self.flow_level > 0
        while True:
            if self.avail - self.pos < 4:
                self.update(4)
            t = self.text
            p = self.pos
            if (self.column == 0 and ((t[p] == "-" and t[p + 1] == "-" and t[p + 2] == "-")
                                      or (t[p] == "." and t[p + 1] == "." and t[p + 2] == "."))
                    and t[p + 3] in _BLANKZ):
                break
            if t[p] == "#":
                break
            while True:
                t = self.text
                p = self.pos
                c = t[p]
                if c in _BLANKZ:
                    break
                if (c == ":" and t[p + 1] in _BLANKZ) or (flow and c in _FLOW_PLAIN_END):
                    break
                if leading_blanks or whitespaces:
                    if leading_blanks:
                        if leading_break[0] == "\n":
                            if not trailing_breaks:
                                s.append(" ")
                            else:
                                s.extend(trailing_breaks)
                        else:
                            s.extend(leading_break)
                            s.extend(trailing_breaks)
                        del trailing_breaks[:]
                        del leading_break[:]
                        leading_blanks = False
                    else:
                        s.extend(whitespaces)
                        del whitespaces[:]
                if c != " " and c != "\t":
                    self.newlines = 0
                s.append(c)
                self.pos += 1
                self.column += 1
                if self.avail - self.pos < 2:
                    self.update(2)
                else:
                    # Read a run at once, as far as yaml.v3 would not have refilled its buffer:
                    # ordinary characters and the blanks between them on this line, which are
                    # kept as they are. Blanks at its end or before a comment are left to the
                    # loop below, and so are all blanks where the line is indented less than
                    # the scalar (the loop ends the scalar there).
                    m = (_PLAIN_LINE_FLOW if flow else _PLAIN_LINE).match(t, self.pos, min(len(t), self.avail - 4))
                    run = m.group() if m else ""
                    if flow or self.column >= indent:
                        for comment in (" #", "\t#"):
                            k = run.find(comment)
                            if k >= 0:
                                run = run[:k]
                        run = run.rstrip(" \t")
                    else:
                        run = _PLAIN_WORD.match(run).group()
                    if run:
                        s.append(run)
                        self.pos += len(run)
                        self.column += len(run)
                end = (self.pos, self.line, self.column)
            c = self.text[self.pos]
            if not (c in " \t" or c in _BREAKS):
                break
            self.cache(1)
            while True:
                c = self.text[self.pos]
                if c == " " or c == "\t":
                    if leading_blanks and self.column < indent and c == "\t":
                        self.scanner_error(start, "found a tab character that violates indentation")
                    if not leading_blanks:
                        self.read(whitespaces)
                    else:
                        self.skip()
                elif c in _BREAKS:
                    self.cache(2)
                    if not leading_blanks:
                        del whitespaces[:]
                        self.read_line(leading_break)
                        leading_blanks = True
                    else:
                        self.read_line(trailing_breaks)
                else:
                    break
                self.cache(1)
            if not flow and self.column < indent:
                break
        if leading_blanks:
            self.simple_key_allowed = True
        return _Tok(_T_SCALAR, start, end, "".join(s), None, _S_PLAIN)

    # scannerc.go: yaml_parser_scan_line_comment
    def scan_line_comment(self, token_mark):
        if self.newlines > 0:
            return
        start_mark = None
        text = []
        peek = 0
        while peek < 512:
            if self.avail - self.pos < peek + 1:
                try:
                    self.update(peek + 1)
                except _Stop:
                    if self.error != _ERR_READER:
                        raise
                    break
            c = self.text[self.pos + peek]
            if c == " " or c == "\t":
                peek += 1
                continue
            if c == "#":
                seen = self.pos + peek
                while True:
                    self.cache(1)
                    c = self.text[self.pos]
                    if c in _BREAKZ:
                        if self.pos >= seen:
                            break
                        self.cache(2)
                        self.skip_line()
                    elif self.pos >= seen:
                        if not text:
                            start_mark = self.mark()
                        self.read(text)
                    else:
                        self.skip()
            break
        if text:
            self.comments.append(_Comment(0, token_mark[0], start_mark, 0, line="".join(text)))

    # scannerc.go: yaml_parser_scan_comments
    def scan_comments(self, scan_mark):
        token = self.tokens[-1]
        if token.typ == _T_FLOW_ENTRY and len(self.tokens) > 1:
            token = self.tokens[-2]
        token_mark = token.start
        start_mark = (0, 0, 0)
        next_indent = self.indent if self.indent >= 0 else 0
        recent_empty = False
        first_empty = self.newlines <= 1
        line = self.line
        column = self.column
        text = []
        foot_line = -1
        if scan_mark[1] > 0:
            foot_line = self.line - self.newlines + 1
            if self.newlines == 0 and self.column > 1:
                foot_line += 1
        peek = 0
        while peek < 512:
            if self.avail - self.pos < peek + 1:
                try:
                    self.update(peek + 1)
                except _Stop:
                    if self.error != _ERR_READER:
                        raise
                    break
            column += 1
            c = self.text[self.pos + peek]
            if c == " " or c == "\t":
                peek += 1
                continue
            close_flow = self.flow_level > 0 and (c == "]" or c == "}")
            if close_flow or c in _BREAKZ:
                if close_flow or not recent_empty:
                    if close_flow or (first_empty and ((start_mark[1] == foot_line and token.typ != _T_VALUE)
                                                       or start_mark[2] - 1 < next_indent)):
                        if text:
                            if start_mark[2] - 1 < next_indent:
                                token_mark = start_mark
                            end_index = self.pos + peek
                            self.comments.append(_Comment(scan_mark[0], token_mark[0], start_mark, end_index,
                                                          foot="".join(text)))
                            scan_mark = (end_index, line, column)
                            token_mark = scan_mark
                            text = []
                    elif text and c != "\x00":
                        text.append("\n")
                if c not in _BREAKS:
                    break
                first_empty = False
                recent_empty = True
                column = 0
                line += 1
                peek += 1
                continue
            if text and (close_flow or (column - 1 < next_indent and column != start_mark[2])):
                end_index = self.pos + peek
                self.comments.append(_Comment(scan_mark[0], token_mark[0], start_mark, end_index,
                                              foot="".join(text)))
                scan_mark = (end_index, line, column)
                token_mark = scan_mark
                text = []
            if c != "#":
                break
            if not text:
                start_mark = (self.pos + peek, line, column)
            else:
                text.append("\n")
            recent_empty = False
            seen = self.pos + peek
            while True:
                self.cache(1)
                c = self.text[self.pos]
                if c in _BREAKZ:
                    if self.pos >= seen:
                        break
                    self.cache(2)
                    self.skip_line()
                elif self.pos >= seen:
                    self.read(text)
                else:
                    self.skip()
            column = 0
            line = self.line
            next_indent = self.indent if self.indent >= 0 else 0
            peek = 1  # yaml.v3 sets peek = 0, then its loop's post statement increments it
        if text:
            self.comments.append(_Comment(scan_mark[0], start_mark[0], start_mark, self.pos + peek - 1,
                                          head="".join(text)))


_ESCAPES = {
    "0": "\x00", "a": "\x07", "b": "\x08", "t": "\x09", "\t": "\x09", "n": "\x0a", "v": "\x0b", "f": "\x0c",
    "r": "\x0d", "e": "\x1b", " ": " ", '"': '"', "'": "'", "\\": "\\", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}


# Event types (yaml_event_type_t) and their names as yaml.v3 prints them.
(_E_NONE, _E_STREAM_START, _E_STREAM_END, _E_DOCUMENT_START, _E_DOCUMENT_END, _E_ALIAS, _E_SCALAR,
 _E_SEQUENCE_START, _E_SEQUENCE_END, _E_MAPPING_START, _E_MAPPING_END) = range(11)
_EVENT_NAMES = ("none", "stream start", "stream end", "document start", "document end", "alias", "scalar",
                "sequence start", "sequence end", "mapping start", "mapping end")

# Parser states.
(_P_STREAM_START, _P_IMPLICIT_DOCUMENT_START, _P_DOCUMENT_START, _P_DOCUMENT_CONTENT, _P_DOCUMENT_END,
 _P_BLOCK_NODE, _P_BLOCK_NODE_OR_INDENTLESS_SEQUENCE, _P_FLOW_NODE, _P_BLOCK_SEQUENCE_FIRST_ENTRY,
 _P_BLOCK_SEQUENCE_ENTRY, _P_INDENTLESS_SEQUENCE_ENTRY, _P_BLOCK_MAPPING_FIRST_KEY, _P_BLOCK_MAPPING_KEY,
 _P_BLOCK_MAPPING_VALUE, _P_FLOW_SEQUENCE_FIRST_ENTRY, _P_FLOW_SEQUENCE_ENTRY,
 _P_FLOW_SEQUENCE_ENTRY_MAPPING_KEY, _P_FLOW_SEQUENCE_ENTRY_MAPPING_VALUE, _P_FLOW_SEQUENCE_ENTRY_MAPPING_END,
 _P_FLOW_MAPPING_FIRST_KEY, _P_FLOW_MAPPING_KEY, _P_FLOW_MAPPING_VALUE, _P_FLOW_MAPPING_EMPTY_VALUE,
 _P_END) = range(24)


# yamlh.go: yaml_event_t
class _Ev:
    __slots__ = ("typ", "start", "anchor", "tag", "value", "style", "flow")

    def __init__(self, typ, start, anchor=None, tag=None, value="", style=0, flow=False):
        self.typ = typ
        self.start = start
        self.anchor = anchor
        self.tag = tag
        self.value = value
        self.style = style
        self.flow = flow


_DEFAULT_TAG_DIRECTIVES = (("!", "!"), ("!!", "tag:yaml.org,2002:"))


# parserc.go; yaml_parser_t (yamlh.go), parser half
class _Parser(_Scanner):
    """yaml.v3's parser (parserc.go) on top of the scanner."""

    def __init__(self, data):
        _Scanner.__init__(self, data)
        self.state = _P_STREAM_START
        self.states = []
        self.marks = []
        self.tag_directives = []
        # Only the head comment matters here: its length decides whether yaml.v3 peeks at
        # the token after a "- " inside yaml_parser_split_stem_comment, which ignores errors.
        self.comments_head = 0
        self.head_comment = ""

    # parserc.go: peek_token, yaml_parser_unfold_comments (head comments only)
    def peek_token(self):
        if not self.token_available:
            self.fetch_more_tokens()
        tok = self.tokens[self.head]
        comments = self.comments
        while self.comments_head < len(comments) and tok.start[0] >= comments[self.comments_head].token_index:
            cm = comments[self.comments_head]
            if cm.head:
                if tok.typ == _T_BLOCK_END:
                    break
                if self.head_comment:
                    self.head_comment += "\n"
                self.head_comment += cm.head
            cm.clear()
            self.comments_head += 1
        return tok

    # parserc.go: yaml_parser_set_event_comments
    def set_event_comments(self):
        self.head_comment = ""

    # parserc.go: yaml_parser_split_stem_comment
    def split_stem_comment(self, stem_len):
        if stem_len == 0:
            return
        try:
            tok = self.peek_token()
        except _Stop:
            return  # yaml.v3 ignores the failure here (and scans on at the next peek)
        if tok.typ != _T_BLOCK_SEQUENCE_START and tok.typ != _T_BLOCK_MAPPING_START:
            return
        if len(self.head_comment) == stem_len:
            self.head_comment = ""
        else:
            self.head_comment = self.head_comment[stem_len + 1:]

    # parserc.go: skip_token
    def skip_token(self):
        self.token_available = False
        self.tokens_parsed += 1
        self.stream_end_produced = self.tokens[self.head].typ == _T_STREAM_END
        self.head += 1
        if self.head > 4096:
            # Keep the queue short; only the last two tokens are ever looked at behind the head.
            cut = self.head - 2
            del self.tokens[:cut]
            self.head -= cut

    # parserc.go: yaml_parser_set_parser_error, yaml_parser_set_parser_error_context
    def parser_error(self, problem, problem_mark, context_mark=None):
        self.error = _ERR_PARSER
        self.problem = problem
        self.problem_mark = problem_mark
        if context_mark is not None:
            self.context_mark = context_mark
        raise _Stop

    # parserc.go: yaml_parser_parse, yaml_parser_state_machine
    def parse(self):
        """yaml_parser_parse: the next event, None when yaml.v3 would produce no event."""
        if self.stream_end_produced or self.error != _ERR_NONE or self.state == _P_END:
            return None
        st = self.state
        if st == _P_STREAM_START:
            return self.parse_stream_start()
        if st == _P_IMPLICIT_DOCUMENT_START:
            return self.parse_document_start(True)
        if st == _P_DOCUMENT_START:
            return self.parse_document_start(False)
        if st == _P_DOCUMENT_CONTENT:
            return self.parse_document_content()
        if st == _P_DOCUMENT_END:
            return self.parse_document_end()
        if st == _P_BLOCK_NODE:
            return self.parse_node(True, False)
        if st == _P_BLOCK_NODE_OR_INDENTLESS_SEQUENCE:
            return self.parse_node(True, True)
        if st == _P_FLOW_NODE:
            return self.parse_node(False, False)
        if st == _P_BLOCK_SEQUENCE_FIRST_ENTRY:
            return self.parse_block_sequence_entry(True)
        if st == _P_BLOCK_SEQUENCE_ENTRY:
            return self.parse_block_sequence_entry(False)
        if st == _P_INDENTLESS_SEQUENCE_ENTRY:
            return self.parse_indentless_sequence_entry()
        if st == _P_BLOCK_MAPPING_FIRST_KEY:
            return self.parse_block_mapping_key(True)
        if st == _P_BLOCK_MAPPING_KEY:
            return self.parse_block_mapping_key(False)
        if st == _P_BLOCK_MAPPING_VALUE:
            return self.parse_block_mapping_value()
        if st == _P_FLOW_SEQUENCE_FIRST_ENTRY:
            return self.parse_flow_sequence_entry(True)
        if st == _P_FLOW_SEQUENCE_ENTRY:
            return self.parse_flow_sequence_entry(False)
        if st == _P_FLOW_SEQUENCE_ENTRY_MAPPING_KEY:
            return self.parse_flow_sequence_entry_mapping_key()
        if st == _P_FLOW_SEQUENCE_ENTRY_MAPPING_VALUE:
            return self.parse_flow_sequence_entry_mapping_value()
        if st == _P_FLOW_SEQUENCE_ENTRY_MAPPING_END:
            return self.parse_flow_sequence_entry_mapping_end()
        if st == _P_FLOW_MAPPING_FIRST_KEY:
            return self.parse_flow_mapping_key(True)
        if st == _P_FLOW_MAPPING_KEY:
            return self.parse_flow_mapping_key(False)
        if st == _P_FLOW_MAPPING_VALUE:
            return self.parse_flow_mapping_value(False)
        if st == _P_FLOW_MAPPING_EMPTY_VALUE:
            return self.parse_flow_mapping_value(True)
        raise AssertionError("invalid parser state")

    # parserc.go: the parser.states pop that ends many yaml_parser_parse_* functions
    def pop_state(self):
        self.state = self.states.pop()

    # parserc.go: yaml_parser_parse_stream_start
    def parse_stream_start(self):
        tok = self.peek_token()
        if tok.typ != _T_STREAM_START:
            self.parser_error("did not find expected <stream-start>", tok.start)
        self.state = _P_IMPLICIT_DOCUMENT_START
        self.skip_token()
        return _Ev(_E_STREAM_START, tok.start)

    # parserc.go: yaml_parser_parse_document_start
    def parse_document_start(self, implicit):
        tok = self.peek_token()
        if not implicit:
            while tok.typ == _T_DOCUMENT_END:
                self.skip_token()
                tok = self.peek_token()
        if implicit and tok.typ not in (_T_VERSION_DIRECTIVE, _T_TAG_DIRECTIVE, _T_DOCUMENT_START, _T_STREAM_END):
            self.process_directives()
            self.states.append(_P_DOCUMENT_END)
            self.state = _P_BLOCK_NODE
            hc = self.head_comment
            for i in range(len(hc) - 1, 0, -1):
                if hc[i] == "\n":
                    if i == len(hc) - 1 or hc[i - 1] == "\n":
                        self.head_comment = hc[i + 1:]
                        break
            return _Ev(_E_DOCUMENT_START, tok.start)
        if tok.typ != _T_STREAM_END:
            start = tok.start
            self.process_directives()
            tok = self.peek_token()
            if tok.typ != _T_DOCUMENT_START:
                self.parser_error("did not find expected <document start>", tok.start)
            self.states.append(_P_DOCUMENT_END)
            self.state = _P_DOCUMENT_CONTENT
            self.skip_token()
            return _Ev(_E_DOCUMENT_START, start)
        self.state = _P_END
        self.skip_token()
        return _Ev(_E_STREAM_END, tok.start)

    # parserc.go: yaml_parser_parse_document_content
    def parse_document_content(self):
        tok = self.peek_token()
        if tok.typ in (_T_VERSION_DIRECTIVE, _T_TAG_DIRECTIVE, _T_DOCUMENT_START, _T_DOCUMENT_END, _T_STREAM_END):
            self.pop_state()
            return self.empty_scalar(tok.start)
        return self.parse_node(True, False)

    # parserc.go: yaml_parser_parse_document_end
    def parse_document_end(self):
        tok = self.peek_token()
        start = tok.start
        if tok.typ == _T_DOCUMENT_END:
            self.skip_token()
        del self.tag_directives[:]
        self.state = _P_DOCUMENT_START
        self.set_event_comments()
        return _Ev(_E_DOCUMENT_END, start)

    # parserc.go: yaml_parser_parse_node
    def parse_node(self, block, indentless_sequence):
        tok = self.peek_token()
        if tok.typ == _T_ALIAS:
            self.pop_state()
            self.set_event_comments()
            self.skip_token()
            return _Ev(_E_ALIAS, tok.start, tok.value)
        start = tok.start
        tag_token = False
        tag_handle = tag_suffix = anchor = None
        tag_mark = None
        if tok.typ == _T_ANCHOR:
            anchor = tok.value
            start = tok.start
            self.skip_token()
            tok = self.peek_token()
            if tok.typ == _T_TAG:
                tag_token = True
                tag_handle = tok.value
                tag_suffix = tok.suffix
                tag_mark = tok.start
                self.skip_token()
                tok = self.peek_token()
        elif tok.typ == _T_TAG:
            tag_token = True
            tag_handle = tok.value
            tag_suffix = tok.suffix
            start = tok.start
            tag_mark = tok.start
            self.skip_token()
            tok = self.peek_token()
            if tok.typ == _T_ANCHOR:
                anchor = tok.value
                self.skip_token()
                tok = self.peek_token()
        tag = ""
        if tag_token:
            if not tag_handle:
                tag = tag_suffix
            else:
                for handle, prefix in self.tag_directives:
                    if handle == tag_handle:
                        tag = prefix + tag_suffix
                        break
                if not tag:
                    self.parser_error("found undefined tag handle", tag_mark, start)
        typ = tok.typ
        if indentless_sequence and typ == _T_BLOCK_ENTRY:
            self.state = _P_INDENTLESS_SEQUENCE_ENTRY
            return _Ev(_E_SEQUENCE_START, start, anchor, tag)
        if typ == _T_SCALAR:
            self.pop_state()
            self.set_event_comments()
            self.skip_token()
            return _Ev(_E_SCALAR, start, anchor, tag, tok.value, tok.style)
        if typ == _T_FLOW_SEQUENCE_START:
            self.state = _P_FLOW_SEQUENCE_FIRST_ENTRY
            self.set_event_comments()
            return _Ev(_E_SEQUENCE_START, start, anchor, tag, flow=True)
        if typ == _T_FLOW_MAPPING_START:
            self.state = _P_FLOW_MAPPING_FIRST_KEY
            self.set_event_comments()
            return _Ev(_E_MAPPING_START, start, anchor, tag, flow=True)
        if block and typ == _T_BLOCK_SEQUENCE_START:
            self.state = _P_BLOCK_SEQUENCE_FIRST_ENTRY
            return _Ev(_E_SEQUENCE_START, start, anchor, tag)
        if block and typ == _T_BLOCK_MAPPING_START:
            self.state = _P_BLOCK_MAPPING_FIRST_KEY
            return _Ev(_E_MAPPING_START, start, anchor, tag)
        if anchor or tag:
            self.pop_state()
            return _Ev(_E_SCALAR, start, anchor, tag, "", _S_PLAIN)
        self.parser_error("did not find expected node content", tok.start, start)

    # parserc.go: yaml_parser_parse_block_sequence_entry
    def parse_block_sequence_entry(self, first):
        if first:
            tok = self.peek_token()
            self.marks.append(tok.start)
            self.skip_token()
        tok = self.peek_token()
        if tok.typ == _T_BLOCK_ENTRY:
            mark = tok.end
            prior_head_len = len(self.head_comment)
            self.skip_token()
            self.split_stem_comment(prior_head_len)
            tok = self.peek_token()
            if tok.typ != _T_BLOCK_ENTRY and tok.typ != _T_BLOCK_END:
                self.states.append(_P_BLOCK_SEQUENCE_ENTRY)
                return self.parse_node(True, False)
            self.state = _P_BLOCK_SEQUENCE_ENTRY
            return self.empty_scalar(mark)
        if tok.typ == _T_BLOCK_END:
            self.pop_state()
            self.marks.pop()
            self.skip_token()
            return _Ev(_E_SEQUENCE_END, tok.start)
        context_mark = self.marks.pop()
        self.parser_error("did not find expected '-' indicator", tok.start, context_mark)

    # parserc.go: yaml_parser_parse_indentless_sequence_entry
    def parse_indentless_sequence_entry(self):
        tok = self.peek_token()
        if tok.typ == _T_BLOCK_ENTRY:
            mark = tok.end
            prior_head_len = len(self.head_comment)
            self.skip_token()
            self.split_stem_comment(prior_head_len)
            tok = self.peek_token()
            if tok.typ not in (_T_BLOCK_ENTRY, _T_KEY, _T_VALUE, _T_BLOCK_END):
                self.states.append(_P_INDENTLESS_SEQUENCE_ENTRY)
                return self.parse_node(True, False)
            self.state = _P_INDENTLESS_SEQUENCE_ENTRY
            return self.empty_scalar(mark)
        self.pop_state()
        return _Ev(_E_SEQUENCE_END, tok.start)

    # parserc.go: yaml_parser_parse_block_mapping_key
    def parse_block_mapping_key(self, first):
        if first:
            tok = self.peek_token()
            self.marks.append(tok.start)
            self.skip_token()
        tok = self.peek_token()
        if tok.typ == _T_KEY:
            mark = tok.end
            self.skip_token()
            tok = self.peek_token()
            if tok.typ not in (_T_KEY, _T_VALUE, _T_BLOCK_END):
                self.states.append(_P_BLOCK_MAPPING_VALUE)
                return self.parse_node(True, True)
            self.state = _P_BLOCK_MAPPING_VALUE
            return self.empty_scalar(mark)
        if tok.typ == _T_BLOCK_END:
            self.pop_state()
            self.marks.pop()
            self.set_event_comments()
            self.skip_token()
            return _Ev(_E_MAPPING_END, tok.start)
        context_mark = self.marks.pop()
        self.parser_error("did not find expected key", tok.start, context_mark)

    # parserc.go: yaml_parser_parse_block_mapping_value
    def parse_block_mapping_value(self):
        tok = self.peek_token()
        if tok.typ == _T_VALUE:
            mark = tok.end
            self.skip_token()
            tok = self.peek_token()
            if tok.typ not in (_T_KEY, _T_VALUE, _T_BLOCK_END):
                self.states.append(_P_BLOCK_MAPPING_KEY)
                return self.parse_node(True, True)
            self.state = _P_BLOCK_MAPPING_KEY
            return self.empty_scalar(mark)
        self.state = _P_BLOCK_MAPPING_KEY
        return self.empty_scalar(tok.start)

    # parserc.go: yaml_parser_parse_flow_sequence_entry
    def parse_flow_sequence_entry(self, first):
        if first:
            tok = self.peek_token()
            self.marks.append(tok.start)
            self.skip_token()
        tok = self.peek_token()
        if tok.typ != _T_FLOW_SEQUENCE_END:
            if not first:
                if tok.typ == _T_FLOW_ENTRY:
                    self.skip_token()
                    tok = self.peek_token()
                else:
                    context_mark = self.marks.pop()
                    self.parser_error("did not find expected ',' or ']'", tok.start, context_mark)
            if tok.typ == _T_KEY:
                self.state = _P_FLOW_SEQUENCE_ENTRY_MAPPING_KEY
                self.skip_token()
                return _Ev(_E_MAPPING_START, tok.start, flow=True)
            if tok.typ != _T_FLOW_SEQUENCE_END:
                self.states.append(_P_FLOW_SEQUENCE_ENTRY)
                return self.parse_node(False, False)
        self.pop_state()
        self.marks.pop()
        self.set_event_comments()
        self.skip_token()
        return _Ev(_E_SEQUENCE_END, tok.start)

    # parserc.go: yaml_parser_parse_flow_sequence_entry_mapping_key
    def parse_flow_sequence_entry_mapping_key(self):
        tok = self.peek_token()
        if tok.typ not in (_T_VALUE, _T_FLOW_ENTRY, _T_FLOW_SEQUENCE_END):
            self.states.append(_P_FLOW_SEQUENCE_ENTRY_MAPPING_VALUE)
            return self.parse_node(False, False)
        mark = tok.end
        self.skip_token()
        self.state = _P_FLOW_SEQUENCE_ENTRY_MAPPING_VALUE
        return self.empty_scalar(mark)

    # parserc.go: yaml_parser_parse_flow_sequence_entry_mapping_value
    def parse_flow_sequence_entry_mapping_value(self):
        tok = self.peek_token()
        if tok.typ == _T_VALUE:
            self.skip_token()
            tok2 = self.peek_token()
            if tok2.typ != _T_FLOW_ENTRY and tok2.typ != _T_FLOW_SEQUENCE_END:
                self.states.append(_P_FLOW_SEQUENCE_ENTRY_MAPPING_END)
                return self.parse_node(False, False)
        # yaml.v3 uses the mark of the token peeked first (the VALUE token when present).
        self.state = _P_FLOW_SEQUENCE_ENTRY_MAPPING_END
        return self.empty_scalar(tok.start)

    # parserc.go: yaml_parser_parse_flow_sequence_entry_mapping_end
    def parse_flow_sequence_entry_mapping_end(self):
        tok = self.peek_token()
        self.state = _P_FLOW_SEQUENCE_ENTRY
        return _Ev(_E_MAPPING_END, tok.start)

    # parserc.go: yaml_parser_parse_flow_mapping_key
    def parse_flow_mapping_key(self, first):
        if first:
            tok = self.peek_token()
            self.marks.append(tok.start)
            self.skip_token()
        tok = self.peek_token()
        if tok.typ != _T_FLOW_MAPPING_END:
            if not first:
                if tok.typ == _T_FLOW_ENTRY:
                    self.skip_token()
                    tok = self.peek_token()
                else:
                    context_mark = self.marks.pop()
                    self.parser_error("did not find expected ',' or '}'", tok.start, context_mark)
            if tok.typ == _T_KEY:
                self.skip_token()
                tok = self.peek_token()
                if tok.typ not in (_T_VALUE, _T_FLOW_ENTRY, _T_FLOW_MAPPING_END):
                    self.states.append(_P_FLOW_MAPPING_VALUE)
                    return self.parse_node(False, False)
                self.state = _P_FLOW_MAPPING_VALUE
                return self.empty_scalar(tok.start)
            if tok.typ != _T_FLOW_MAPPING_END:
                self.states.append(_P_FLOW_MAPPING_EMPTY_VALUE)
                return self.parse_node(False, False)
        self.pop_state()
        self.marks.pop()
        self.set_event_comments()
        self.skip_token()
        return _Ev(_E_MAPPING_END, tok.start)

    # parserc.go: yaml_parser_parse_flow_mapping_value
    def parse_flow_mapping_value(self, empty):
        tok = self.peek_token()
        if empty:
            self.state = _P_FLOW_MAPPING_KEY
            return self.empty_scalar(tok.start)
        if tok.typ == _T_VALUE:
            self.skip_token()
            tok = self.peek_token()
            if tok.typ != _T_FLOW_ENTRY and tok.typ != _T_FLOW_MAPPING_END:
                self.states.append(_P_FLOW_MAPPING_KEY)
                return self.parse_node(False, False)
        self.state = _P_FLOW_MAPPING_KEY
        return self.empty_scalar(tok.start)

    # parserc.go: yaml_parser_process_empty_scalar
    def empty_scalar(self, mark):
        return _Ev(_E_SCALAR, mark, None, "", "", _S_PLAIN)

    # parserc.go: yaml_parser_process_directives
    def process_directives(self):
        version_seen = False
        tok = self.peek_token()
        while tok.typ == _T_VERSION_DIRECTIVE or tok.typ == _T_TAG_DIRECTIVE:
            if tok.typ == _T_VERSION_DIRECTIVE:
                if version_seen:
                    self.parser_error("found duplicate %YAML directive", tok.start)
                if tok.major != 1 or tok.minor != 1:
                    self.parser_error("found incompatible YAML document", tok.start)
                version_seen = True
            else:
                self.append_tag_directive(tok.value, tok.suffix, False, tok.start)
            self.skip_token()
            tok = self.peek_token()
        for handle, prefix in _DEFAULT_TAG_DIRECTIVES:
            self.append_tag_directive(handle, prefix, True, tok.start)

    # parserc.go: yaml_parser_append_tag_directive
    def append_tag_directive(self, handle, prefix, allow_duplicates, mark):
        for h, _ in self.tag_directives:
            if h == handle:
                if allow_duplicates:
                    return
                self.parser_error("found duplicate %TAG directive", mark)
        self.tag_directives.append((handle, prefix))


# decode.go: parser (newParser)
class _Composer:
    """yaml.v3's decode.go parser: turns the event stream of the first document into YNodes."""

    def __init__(self, data):
        self.p = _Parser(data)
        self.event = None
        self.anchors = {}

    # decode.go: parser.fail
    def fail(self):
        p = self.p
        line = 0
        if p.context_mark[1] != 0:
            line = p.context_mark[1]
            if p.error == _ERR_SCANNER:
                line += 1
        elif p.problem_mark[1] != 0:
            line = p.problem_mark[1]
            if p.error == _ERR_SCANNER:
                line += 1
        where = "line %d: " % line if line != 0 else ""
        msg = p.problem or "unknown problem parsing YAML content"
        raise YAMLError("yaml: " + where + msg) from None

    # decode.go: the yaml_parser_parse calls of parser.peek and parser.expect
    def _parse_event(self):
        try:
            return self.p.parse()
        except _Stop:
            self.fail()

    # decode.go: parser.peek
    def peek(self):
        if self.event is None:
            self.event = self._parse_event()
            if self.p.error != _ERR_NONE:
                self.fail()
        ev = self.event
        return ev.typ if ev is not None else _E_NONE

    # decode.go: parser.expect
    def expect(self, typ):
        if self.event is None:
            self.event = self._parse_event()
        ev = self.event
        etyp = ev.typ if ev is not None else _E_NONE
        if etyp == _E_STREAM_END:
            raise YAMLError("yaml: attempted to go past the end of stream; corrupted value?")
        if etyp != typ:
            self.p.problem = "expected %s event but got %s" % (_EVENT_NAMES[typ], _EVENT_NAMES[etyp])
            self.fail()
        self.event = None

    # decode.go: parser.init, parser.parse, parser.document (the first document only)
    def document(self):
        """The first document's root node, or None when the stream has no document."""
        self.expect(_E_STREAM_START)
        typ = self.peek()
        if typ == _E_STREAM_END:
            return None
        if typ != _E_DOCUMENT_START:
            raise YAMLError("yaml: internal error: unexpected event at stream level")
        self.expect(_E_DOCUMENT_START)
        root = self.node()
        self.peek()
        self.expect(_E_DOCUMENT_END)
        return root

    # decode.go: parser.parse, parser.node, parser.scalar, parser.alias, parser.sequence, parser.mapping, parser.anchor
    def node(self):
        # Iterative version of parser.parse() (documents nest up to 10000 levels).
        stack = []  # (node, pending key or _NOKEY)
        while True:
            typ = self.peek()
            ev = self.event
            n = None
            if typ == _E_SCALAR:
                n = _scalar_node(ev.value, ev.tag, _STYLE_FLAGS[ev.style], ev.start[1] + 1, ev.start[2] + 1)
                if ev.anchor is not None:
                    n.anchor = ev.anchor
                    self.anchors[ev.anchor] = n
                self.expect(_E_SCALAR)
            elif typ == _E_ALIAS:
                n = YNode(ALIAS, "", ev.anchor, 0, ev.start[1] + 1, ev.start[2] + 1)
                target = self.anchors.get(ev.anchor)
                if target is None:
                    raise YAMLError("yaml: unknown anchor '%s' referenced" % ev.anchor)
                n.alias = target
                self.expect(_E_ALIAS)
            elif typ == _E_MAPPING_START or typ == _E_SEQUENCE_START:
                is_map = typ == _E_MAPPING_START
                tag = ev.tag
                style = 0
                if tag and tag != "!":
                    tag = _short_tag(tag)
                    style = STYLE_TAGGED
                else:
                    tag = "!!map" if is_map else "!!seq"
                if ev.flow:
                    style |= STYLE_FLOW
                c = YNode(NODE_MAP if is_map else SEQ, tag, [], style, ev.start[1] + 1, ev.start[2] + 1)
                if ev.anchor is not None:
                    c.anchor = ev.anchor
                    self.anchors[ev.anchor] = c
                self.expect(typ)
                stack.append([c, None])
                continue
            elif typ == _E_MAPPING_END or typ == _E_SEQUENCE_END:
                if not stack:
                    self._bad_event(typ)
                c = stack.pop()[0]
                self.expect(typ)
                n = c
            else:
                self._bad_event(typ)
            # Attach n to its parent.
            if not stack:
                return n
            top = stack[-1]
            parent = top[0]
            if parent.kind == SEQ:
                parent.value.append(n)
            elif top[1] is None:
                top[1] = n
            else:
                parent.value.append((top[1], n))
                top[1] = None

    # decode.go: the panics of parser.parse
    def _bad_event(self, typ):
        if typ == _E_DOCUMENT_START:
            # parse() on a DOCUMENT-START event inside a document cannot happen with yaml.v3's parser.
            raise YAMLError("yaml: internal error: unexpected document start")
        if typ == _E_STREAM_END:
            raise YAMLError("yaml: internal error: unexpected stream end")
        # A collection end without a start, or "none".
        raise YAMLError("yaml: internal error: attempted to parse unknown event: " + _EVENT_NAMES[typ])


# ---------------------------------------------------------------------------
# Nodes
# ---------------------------------------------------------------------------

NODE_MAP, SEQ, SCALAR, ALIAS = "map", "seq", "scalar", "alias"

# yaml.Node.Style bits.
STYLE_TAGGED, STYLE_DOUBLE, STYLE_SINGLE, STYLE_LITERAL, STYLE_FOLDED, STYLE_FLOW = 1, 2, 4, 8, 16, 32
_STYLE_FLAGS = {_S_ANY: 0, _S_PLAIN: 0, _S_SINGLE: STYLE_SINGLE, _S_DOUBLE: STYLE_DOUBLE,
                _S_LITERAL: STYLE_LITERAL, _S_FOLDED: STYLE_FOLDED}


# yaml.go: Node
class YNode:
    """One yaml.v3 ``yaml.Node`` of the first document (document node left out).

    ``kind``: "map" | "seq" | "scalar" | "alias".
    ``tag``: yaml.v3's Node.Tag: the explicit tag in short form when tagged (``!!str``,
    ``!foo``), else "!!map"/"!!seq", or for scalars "!!str" when quoted or block, "!!merge"
    for a plain ``<<``, otherwise the resolved tag of the plain value; "" for aliases.
    ``value``: str for scalars (for aliases: the anchor name); list of (key, value) pairs
    for maps; list of nodes for seqs.
    ``style``: yaml.Node.Style bits (STYLE_* constants; 0 = plain / block collection).
    ``line``/``column``: yaml.Node.Line/Column (1-based; columns count characters).
    ``anchor``: anchor name or "". ``alias``: for aliases, the anchored node.
    """

    __slots__ = ("kind", "tag", "value", "style", "line", "column", "anchor", "alias")

    def __init__(self, kind, tag, value, style, line, column):
        self.kind = kind
        self.tag = tag
        self.value = value
        self.style = style
        self.line = line
        self.column = column
        self.anchor = ""
        self.alias = None

    def __repr__(self):
        if self.kind == SCALAR:
            return "YNode(scalar %s %r @%d:%d)" % (self.tag, self.value, self.line, self.column)
        if self.kind == ALIAS:
            return "YNode(alias *%s @%d:%d)" % (self.value, self.line, self.column)
        return "YNode(%s %s n=%d @%d:%d)" % (self.kind, self.tag, len(self.value), self.line, self.column)

    @property
    def short_tag(self):
        """yaml.Node.ShortTag()."""
        n = self
        while n.kind == ALIAS:
            n = n.alias
        return n.tag


_LONG_PREFIX = "tag:yaml.org,2002:"


# resolve.go: shortTag
def _short_tag(tag):
    if tag.startswith(_LONG_PREFIX):
        return "!!" + tag[len(_LONG_PREFIX):]
    return tag


# decode.go: parser.scalar, parser.node
def _scalar_node(value, tag, node_style, line, column):
    # parser.scalar() + parser.node() of decode.go.
    if node_style == 0:
        default_tag = "!!merge" if value == "<<" else ""
    else:
        default_tag = "!!str"
    style = node_style
    if tag and tag != "!":
        tag = _short_tag(tag)
        style |= STYLE_TAGGED
    elif default_tag:
        tag = default_tag
    else:
        tag = _plain_tag(value)
    return YNode(SCALAR, tag, value, style, line, column)


# ---------------------------------------------------------------------------
# Scalar resolution (resolve.go) with Go's strconv and time.Parse rules
# ---------------------------------------------------------------------------

_HINT = {}
for _c in "+-":
    _HINT[_c] = "S"
for _c in "0123456789":
    _HINT[_c] = "D"
for _c in "yYnNtTfFoO~":
    _HINT[_c] = "M"
_HINT["."] = "."

_NAN = float("nan")
_RESOLVE_MAP = {}
for _v, _t, _l in ((True, "!!bool", ("true", "True", "TRUE")), (False, "!!bool", ("false", "False", "FALSE")),
                   (None, "!!null", ("", "~", "null", "Null", "NULL")),
                   (_NAN, "!!float", (".nan", ".NaN", ".NAN")),
                   (float("inf"), "!!float", (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")),
                   (float("-inf"), "!!float", ("-.inf", "-.Inf", "-.INF")),
                   ("<<", "!!merge", ("<<",))):
    for _s in _l:
        _RESOLVE_MAP[_s] = (_t, _v)

_RESOLVABLE = {"", "!!str", "!!bool", "!!int", "!!float", "!!null", "!!timestamp"}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_MAX_INT64 = (1 << 63) - 1
_MIN_INT64 = -(1 << 63)
_MAX_UINT64 = (1 << 64) - 1


# resolve.go: resolve (the uint64 results)
class GoUint64(int):
    """A value yaml.v3 resolves to Go's uint64 (integers above math.MaxInt64)."""
    __slots__ = ()


# resolve.go: resolve (the !!timestamp results)
class _Time:
    """A resolved !!timestamp (Go time.Time); ``value`` is a datetime (or None beyond Python's range)."""
    __slots__ = ("value", "text")

    def __init__(self, value, text):
        self.value = value
        self.text = text


_DIGIT_VAL = {c: i for i, c in enumerate("0123456789abcdefghijklmnopqrstuvwxyz")}


# strconv: ParseUint (Go 1.27 internal/strconv/atoi.go)
def _go_parse_uint(s, base):
    """strconv.ParseUint(s, base, 64) on a string without underscores; None on error."""
    if not s:
        return None
    if base == 0:
        base = 10
        if s[0] == "0":
            l1 = s[1:2].lower()
            if len(s) >= 3 and l1 == "b":
                base, s = 2, s[2:]
            elif len(s) >= 3 and l1 == "o":
                base, s = 8, s[2:]
            elif len(s) >= 3 and l1 == "x":
                base, s = 16, s[2:]
            else:
                base, s = 8, s[1:]
    n = 0
    for c in s:
        d = _DIGIT_VAL.get(c.lower() if "A" <= c <= "Z" else c)
        if d is None or d >= base:
            return None
        n = n * base + d
    if n > _MAX_UINT64:
        return None
    return n


# strconv: ParseInt (Go 1.27 internal/strconv/atoi.go)
def _go_parse_int(s, base):
    """strconv.ParseInt(s, base, 64); None on error."""
    if not s:
        return None
    neg = False
    if s[0] == "+":
        s = s[1:]
    elif s[0] == "-":
        neg = True
        s = s[1:]
    un = _go_parse_uint(s, base)
    if un is None:
        return None
    if not neg and un >= 1 << 63:
        return None
    if neg and un > 1 << 63:
        return None
    return -un if neg else un


# strconv: underscoreOK (Go 1.27 internal/strconv/atoi.go)
def _underscore_ok(s):
    saw = "^"
    i = 0
    if s and s[0] in "+-":
        s = s[1:]
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i = 2
        saw = "0"
        hexa = s[1].lower() == "x"
    while i < len(s):
        c = s[i]
        if "0" <= c <= "9" or (hexa and "a" <= c.lower() <= "f"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
        i += 1
    return saw != "_"


_DOT_FLOAT = re.compile(r"\.[0-9_]*(?:[eE][-+]?[0-9][0-9_]*)?\Z")


# strconv: ParseFloat (Go 1.27 internal/strconv/atof.go), for resolve.go's '.' hint
def _go_parse_float_dot(s):
    """strconv.ParseFloat(s, 64) for s starting with '.'; None on error."""
    if not _DOT_FLOAT.match(s):
        return None
    mant = s.split("e")[0].split("E")[0]
    if not any("0" <= c <= "9" for c in mant):
        return None
    if "_" in s and not _underscore_ok(s):
        return None
    try:
        f = float(s.replace("_", ""))
    except ValueError:
        return None
    if math.isinf(f):
        return None
    return f


# time: daysIn (src/time/time.go)
def _days_in(month, year):
    if month == 2:
        return 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28
    return (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]


# time: getnum (src/time/format.go)
def _getnum(s, fixed):
    if not s or not ("0" <= s[0] <= "9"):
        return None, s
    if len(s) < 2 or not ("0" <= s[1] <= "9"):
        if fixed:
            return None, s
        return ord(s[0]) - 48, s[1:]
    return (ord(s[0]) - 48) * 10 + ord(s[1]) - 48, s[2:]


# time: Parse, parse (src/time/format.go) for the layouts of allowedTimestampFormats
def _time_parse(layout_kind, v):
    """time.Parse for yaml.v3's four timestamp layouts; a datetime-ish tuple or None.

    layout_kind: 0 "2006-1-2T15:4:5.999999999Z07:00", 1 same with 't',
    2 "2006-1-2 15:4:5.999999999", 3 "2006-1-2".
    """
    if len(v) < 4 or not v[0].isdigit() or not v[:4].isascii():
        return None
    try:
        year = int(v[:4]) if v[:4].isdigit() else None
    except ValueError:
        return None
    if year is None:
        return None
    v = v[4:]
    if not v.startswith("-"):
        return None
    month, v = _getnum(v[1:], False)
    if month is None or month <= 0 or month > 12:
        return None
    if not v.startswith("-"):
        return None
    day, v = _getnum(v[1:], False)
    if day is None:
        return None
    hour = minute = sec = nsec = 0
    offset = None
    if layout_kind != 3:
        if layout_kind == 2:
            # A space in the layout matches one or more spaces (or nothing at the end).
            if v and v[0] != " ":
                return None
            v = v.lstrip(" ")
        else:
            sep = "T" if layout_kind == 0 else "t"
            if not v.startswith(sep):
                return None
            v = v[1:]
        hour, v = _getnum(v, False)
        if hour is None or hour >= 24:
            return None
        if not v.startswith(":"):
            return None
        minute, v = _getnum(v[1:], False)
        if minute is None or minute >= 60:
            return None
        if not v.startswith(":"):
            return None
        sec, v = _getnum(v[1:], False)
        if sec is None or sec >= 60:
            return None
        # .999999999: optional fraction, '.' or ','.
        if len(v) >= 2 and v[0] in ".," and "0" <= v[1] <= "9":
            i = 0
            while i + 1 < len(v) and "0" <= v[i + 1] <= "9":
                i += 1
            nb = 1 + i
            digits = v[1:min(nb, 10)]
            nsec = int(digits) * 10 ** (10 - min(nb, 10))
            v = v[nb:]
        if layout_kind in (0, 1):
            if v.startswith("Z"):
                offset = None  # time.UTC
                v = v[1:]
            else:
                if len(v) < 6 or v[3] != ":":
                    return None
                sign, hh, mm, v = v[0], v[1:3], v[4:6], v[6:]
                hr, _ = _getnum(hh, True)
                mi, _ = _getnum(mm, True) if hr is not None else (None, "")
                if hr is None or mi is None:
                    return None
                if hr > 24 or mi > 60:
                    return None
                offset = (hr * 60 + mi) * 60
                if sign == "-":
                    offset = -offset
                elif sign != "+":
                    return None
    if v:
        return None
    if day < 1 or day > _days_in(month, year):
        return None
    return (year, month, day, hour, minute, sec, nsec, offset)


# resolve.go: parseTimestamp, allowedTimestampFormats
def _parse_timestamp(s):
    i = 0
    while i < len(s) and "0" <= s[i] <= "9":
        i += 1
    if i != 4 or i == len(s) or s[i] != "-":
        return None
    for kind in (0, 1, 2, 3):
        r = _time_parse(kind, s)
        if r is not None:
            return r
    return None


# GoTime, made with the first timestamp: importing datetime costs start-up time, and few
# configs hold a timestamp. The module's GoTime attribute makes it (see __getattr__).
_GoTime = None


def _go_time_class():
    global _GoTime
    if _GoTime is None:
        import datetime

        class GoTime(datetime.datetime):
            """A !!timestamp decoded into interface{} (Go's time.Time): a datetime, plus the exact
            ``nanosecond`` and ``go_zone`` ("UTC" or "fixed", for %#v)."""

            nanosecond = 0
            go_zone = "UTC"

        GoTime.__qualname__ = "GoTime"
        _GoTime = GoTime
    return _GoTime


def __getattr__(name):
    if name == "GoTime":
        return _go_time_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# time: Date (src/time/time.go), for parseTimestamp's result
def _make_time(parts, text):
    import datetime

    GoTime = _go_time_class()
    year, month, day, hour, minute, sec, nsec, offset = parts
    try:
        if offset:
            try:
                tz = datetime.timezone(datetime.timedelta(seconds=offset))
                dt = GoTime(year, month, day, hour, minute, sec, nsec // 1000, tzinfo=tz)
            except ValueError:  # offsets of 24h and more: keep the instant, in UTC
                base = datetime.datetime(year, month, day, hour, minute, sec, nsec // 1000)
                base -= datetime.timedelta(seconds=offset)
                dt = GoTime(base.year, base.month, base.day, base.hour, base.minute, base.second,
                            base.microsecond, tzinfo=datetime.timezone.utc)
            dt.go_zone = "fixed"
        else:
            dt = GoTime(year, month, day, hour, minute, sec, nsec // 1000, tzinfo=datetime.timezone.utc)
            if offset == 0:
                dt.go_zone = "fixed"
        dt.nanosecond = nsec
    except (ValueError, OverflowError):
        dt = None
    return _Time(dt, text)


_RESOLVE_CACHE = {}


# resolve.go: resolve (memoised)
def _resolve_core(tag, s):
    """resolve() without the final tag check: (rtag, value) (memoised for short values)."""
    key = (tag, s)
    r = _RESOLVE_CACHE.get(key)
    if r is None:
        r = _resolve_uncached(tag, s)
        if len(s) <= 64:
            if len(_RESOLVE_CACHE) > 50000:
                _RESOLVE_CACHE.clear()
            _RESOLVE_CACHE[key] = r
    return r


# resolve.go: resolve (the hint switch)
def _resolve_uncached(tag, s):
    hint = _HINT.get(s[0], "") if s else "N"
    if hint and tag != "!!str" and tag != "!!binary":
        item = _RESOLVE_MAP.get(s)
        if item is not None:
            return item
        if hint == ".":
            f = _go_parse_float_dot(s)
            if f is not None:
                return "!!float", f
        elif hint == "D" or hint == "S":
            if tag == "" or tag == "!!timestamp":
                ts = _parse_timestamp(s)
                if ts is not None:
                    return "!!timestamp", _make_time(ts, s)
            plain = s.replace("_", "")
            iv = _go_parse_int(plain, 0)
            if iv is not None:
                return "!!int", iv
            uv = _go_parse_uint(plain, 0)
            if uv is not None:
                return "!!int", GoUint64(uv)
            if _YAML_STYLE_FLOAT.match(plain):
                try:
                    f = float(plain)
                except ValueError:
                    f = None
                if f is not None and not math.isinf(f):
                    return "!!float", f
            if plain.startswith("0b"):
                iv = _go_parse_int(plain[2:], 2)
                if iv is not None:
                    return "!!int", iv
                uv = _go_parse_uint(plain[2:], 2)
                if uv is not None:
                    return "!!int", GoUint64(uv)
            elif plain.startswith("-0b"):
                iv = _go_parse_int("-" + plain[3:], 2)
                if iv is not None:
                    return "!!int", iv
            if plain.startswith("0o"):
                iv = _go_parse_int(plain[2:], 8)
                if iv is not None:
                    return "!!int", iv
                uv = _go_parse_uint(plain[2:], 8)
                if uv is not None:
                    return "!!int", GoUint64(uv)
            elif plain.startswith("-0o"):
                iv = _go_parse_int("-" + plain[3:], 8)
                if iv is not None:
                    return "!!int", iv
    return "!!str", s


# resolve.go: resolvableTag, resolve (the final tag check)
def _resolve(tag, s):
    """yaml.v3 resolve(tag, in): (rtag, value). Raises YAMLError for impossible explicit tags."""
    tag = _short_tag(tag)
    if tag not in _RESOLVABLE:
        return tag, s
    rtag, out = _resolve_core(tag, s)
    if tag in ("", rtag, "!!str", "!!binary"):
        return rtag, out
    if tag == "!!float" and rtag == "!!int" and type(out) is int:
        return "!!float", float(out)
    raise YAMLError("yaml: cannot decode %s `%s` as a %s" % (_short_tag(rtag), s, _short_tag(tag)))


_STR_FIRST = frozenset(_HINT)


# resolve.go: resolve("", s) as decode.go's parser.node uses it for untagged plain scalars
def _plain_tag(s):
    """The tag yaml.v3 gives an untagged plain scalar."""
    if s and s[0] not in _STR_FIRST:
        return "!!str"
    return _resolve_core("", s)[0]


# ---------------------------------------------------------------------------
# Fast path: libyaml's C parser (ruamel.yaml.clib) for inputs where it agrees with yaml.v3
# ---------------------------------------------------------------------------

class _NeedSlow(Exception):
    pass


# Inputs with any of these go straight to the port: yaml.v3 and libyaml 0.1.7 differ on tabs
# (yaml.v3 rejects some tab uses and accepts tab-indented comment lines), directives, explicit
# "? " keys (yaml.v3 moves block-end marks, which become positions of empty values), BOMs
# past the start (yaml.v3 checks the *buffer start* for a BOM), NEL/LS/PS line breaks, and
# characters yaml.v3 refuses, and the "\\/" escape (this libyaml accepts it, yaml.v3 does not).
# Characters that send an input to the port: BOMs past the start (yaml.v3 looks for a BOM
# at the start of its *buffer*), NEL/LS/PS line breaks, and everything yaml.v3's reader
# refuses. Spelled and compiled as _BAD_CHARS is, for the same reason.
_FAST_BAD_CHARS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"

# ruamel.yaml.clib's extension module, driven below with its event classes swapped for ours.
# That is not its public interface (ruamel.yaml.cyaml.CParser is, but building ruamel's event
# objects costs about half again the parse time), so pyproject.toml pins the clib series this
# works with, and tests/test_go_yaml.py fails if the fast path stops working. Imported on first
# use (see _c_module): it imports all of ruamel.yaml.
_ruamel_module = None  # the module; False when it cannot be imported

# The port parses a process's first inputs, up to this many bytes in all; the C parser is
# imported for the input that would go past it. The port takes 0.3 to 1.3 µs a byte, and
# importing the C parser about 17 ms of CPU time: a command on a small config is done before
# the import would have paid for itself, and one on many configs (check) pays it once.
_PORT_BUDGET = 16 * 1024
_port_bytes_left = _PORT_BUDGET


def _c_module():
    """ruamel.yaml.clib's extension module, imported on first use; None without it."""
    global _ruamel_module
    if _ruamel_module is None:
        try:
            import _ruamel_yaml
        except ImportError:  # pragma: no cover - the port handles everything, only slower
            _ruamel_module = False
        else:
            _ruamel_module = _ruamel_yaml
    return _ruamel_module or None


def _try_c_parser(size: int) -> bool:
    """Whether an input of ``size`` bytes goes to the C parser first (see _PORT_BUDGET)."""
    global _port_bytes_left
    if _ruamel_module is None and size < _port_bytes_left:
        _port_bytes_left -= size
        return False
    return True


def _fast_ok(data):
    """Whether libyaml's result can be used for ``data`` (when libyaml accepts it)."""
    if _c_module() is None:
        return False
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if not text.isascii():
        if re.search(_FAST_BAD_CHARS, text):
            return False
    elif data.translate(None, _ASCII_TEXT):
        return False
    # Tabs in leading whitespace: yaml.v3 rejects them where a plain scalar continues
    # ("found a tab character that violates indentation") and accepts tab-indented comment
    # lines after a comment; libyaml does the opposite.
    if "\t" in text and re.search(_LEADING_TAB, text, re.M):
        return False
    # Directives; explicit "? " keys (yaml.v3 moves block-end marks, which become positions
    # of empty values); the "\/" escape (this libyaml accepts it, yaml.v3 does not).
    if text[:1] == "%" or "\n%" in text or "\r%" in text or "\\/" in text:
        return False
    if "?" in text and re.search(_EXPLICIT_KEY, text, re.M):
        return False
    return True


# Compiled on first use (re caches them), as only inputs for the C parser need them.
_LEADING_TAB = "(?:^|\r)[ ]*\t"
_EXPLICIT_KEY = "(?:^|[ \t\r\\[{,])\\?(?:[ \t\r\n]|\\Z)"
_END = object()
_STREAM_START = object()
_STREAM_END = object()
_DOC_START = object()
_DOC_END = object()
_C_STYLES = {"'": STYLE_SINGLE, '"': STYLE_DOUBLE, "|": STYLE_LITERAL, ">": STYLE_FOLDED}


# Stand-ins for ruamel's event classes while libyaml parses for us: they build YNodes
# directly (ruamel's CParser calls the event classes of its module by name).
def _ev_scalar(anchor, tag, implicit, value, sm, em, style):
    if tag is not None:
        raise _NeedSlow
    if not style:
        if value == "<<":
            n = YNode(SCALAR, "!!merge", value, 0, sm.line + 1, sm.column + 1)
        elif value and value[0] not in _STR_FIRST:
            n = YNode(SCALAR, "!!str", value, 0, sm.line + 1, sm.column + 1)
        else:
            n = YNode(SCALAR, _plain_tag(value), value, 0, sm.line + 1, sm.column + 1)
    else:
        n = YNode(SCALAR, "!!str", value, _C_STYLES[style], sm.line + 1, sm.column + 1)
    if anchor is not None:
        n.anchor = anchor
    return n


def _ev_mapping_start(anchor, tag, implicit, sm, em, flow):
    if tag is not None:
        raise _NeedSlow
    n = YNode(NODE_MAP, "!!map", [], STYLE_FLOW if flow else 0, sm.line + 1, sm.column + 1)
    if anchor is not None:
        n.anchor = anchor
    return n


def _ev_sequence_start(anchor, tag, implicit, sm, em, flow):
    if tag is not None:
        raise _NeedSlow
    n = YNode(SEQ, "!!seq", [], STYLE_FLOW if flow else 0, sm.line + 1, sm.column + 1)
    if anchor is not None:
        n.anchor = anchor
    return n


def _ev_alias(anchor, sm, em):
    return YNode(ALIAS, "", anchor, 0, sm.line + 1, sm.column + 1)


_EVENT_STANDINS = {
    "ScalarEvent": _ev_scalar,
    "MappingStartEvent": _ev_mapping_start,
    "SequenceStartEvent": _ev_sequence_start,
    "AliasEvent": _ev_alias,
    "MappingEndEvent": lambda *a: _END,
    "SequenceEndEvent": lambda *a: _END,
    "StreamStartEvent": lambda *a: _STREAM_START,
    "StreamEndEvent": lambda *a: _STREAM_END,
    "DocumentStartEvent": lambda *a: _DOC_START,
    "DocumentEndEvent": lambda *a: _DOC_END,
}


# Held while the stand-ins are in place: two threads swapping them at once could leave them
# installed for good (the second would save and later restore the first one's stand-ins).
_SWAP_LOCK = allocate_lock()  # threading.Lock, without importing threading (start-up time)


def _parse_fast(data):
    """Compose the first document with libyaml; raises _NeedSlow when the port must decide."""
    with _SWAP_LOCK:
        return _parse_fast_locked(data)


def _parse_fast_locked(data):
    mod = _c_module()
    saved = {name: getattr(mod, name) for name in _EVENT_STANDINS}
    try:
        for name, f in _EVENT_STANDINS.items():
            setattr(mod, name, f)
        p = mod.CParser(data)
        get = p.get_event
        if get() is not _STREAM_START:
            raise _NeedSlow
        ev = get()
        if ev is _STREAM_END:
            return None
        if ev is not _DOC_START:
            raise _NeedSlow
        root = _compose_fast(get)
        if get() is not _DOC_END or p.peek_event() is not _STREAM_END:
            raise _NeedSlow
        return root
    except _NeedSlow:
        raise
    except Exception:
        raise _NeedSlow
    finally:
        for name, f in saved.items():
            setattr(mod, name, f)


def _compose_fast(get):
    anchors = {}
    stack = []
    cur = None
    key = None  # pending key of the innermost mapping
    while True:
        n = get()
        if n is _END:
            n = cur
            if not stack:
                return n
            cur, key = stack.pop()
        else:
            if n.anchor:
                anchors[n.anchor] = n
            k = n.kind
            if k is not SCALAR:
                if k is ALIAS:
                    target = anchors.get(n.value)
                    if target is None:
                        raise _NeedSlow
                    n.alias = target
                elif k is NODE_MAP or k is SEQ:
                    if cur is not None:
                        stack.append((cur, key))
                        if len(stack) > 9000:
                            # yaml.v3 refuses more than 10000 levels (libyaml does not).
                            raise _NeedSlow
                    cur = n
                    key = None
                    continue
                else:
                    raise _NeedSlow
        if cur is None:
            return n
        if cur.kind is SEQ:
            cur.value.append(n)
        elif key is None:
            key = n
        else:
            cur.value.append((key, n))
            key = None


def _parse_slow(data):
    return _Composer(data).document()


def parse(data: bytes):
    """yaml.v3's node tree of the first document of ``data`` (None when there is none).

    What ``yaml.Unmarshal`` / ``Decoder.Decode`` parse (both parse identically; they differ
    only for empty input, where Unmarshal leaves its target untouched and Decode returns
    io.EOF, "EOF"). Raises YAMLError with yaml.v3's message for syntax errors.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    gc_was = gc.isenabled()
    gc.disable()  # many small acyclic objects: collections would only cost time
    try:
        if _try_c_parser(len(data)) and _fast_ok(data):
            try:
                return _parse_fast(data)
            except _NeedSlow:
                pass
        return _parse_slow(data)
    finally:
        if gc_was:
            gc.enable()


# ---------------------------------------------------------------------------
# Decoding (decode.go's decoder)
# ---------------------------------------------------------------------------

# Go runtime panics that yaml.v3 does not recover from
class GoPanic(YAMLError):
    """Where yaml.v3 (and so Butane) would crash with a Go runtime panic instead of returning."""


_UNSET = object()  # destination left untouched
_NIL = object()  # destination set to nil (pointer, slice, map, interface)

# decode.go: decoder.mapping (generalMapType)
class GoAnyMap(dict):
    """An interface{} map whose keys are not all strings (Go's map[interface{}]interface{})."""
    __slots__ = ()


_ANY_SMAP = GoType(MAP, "map[string]interface {}", ANY_T)
_ANY_GMAP = GoType(MAP, "map[interface {}]interface {}", ANY_T)
_FIELDS = {}

_TRUE_WORDS = frozenset(("y", "Y", "yes", "Yes", "YES", "on", "On", "ON"))
_FALSE_WORDS = frozenset(("n", "N", "no", "No", "NO", "off", "Off", "OFF"))
_TWO63 = float(1 << 63)


# yaml.go: getStructInfo (here: the fields of a GoType)
def _fields(t):
    f = _FIELDS.get(t)
    if f is None:
        f = _FIELDS[t] = dict(t.fields)
    return f


# reflect.Zero
def _zero(t):
    k = t.kind
    if k == STRUCT:
        return {}
    if k == STRING:
        return ""
    if k == INT:
        return 0
    if k == BOOL:
        return False
    return None


def _float_to_int(f):
    # Go's int64(f) on amd64: truncation; NaN and out-of-range values give MinInt64.
    if f != f or f >= _TWO63 or f < -_TWO63:
        return _MIN_INT64
    return int(f)


# fmt/format.go: fmtQ (strconv.Quote), what %#v prints for a string
def _go_quote(s):
    """strconv.Quote (what %#v prints for a string)."""
    out = ['"']
    b = s.encode("utf-8", "surrogateescape")
    i = 0
    while i < len(b):
        c = b[i]
        if c < 0x80:
            ch = chr(c)
            if ch == '"' or ch == "\\":
                out.append("\\" + ch)
            elif 0x20 <= c < 0x7F:
                out.append(ch)
            elif ch in _GO_ESC:
                out.append(_GO_ESC[ch])
            else:
                out.append("\\x%02x" % c)
            i += 1
            continue
        w = _utf8_width(c)
        try:
            ch = b[i:i + w].decode("utf-8") if w else None
        except UnicodeDecodeError:
            ch = None
        if ch is None:
            out.append("\\x%02x" % c)
            i += 1
            continue
        if _go_printable(ch):
            out.append(ch)
        elif ord(ch) < 0x10000:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append("\\U%08x" % ord(ch))
        i += w
    out.append('"')
    return "".join(out)


_GO_ESC = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


# unicode/graphic.go: IsPrint
def _go_printable(ch):
    # unicode.IsPrint: letters, marks, numbers, punctuation, symbols and U+0020.
    if ch == " ":
        return True
    cat = unicodedata.category(ch)
    return cat[0] in "LMNPS"


# fmt/print.go: printValue (%#v), for decode.go's %#v messages
def _go_repr(v):
    """fmt's %#v for the values a yaml.v3 interface{} can hold (best effort)."""
    if v is None:
        return "interface {}(nil)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, GoUint64):
        return "0x%x" % v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _go_float(v)
    if isinstance(v, str):
        return _go_quote(v)
    if _GoTime is not None and isinstance(v, _GoTime):
        zone = "time.UTC" if v.go_zone == "UTC" else 'time.Location("")'
        return "time.Date(%d, time.%s, %d, %d, %d, %d, %d, %s)" % (
            v.year, v.strftime("%B"), v.day, v.hour, v.minute, v.second, v.nanosecond, zone)
    if isinstance(v, list):
        return "[]interface {}{" + ", ".join(_go_repr(x) for x in v) + "}"
    if isinstance(v, GoAnyMap):
        return "map[interface {}]interface {}{" + ", ".join(
            "%s:%s" % (_go_repr(k), _go_repr(x)) for k, x in v.items()) + "}"
    if isinstance(v, dict):
        return "map[string]interface {}{" + ", ".join(
            "%s:%s" % (_go_repr(k), _go_repr(x)) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))) + "}"
    return repr(v)


# fmt/format.go: fmtFloat (%#v of a float64)
def _go_float(f):
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    r = repr(f)
    if "e" in r:
        mant, exp = r.split("e")
        if mant.endswith(".0"):
            mant = mant[:-2]
        sign = "-" if exp.startswith("-") else "+"
        exp = exp.lstrip("+-")
        r = "%se%s%02d" % (mant, sign, int(exp))
    elif r.endswith(".0"):
        r = r[:-2]
        if len(r.lstrip("-")) > 21:
            r = "%e" % f
    return r


# runtime/alg.go: map keys of interface type (and their hash panics)
def _gokey(v):
    """A hashable stand-in for a Go interface{} value used as a map key (typed like Go)."""
    if v is None:
        return ("nil",)
    t = type(v)
    if t is str:
        return ("str", v)
    if t is bool:
        return ("bool", v)
    if t is int:
        return ("int", v)
    if t is GoUint64:
        return ("uint64", int(v))
    if t is float:
        return ("float", v)
    if t is _GoTime or t is _Time:
        return ("time", str(v))
    if t is GoAnyMap:
        raise GoPanic("runtime error: hash of unhashable type map[interface {}]interface {}")
    if t is dict:
        raise GoPanic("runtime error: hash of unhashable type map[string]interface {}")
    if t is list:
        raise GoPanic("runtime error: hash of unhashable type []interface {}")
    return ("other", repr(v))


# encoding/base64: StdEncoding.DecodeString (decode.go: decoder.scalar, !!binary)
def _b64decode(s):
    """encoding/base64 StdEncoding.DecodeString (ignores \\r and \\n); None when invalid."""
    s = s.replace("\r", "").replace("\n", "")
    if len(s) % 4:
        return None
    if not re.match(_B64, s):
        return None
    try:
        return binascii.a2b_base64(s.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError):
        return None


# Compiled on first use (re caches it): only !!binary scalars need it.
_B64 = r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z"


# decode.go: decoder.scalar into interface{}
def _any_value(r):
    if type(r) is _Time:
        return r.value if r.value is not None else r.text
    return r


# decode.go: decoder (newDecoder)
class _Decoder:
    def __init__(self):
        self.terrors = []
        self.decode_count = 0
        self.alias_count = 0
        self.alias_depth = 0
        self.active = set()
        self.merged = None

    # yaml.go: failf
    def fail(self, msg):
        raise YAMLError("yaml: " + msg)

    # decode.go: allowedAliasRatio and the aliasing check of decoder.unmarshal
    def _excessive(self):
        dc = self.decode_count
        ac = self.alias_count
        if dc <= 1000:
            return
        if dc <= 400000:
            allowed = 0.99
        elif dc >= 4000000:
            allowed = 0.10
        else:
            allowed = 0.99 - 0.89 * ((dc - 400000) / 3600000.0)
        if ac / dc > allowed:
            self.fail("document contains excessive aliasing")

    # decode.go: decoder.unmarshal, decoder.prepare (pointers)
    def unmarshal(self, n, t, cur):
        self.decode_count += 1
        if self.alias_depth > 0:
            self.alias_count += 1
        if self.alias_count > 100:
            self._excessive()
        kind = n.kind
        if kind == ALIAS:
            return self.alias(n, t, cur)
        if t.kind == PTR and n.tag != "!!null":
            # prepare(): allocate and dereference pointers.
            et = t.elem
            while et.kind == PTR:
                et = et.elem
            good, v = self._dispatch(n, kind, et, cur)
            if v is _UNSET:
                v = cur if cur is not _UNSET and cur is not None else _zero(et)
            return good, v
        return self._dispatch(n, kind, t, cur)

    # decode.go: the kind switch of decoder.unmarshal
    def _dispatch(self, n, kind, t, cur):
        if kind == SCALAR:
            return self.scalar(n, t)
        if kind == NODE_MAP:
            return self.mapping(n, t, cur)
        return self.sequence(n, t)

    # decode.go: decoder.alias
    def alias(self, n, t, cur):
        if n in self.active:
            self.fail("anchor '%s' value contains itself" % n.value)
        self.active.add(n)
        self.alias_depth += 1
        res = self.unmarshal(n.alias, t, cur)
        self.alias_depth -= 1
        self.active.discard(n)
        return res

    # decode.go: decoder.terror
    def terror(self, n, tag, t):
        if n.tag:
            tag = n.tag
        if tag != "!!seq" and tag != "!!map":
            value = n.value if n.kind == SCALAR else ""
            b = value.encode("utf-8", "surrogateescape")
            if len(b) > 10:
                disp = " `" + b[:7].decode("utf-8", "surrogateescape") + "...`"
            else:
                disp = " `" + value + "`"
        else:
            disp = ""
        self.terrors.append("line %d: cannot unmarshal %s%s into %s" % (n.line, _short_tag(tag), disp, t.name))

    # decode.go: decoder.null
    def null(self, t):
        if t.kind in (ANY, PTR, MAP, SLICE):
            return True, _NIL
        return False, _UNSET

    # decode.go: decoder.scalar
    def scalar(self, n, t):
        tag = n.tag
        value = n.value
        if tag == "!!str":
            resolved = value
        else:
            tag, resolved = _resolve(tag, value)
            if tag == "!!binary":
                data = _b64decode(resolved)
                if data is None:
                    self.fail("!!binary value contains invalid base64 data")
                resolved = data.decode("utf-8", "surrogateescape")
        if resolved is None:
            return self.null(t)
        k = t.kind
        if k == STRING:
            return True, (resolved if tag == "!!binary" else value)
        if k == ANY:
            return True, _any_value(resolved)
        rt = type(resolved)
        if k == INT:
            if rt is int:
                return True, resolved
            if rt is GoUint64:
                if resolved <= _MAX_INT64:
                    return True, int(resolved)
            elif rt is float:
                if resolved <= _TWO63:
                    return True, _float_to_int(resolved)
        elif k == BOOL:
            if rt is bool:
                return True, resolved
            if rt is str:
                if resolved in _TRUE_WORDS:
                    return True, True
                if resolved in _FALSE_WORDS:
                    return True, False
        self.terror(n, tag, t)
        return False, _UNSET

    # decode.go: decoder.sequence
    def sequence(self, n, t):
        k = t.kind
        if k == SLICE:
            et = t.elem
        elif k == ANY:
            et = ANY_T
        else:
            self.terror(n, "!!seq", t)
            return False, _UNSET
        out = []
        for c in n.value:
            good, v = self.unmarshal(c, et, _UNSET)
            if good:
                if v is _UNSET:
                    v = _zero(et)
                elif v is _NIL:
                    v = None
                out.append(v)
        return True, out

    # decode.go: the duplicate-key check of decoder.mapping
    def _check_dups(self, n):
        items = n.value
        if len(items) < 2:
            return True
        if len({k.value if k.kind is SCALAR or k.kind is ALIAS else "" for k, _ in items}) == len(items):
            return True
        seen = {}
        dup = False
        for idx, (k, _) in enumerate(items):
            key = (k.kind, k.value if k.kind == SCALAR or k.kind == ALIAS else "")
            lst = seen.get(key)
            if lst is None:
                seen[key] = [idx]
            else:
                lst.append(idx)
                dup = True
        if not dup:
            return True
        for idx, (k, _) in enumerate(items):
            key = (k.kind, k.value if k.kind == SCALAR or k.kind == ALIAS else "")
            for j in seen[key]:
                if j > idx:
                    nj = items[j][0]
                    self.terrors.append("line %d: mapping key %s already defined at line %d"
                                        % (nj.line, _go_quote(key[1]), k.line))
        return False

    # decode.go: decoder.mapping
    def mapping(self, n, t, cur):
        if not self._check_dups(n):
            return False, _UNSET
        k = t.kind
        if k == STRUCT:
            return self.mapping_struct(n, t, cur)
        if k == MAP:
            key_t = ANY_T if t is _ANY_GMAP else STRING_T
            return self.mapping_map(n, t, cur, key_t, t.elem, True)
        if k == ANY:
            if all(kk.short_tag in ("!!str", "!!merge") for kk, _ in n.value):
                return self.mapping_map(n, _ANY_SMAP, _UNSET, STRING_T, ANY_T, False)
            return self.mapping_map(n, _ANY_GMAP, _UNSET, ANY_T, ANY_T, False)
        self.terror(n, "!!map", t)
        return False, _UNSET

    # decode.go: decoder.mapping (into a map or interface{})
    def mapping_map(self, n, t, cur, key_t, et, can_be_new):
        merged = self.merged
        self.merged = None
        map_is_new = False
        if isinstance(cur, dict):
            out = cur
        else:
            out = GoAnyMap() if t is _ANY_GMAP else {}
            map_is_new = can_be_new
        merge_node = None
        for kn, vn in n.value:
            if _is_merge(kn):
                merge_node = vn
                continue
            good, kv = self.unmarshal(kn, key_t, _UNSET)
            if not good:
                continue
            if kv is _UNSET:
                kv = _zero(key_t)
            elif kv is _NIL:
                kv = None
            if merged is not None:
                gk = _gokey(kv)
                if gk in merged:
                    continue
                merged.add(gk)
            if isinstance(kv, (dict, list)):
                self.fail("invalid map key: %s" % _go_repr(kv))
            good, ev = self.unmarshal(vn, et, _UNSET)
            if good or (vn.short_tag == "!!null" and (map_is_new or kv not in out)):
                if ev is _UNSET:
                    ev = _zero(et)
                elif ev is _NIL:
                    ev = None
                out[kv] = ev
        self.merged = merged
        if merge_node is not None:
            self.merge(n, merge_node, t, out)
        return True, out

    # decode.go: decoder.mappingStruct
    def mapping_struct(self, n, t, cur):
        out = cur if isinstance(cur, dict) else {}
        fields = _fields(t)
        merged = self.merged
        self.merged = None
        done = set()
        merge_node = None
        for kn, vn in n.value:
            if kn.kind == SCALAR and kn.tag == "!!str":
                # Fast path of d.unmarshal(key, name) for a plain string key.
                self.decode_count += 1
                if self.alias_depth > 0:
                    self.alias_count += 1
                if self.alias_count > 100:
                    self._excessive()
                name = kn.value
            else:
                if _is_merge(kn):
                    merge_node = vn
                    continue
                good, name = self.unmarshal(kn, STRING_T, _UNSET)
                if not good:
                    continue
                if name is _UNSET:
                    name = ""
            if merged is not None:
                gk = ("str", name)
                if gk in merged:
                    continue
                merged.add(gk)
            ft = fields.get(name)
            if ft is not None:
                if name in done:
                    self.terrors.append("line %d: field %s already set in type %s" % (kn.line, name, t.name))
                    continue
                done.add(name)
                if vn.kind is SCALAR and vn.tag == "!!str" and (
                        ft.kind == STRING or (ft.kind == PTR and ft.elem.kind == STRING)):
                    # Fast path of d.unmarshal(value, field) for a string into a (*)string.
                    self.decode_count += 1
                    if self.alias_depth > 0:
                        self.alias_count += 1
                    if self.alias_count > 100:
                        self._excessive()
                    out[name] = vn.value
                    continue
                good, v = self.unmarshal(vn, ft, out.get(name, _UNSET))
                if v is not _UNSET:
                    if v is _NIL:
                        out.pop(name, None)
                    else:
                        out[name] = v
        self.merged = merged
        if merge_node is not None:
            self.merge(n, merge_node, t, out)
        return True, out

    # decode.go: decoder.merge
    def merge(self, parent, mn, t, out):
        merged = self.merged
        if merged is None:
            self.merged = set()
            for kn, _ in parent.value:
                good, kv = self.unmarshal(kn, ANY_T, _UNSET)
                if good:
                    self.merged.add(_gokey(None if kv is _NIL or kv is _UNSET else kv))
        k = mn.kind
        if k == NODE_MAP:
            self.unmarshal(mn, t, out)
        elif k == ALIAS:
            if mn.alias is not None and mn.alias.kind != NODE_MAP:
                self.fail("map merge requires map or sequence of maps as the value")
            self.unmarshal(mn, t, out)
        elif k == SEQ:
            for ni in mn.value:
                if ni.kind == ALIAS:
                    if ni.alias is not None and ni.alias.kind != NODE_MAP:
                        self.fail("map merge requires map or sequence of maps as the value")
                elif ni.kind != NODE_MAP:
                    self.fail("map merge requires map or sequence of maps as the value")
                self.unmarshal(ni, t, out)
        else:
            self.fail("map merge requires map or sequence of maps as the value")
        self.merged = merged


# decode.go: isMerge
def _is_merge(n):
    return n.kind == SCALAR and n.value == "<<" and n.tag == "!!merge"


# yaml.go: unmarshal (handleErr, TypeError.Error); decode.go: decoder.unmarshal of the document
def decode(node, t: GoType):
    """yaml.v3's decoding of ``node`` (from parse) into a Go value of type ``t``.

    Returns Python values:

    * struct → dict of the fields the decoder assigned (keys from ``t.fields``). A field
      yaml.v3 leaves untouched (null into a non-pointer string/int/bool/struct, unknown keys)
      is absent; a field it sets to nil (null into a pointer, slice, map or interface) is
      absent too. An assigned zero value (``x: ""``, ``x: {}``) is present.
    * pointer → the pointee (a present null → Go nil → absent / None); ``**T`` likewise.
    * slice → list (elements that yaml.v3 drops — null into a non-pointer element — are
      dropped; nil pointer/slice/map/interface elements are None); map → dict (map keys
      are the strings Go would have); int → int; bool → bool; string → str (bytes from
      ``!!binary`` that are not UTF-8 come back as surrogate escapes).
    * interface{} → None / bool / int (GoUint64 above MaxInt64) / float / str / list /
      dict (GoAnyMap when yaml.v3 makes a map[interface{}]interface{}) / GoTime.

    ``node`` None (no document) leaves the target untouched: {} for structs, the zero value
    otherwise. Raises YAMLError with yaml.v3's message (GoPanic where Go would panic).
    """
    if node is None:
        return _zero(t)
    d = _Decoder()
    d.decode_count = 1  # the document node
    limit = sys.getrecursionlimit()
    if limit < 60000:
        sys.setrecursionlimit(60000)
    gc_was = gc.isenabled()
    gc.disable()
    try:
        good, v = d.unmarshal(node, t, {} if t.kind == STRUCT else _UNSET)
    finally:
        if gc_was:
            gc.enable()
        if limit < 60000:
            sys.setrecursionlimit(limit)
    if d.terrors:
        raise YAMLError("yaml: unmarshal errors:\n  " + "\n  ".join(d.terrors))
    if v is _UNSET:
        return _zero(t)
    if v is _NIL:
        return None
    return v


_COMMON_FIELDS = GoType(STRUCT, "config.commonFields", None, (("version", STRING_T), ("variant", STRING_T)))


# Butane config/config.go: commonFields, yaml.Unmarshal
def stub_decode(data: bytes) -> tuple:
    """Butane's first step: yaml.Unmarshal(data, &commonFields{Version, Variant}).

    Returns (version, variant), "" when absent; raises YAMLError (syntax errors surface here).
    """
    v = decode(parse(data), _COMMON_FIELDS)
    return v.get("version", ""), v.get("variant", "")


# yaml.go: Unmarshal
def unmarshal(data: bytes, t: GoType):
    """yaml.Unmarshal(data, &v): parse + decode (empty documents leave v untouched)."""
    return decode(parse(data), t)


# yaml.go: Decoder.Decode (as Butane's config/util/util.go unmarshal calls it)
def decoder_decode(data: bytes, t: GoType):
    """yaml.NewDecoder(bytes.NewReader(data)).Decode(&v): like unmarshal, but a stream
    without a document is the error io.EOF, whose text is "EOF" (no "yaml: " prefix)."""
    node = parse(data)
    if node is None:
        raise YAMLError("EOF")
    return decode(node, t)
