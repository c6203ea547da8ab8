"""Go 1.27's ``compress/gzip`` + ``compress/flate`` at ``BestCompression``, byte for byte.

Butane's ``MakeDataURL`` (``butane_py/butane/_dataurl.py``) picks the shortest of URL-escaped
text, base64 and base64 of a gzip stream written by Go's ``compress/gzip`` at level 9, so it
needs Go's exact bytes.  No other compressor gives them (zlib, zlib-ng, isal, libdeflate,
zopfli were tried); this module reproduces the Go 1.27 implementation: lazy matching over hash
chains with a Huffman-cost estimate of a match's gain, literal skipping, blocks of 32768 tokens,
and a bit writer that picks a stored, fixed or dynamic block and may carry a Huffman table over
to the next block.

Two implementations, same bytes:

* ``butane_py/_go/_flate.c`` (module ``_flate``), a direct port of Go's code and data structures
  (``hashHead``/``hashPrev`` and all), built at install time when a C compiler is present;
* the pure-Python port below, used when the extension is missing or ``BUTANE_PY_PURE_FLATE=1``
  is set in the environment, and the tests' oracle for the C port.

:data:`BACKEND` says which one :func:`go_deflate` and :func:`go_gzip` use (``"c"`` or
``"python"``).

Sections, and the Go files they follow (``GOROOT/src/compress/``; callees come first, so the
files appear bottom-up):

* constants and code tables: ``flate/deflate.go``, ``flate/token.go``,
  ``flate/huffman_bit_writer.go``;
* Huffman code construction: ``flate/huffman_code.go`` (``generate``, ``bitCounts``,
  ``assignEncodingAndSize``);
* float32 emulation for ``tokens.EstimatedBits``: ``flate/token.go``;
* the bit writer: ``flate/huffman_bit_writer.go`` (``writeBlockDynamic`` and what it calls);
* the level-9 compressor: ``flate/deflate.go`` (``fillDeflate``, ``deflateLazy``,
  ``findMatch``, ``tryBetterMatchAtEnd``, ``skipLiterals``);
* :func:`go_gzip`: ``gzip/gzip.go`` (header with XFL=2 and OS=255, CRC-32 and size trailer);
* :func:`gzip_may_win`: not Go's; a provable bound that lets ``MakeDataURL`` skip compressing
  when gzip cannot win.

The Python port keeps Go's observable behaviour, not its data structures (the C port keeps
both):

* Go's hash chains become per-hash sorted lists of positions (Go inserts
  every position exactly once, in increasing order, so the chain seen from
  position p is the part of the list below p, and the 1024-entry search
  budget is an index computation).
* findMatch's chain walk only changes state at candidates that extend the
  best match and pass the gain test; those are found directly, newest first,
  by searching for the current best prefix plus one byte (with
  ``bytes.rfind``, by scanning the hash list of the needle's last 4 bytes, or
  finer per-string indexes kept for crowded chains).  Candidates that a
  rejected one proves hopeless are skipped (see _Deflater._find_match).
* Inputs where no 4-gram recurs within 32 KiB except at a few positions
  (compressed or random data) run in "sparse" mode without any chain index:
  findMatch provably finds nothing elsewhere.
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from bisect import bisect_left, bisect_right
from collections import Counter
from itertools import accumulate, compress, groupby, islice
from operator import eq, mul, ne

__all__ = ["BACKEND", "b64_len", "go_deflate", "go_gzip", "gzip_may_win"]

# ---------------------------------------------------------------------------
# Constants of the Go implementation (flate/deflate.go, token.go, huffman_bit_writer.go)
# ---------------------------------------------------------------------------

_WINDOW_SIZE = 1 << 15
_MIN_MATCH = 4
_MAX_MATCH = 258
_MAX_BLOCK_TOKENS = 1 << 15
_MAX_STORE_BLOCK = 65535
_PRIME4 = 2654435761  # hash4 = (u32le * prime4bytes) >> (32 - 17)
_CHAIN = 1024  # level 9 search budget (nice = lazy = 258 = _MAX_MATCH)
_LAZY = 258
_LOG_NEW_TABLE_PENALTY = 8  # levels 7-9
_MAX_PREDEFINED_TOKENS = 250
_SHIFT_AT = 2 * _WINDOW_SIZE - (_MIN_MATCH + _MAX_MATCH)  # 65274
_LOOKAHEAD_MIN = _MIN_MATCH + _MAX_MATCH  # 262
# Finer candidate indexes for crowded hash chains: positions keyed by their
# first _LEVEL_LEN[i] bytes (see _Deflater._promote).
_LEVEL_LEN = (6, 8, 16, 32, 64)
_LEVELS = len(_LEVEL_LEN)
_CROWDED = 64  # list length from which a finer index is maintained
_FEW = 24  # a hash list this short is scanned directly

_EOB = 256
# Match tokens: _MATCH | xlength << 15 | xoffset   (xoffset = distance - 1)
_MATCH = 1 << 24

_LENGTH_EXTRA_BITS = (0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
                      4, 4, 4, 4, 5, 5, 5, 5, 0, 0, 0, 0)
_LENGTH_BASE = (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56,
                64, 80, 96, 112, 128, 160, 192, 224, 255, 0, 0, 0)
_OFFSET_EXTRA_BITS = (0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8,
                      9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14)
_OFFSET_BASE = (0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384,
                512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384,
                24576, 32768, 49152)
_CODEGEN_ORDER = (16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15)


def _code_table(bases: tuple[int, ...], codes: int) -> list[int]:
    """For each extra value 0..255, the last of the first ``codes`` codes whose base is <= it."""
    return [bisect_right(bases, v, 0, codes) - 1 for v in range(256)]


# length code (0..28) for xlength = length - 3 (0..255)
_LENGTH_CODE = _code_table(_LENGTH_BASE, 29)


def _offset_code(off: int) -> int:
    """Go's offsetCode(): distance code of ``off`` (an xoffset, i.e. distance-1)."""
    if off < 256:
        return _OFFSET_CODE_SMALL[off]
    return _OFFSET_CODE_SMALL[(off >> 7) & 255] + 14


_OFFSET_CODE_SMALL = _code_table(_OFFSET_BASE, 30)
# Offset codes for every xoffset in the window (0..32767).
# (Built on first use: start-up time matters, and most data URLs never reach the compressor.)
_OFFSET_CODE: list[int] = []
# Extra offset bits keyed by a distance as Go's findMatch computes it
# (it passes the distance, not distance-1, to offsetCode).
_GAIN_OFFSET_EXTRA: list[int] = []
_GAIN_LENGTH_EXTRA: list[int] = []


def _deflate_tables() -> None:
    if _OFFSET_CODE:
        return
    _OFFSET_CODE.extend(_offset_code(o) for o in range(_WINDOW_SIZE))
    _GAIN_OFFSET_EXTRA.extend(_OFFSET_EXTRA_BITS[_offset_code(d)] for d in range(_WINDOW_SIZE + 1))
    _GAIN_LENGTH_EXTRA.extend(_LENGTH_EXTRA_BITS[_LENGTH_CODE[(n - 3) & 255]] for n in range(260))


_AT_LEAST_1 = b"\x01" + bytes(range(1, 256))
_REV8 = bytes(int(format(i, "08b")[::-1], 2) for i in range(256))


def _canonical_codes(lens: list[int]) -> list[int]:
    """Bit-reversed canonical Huffman codes for the given code lengths (0 =
    unused), as Go's assignEncodingAndSize produces them: per length, codes
    are consecutive in symbol order, shorter lengths first."""
    bl_count = Counter(lens)
    next_code = [0] * 17
    code = 0
    prev = 0
    for bits in range(1, 17):
        code = (code + prev) << 1
        next_code[bits] = code
        prev = bl_count[bits]
    rev = _REV8
    codes = [0] * len(lens)
    for sym in compress(range(len(lens)), lens):
        ln = lens[sym]
        c = next_code[ln]
        next_code[ln] = c + 1
        codes[sym] = ((rev[c & 255] << 8) | rev[c >> 8]) >> (16 - ln)
    return codes


def _fixed_lit_lens() -> list[int]:
    # RFC 1951 fixed code over all 288 symbols (286 and 287 never occur, but
    # they shift the 9-bit codes).
    return [8] * 144 + [9] * 112 + [7] * 24 + [8] * 8


_FIXED_LIT_LENS = _fixed_lit_lens()
_FIXED_LIT_CODES = _canonical_codes(_FIXED_LIT_LENS)
_FIXED_OFF_LENS = [5] * 30
_FIXED_OFF_CODES = _canonical_codes(_FIXED_OFF_LENS)

# ---------------------------------------------------------------------------
# Huffman code construction (flate/huffman_code.go: generate, bitCounts)
# ---------------------------------------------------------------------------

_MAXI32 = 2**31 - 1


def _bit_counts(freqs: tuple[int, ...], max_bits: int) -> list[int]:
    """Port of huffmanEncoder.bitCounts (boundary package-merge).

    ``freqs`` are the frequencies of the n >= 3 used symbols in increasing
    order (Go's sorted literalNode list); returns bitCount[0..maxBits].

    Go's leafCounts[level] rows are kept as persistent chains: ``cnt[level]``
    is leafCounts[level][level] and ``tail[level]`` the row's entries below
    ``level``, as a (count, tail) linked list (None: all zero); the row copy
    Go makes when a level takes a pair becomes sharing the lower chain."""
    n = len(freqs)
    if max_bits > n - 1:
        max_bits = n - 1
    big = _MAXI32
    lvl = [0] * 17  # levelInfo.level (0 for levels never initialised)
    last_freq = [0] * 17
    next_char = [0] * 17
    next_pair = [0] * 17
    needed = [0] * 17
    cnt = [0] * 17
    tail: list = [None] * 17
    f0, f1, f2 = freqs[0], freqs[1], freqs[2]
    for level in range(1, max_bits + 1):
        lvl[level] = level
        last_freq[level] = f1
        next_char[level] = f2
        next_pair[level] = f0 + f1
        cnt[level] = 2
    next_pair[1] = big
    needed[max_bits] = 2 * n - 4
    level = max_bits
    while level < 16:
        nc = next_char[level]
        np = next_pair[level]
        if np == big and nc == big:
            needed[level] = 0
            next_pair[level + 1] = big
            level += 1
            continue
        prev_freq = last_freq[level]
        if nc < np:
            c = cnt[level] + 1
            last_freq[level] = nc
            cnt[level] = c
            next_char[level] = freqs[c] if c < n else big
        else:
            last_freq[level] = np
            tail[level] = (cnt[level - 1], tail[level - 1])
            needed[lvl[level] - 1] = 2
        left = needed[level] - 1
        needed[level] = left
        if left == 0:
            up = lvl[level]
            if up == max_bits:
                break
            next_pair[up + 1] = prev_freq + last_freq[level]
            level += 1
        else:
            while needed[level - 1] > 0:
                level -= 1
    if cnt[max_bits] != n:
        raise AssertionError("flate: leafCounts[maxBits][maxBits] != n")
    counts = [0] * (max_bits + 1)
    counts[max_bits] = cnt[max_bits]
    node = tail[max_bits]
    j = max_bits - 1
    while node is not None and j > 0:
        counts[j] = node[0]
        node = node[1]
        j -= 1
    bit_count = [0] * (max_bits + 1)
    bits = 1
    for level in range(max_bits, 0, -1):
        bit_count[bits] = counts[level] - counts[level - 1]
        bits += 1
    return bit_count


_bit_count_cache: dict[tuple, list[int]] = {}


def _huffman_lengths(freq: list[int], max_bits: int) -> list[int]:
    """Code lengths Go's huffmanEncoder.generate assigns (0 for unused symbols).

    Go sorts the used symbols by (freq, symbol) and gives the bitCount[1]
    most frequent ones 1 bit, the next bitCount[2] 2 bits, and so on; the
    counts only depend on the sorted frequencies, so they are memoised."""
    lens = [0] * len(freq)
    used = [(freq[i] << 10) | i for i in compress(range(len(freq)), freq)]
    count = len(used)
    if count <= 2:
        for key in used:
            lens[key & 1023] = 1
        return lens
    used.sort()
    key = (max_bits, *[k >> 10 for k in used])
    bit_count = _bit_count_cache.get(key)
    if bit_count is None:
        bit_count = _bit_counts(key[1:], max_bits)
        if len(_bit_count_cache) >= 4096:
            _bit_count_cache.clear()
        _bit_count_cache[key] = bit_count
    end = count
    for nbits in range(1, len(bit_count)):
        c = bit_count[nbits]
        if c:
            for k in used[end - c:end]:
                lens[k & 1023] = nbits
            end -= c
    return lens


# ---------------------------------------------------------------------------
# float32 emulation for tokens.EstimatedBits (flate/token.go)
# ---------------------------------------------------------------------------

_F32 = struct.Struct("<f")
_I32 = struct.Struct("<i")


def _f32(x: float) -> float:
    return _F32.unpack(_F32.pack(x))[0]


_C1 = _f32(-0.34484843)
_C2 = _f32(2.02466578)
_C3 = _f32(0.67487759)


def _fast_log2(val: float) -> float:
    ux = _I32.unpack(_F32.pack(val))[0]
    log2 = _f32(float(((ux >> 23) & 255) - 128))
    ux &= -0x7F800001
    ux += 127 << 23
    uval = _F32.unpack(_I32.pack(ux))[0]
    t = _f32(_C1 * uval)
    t = _f32(t + _C2)
    t = _f32(t * uval)
    t = _f32(t - _C3)
    return _f32(log2 + t)


def _estimated_bits(ntok: int, lit_hist, extra_hist, off_hist) -> int:
    shannon = 0.0
    bits = 0
    n_matches = 0
    total = ntok
    if total > 0:
        inv = _f32(1.0 / _f32(float(total)))
        for v in lit_hist:
            if v > 0:
                n = float(v)
                e = min(15.0, max(1.0, -_fast_log2(_f32(n * inv))))
                shannon = _f32(shannon + _f32(e * n))
        shannon = _f32(shannon + 15.0)
        for i in range(29):
            v = extra_hist[1 + i]
            if v > 0:
                n = float(v)
                e = min(15.0, max(1.0, -_fast_log2(_f32(n * inv))))
                shannon = _f32(shannon + _f32(e * n))
                bits += _LENGTH_EXTRA_BITS[i] * v
                n_matches += v
    if n_matches > 0:
        inv = _f32(1.0 / _f32(float(n_matches)))
        for i in range(30):
            v = off_hist[i]
            if v > 0:
                n = float(v)
                e = min(15.0, max(1.0, -_fast_log2(_f32(n * inv))))
                shannon = _f32(shannon + _f32(e * n))
                bits += _OFFSET_EXTRA_BITS[i] * v
    return int(shannon) + bits


# ---------------------------------------------------------------------------
# Bit writer (flate/huffman_bit_writer.go: huffmanBitWriter)
# ---------------------------------------------------------------------------


class _BitWriter:
    __slots__ = ("out", "acc", "nb", "prev_header", "wrote_huffman",
                 "lit_lens", "off_lens", "cg_lens", "lit_codes", "off_codes",
                 "codegen", "codegen_freq", "literal_freq", "offset_freq")

    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.nb = 0
        self.prev_header = 0
        self.wrote_huffman = False
        self.lit_lens = [0] * 286
        self.off_lens = [0] * 30
        self.cg_lens = [0] * 19
        self.lit_codes = [0] * 286
        self.off_codes = [0] * 30
        self.codegen: list[int] = []
        self.codegen_freq = [0] * 19
        self.literal_freq = [0] * 289
        self.offset_freq = [0] * 32

    # -- raw bit output -----------------------------------------------------
    def put(self, value: int, n: int) -> None:
        acc = self.acc | (value << self.nb)
        nb = self.nb + n
        if nb >= 64:
            self.out += (acc & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
            acc >>= 64
            nb -= 64
        self.acc = acc
        self.nb = nb

    def flush(self) -> None:
        """huffmanBitWriter.flush: owe-EOB, then pad to a byte boundary."""
        if self.prev_header > 0:
            self.write_eob()
            self.prev_header = 0
        nb = self.nb
        if nb:
            nbytes = (nb + 7) >> 3
            self.out += self.acc.to_bytes(nbytes, "little")
        self.acc = 0
        self.nb = 0

    def write_eob(self) -> None:
        self.put(self.lit_codes[_EOB], self.lit_lens[_EOB])

    def write_bytes(self, data: bytes) -> None:
        if self.nb & 7:
            raise AssertionError("writeBytes with unfinished bits")
        if self.nb:
            self.out += self.acc.to_bytes(self.nb >> 3, "little")
        self.acc = 0
        self.nb = 0
        self.out += data

    # -- block headers --------------------------------------------------------
    def write_stored_header(self, length: int, is_eof: bool) -> None:
        if self.prev_header > 0:
            self.write_eob()
            self.prev_header = 0
        if length == 0 and is_eof:
            self.write_fixed_header(is_eof)
            self.put(0, 7)
            self.flush()
            return
        self.put(1 if is_eof else 0, 3)
        self.flush()
        self.put(length, 16)
        self.put((~length) & 0xFFFF, 16)

    def write_fixed_header(self, is_eof: bool) -> None:
        if self.prev_header > 0:
            self.write_eob()
            self.prev_header = 0
        self.put(3 if is_eof else 2, 3)

    def generate_codegen(self, num_lit: int, num_off: int, lit_lens, off_lens) -> None:
        """huffmanBitWriter.generateCodegen: run-length code the concatenated
        code lengths (16: repeat previous 3-6 times, 17: 3-10 zeros,
        18: 11-138 zeros), in Go's exact way of splitting runs."""
        freq = [0] * 19
        out: list[int] = []
        append = out.append
        for size, grp in groupby(lit_lens[:num_lit] + off_lens[:num_off]):
            count = len(list(grp))
            if size != 0:
                append(size)
                freq[size] += 1
                count -= 1
                while count >= 3:
                    n = 6 if count > 6 else count
                    append(16)
                    append(n - 3)
                    freq[16] += 1
                    count -= n
            else:
                while count >= 11:
                    n = 138 if count > 138 else count
                    append(18)
                    append(n - 11)
                    freq[18] += 1
                    count -= n
                if count >= 3:
                    append(17)
                    append(count - 3)
                    freq[17] += 1
                    count = 0
            if count > 0:
                freq[size] += count
                out.extend([size] * count)
        append(255)
        self.codegen = out
        self.codegen_freq = freq

    def header_size(self) -> tuple[int, int]:
        freq = self.codegen_freq
        num_codegens = 19
        while num_codegens > 4 and freq[_CODEGEN_ORDER[num_codegens - 1]] == 0:
            num_codegens -= 1
        cg = self.cg_lens
        bl = 0
        for i in range(19):
            if freq[i]:
                bl += freq[i] * cg[i]
        return (3 + 5 + 5 + 4 + 3 * num_codegens + bl + freq[16] * 2 + freq[17] * 3
                + freq[18] * 7, num_codegens)

    def write_dynamic_header(self, num_lit: int, num_off: int, num_codegens: int,
                             is_eof: bool) -> None:
        put = self.put
        put(5 if is_eof else 4, 3)
        put(num_lit - 257, 5)
        put(num_off - 1, 5)
        put(num_codegens - 4, 4)
        cg_lens = self.cg_lens
        for i in range(num_codegens):
            put(cg_lens[_CODEGEN_ORDER[i]], 3)
        cg_codes = _canonical_codes(cg_lens)
        codegen = self.codegen
        i = 0
        while True:
            cw = codegen[i]
            i += 1
            if cw == 255:
                break
            put(cg_codes[cw], cg_lens[cw])
            if cw == 16:
                put(codegen[i], 2)
                i += 1
            elif cw == 17:
                put(codegen[i], 3)
                i += 1
            elif cw == 18:
                put(codegen[i], 7)
                i += 1

    # -- token output -----------------------------------------------------
    def write_tokens(self, tokens: list[int], counts: dict, lit_lens, lit_codes,
                     off_lens, off_codes) -> None:
        if not tokens:
            return
        defer_eob = tokens[-1] == _EOB
        # Combined (value, nbits) per distinct token.
        table = {}
        for t in counts:
            if t < 256:
                table[t] = (lit_codes[t], lit_lens[t])
            elif t == _EOB:
                continue
            else:
                xl = (t >> 15) & 0xFF
                xo = t & 0x7FFF
                lc = _LENGTH_CODE[xl]
                v = lit_codes[257 + lc]
                n = lit_lens[257 + lc]
                eb = _LENGTH_EXTRA_BITS[lc]
                if lc >= 8:
                    v |= (xl - _LENGTH_BASE[lc]) << n
                    n += eb
                oc = _OFFSET_CODE[xo]
                v |= off_codes[oc] << n
                n += off_lens[oc]
                if oc >= 4:
                    v |= (xo - _OFFSET_BASE[oc]) << n
                    n += _OFFSET_EXTRA_BITS[oc]
                table[t] = (v, n)
        toks = tokens[:-1] if defer_eob else tokens
        acc = self.acc
        nb = self.nb
        out = self.out
        get = table.__getitem__
        for t in toks:
            v, n = get(t)
            acc |= v << nb
            nb += n
            if nb >= 64:
                out += (acc & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
                acc >>= 64
                nb -= 64
        self.acc = acc
        self.nb = nb
        if defer_eob:
            self.put(lit_codes[_EOB], lit_lens[_EOB])

    # -- writeBlockDynamic --------------------------------------------------
    def write_block_dynamic(self, tokens: list[int], eof: bool, data, start: int,
                            end: int, storable_input: bool, sync: bool) -> None:
        """Port of huffmanBitWriter.writeBlockDynamic.

        The block's input bytes are ``data[start:end]`` when
        ``storable_input`` (Go passes a nil slice otherwise)."""
        sync = sync or eof
        if sync:
            tokens.append(_EOB)
        counts = Counter(tokens)
        lit_hist = [0] * 256
        extra_hist = [0] * 32
        off_hist = [0] * 32
        for t, c in counts.items():
            if t < 256:
                lit_hist[t] += c
            elif t == _EOB:
                extra_hist[0] += c
            else:
                extra_hist[_LENGTH_CODE[(t >> 15) & 0xFF] + 1] += c
                off_hist[_OFFSET_CODE[t & 0x7FFF]] += c
        if not sync:
            extra_hist[0] = 1
        ntok = len(tokens)

        if (self.wrote_huffman or eof) and self.prev_header > 0:
            self.write_eob()
            self.prev_header = 0
            self.wrote_huffman = False
        if self.prev_header > 0 and not self._can_reuse(lit_hist, extra_hist, off_hist):
            self.write_eob()
            self.prev_header = 0

        num_lit, num_off = self._index_tokens(lit_hist, extra_hist, off_hist)
        extra_bits = 0
        in_len = end - start
        storable = storable_input and in_len <= _MAX_STORE_BLOCK
        ssize = (in_len + 5) * 8 if storable else 0
        if storable or self.prev_header > 0:
            extra_bits = self._extra_bit_size()

        size = 0
        if self.prev_header > 0:
            new_size = self.prev_header + _estimated_bits(ntok, lit_hist, extra_hist, off_hist)
            new_size += self.lit_lens[_EOB] + (new_size >> _LOG_NEW_TABLE_PENALTY)
            reuse_size = self._bit_length(self.lit_lens, self.literal_freq) + \
                self._bit_length(self.off_lens, self.offset_freq) + extra_bits
            if new_size < reuse_size:
                self.write_eob()
                size = new_size
                self.prev_header = 0
            else:
                size = reuse_size
            if ntok < _MAX_PREDEFINED_TOKENS:
                pre_size = self._fixed_size(extra_bits) + 7
                if pre_size < size:
                    if storable and ssize <= size:
                        self._write_stored(data, start, end, eof)
                        return
                    self._write_fixed(tokens, counts, eof, sync)
                    return
            if storable and ssize <= size:
                self._write_stored(data, start, end, eof)
                return

        if self.prev_header == 0:
            self.literal_freq[_EOB] = 1
            self.lit_lens = _huffman_lengths(self.literal_freq[:286], 15)
            self.off_lens = _huffman_lengths(self.offset_freq[:30], 15)
            self.generate_codegen(num_lit, num_off, self.lit_lens, self.off_lens)
            self.cg_lens = _huffman_lengths(self.codegen_freq, 7)
            header, num_codegens = self.header_size()
            size = header + self._bit_length(self.lit_lens, self.literal_freq) + \
                self._bit_length(self.off_lens, self.offset_freq) + extra_bits
            if ntok < _MAX_PREDEFINED_TOKENS:
                pre_size = self._fixed_size(extra_bits)
                if pre_size <= size:
                    if storable and ssize <= pre_size:
                        self._write_stored(data, start, end, eof)
                        return
                    self._write_fixed(tokens, counts, eof, sync)
                    return
            if storable and ssize <= size:
                self._write_stored(data, start, end, eof)
                return
            self.lit_codes = _canonical_codes(self.lit_lens)
            self.off_codes = _canonical_codes(self.off_lens)
            self.write_dynamic_header(num_lit, num_off, num_codegens, eof)
            if not sync:
                self.prev_header = self.header_size()[0]
            self.wrote_huffman = False
        if sync:
            self.prev_header = 0
        self.write_tokens(tokens, counts, self.lit_lens, self.lit_codes, self.off_lens,
                          self.off_codes)

    def _write_stored(self, data, start: int, end: int, eof: bool) -> None:
        self.write_stored_header(end - start, eof)
        self.write_bytes(data[start:end])

    def _write_fixed(self, tokens, counts, eof: bool, sync: bool) -> None:
        self.write_fixed_header(eof)
        if not sync:
            tokens.append(_EOB)
        self.write_tokens(tokens, counts, _FIXED_LIT_LENS, _FIXED_LIT_CODES, _FIXED_OFF_LENS,
                          _FIXED_OFF_CODES)

    def _can_reuse(self, lit_hist, extra_hist, off_hist) -> bool:
        off_lens = self.off_lens
        for i in range(30):
            if off_hist[i] and not off_lens[i]:
                return False
        lit_lens = self.lit_lens
        for i in range(30):
            if extra_hist[i] and not lit_lens[256 + i]:
                return False
        for i in range(256):
            if lit_hist[i] and not lit_lens[i]:
                return False
        return True

    def _index_tokens(self, lit_hist, extra_hist, off_hist) -> tuple[int, int]:
        lf = lit_hist + extra_hist + [0]  # 256 + 32 (+1 slack = 289 entries)
        self.literal_freq = lf
        of = list(off_hist)
        self.offset_freq = of
        num_lit = 289
        while lf[num_lit - 1] == 0:
            num_lit -= 1
        num_off = 32
        while num_off > 0 and of[num_off - 1] == 0:
            num_off -= 1
        if num_off == 0:
            of[0] = 1
            num_off = 1
        return num_lit, num_off

    def _extra_bit_size(self) -> int:
        return sum(map(mul, self.literal_freq[257:286], _LENGTH_EXTRA_BITS)) + \
            sum(map(mul, self.offset_freq[:30], _OFFSET_EXTRA_BITS))

    @staticmethod
    def _bit_length(lens, freq) -> int:
        return sum(map(mul, lens, freq))

    def _fixed_size(self, extra_bits: int) -> int:
        return 3 + self._bit_length(_FIXED_LIT_LENS, self.literal_freq) + \
            self._bit_length(_FIXED_OFF_LENS, self.offset_freq) + extra_bits


# ---------------------------------------------------------------------------
# The level-9 compressor (flate/deflate.go: compressor.deflateLazy and friends)
# ---------------------------------------------------------------------------


_LANE = b"\x00\x80\xff\xff\x00\x00\x00\x00"
_lane_masks: dict[int, int] = {}


def _hash_keys(data: bytes, a: int, b: int) -> list[int]:
    """Hash keys of the positions in [a, b) (requires b + 3 <= len(data)).

    A key is ``(u32le(data[p:p+4]) * prime4bytes) & 0xFFFF8000``, i.e. Go's
    17-bit ``hash4`` shifted left by 15: equal keys <=> equal hashes.  All
    positions are hashed at once by laying the 4-grams out in 64-bit lanes of
    one big integer (a lane's product never exceeds 64 bits)."""
    n = b - a
    if n <= 0:
        return []
    if not _LITTLE:
        return [(int.from_bytes(data[p:p + 4], "little") * _PRIME4) & 0xFFFF8000
                for p in range(a, b)]
    buf = bytearray(8 * n)
    for j in range(4):
        buf[j::8] = data[a + j:a + j + n]
    mask = _lane_masks.get(n)
    if mask is None:
        mask = int.from_bytes(_LANE * n, "little")
        if len(_lane_masks) > 8:
            _lane_masks.clear()
        _lane_masks[n] = mask
    x = (int.from_bytes(buf, "little") * _PRIME4) & mask
    return memoryview(x.to_bytes(8 * n, "little")).cast("Q").tolist()


_LITTLE = struct.pack("=I", 1) == struct.pack("<I", 1)


_SPARSE_MIN = 16384


def _close_repeats(data: bytes, limit: int) -> set[int] | None:
    """Positions p whose 4-gram also occurs at some q with p-32768 <= q < p
    (a superset of them), or None if there are more than ``limit``.

    Positions are grouped into aligned chunks of 32768, so such pairs lie in
    one chunk or in two neighbouring ones; both cases are detected with set
    operations on the chunks' 4-gram values."""
    npos = len(data) - 3
    found: set[int] = set()
    prev: set[int] | None = None
    for c0 in range(0, max(npos, 0), _WINDOW_SIZE):
        c1 = min(npos, c0 + _WINDOW_SIZE)
        m = c1 - c0
        views = []
        for r in range(4):
            cnt = (m - r + 3) >> 2
            if cnt > 0:
                views.append(memoryview(data[c0 + r:c0 + r + 4 * cnt]).cast("I"))
        cur: set[int] = set()
        for v in views:
            cur.update(v)
        dups: set[int] = set()
        if len(cur) < m:
            if m - len(cur) > limit:
                return None
            cnt_all: Counter = Counter()
            for v in views:
                cnt_all.update(v)
            dups = {v for v, c in cnt_all.items() if c > 1}
        if prev is not None:
            dups |= cur & prev
        if len(dups) > limit:
            return None
        for v in dups:
            needle = struct.pack("=I", v)
            i = data.find(needle, c0, c1 + 3)
            while i >= 0:
                found.add(i)
                i = data.find(needle, i + 1, c1 + 3)
            if len(found) > limit:
                return None
        prev = cur
    return found


class _Deflater:
    """State of Go's compressor at level 9 over a single input buffer.

    Positions are absolute offsets into ``data``; ``base`` is the absolute
    offset of Go's window start, ``wend`` of its windowEnd.

    Go's hash chains (hashHead/hashPrev) are represented by ``occ``: hash key
    -> increasing list of the positions with that hash.  Go inserts every
    position below ``maxInsertIndex`` exactly once and in increasing order, so
    at position p the chain Go would walk is the part of ``occ[h]`` below p,
    newest first; entries that fell out of the window are cut off by the same
    ``minIndex`` test Go applies.  Positions that Go has not inserted yet
    never take part in a query (queries only ask for entries <= index)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.n = len(data)
        self.bw = _BitWriter()
        self.base = 0
        self.wend = 0
        self.index = 0
        self.length = _MIN_MATCH - 1
        self.offset = 0
        self.literal_counter = 0
        self.byte_available = False
        self.block_start: int | None = 0
        self.tokens: list[int] = []
        self.sync = False
        self.max_ins = 0
        self.occ: dict[int, list[int]] = {}
        self.occ_lo = 0  # positions below this may have been dropped from occ
        self.hk: list[int] = []  # hash keys of positions [hk_lo, hk_lo+len(hk))
        self.hk_lo = 0
        # Finer candidate indexes for crowded chains: lvl[i] maps the
        # _LEVEL_LEN[i]-byte string at a position to its increasing positions.
        # big[0] holds the hash keys whose occ list is mirrored into lvl[0];
        # big[i] (i >= 1) the strings whose lvl[i-1] list is mirrored into
        # lvl[i].  A list is mirrored entirely once it reaches _CROWDED.
        self.lvl: list[dict[bytes, list[int]]] = [{} for _ in range(_LEVELS)]
        self.big: list[set] = [set() for _ in range(_LEVELS)]
        # per-byte literal cost (max(1, code length)) under the estimate
        # Huffman table of the current deflateLazy call
        self.cost: list[int] | None = None
        self.cost_lo = 0
        # Sparse mode: the set of positions whose 4-gram also occurs at most
        # 32768 bytes earlier (None: normal mode).  Elsewhere findMatch
        # cannot find anything, so no chain index is needed.
        self.sparse: set[int] | None = None

    # -- hash bookkeeping -----------------------------------------------------
    def _extend_hashes(self, upto: int) -> None:
        """Make ``hk``/``occ`` cover every hashable position below ``upto``."""
        upto = min(upto, self.n - 3)
        lo = self.hk_lo + len(self.hk)
        if upto <= lo:
            return
        base = self.base
        if base - self.occ_lo > 4 * _WINDOW_SIZE:
            # Forget positions that can never be inside the window again.
            occ = {}
            for h, lst in self.occ.items():
                if lst[-1] >= base:
                    occ[h] = lst[bisect_left(lst, base):] if lst[0] < base else lst
            self.occ = occ
            # The finer indexes are rebuilt on demand.
            self.lvl = [{} for _ in range(_LEVELS)]
            self.big = [set() for _ in range(_LEVELS)]
            self.occ_lo = base
            self.hk = self.hk[base - self.hk_lo:]
            self.hk_lo = base
        new = _hash_keys(self.data, lo, upto)
        occ = self.occ
        get = occ.get
        big0 = self.big[0]
        mirror = self._mirror
        x = lo
        for h in new:
            lst = get(h)
            if lst is None:
                occ[h] = [x]
            else:
                lst.append(x)
                if len(lst) >= _CROWDED and h in big0:
                    mirror(0, x)
            x += 1
        self.hk += new

    def _mirror(self, i: int, y: int) -> None:
        """Add position y to the level-i index (and to the finer levels that
        are maintained for the list it lands in)."""
        sub = self.data[y:y + _LEVEL_LEN[i]]
        lvl = self.lvl[i]
        l2 = lvl.get(sub)
        if l2 is None:
            lvl[sub] = [y]
        else:
            l2.append(y)
            if len(l2) >= _CROWDED and i + 1 < _LEVELS and sub in self.big[i + 1]:
                self._mirror(i + 1, y)

    def _promote(self, i: int, key, lst: list[int]) -> None:
        """Start maintaining level i for the positions of ``lst`` (the hash
        chain list of ``key`` if i == 0, else the level i-1 list of ``key``);
        from now on positions appended to that list are mirrored as well."""
        self.big[i].add(key)
        mirror = self._mirror
        for y in lst:
            mirror(i, y)

    # -- block output -----------------------------------------------------------
    def _write_block(self, index: int) -> None:
        """compressor.writeBlock(&d.tokens, index, false) followed by Reset."""
        if index > 0:
            bs = self.block_start
            if bs is not None and bs <= index:
                self.bw.write_block_dynamic(self.tokens, False, self.data, bs, index, True,
                                            self.sync)
            else:
                self.bw.write_block_dynamic(self.tokens, False, self.data, 0, 0, False,
                                            self.sync)
            self.block_start = index
        self.tokens = []

    # -- driver ---------------------------------------------------------------
    def run(self) -> bytes:
        n = self.n
        if n >= _SPARSE_MIN:
            self.sparse = _close_repeats(self.data, n // 1024 + 64)
        # Write(data): fill, and step whenever the window is full.
        self._fill()
        while self.wend < n:
            if self.wend - self.base == 2 * _WINDOW_SIZE:
                self._deflate_lazy()
            self._fill()
        # Close(): sync step, then the final empty fixed block.
        self.sync = True
        self._deflate_lazy()
        bw = self.bw
        bw.write_stored_header(0, True)
        bw.flush()
        return bytes(bw.out)

    def _fill(self) -> None:
        if self.index - self.base >= _SHIFT_AT:
            old = self.base
            self.base = old + _WINDOW_SIZE
            bs = self.block_start
            if bs is not None and bs - old < _WINDOW_SIZE:
                self.block_start = None
        self.wend = min(self.n, self.base + 2 * _WINDOW_SIZE)

    def _deflate_lazy(self) -> None:
        data = self.data
        wend = self.wend
        sync = self.sync
        index = self.index
        if wend - index < _LOOKAHEAD_MIN and not sync:
            return
        if wend != index:
            # Go rebuilds its literal-cost estimate (d.h) here; it is only
            # consulted by findMatch, so it is computed on first use.
            self.cost = None
            self.cost_lo = index
        max_ins = wend - 3
        self.max_ins = max_ins
        sparse = self.sparse
        if sparse is None:
            self._extend_hashes(max_ins)
        occ = self.occ
        hk = self.hk
        hk_lo = self.hk_lo
        base = self.base
        tokens = self.tokens
        length = self.length
        offset = self.offset
        byte_available = self.byte_available
        literal_counter = self.literal_counter
        find_match = self._find_match
        block_tokens = _MAX_BLOCK_TOKENS

        while True:
            lookahead = wend - index
            if lookahead < _LOOKAHEAD_MIN:
                if not sync:
                    break
                if lookahead == 0:
                    if byte_available:
                        tokens.append(data[index - 1])
                        byte_available = False
                    if tokens:
                        self.index = index
                        self._write_block(index)
                        tokens = self.tokens
                    break
            prev_length = length
            prev_offset = offset
            length = 3
            offset = 0
            if lookahead > prev_length and prev_length < _LAZY and index < max_ins:
                min_index = index - _WINDOW_SIZE
                if min_index < base:
                    min_index = base
                if sparse is None:
                    lst = occ[hk[index - hk_lo]]
                    k = bisect_left(lst, index)
                    if k and lst[k - 1] >= min_index:
                        r = find_match(index, lst, k, min_index, lookahead, True)
                        if r:
                            length, offset = r
                elif index in sparse:
                    r = self._sparse_find_match(index, min_index, lookahead)
                    if r:
                        length, offset = r

            if prev_length >= 4 and length <= prev_length:
                if prev_length < _MAX_MATCH - 2 and index - 1 + prev_length < max_ins:
                    self.index = index
                    self.tokens = tokens
                    prev_length, prev_offset = self._try_better_match_at_end(
                        prev_length, prev_offset, lookahead)
                    index = self.index
                    tokens = self.tokens
                tokens.append(_MATCH | (prev_length - 3) << 15 | (prev_offset - 1))
                index += prev_length - 1
                byte_available = False
                length = 3
                if len(tokens) == block_tokens:
                    self._write_block(index)
                    tokens = self.tokens
                literal_counter = 0
                continue
            if length >= 4:
                literal_counter = 0
            if byte_available:
                literal_counter = (literal_counter + 1) & 0xFFFF
                tokens.append(data[index - 1])
                if len(tokens) == block_tokens:
                    self._write_block(index)
                    tokens = self.tokens
                index += 1
                # skipLiterals
                skip = literal_counter - _CHAIN
                if skip > 0:
                    skip = 1 + (skip >> 6)
                    limit = wend - 1
                    while skip > 0 and index < limit:
                        c = min(skip, limit - index, block_tokens - len(tokens))
                        tokens += data[index - 1:index - 1 + c]
                        index += c
                        skip -= c
                        if len(tokens) == block_tokens:
                            # Go writes the block before moving past the
                            # last literal, i.e. at index-1.
                            self._write_block(index - 1)
                            tokens = self.tokens
                    tokens.append(data[index - 1])
                    byte_available = False
                    if len(tokens) == block_tokens:
                        self._write_block(index)
                        tokens = self.tokens
            else:
                index += 1
                byte_available = True

        self.index = index
        self.tokens = tokens
        self.length = length
        self.offset = offset
        self.byte_available = byte_available
        self.literal_counter = literal_counter

    def _cost_table(self) -> list[int]:
        """Prefix sums of Go's per-byte literal cost estimate for the current
        deflateLazy call: d.h is the Huffman code (max 15 bits) of the byte
        histogram of window[index:windowEnd] (at most 32768 bytes, taken at
        the start of the call) and bitLengthRaw(data[p:p+n]) ==
        cost[p+n-cost_lo] - cost[p-cost_lo], each byte costing
        max(1, code length)."""
        lo = self.cost_lo
        data = self.data
        hist = [0] * 256
        for b, c in Counter(data[lo:min(self.wend, lo + _MAX_BLOCK_TOKENS)]).items():
            hist[b] = c
        table = bytes(_huffman_lengths(hist, 15)).translate(_AT_LEAST_1)
        cost = list(accumulate(data[lo:self.wend].translate(table), initial=0))
        self.cost = cost
        return cost

    def _sparse_hk(self) -> None:
        """Sparse mode: hash keys for the current window, computed on demand."""
        lo = self.base
        hi = min(self.max_ins, self.n - 3)
        if self.hk_lo != lo or self.hk_lo + len(self.hk) < hi:
            self.hk = _hash_keys(self.data, lo, hi)
            self.hk_lo = lo

    def _sparse_find_match(self, pos: int, min_index: int, lookahead: int):
        """findMatch in sparse mode: the chain is recovered by scanning the
        window's hash keys (this only happens at the rare positions whose
        4-gram occurs shortly before)."""
        self._sparse_hk()
        hk = self.hk
        lo = self.hk_lo
        h = hk[pos - lo]
        a = min_index - lo
        b = pos - lo
        entries = []
        i = a - 1
        index = hk.index
        while True:
            try:
                i = index(h, i + 1, b)
            except ValueError:
                break
            entries.append(lo + i)
        if not entries:
            return None
        return self._find_match(pos, entries, len(entries), min_index, lookahead, False)

    def _find_match(self, pos: int, lst: list[int], k: int, min_index: int,
                    lookahead: int, levels: bool):
        """compressor.findMatch.  ``lst[:k]`` are the chain entries (positions
        with the same hash as ``pos``, below it), the newest last; the newest
        one is known to be >= min_index.

        Go walks at most ``_CHAIN`` entries, newest first, stopping below
        ``min_index``.  A candidate changes the state only if it extends the
        current best length and passes the gain test, which requires it to
        start with the current best prefix plus one byte.  The walk is
        replayed by searching, newest first, for occurrences of such a prefix
        among the entries Go would examine.

        Pruning after a rejected candidate (length n, distance d): the gain
        ``cost(n) - offExtra(d) - 3 - lenExtra(n)`` is non-decreasing in n
        (every byte costs >= 1 bit, lenExtra grows by <= 1 per byte) and
        non-increasing in d for d < 32768, and the threshold ``c_gain`` never
        decreases; so every later (farther) candidate matching <= n bytes is
        rejected too, and the search can ask for > n bytes.  Distance 32768
        (offset code 14, fewer extra bits) breaks the monotonicity, so that
        single oldest candidate is examined separately, last, as Go does."""
        data = self.data
        mml = lookahead if lookahead < _MAX_MATCH else _MAX_MATCH
        lim = min_index
        if k >= _CHAIN:
            e = lst[k - _CHAIN]
            if e > lim:
                lim = e
        q0 = pos - _WINDOW_SIZE
        special = q0 >= lim
        scan_lim = q0 + 1 if special else lim
        length = 3  # Go's best length
        thr = 3  # search for candidates matching more than thr bytes
        best_off = 0
        c_gain = 4
        cost = self.cost
        if cost is None:
            cost = self._cost_table()
        c0 = pos - self.cost_lo
        cbase = cost[c0]
        target = data[pos:pos + mml]
        hi = pos
        j = k - 1
        lo_k = bisect_left(lst, scan_lim, 0, k) if lst[0] < scan_lim else 0
        # Few entries: test them directly; many: let rfind skip non-matches.
        use_list = (k - lo_k) * 256 <= pos - scan_lim + 4096
        # Crowded chains get finer indexes (see _promote): once the needle is
        # long enough, scan the positions sharing pos's first 6/8/16/32/64
        # bytes instead of the whole chain.
        cur = lst  # list currently scanned (lst or a finer level's list)
        level = -1
        if levels:
            occ = self.occ
            hk = self.hk
            hk_lo = self.hk_lo
            key = hk[pos - hk_lo]
        stale = False  # j must be recomputed from hi
        while True:
            nl = thr + 1
            q = -1
            if levels and nl > 4:
                # Any occurrence q of the needle has its last 4 bytes, at
                # q + off, in the hash list of pos + off; when that list has
                # few entries in range, scan it instead.
                off = nl - 4
                wl = occ[hk[pos + off - hk_lo]]
                wb = bisect_left(wl, hi + off)
                wa = bisect_left(wl, scan_lim + off, 0, wb)
                if wb - wa <= _FEW:
                    need = target[:nl]
                    while wb > wa:
                        wb -= 1
                        cand = wl[wb] - off
                        if data[cand:cand + nl] == need:
                            q = cand
                            break
                    if q < 0:
                        break
                    hi = q
                    stale = True
            if q < 0:
                if levels and level + 1 < _LEVELS and nl >= _LEVEL_LEN[level + 1] and \
                        len(cur) >= _CROWDED:
                    while True:
                        if key not in self.big[level + 1]:
                            self._promote(level + 1, key, cur)
                        level += 1
                        key = data[pos:pos + _LEVEL_LEN[level]]
                        cur = self.lvl[level][key]
                        if level + 1 >= _LEVELS or nl < _LEVEL_LEN[level + 1] or \
                                len(cur) < _CROWDED:
                            break
                    lo_k = bisect_left(cur, scan_lim) if cur[0] < scan_lim else 0
                    use_list = True
                    stale = True
                if use_list:
                    if stale:
                        j = bisect_left(cur, hi) - 1
                        stale = False
                    want = target[thr]
                    need = target[:nl]
                    while j >= lo_k:
                        cand = cur[j]
                        j -= 1
                        if data[cand + thr] == want and data[cand:cand + nl] == need:
                            q = cand
                            break
                    if q < 0:
                        break
                    hi = q
                else:
                    q = data.rfind(target[:nl], scan_lim, hi + thr)
                    if q < 0:
                        break
                    hi = q
            # matchLen: the first thr+1 bytes are known to be equal.
            n = thr + 1
            while n < mml:
                e = n + 32
                if e > mml:
                    e = mml
                a = data[q + n:q + e]
                b = target[n:e]
                if a == b:
                    n = e
                    continue
                x = int.from_bytes(a, "little") ^ int.from_bytes(b, "little")
                n += ((x & -x).bit_length() - 1) >> 3
                break
            thr = n
            gain = cost[c0 + n] - cbase - _GAIN_OFFSET_EXTRA[pos - q] - 3 - \
                _GAIN_LENGTH_EXTRA[n]
            if gain <= c_gain:
                if n >= mml:
                    break  # nothing farther can match more
                continue
            c_gain = gain
            length = n
            best_off = pos - q
            if n >= mml:  # n >= nice
                return length, best_off
        if special and data[q0 + length] == target[length] and \
                data[q0:q0 + length + 1] == target[:length + 1]:
            n = length + 1
            while n < mml and data[q0 + n] == target[n]:
                n += 1
            gain = cost[c0 + n] - cbase - _GAIN_OFFSET_EXTRA[_WINDOW_SIZE] - 3 - \
                _GAIN_LENGTH_EXTRA[n]
            if gain > c_gain:
                length = n
                best_off = _WINDOW_SIZE
        if best_off:
            return length, best_off
        return None

    def _try_better_match_at_end(self, prev_length: int, prev_offset: int,
                                 lookahead: int) -> tuple[int, int]:
        """compressor.tryBetterMatchAtEnd (the caller has checked the two
        early-return conditions that need no hashing)."""
        index = self.index
        prev_index = index - 1
        end = min(lookahead, _MAX_MATCH + 2) + prev_index
        min_index = index - _WINDOW_SIZE
        if min_index < self.base:
            min_index = self.base
        p2 = prev_index + prev_length
        head = -1
        if self.sparse is None:
            lst = self.occ.get(self.hk[p2 - self.hk_lo])
            if lst:
                k = bisect_right(lst, index)
                if k:
                    head = lst[k - 1]
        else:
            # Only a head inside [min_index, index] can pass the test below
            # (Go may hold an older one, which fails it just the same).
            self._sparse_hk()
            hk = self.hk
            lo = self.hk_lo
            seg = hk[min_index - lo:index + 1 - lo]
            seg.reverse()
            try:
                head = index - seg.index(hk[p2 - lo])
            except ValueError:
                pass
        ch2 = head - prev_length
        if prev_index - ch2 == prev_offset or ch2 <= min_index + 2:
            return prev_length, prev_offset
        data = self.data
        a = data[prev_index + 2:end]
        b = data[ch2 + 2:ch2 + 2 + len(a)]
        if a == b:
            length = len(a)
        else:
            x = int.from_bytes(a, "little") ^ int.from_bytes(b, "little")
            length = ((x & -x).bit_length() - 1) >> 3
        if length <= prev_length:
            return prev_length, prev_offset
        prev_length = length
        prev_offset = prev_index - ch2
        for i in (1, 0):
            if prev_length >= _MAX_MATCH or data[prev_index + i] != data[ch2 + i]:
                tokens = self.tokens
                for j in range(i + 1):
                    tokens.append(data[prev_index + j])
                    if len(tokens) == _MAX_BLOCK_TOKENS:
                        self._write_block(self.index)
                        tokens = self.tokens
                    self.index += 1
                break
            prev_length += 1
        return prev_length, prev_offset


def _deflate_python(data: bytes) -> bytes:
    """The pure-Python port's raw DEFLATE stream (see :func:`go_deflate`)."""
    _deflate_tables()
    return _Deflater(bytes(data)).run()


def _c_deflate():
    """The C port's ``deflate``, or None when it is not built or the environment asks for
    the pure-Python port."""
    if os.environ.get("BUTANE_PY_PURE_FLATE", "") not in ("", "0"):
        return None
    try:
        from ._flate import deflate
    except ImportError:
        return None
    return deflate


_deflate = _c_deflate() or _deflate_python
# Which compressor go_deflate and go_gzip use: "c" or "python".
BACKEND = "python" if _deflate is _deflate_python else "c"


def go_deflate(data: bytes) -> bytes:
    """Raw DEFLATE stream of Go's compress/flate at BestCompression
    (``flate.NewWriter(w, 9)``, one ``Write``, ``Close``)."""
    return _deflate(data)


_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


def go_gzip(data: bytes) -> bytes:
    """Bytes of Go's ``gzip.NewWriterLevel(&buf, gzip.BestCompression)``,
    ``Write(data)``, ``Close()`` (gzip/gzip.go: zero ModTime, XFL=2, OS=255)."""
    data = bytes(data)
    return (_GZIP_HEADER + go_deflate(data)
            + struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF))


# ---------------------------------------------------------------------------
# Whether gzip can win MakeDataURL's length contest, without compressing (not Go's)
# ---------------------------------------------------------------------------

def b64_len(n: int) -> int:
    return 4 * ((n + 2) // 3)


def _gz_opaque_len(deflate_len: int) -> int:
    """len(";base64," + base64(gzip)) for a deflate stream of that length."""
    return 8 + b64_len(10 + deflate_len + 8)


# The largest input for which _deflate_lower_bound applies: the compressor
# then makes exactly one writeBlockDynamic call (at Close, with sync) plus the
# final empty block.
_BOUND_MAX = _WINDOW_SIZE

def _codegen_tables() -> tuple[list[int], list[int]]:
    """Minimum bits to encode runs in a dynamic header's code-length stream,
    assuming only that every codegen symbol costs >= 1 bit plus its extra
    bits: a single length (1), "repeat previous 3-6 times" (1+2), "3-10
    zeros" (1+3), "11-138 zeros" (1+7).

    zero_run[g]: a maximal run of g zero lengths (the first symbol of the run
    cannot be a repeat, the previous length being non-zero or absent).
    nonzero_run[c]: a maximal run of c non-zero lengths, all possibly equal
    (the first must be written as a length)."""
    size = 320
    rest = [0] * size  # zeros, after at least one symbol of the run
    for g in range(1, size):
        best = 1 + rest[g - 1]
        for c in range(3, min(6, g) + 1):
            best = min(best, 3 + rest[g - c])
        for c in range(3, min(10, g) + 1):
            best = min(best, 4 + rest[g - c])
        for c in range(11, min(138, g) + 1):
            best = min(best, 8 + rest[g - c])
        rest[g] = best
    zero_run = [0] * size
    for g in range(1, size):
        best = 1 + rest[g - 1]
        for c in range(3, min(10, g) + 1):
            best = min(best, 4 + rest[g - c])
        for c in range(11, min(138, g) + 1):
            best = min(best, 8 + rest[g - c])
        zero_run[g] = best
    rep = [0] * size  # non-zero lengths after the first one of the run
    for m in range(1, size):
        best = 1 + rep[m - 1]
        for c in range(3, min(6, m) + 1):
            best = min(best, 3 + rep[m - c])
        rep[m] = best
    nonzero_run = [0] + [1 + rep[c - 1] for c in range(1, size)]
    return zero_run, nonzero_run


_ZERO_RUN_BITS: list[int] = []
_NONZERO_RUN_BITS: list[int] = []


def _codegen_ready() -> None:
    if not _ZERO_RUN_BITS:
        zero, nonzero = _codegen_tables()
        _ZERO_RUN_BITS.extend(zero)
        _NONZERO_RUN_BITS.extend(nonzero)
# 1 + the smallest position in codegenOrder among the lengths 1..v: when the
# shortest literal/length code is <= v, HCLEN (numCodegens) is at least this.
_HCLEN_MIN = [4] + [max(4, 1 + min(_CODEGEN_ORDER.index(x) for x in range(1, v + 1)))
                    for v in range(1, 16)]
_SURE_LITERAL = bytes(32) + b"\x01" + bytes(223)  # " " -> 1, "x" -> 0
_FIXED8 = bytes(range(144))


def _deflate_lower_bound(data: bytes) -> int:
    """A lower bound on ``len(go_deflate(data))`` for ``len(data) <= _BOUND_MAX``.

    For such inputs Go writes one block (stored, fixed or dynamic Huffman,
    whichever its size estimate prefers) followed by the 10-bit empty final
    fixed block, padded to a byte; so the output is at least the smallest of
    the three block kinds' minimum costs.

    "Repeat positions": Go's matches are >= 4 bytes long, and a byte can lie
    in a match only if it lies in some [s, s+4) whose 4-gram occurs earlier
    in the input.  Every other byte ("sure literal") is a literal token.  A
    run of m repeat positions needs >= ceil(m/258) tokens.

    * stored: exactly 1 + 4 + n bytes, plus the 2 final bytes.
    * fixed: 3 header bits, each sure literal its fixed code length (8 or 9
      bits), each repeat run >= 12 bits (a match is >= 7+5 bits and covers
      <= 258 bytes; a literal >= 8 bits), 7 EOB bits.
    * dynamic: 3+5+5+4 bits, 3 bits per codegen length (HCLEN of them), the
      code-length stream, the tokens, >= 1 EOB bit.
      - The sure literals cost at least their empirical entropy (Shannon:
        any prefix code spends >= sum f*log2(F/f) bits on a multiset with
        counts f, whatever other symbols the code has).
      - The literal/length code has >= 257 lengths: zero for every byte value
        absent from the input, non-zero for the sure literals' values and EOB;
        other byte values may go either way.  Dropping those undecided
        entries can only make the stream cheaper (a symbol covering one of
        them is dropped or covers one entry less, never costing more), so the
        stream costs at least the sum of _ZERO_RUN_BITS/_NONZERO_RUN_BITS
        over the maximal runs of what remains.
      - The literal/length code is complete (Kraft sum 1) over its s >= 2
        symbols, so its shortest length is <= floor(log2(s)), and that
        length appears as a codegen symbol, which bounds HCLEN (_HCLEN_MIN).
        s <= distinct byte values + 1 + (29 length codes if any repeat).
    """
    _codegen_ready()
    n = len(data)
    if n == 0:
        return 2
    ngram = n - 3
    repeats: list[int] = []
    if ngram > 1:
        grams = [0] * ngram
        for r in range(min(4, ngram)):
            cnt = (ngram - r + 3) >> 2
            grams[r::4] = memoryview(data[r:r + 4 * cnt]).cast("I").tolist()
        dups = ngram - len(set(grams))
        if dups:
            if dups <= 8:
                srt = sorted(grams)
                index = grams.index
                for v in set(compress(srt, map(eq, srt, islice(srt, 1, None)))):
                    i = index(v)
                    while True:
                        try:
                            i = index(v, i + 1)
                        except ValueError:
                            break
                        repeats.append(i)
            else:
                first = dict(zip(reversed(grams), range(ngram - 1, -1, -1)))
                repeats = list(compress(range(ngram),
                                        map(ne, map(first.__getitem__, grams), range(ngram))))
    run_tokens = 0
    fixed_runs = 0
    if repeats:
        mask = bytearray(b" " * n)  # "x" marks repeat positions
        for p in repeats:
            mask[p:p + 4] = b"xxxx"
        for ln in map(len, mask.split()):
            full, rem = divmod(ln, _MAX_MATCH)
            run_tokens += full + (1 if rem else 0)
            fixed_runs += 12 * full + (0 if not rem else 8 if rem == 1 else 12)
        lits = bytes(compress(data, mask.translate(_SURE_LITERAL)))
    else:
        lits = data
    u = len(lits)
    hist = Counter(lits)
    # fixed block: literals < 144 take 8 bits, the others 9
    fixed_bits = 3 + 8 * u + len(lits.translate(None, _FIXED8)) + fixed_runs + 7
    # dynamic block
    lit_bits = 0
    if u:
        entropy = u * math.log2(u) - sum(map(_flog2, hist.values()))
        lit_bits = max(0, math.floor(entropy - 1e-7 * (u + 1)))
    # code-length vector entries 0..256: " " = surely zero, "x" = surely
    # non-zero, undecided entries dropped
    classes = bytearray(b" " * 256 + b"x")
    for b in hist:
        classes[b] = 120  # "x"
    present = set(data)
    undecided = present.difference(hist)
    if undecided:
        for b in undecided:
            classes[b] = 45  # "-"
        vec = classes.translate(None, b"-")
    else:
        vec = classes
    cg_bits = sum(map(_ZERO_RUN_BITS.__getitem__, map(len, vec.split(b"x")))) + \
        sum(map(_NONZERO_RUN_BITS.__getitem__, map(len, vec.split())))
    s_max = len(present) + 1 + (29 if repeats else 0)
    hclen = _HCLEN_MIN[min(15, s_max.bit_length() - 1)]
    dyn_bits = 3 + 5 + 5 + 4 + 3 * hclen + cg_bits + lit_bits + run_tokens + 1
    best_bits = min(fixed_bits, dyn_bits) + 10
    return min(n + 7, (best_bits + 7) // 8)


def _flog2(f: int) -> float:
    return f * math.log2(f)


def gzip_may_win(data: bytes, opaque_len: int) -> bool:
    """False when Go's gzip output provably cannot beat ``opaque_len``
    (MakeDataURL requires len(gz) + len("gzip") < len(opaque)).

    True means "run the compressor"; the caller then decides on the exact
    output, so this function only ever saves work and never changes results.
    """
    if _gz_opaque_len(2) + 4 >= opaque_len:  # every deflate stream has >= 2 bytes
        return False
    n = len(data)
    if n > _BOUND_MAX:
        return True
    if n > 512:
        # Only a hint for ordering work: when zlib's fast level already
        # compresses well below the break-even size, gzip will almost surely
        # win and computing the lower bound would be wasted.
        est = len(zlib.compress(data, 1)) - 6
        if _gz_opaque_len(est + (est >> 3) + 16) + 4 < opaque_len:
            return True
    return _gz_opaque_len(_deflate_lower_bound(data)) + 4 < opaque_len
