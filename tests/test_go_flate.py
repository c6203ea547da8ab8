"""Golden tests for butane_py._go.flate (Go's gzip/flate level 9, dataurl.Escape
and Butane's MakeDataURL).

Every expected value in fixtures/go/flate/ was produced by real Go: Butane's
vendored packages and compress/gzip, compress/flate, encoding/base64 and
net/url of go1.27.3 (a throwaway program calling
``gzip.NewWriterLevel(&buf, gzip.BestCompression)`` + ``Write`` + ``Close``,
``dataurl.Escape`` and ``util.MakeDataURL``).

Inputs are stored in one of three forms:

* ``input_b64``: the bytes themselves (base64);
* ``input_gen``: a generator spec, expanded by :func:`generate` below (a
  SplitMix64 stream, so that multi-megabyte inputs need not be stored);
* ``input_concat``: a list of the above, concatenated.

Expected gzip streams are stored in full (``gzip_b64``) when small, else as
``gzip_len`` + ``gzip_sha256``; data URLs likewise (``uri`` or ``uri_len`` +
``uri_sha256``).

Every test that compresses runs with both compressors (the ``backend`` fixture): the C
extension ``butane_py._go._flate`` (skipped when it is not built, or when
``BUTANE_PY_PURE_FLATE`` asks for the pure-Python one) and the pure-Python port.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zlib
from pathlib import Path
from typing import Any

import pytest

from butane_py._go import dataurl, flate
from butane_py.butane import _dataurl

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "go" / "flate"

try:
    from butane_py._go._flate import deflate as C_DEFLATE
except ImportError:
    C_DEFLATE = None
PURE_REQUESTED = os.environ.get("BUTANE_PY_PURE_FLATE", "") not in ("", "0")


@pytest.fixture(params=["c", "python"])
def backend(request, monkeypatch) -> str:
    """Run the test with go_deflate/go_gzip on the C port, then on the pure-Python one."""
    if request.param == "c":
        if PURE_REQUESTED:
            pytest.skip("BUTANE_PY_PURE_FLATE is set: pure-Python compressor only")
        if C_DEFLATE is None:
            pytest.skip("the C extension butane_py._go._flate is not built")
        monkeypatch.setattr(flate, "_deflate", C_DEFLATE)
    elif PURE_REQUESTED:
        assert flate.BACKEND == "python"  # the module's own choice, as users get it
    else:
        monkeypatch.setattr(flate, "_deflate", flate._deflate_python)
    return request.param

_M64 = (1 << 64) - 1

# Word list for the "text" generator (fixed: part of the fixture format).
_WORDS = (
    "the of and to in is that for it as was with be by on not he this are or his "
    "from at which but have an had they you were their one all we can her has there "
    "been if more when will would who so no storage files path contents systemd "
    "units enabled mode user group ignition butane variant version inline local"
).split()


class SplitMix64:
    """SplitMix64 (Steele, Lea, Flood 2014): the PRNG behind ``input_gen``."""

    def __init__(self, seed: int) -> None:
        self.state = seed & _M64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
        return z ^ (z >> 31)

    def below(self, k: int) -> int:
        return self.next() % k

    def randbytes(self, n: int) -> bytes:
        words = (n + 7) // 8
        nxt = self.next
        return b"".join([nxt().to_bytes(8, "little") for _ in range(words)])[:n]


def generate(spec: dict[str, Any]) -> bytes:
    """Expand an ``input_gen`` spec: {"gen": kind, "seed": s, "n": length, ...}.

    kinds:
      random   n uniform bytes (8 per PRNG step, little-endian)
      alphabet n bytes drawn from k = spec["k"] distinct values: the first k
               distinct bytes of the random stream form the alphabet, then
               each random byte b picks alphabet[b % k]
      text     words of _WORDS[:spec["v"]] separated by one of " ", " ", " ",
               "\\n", ", ", ". " (one PRNG step picks the word, the next the
               separator), cut to n bytes
      repeat   a random unit of spec["unit"] bytes repeated to n bytes, then
               spec["mut"] random positions set to random bytes
      zeros    n zero bytes, then n // spec["every"] random positions set to
               random bytes
      sparse   n random bytes, then for each of spec["copies"] copies: length
               from (4, 5, 6, 8, 12, 30, 60), distance from (1, 2, 3, 100,
               1000, 32767, 32768, 32769, 40000), start either random or near
               a multiple of 32768; copy byte by byte if it fits
      json     lines '<indent>"<key>": <value>,\\n' with a drifting depth,
               cut to n bytes
    """
    kind = spec["gen"]
    rng = SplitMix64(spec["seed"])
    n = spec["n"]
    if kind == "random":
        return rng.randbytes(n)
    if kind == "alphabet":
        k = spec["k"]
        alpha = bytearray()
        while len(alpha) < k:
            b = rng.below(256)
            if b not in alpha:
                alpha.append(b)
        table = bytes(alpha[b % k] for b in range(256))
        return rng.randbytes(n).translate(table)
    if kind == "text":
        words = _WORDS[: spec["v"]]
        seps = (" ", " ", " ", "\n", ", ", ". ")
        parts: list[str] = []
        size = 0
        while size < n:
            part = words[rng.below(len(words))] + seps[rng.below(len(seps))]
            parts.append(part)
            size += len(part)
        return "".join(parts).encode()[:n]
    if kind == "repeat":
        unit = rng.randbytes(spec["unit"])
        buf = bytearray((unit * (n // len(unit) + 1))[:n])
        for _ in range(spec["mut"]):
            if n:
                buf[rng.below(n)] = rng.below(256)
        return bytes(buf)
    if kind == "zeros":
        buf = bytearray(n)
        for _ in range(n // spec["every"]):
            buf[rng.below(n)] = rng.below(256)
        return bytes(buf)
    if kind == "sparse":
        buf = bytearray(rng.randbytes(n))
        lengths = (4, 5, 6, 8, 12, 30, 60)
        dists = (1, 2, 3, 100, 1000, 32767, 32768, 32769, 40000)
        for _ in range(spec["copies"]):
            ln = lengths[rng.below(len(lengths))]
            d = dists[rng.below(len(dists))]
            if rng.below(3) == 0:
                p = (1 + rng.below(max(1, n // 32768))) * 32768 + rng.below(300) - 290
            else:
                p = rng.below(max(1, n))
            if 0 <= p - d and p + ln <= n:
                for i in range(ln):
                    buf[p + i] = buf[p - d + i]
        return bytes(buf)
    if kind == "json":
        keys = ("name", "path", "mode", "contents", "source", "user", "group", "id")
        lines: list[str] = []
        size = 0
        depth = 0
        while size < n:
            r = rng.below(4)
            value = ('"/etc/%d"' % rng.below(1000), str(rng.below(10**6)), "true", "{")[r]
            line = "  " * depth + '"%s": %s,\n' % (keys[rng.below(len(keys))], value)
            if r == 3:
                depth = min(depth + 1, 12)
            elif depth and rng.below(5) == 0:
                depth -= 1
            lines.append(line)
            size += len(line)
        return "".join(lines).encode()[:n]
    raise ValueError("unknown generator %r" % kind)


def case_input(case: dict[str, Any]) -> bytes:
    if "input_b64" in case:
        return base64.b64decode(case["input_b64"])
    if "input_gen" in case:
        return generate(case["input_gen"])
    if "input_concat" in case:
        return b"".join(case_input(part) for part in case["input_concat"])
    raise KeyError("case has no input")


def _load(name: str) -> list[Any]:
    cases = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert cases, name
    return [pytest.param(c, id=c.get("name", str(i))) for i, c in enumerate(cases)]


def _check_gzip(case: dict[str, Any], got: bytes) -> None:
    if "gzip_b64" in case:
        assert got == base64.b64decode(case["gzip_b64"])
    else:
        assert len(got) == case["gzip_len"]
        assert hashlib.sha256(got).hexdigest() == case["gzip_sha256"]


# ---------------------------------------------------------------------------
# go_gzip


@pytest.mark.parametrize("case", _load("gzip.json"))
def test_go_gzip(case: dict[str, Any], backend: str) -> None:
    data = case_input(case)
    assert len(data) == case["input_len"]
    got = flate.go_gzip(data)
    _check_gzip(case, got)
    # It is a valid gzip stream of the input, as a sanity check.
    assert zlib.decompress(got, 31) == data


def test_go_gzip_header_and_trailer(backend: str) -> None:
    got = flate.go_gzip(b"")
    # magic, CM=8, FLG=0, MTIME=0, XFL=2 (BestCompression), OS=255
    assert got[:10] == bytes.fromhex("1f8b08000000000002ff")
    # empty input: one empty final fixed block, then CRC-32 and ISIZE = 0
    assert got[10:] == bytes.fromhex("0300") + bytes(8)
    data = b"butane\n" * 3
    got = flate.go_gzip(data)
    assert got[-8:-4] == zlib.crc32(data).to_bytes(4, "little")
    assert got[-4:] == len(data).to_bytes(4, "little")


def test_go_deflate_is_gzip_body(backend: str) -> None:
    data = b"storage:\n  files:\n    - path: /etc/motd\n" * 40
    assert flate.go_gzip(data)[10:-8] == flate.go_deflate(data)


# ---------------------------------------------------------------------------
# dataurl.Escape


@pytest.mark.parametrize("case", _load("escape.json"))
def test_data_url_escape(case: dict[str, Any]) -> None:
    assert dataurl.escape(case_input(case)) == case["escaped"]


# ---------------------------------------------------------------------------
# MakeDataURL


def _check_url(case: dict[str, Any], got: tuple[str, str | None]) -> None:
    uri, compression = got
    if "uri" in case:
        assert uri == case["uri"]
    else:
        assert len(uri) == case["uri_len"]
        assert hashlib.sha256(uri.encode("ascii")).hexdigest() == case["uri_sha256"]
    assert compression == case["compression"]


@pytest.mark.parametrize("case", _load("data_url.json"))
def test_make_data_url(case: dict[str, Any], backend: str) -> None:
    data = case_input(case)
    got = _dataurl.make_data_url(data, case["current_compression"], case["allow_compression"])
    _check_url(case, got)


@pytest.mark.parametrize("case", [c for c in _load("data_url.json")
                                  if c.values[0]["input_len"] <= 4096])
def test_make_data_url_skip_rule_is_transparent(case: dict[str, Any], monkeypatch,
                                                  backend: str) -> None:
    """The lower-bound shortcut must never change the result: with it
    disabled (gzip always computed) the same URL comes out."""
    monkeypatch.setattr(_dataurl, "gzip_may_win", lambda data, opaque_len: True)
    data = case_input(case)
    got = _dataurl.make_data_url(data, case["current_compression"], case["allow_compression"])
    _check_url(case, got)


# ---------------------------------------------------------------------------
# The conformance corpus: local files, inline contents of the .bu cases and
# the contents of the data URLs in the expected .ign outputs


@pytest.mark.parametrize("case", _load("corpus.json"))
def test_corpus(case: dict[str, Any], backend: str) -> None:
    data = case_input(case)
    _check_gzip(case, flate.go_gzip(data))
    _check_url(case, _dataurl.make_data_url(data, None, True))
    if len(data) <= flate._BOUND_MAX:
        assert flate._deflate_lower_bound(data) <= len(flate.go_deflate(data))


def test_make_data_url_semantics(backend: str) -> None:
    # No compression requested by the user: compression is "" (not nil).
    assert _dataurl.make_data_url(b"hello world\n", None, True) == ("data:,hello%20world%0A", "")
    assert _dataurl.make_data_url(b"hello world\n", "", True) == ("data:,hello%20world%0A", "")
    # User-specified compression: nil, and the contents are never gzipped.
    uri, compression = _dataurl.make_data_url(b"a" * 1000, "gzip", True)
    assert compression is None and uri == "data:," + "a" * 1000
    # Compression not allowed.
    uri, compression = _dataurl.make_data_url(b"a" * 1000, None, False)
    assert compression == "" and uri == "data:," + "a" * 1000
    # Allowed and worthwhile.
    uri, compression = _dataurl.make_data_url(b"a" * 1000, None, True)
    assert compression == "gzip" and uri.startswith("data:;base64,H4sI")
    # Ties between the escaped and the base64 form go to the escaped form
    # (5 reserved bytes: both opaque forms are 16 characters long).
    assert _dataurl.make_data_url(b"\x00" * 5, None, False) == ("data:,%00%00%00%00%00", "")
    assert _dataurl.make_data_url(b"\x00" * 9, None, False) == ("data:;base64,AAAAAAAAAAAA", "")
    assert _dataurl.make_data_url(b"", None, True) == ("data:,", "")


# ---------------------------------------------------------------------------
# The gzip-size lower bound behind the skip rule


@pytest.mark.parametrize("case", [c for c in _load("gzip.json")
                                  if c.values[0]["input_len"] <= flate._BOUND_MAX])
def test_deflate_lower_bound_is_sound(case: dict[str, Any], backend: str) -> None:
    data = case_input(case)
    bound = flate._deflate_lower_bound(data)
    actual = len(flate.go_deflate(data))
    assert 2 <= bound <= actual


def test_deflate_lower_bound_is_useful() -> None:
    # Typical one-line contents: the bound alone rules gzip out.
    for line in (b"Hello, world from butane file number 1234\n",
                 b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnE2gWz0X3b4L1kq0x2GgC5lQ8mPn3yQ9h2"
                 b"fbc8dEw7 core@example.com\n",
                 "äöüß ünïcödé text, not ASCII at all\n".encode()):
        uri, compression = _dataurl.make_data_url(line, None, True)
        assert compression == ""
        assert not flate.gzip_may_win(line, len(uri) - len("data:"))
