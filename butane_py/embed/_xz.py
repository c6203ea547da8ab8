"""xz streams exactly as coreos-installer writes its embed areas.

coreos-installer writes its cpio archive through an xz encoder (preset 9, CRC32 check) that
gets a *full flush* after every file whose size is not a multiple of four: the cpio writer pads
such a file, then flushes. A full flush ends the xz block, so its archives are a run of
blocks, each compressed by a fresh LZMA2 encoder. Python's ``lzma`` has no flush, so each
block is compressed on its own as raw LZMA2 and the container (stream header, block headers,
CRC32 checks, index, footer) is laid out here, as the .xz format specification describes it.

Each block is compressed by liblzma's one-shot raw encoder through ctypes when the library
can be loaded: with its default allocator a new preset-9 encoder gets its 64 MiB hash table
from calloc and only touches the pages it uses (under 1 ms), where Python's ``lzma`` hands
liblzma an allocator without calloc, so every encoder clears the whole table (30 ms). Both
give the same bytes; ``lzma`` is the fallback.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import lzma
import struct
import zlib
from typing import Iterable

_MAGIC = b"\xfd7zXZ\x00"
_FLAGS = b"\x00\x01"  # check type 1: CRC32
_LZMA2 = [{"id": lzma.FILTER_LZMA2, "preset": 9}]
_LZMA2_ID = 0x21
_LZMA2_PROPS = b"\x1c"  # the dictionary size, 64 MiB at preset 9: (2 | 0) << (0x1c // 2 + 11)


def _crc32(data: bytes) -> bytes:
    return struct.pack("<I", zlib.crc32(data))


def _vli(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _pad4(n: int) -> bytes:
    return b"\0" * (-n % 4)


def _block_header() -> bytes:
    body = b"\x00" + _vli(_LZMA2_ID) + _vli(len(_LZMA2_PROPS)) + _LZMA2_PROPS  # one filter, no sizes
    size = 1 + len(body)
    size += -size % 4
    head = bytes([(size + 4) // 4 - 1]) + body
    head += _pad4(len(head))
    return head + _crc32(head)


_VLI_UNKNOWN = 2**64 - 1


class _Filter(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint64), ("options", ctypes.c_void_p)]


_encoder: object = False  # not looked up yet


def _liblzma_encoder():
    """A ``compress(data) -> bytes`` on liblzma's raw buffer encoder, or None."""
    global _encoder
    if _encoder is False:
        _encoder = None
        for name in (ctypes.util.find_library("lzma"), "liblzma.so.5"):
            if name:
                _encoder = _raw_encoder(name)
                if _encoder is not None:
                    break
    return _encoder


def _raw_encoder(name: str):
    try:
        lib = ctypes.CDLL(name)
        preset, encode = lib.lzma_lzma_preset, lib.lzma_raw_buffer_encode
    except (OSError, AttributeError):
        return None
    preset.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    encode.argtypes = [ctypes.POINTER(_Filter), ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                       ctypes.c_char_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_size_t]
    options = ctypes.create_string_buffer(512)  # larger than lzma_options_lzma in any version
    if preset(options, 9) != 0:
        return None
    filters = (_Filter * 2)((_LZMA2_ID, ctypes.cast(options, ctypes.c_void_p)), (_VLI_UNKNOWN, None))

    def compress(data: bytes) -> bytes:
        size = len(data) + len(data) // 8 + 4096
        out = ctypes.create_string_buffer(size)
        pos = ctypes.c_size_t(0)
        ret = encode(filters, None, data, len(data), out, ctypes.byref(pos), size)
        if ret != 0:
            raise MemoryError(f"liblzma could not compress (error {ret})")
        return out.raw[: pos.value]

    compress.keep = (lib, options)  # the filter options must outlive every call
    return compress


def _lzma2(data: bytes) -> bytes:
    encoder = _liblzma_encoder()
    if encoder is not None:
        return encoder(data)
    return lzma.compress(data, format=lzma.FORMAT_RAW, filters=_LZMA2)


def xz_blocks(blocks: Iterable[bytes]) -> bytes:
    """One .xz stream (CRC32 check) holding each of ``blocks`` as its own block."""
    header = _block_header()
    out = [_MAGIC, _FLAGS, _crc32(_FLAGS)]
    records = []
    for data in blocks:
        packed = _lzma2(data)
        out += [header, packed, _pad4(len(packed)), _crc32(data)]
        records.append((len(header) + len(packed) + 4, len(data)))
    index = b"\x00" + _vli(len(records)) + b"".join(_vli(u) + _vli(n) for u, n in records)
    index += _pad4(len(index))
    index += _crc32(index)
    footer = struct.pack("<I", len(index) // 4 - 1) + _FLAGS
    out += [index, _crc32(footer), footer, b"YZ"]
    return b"".join(out)
