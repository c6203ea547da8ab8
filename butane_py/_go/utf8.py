"""Go's UTF-8 and printability rules, shared by the ports of Go behaviour.

``decode_rune`` and ``full_rune`` are unicode/utf8's DecodeRune and FullRune on byte
slices (invalid input decodes as U+FFFD of width 1); ``is_print`` is strconv.IsPrint with
Go 1.27's tables.
"""

from __future__ import annotations

from bisect import bisect_right

RUNE_ERROR = 0xFFFD

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


def decode_rune(b: bytes, i: int, end: int | None = None) -> tuple[int, int]:
    """Go's utf8.DecodeRune(b[i:end]) -> (rune, size); size 0 at end."""
    if end is None:
        end = len(b)
    if i >= end:
        return RUNE_ERROR, 0
    c = b[i]
    if c < 0x80:
        return c, 1
    size, lo, hi = _LEAD[c]
    if size == 0 or i + size > end:
        return RUNE_ERROR, 1
    c1 = b[i + 1]
    if c1 < lo or c1 > hi:
        return RUNE_ERROR, 1
    if size == 2:
        return ((c & 0x1F) << 6) | (c1 & 0x3F), 2
    c2 = b[i + 2]
    if c2 < 0x80 or c2 > 0xBF:
        return RUNE_ERROR, 1
    if size == 3:
        return ((c & 0x0F) << 12) | ((c1 & 0x3F) << 6) | (c2 & 0x3F), 3
    c3 = b[i + 3]
    if c3 < 0x80 or c3 > 0xBF:
        return RUNE_ERROR, 1
    return ((c & 0x07) << 18) | ((c1 & 0x3F) << 12) | ((c2 & 0x3F) << 6) | (c3 & 0x3F), 4


def full_rune(b: bytes, i: int, end: int) -> bool:
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



# strconv.IsPrint as ranges generated from Go 1.27: "gap:length" pairs in
# base 36, gap counted from the end of the previous range.
_PRINT_RANGES = (
    "w:2n y:c 1:ju 2:6 4:7 1:1 1:k 1:b1 1:12 2:1e 2:3 1:1j 8:r 4:6 h:m 1:5c 1:1c 2:1n "
    "2:2t e:1n 2:1d 2:f 1:s 2:1 1:b 5:w 7:23 1:4h 1:8 2:2 2:m 1:7 1:1 3:4 2:9 2:2 2:4 "
    "8:1 4:2 1:5 2:p 2:3 1:6 4:2 2:m 1:7 1:2 1:2 1:2 2:1 1:5 4:2 2:3 3:1 7:4 1:1 7:h a:3 "
    "1:9 1:3 1:m 1:7 1:2 1:5 2:a 1:3 1:3 2:1 f:4 2:c 7:7 1:3 1:8 2:2 2:m 1:7 1:2 1:5 2:9 "
    "2:2 2:3 7:3 4:2 1:5 2:i a:2 1:6 3:3 1:4 3:2 1:1 1:2 3:2 3:3 3:c 4:5 3:3 1:4 2:1 6:1 "
    "e:l 5:d 1:3 1:n 1:g 2:9 1:3 1:4 7:2 1:3 1:2 2:4 2:a 7:m 1:3 1:n 1:a 1:5 2:9 1:3 1:4 "
    "7:2 5:3 1:4 2:a 1:3 c:d 1:3 1:1f 1:3 1:6 4:g 2:q 1:3 1:i 3:o 1:9 1:1 2:7 3:1 4:6 "
    "1:1 1:8 6:a 2:3 c:1m 4:t 11:2 1:1 1:5 1:o 1:1 1:n 2:5 1:1 1:7 1:a 2:4 w:20 1:10 "
    "4:13 1:10 1:f 1:d 11:5i 1:1 5:1 2:ah 1:4 2:7 1:1 1:4 2:15 1:4 2:x 1:4 2:7 1:1 1:4 "
    "2:f 1:1l 1:4 2:1v 2:w 3:q 6:2e 2:6 2:hs 1:s 3:2h 7:m 9:o 9:k c:d 1:3 1:2 c:2m 2:a "
    "6:a 6:e 1:b 6:2h 7:17 5:1y a:v 1:c 4:c 4:1 3:16 2:5 b:18 4:q 6:b 3:1q 2:1t 1:t 2:b "
    "6:a 6:e 2:1a 2:c k:25 1:4m 8:1o 3:f 3:1q 5:17 2:b 8:17 5:eu 2:6 2:12 2:6 2:8 1:1 "
    "1:1 1:1 1:v 2:1h 1:f 1:e 2:6 1:j 2:3 1:9 h:o 8:1b h:2 2:r 1:d 3:y e:x f:3w 4:ii m:b "
    "l:1ec 2:am 5:19 1:1 5:1 2:1k 7:2 e:o 9:7 1:7 1:7 1:7 1:7 1:7 1:7 1:7 1:3i y:q 1:2h "
    "c:5y q:g 1:1r 1:2e 2:2v 5:17 1:2m 1:2e 9:1c 1:mlp 3:1j 9:9o k:54 8:65 k:1o 3:a 6:1k "
    "8:1y 8:c 6:38 b:u 3:26 1:b 4:x 1:1j 9:e 2:a 2:2v o:s a:6 2:6 2:6 9:7 1:7 1:1o 4:3i "
    "2:a 6:8mc c:n 4:1d 6is:a6 2:2y 12:7 c:5 5:q 1:5 1:1 1:2 1:2 1:i2 w:16 6:1f 1:j 1:4 "
    "4:5 1:3r 4:5a 3:6 2:6 2:6 2:3 3:7 1:7 d:2 2:c 1:q 1:j 1:2 1:f 2:e y:3f 5:3 4:19 "
    "3:2g 1:d 3:1 1b:1a 3m:t 3:1d f:s 4:10 9:u 5:17 5:u 1:11 4:e 16:4e 2:a 6:10 4:10 "
    "4:14 8:1g b:c 1:f 1:7 1:2 1:b 1:f 1:7 1:2 3:1g c:8n 9:m a:8 o:6 1:16 1:9 1x:6 2:1 "
    "1:18 1:2 3:1 2:n 1:20 8:9 1c:j 1:2 5:x 3:r 5:r 12:1k 4:k 2:1e 1:2 5:8 1:3 1:t 2:3 "
    "4:a 7:9 7:1s w:13 4:c 9:1i 3:t 2:r 5:q 7:4 c:7 28:21 1j:1f d:1f 7:1a 8:a 6:12 3:t "
    "8:2 5s:v 1:16 1:3 2:2 g:6 8:9 x:1a 8:16 m:q 12:s k:n 9:26 4:10 9:1q 1:5 d:p 7:a "
    "6:1h 1:i 8:13 9:2o 1:k b:i 1:1b 1q:7 1:1 1:4 1:f 1:b 6:1n 5:a 6:4 1:8 2:2 2:m 1:7 "
    "1:2 1:5 1:a 2:2 2:3 2:1 6:1 5:7 2:7 3:5 b:a 1:1 2:1 1:12 1:a 1:1 2:1 1:4 1:a 1:2 "
    "8:2 t:2k 1:5 u:20 8:a 4m:1i 2:12 y:1x b:a 6:d j:1m 6:a 6:k s:r 2:f 4:n 55:1o 2s:2b "
    "c:8 2:1 2:8 1:2 1:u 1:2 2:c 9:a 1y:8 2:1a 2:b r:20 8:2b d:21 7:a 2e:8 2g:y e:a 6:9 "
    "1:19 1:e a:t 3:w 2:m 1:e 21:7 1:2 1:18 3:1 1:2 1:9 8:a 6:6 1:2 1:11 1:2 1:6 7:a "
    "6:18 4:a 6u:p 7:h 1:15 3:t 2d:1 f:1e d:pn 2u:33 1:5 b:5g 218:2r d:ts g:m a:32z 5:g7 "
    "5a1:1m 1c6:ft 7:v 1:a 4:29 1:a 6:u 2:6 a:1y a:a 1:7 1:l 5:j c0:1m 5i:2j 5:p 2:p "
    "18:23 4:1l 7:h 1s:5 b:7 9:5p2 15:w 2p:37 6pp:4 1:7 1:2 1:83 f:1 t:3 2:1 e:4 8:b0 "
    "1s4:2z 5:d 3:9 7:a 2:4 31c:71 3:c4 6:n f:h f:1a 2:n 9:38 1o:6u a:13 2:22 8:34 l:1y "
    "3e:k c:k c:2f 9:p 3r:2d 1:1z 1:2 2:1 2:2 2:4 1:c 1:1 1:7 1:1t 1:4 2:8 1:7 1:s 1:4 "
    "1:5 1:1 3:7 1:9g 2:84 2:ji f:5 1:f uo:v 6:6 5x:7 1:h 2:7 1:2 1:5 5:1q x:1 34:19 3:e "
    "2:a 4:2 8w:v h:1m 5:1 cw:16 5y:17 4:1 5c:v 1:m 8:2 68:7 1:4 1:2 1:f 1:5h 2:g 15:24 "
    "4:a 4:2 lt:1w 24:1p 5e:4 1:r 1:2 1:1 2:1 1:a 1:4 1:1 1:1 6:1 4:1 1:1 1:1 1:3 1:2 "
    "1:1 2:1 1:1 1:1 1:1 1:1 1:2 1:1 2:4 1:7 1:4 1:4 1:1 1:a 1:h 5:3 1:5 1:h 1g:2 7i:18 "
    "4:2s c:f 2:f 1:f 1:11 a:4u 1k:t d:18 4:9 7:2 e:6 4a:rd 3:h 3:d 3:62 6:c 4:1 f:c "
    "4:1k 8:a 6:14 8:u 2:c 4:2 e:9 13:9k 8:e 2:d 3:b 3:1l 1:1 4:g 2:c 4:a 7:43 1:2v "
    "sl:wyo w:3dq 2:4ge 2:5rl f:ha 1wi:f2 15u:3t7 5:6ju f62u:6o "
)
_print_starts: list[int] = []
_print_ends: list[int] = []


def _load_print_table() -> None:
    # Decoded lazily: only needed when a quoted string contains non-ASCII.
    pos = 0
    for item in "".join(_PRINT_RANGES).split():
        gap, length = item.split(":")
        start = pos + int(gap, 36)
        pos = start + int(length, 36)
        _print_starts.append(start)
        _print_ends.append(pos)


def is_print(r: int) -> bool:
    """strconv.IsPrint."""
    if r < 0x80:
        return 0x20 <= r < 0x7F
    if not _print_starts:
        _load_print_table()
    k = bisect_right(_print_starts, r) - 1
    return k >= 0 and r < _print_ends[k]


