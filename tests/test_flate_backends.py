"""The two ports of Go's level-9 compressor give the same bytes.

butane_py._go._flate (C) against the pure-Python port in butane_py._go.flate, the oracle (which
tests/test_go_flate.py checks against real Go): on every file under fixtures/, and on 1,000
seeded random inputs of mixed entropy, most of them small (the Python port is slow on
compressible data), some across the window's and the blocks' boundaries, a few of about 2 MB.
"""

from __future__ import annotations

import os
import random
import struct
import subprocess
import sys

import pytest

from butane_py._go import flate

from .conftest import ROOT

try:
    from butane_py._go._flate import deflate as c_deflate
except ImportError:
    c_deflate = None

needs_c = pytest.mark.skipif(c_deflate is None, reason="the C extension butane_py._go._flate is not built")


def _same(data: bytes, what: str) -> None:
    got = c_deflate(data)
    want = flate._deflate_python(data)
    if got != want:
        at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        pytest.fail(f"{what}: {len(data)} bytes in, C {len(got)} bytes out, Python {len(want)}; "
                    f"first difference at byte {at}")


# ---------------------------------------------------------------------------
# Every file the project carries as a fixture


FIXTURE_DIRS = sorted(p.name for p in (ROOT / "fixtures").iterdir() if p.is_dir())


@needs_c
@pytest.mark.parametrize("top", FIXTURE_DIRS)
def test_fixture_files(top: str) -> None:
    files = sorted(p for p in (ROOT / "fixtures" / top).rglob("*") if p.is_file())
    assert files
    for path in files:
        _same(path.read_bytes(), str(path.relative_to(ROOT)))


# ---------------------------------------------------------------------------
# Seeded random inputs of mixed entropy

_WORDS = ("the of and to in is that for it as was with be by on not he this are or his from at which but "
          "have an had they you were storage files path contents systemd units enabled mode user group "
          "ignition butane variant version inline local").split()
_KINDS = ("random", "text", "runs", "repeat", "alphabet", "counter", "islands", "mixture")


def _make(rng: random.Random, kind: str, n: int) -> bytes:
    """``n`` bytes of one kind: uniform bytes; words; runs of one byte; a unit repeated (at distances
    from 1 byte to beyond the window) with mutations; a small alphabet; little-endian counters;
    random bytes with compressible islands; or a mixture of segments of all these."""
    if kind == "random":
        return rng.randbytes(n)
    if kind == "text":
        words = _WORDS[:rng.randint(2, len(_WORDS))]
        out, size = [], 0
        while size < n:
            word = rng.choice(words) + rng.choice((" ", " ", "\n", ", ", ". ", "\t"))
            out.append(word)
            size += len(word)
        return "".join(out).encode()[:n]
    if kind == "runs":
        out = bytearray()
        while len(out) < n:
            out += bytes([rng.randrange(256)]) * (int(rng.expovariate(1 / 40)) + 1)
        return bytes(out[:n])
    if kind == "repeat":
        unit = rng.randbytes(rng.choice((1, 2, 3, 7, 64, 258, 300, 5000, 32768, 40000)))
        buf = bytearray((unit * (n // len(unit) + 1))[:n])
        for _ in range(rng.randrange(1 + n // 200)):
            buf[rng.randrange(n)] = rng.randrange(256)
        return bytes(buf)
    if kind == "alphabet":
        alphabet = rng.sample(range(256), rng.choice((2, 3, 4, 8, 16, 40)))
        return bytes(rng.choices(alphabet, k=n))
    if kind == "counter":
        step, width = rng.choice((1, 3, 1000)), rng.choice((2, 4))
        fmt = "<H" if width == 2 else "<I"
        start = rng.randrange(1 << 16)
        return b"".join(struct.pack(fmt, (start + i * step) % (1 << (8 * width)))
                        for i in range(n // width + 1))[:n]
    if kind == "islands":
        buf = bytearray(rng.randbytes(n))
        for _ in range(rng.randrange(1 + n // 4000)):
            size = min(n, int(rng.expovariate(1 / 300)) + 4)
            at = rng.randrange(n - size + 1)
            buf[at:at + size] = _make(rng, rng.choice(("text", "runs", "repeat")), size)
        return bytes(buf)
    segments, size = [], 0
    while size < n:
        segment = _make(rng, rng.choice(_KINDS[:-1]), int(rng.expovariate(1 / 3000)) + 1)
        segments.append(segment)
        size += len(segment)
    return b"".join(segments)[:n]


# Sizes around the compressor's boundaries: minimum match, maximum match and lookahead, the
# window (32 KiB), where it slides (65274 = 64 KiB - 262) and the stored block limit (65535).
_EDGES = (0, 1, 2, 3, 4, 5, 8, 257, 258, 259, 261, 262, 263, 520, 32767, 32768, 32769,
          65273, 65274, 65275, 65535, 65536, 65537, 65798, 98304)


def _case(i: int) -> tuple[str, bytes]:
    """Random case i (0 <= i < 1000), always the same input: its kind and bytes."""
    rng = random.Random(f"flate-differential-{i}")
    if i < len(_EDGES) * 2:
        # the edge sizes, once with cheap-to-check random bytes and once with a compressible kind
        n = _EDGES[i // 2]
        kind = "random" if i % 2 == 0 else ("mixture", "runs", "counter")[i // 2 % 3]
    elif i < 990:
        # mostly small: 0 to 20,000 bytes, log-uniform
        n = int(20000 ** rng.random()) - 1
        kind = rng.choice(_KINDS)
    else:
        # 20,000 to 300,000 bytes; where the Python port is slow, mostly random bytes
        n = rng.randrange(20000, 300000)
        kind = rng.choice(("random", "islands", "islands", "repeat", "mixture"))
        if kind == "mixture":
            n //= 4
    return kind, _make(rng, kind, n)


CHUNK = 50


@needs_c
@pytest.mark.parametrize("first", range(0, 1000, CHUNK), ids=lambda first: f"{first}-{first + CHUNK - 1}")
def test_random_inputs(first: int) -> None:
    for i in range(first, first + CHUNK):
        kind, data = _case(i)
        _same(data, f"random case {i} ({kind})")


def _large(kind: str) -> bytes:
    """About 2 MB: many blocks, the window sliding 60 times; kinds the Python port checks fast."""
    rng = random.Random(f"flate-differential-large-{kind}")
    n = 2_000_000 + rng.randrange(1000)
    if kind == "repeat-300":
        unit = rng.randbytes(300)
        buf = bytearray((unit * (n // 300 + 1))[:n])
        for _ in range(2000):
            buf[rng.randrange(n)] = rng.randrange(256)
        return bytes(buf)
    if kind == "islands":
        return _make(rng, "islands", n)
    return _make(rng, "random", n)


@needs_c
@pytest.mark.parametrize("kind", ["random", "repeat-300", "islands"])
def test_large_inputs(kind: str) -> None:
    _same(_large(kind), f"large input ({kind})")


# ---------------------------------------------------------------------------
# Which compressor is used


def _backend_in_subprocess(**env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "BUTANE_PY_PURE_FLATE"}
    environ.update(env, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-c", "from butane_py._go import flate; print(flate.BACKEND)"],
                       capture_output=True, text=True, env=environ, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def test_environment_forces_the_pure_python_compressor() -> None:
    assert _backend_in_subprocess(BUTANE_PY_PURE_FLATE="1") == "python"


def test_the_c_compressor_is_used_when_built() -> None:
    assert _backend_in_subprocess() == ("python" if c_deflate is None else "c")
    assert _backend_in_subprocess(BUTANE_PY_PURE_FLATE="0") == ("python" if c_deflate is None else "c")


@needs_c
def test_c_deflate_takes_any_buffer_and_rejects_the_rest() -> None:
    data = b"storage:\n  files:\n" * 50
    assert c_deflate(bytearray(data)) == c_deflate(memoryview(data)) == flate._deflate_python(data)
    with pytest.raises(TypeError):
        c_deflate("text")


@needs_c
def test_c_deflate_runs_in_threads_at_once() -> None:
    """The compressor releases the GIL and shares no state between calls."""
    import threading

    inputs = [_make(random.Random(f"threads-{i}"), kind, 150_000)
              for i, kind in enumerate(("text", "mixture", "random", "runs"))]
    want = [c_deflate(data) for data in inputs]
    wrong = []

    def work(k: int) -> None:
        for _ in range(3):
            if c_deflate(inputs[k]) != want[k]:
                wrong.append(k)

    threads = [threading.Thread(target=work, args=(k % len(inputs),)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong
