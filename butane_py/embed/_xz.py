"""xz compression exactly as coreos-installer produces it.

coreos-installer writes its cpio archive through an xz encoder (preset 9, CRC32 check) that
receives a *full flush* after every file whose size is not a multiple of four: the cpio
writer pads such a file and then flushes its output. A full flush ends the xz block, so its
archives are a sequence of blocks, not the single block ``lzma.compress`` makes. Python's
``lzma`` module has no flush action, so the encoder is driven through liblzma itself (the
library that module wraps). Where liblzma cannot be loaded, ``lzma`` is used: still a valid
CRC32 xz stream that every reader accepts, only not byte-identical.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import lzma

_RUN, _FULL_FLUSH, _FINISH = 0, 2, 3
_OK, _STREAM_END = 0, 1
_CHECK_CRC32 = 1
_PRESET = 9


class _Stream(ctypes.Structure):
    _fields_ = [
        ("next_in", ctypes.c_void_p),
        ("avail_in", ctypes.c_size_t),
        ("total_in", ctypes.c_uint64),
        ("next_out", ctypes.c_void_p),
        ("avail_out", ctypes.c_size_t),
        ("total_out", ctypes.c_uint64),
        ("allocator", ctypes.c_void_p),
        ("internal", ctypes.c_void_p),
        ("reserved_ptr", ctypes.c_void_p * 4),
        ("reserved_int1", ctypes.c_uint64),
        ("reserved_int2", ctypes.c_uint64),
        ("reserved_int3", ctypes.c_size_t),
        ("reserved_int4", ctypes.c_size_t),
        ("reserved_enum", ctypes.c_int * 2),
    ]


_lib: ctypes.CDLL | None | bool = False


def _liblzma() -> ctypes.CDLL | None:
    global _lib
    if _lib is False:
        _lib = None
        for name in (ctypes.util.find_library("lzma"), "liblzma.so.5", "liblzma.dylib"):
            if not name:
                continue
            try:
                lib = ctypes.CDLL(name)
                lib.lzma_easy_encoder.argtypes = [ctypes.POINTER(_Stream), ctypes.c_uint32, ctypes.c_int]
                lib.lzma_code.argtypes = [ctypes.POINTER(_Stream), ctypes.c_int]
                lib.lzma_end.argtypes = [ctypes.POINTER(_Stream)]
                _lib = lib
                break
            except (OSError, AttributeError):
                continue
    return _lib


class XzWriter:
    """An xz encoder (preset 9, CRC32) with ``write``, ``full_flush`` and ``finish``."""

    def __init__(self) -> None:
        self._out: list[bytes] = []
        self._lib = _liblzma()
        if self._lib is None:
            self._fallback = lzma.LZMACompressor(format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32, preset=_PRESET)
            return
        self._strm = _Stream()
        ret = self._lib.lzma_easy_encoder(ctypes.byref(self._strm), _PRESET, _CHECK_CRC32)
        if ret != _OK:
            raise MemoryError(f"liblzma could not start an encoder (error {ret})")
        self._buf = ctypes.create_string_buffer(1 << 16)

    def _code(self, data: bytes, action: int) -> None:
        src = ctypes.create_string_buffer(data, len(data)) if data else None
        strm = self._strm
        strm.next_in = ctypes.cast(src, ctypes.c_void_p) if src is not None else None
        strm.avail_in = len(data)
        while True:
            strm.next_out = ctypes.cast(self._buf, ctypes.c_void_p)
            strm.avail_out = len(self._buf)
            ret = self._lib.lzma_code(ctypes.byref(strm), action)
            produced = len(self._buf) - strm.avail_out
            if produced:
                self._out.append(self._buf.raw[:produced])
            if ret == _STREAM_END:
                return
            if ret != _OK:
                raise RuntimeError(f"liblzma failed (error {ret})")
            if action == _RUN and strm.avail_in == 0:
                return

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self._lib is None:
            self._out.append(self._fallback.compress(data))
        else:
            self._code(data, _RUN)

    def full_flush(self) -> None:
        if self._lib is not None:
            self._code(b"", _FULL_FLUSH)

    def finish(self) -> bytes:
        if self._lib is None:
            self._out.append(self._fallback.flush())
        else:
            try:
                self._code(b"", _FINISH)
            finally:
                self._lib.lzma_end(ctypes.byref(self._strm))
        return b"".join(self._out)


def exact() -> bool:
    """Whether output is byte-identical to coreos-installer's (liblzma could be loaded)."""
    return _liblzma() is not None
