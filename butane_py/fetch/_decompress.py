"""Decompression of verified downloads: xz, gzip, bzip2 or zstd, detected by magic bytes (not
the file name); other data is copied unchanged. Streaming, in bounded memory. Truncated or
corrupt data is a :class:`DecompressionError`; errors writing the output are ``OSError``."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import zlib
from pathlib import Path

from ._cache import CHUNK, _publish, _temp
from ._errors import DecompressionError

_MAGIC = {
    b"\xfd7zXZ\x00": "xz",
    b"\x1f\x8b": "gzip",
    b"\x28\xb5\x2f\xfd": "zstd",
}
# bzip2: "BZh", the block size digit, then the magic of a block or of the end of the stream.
_BZIP2_LEVELS = b"123456789"
_BZIP2_NEXT = (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90")

#: All-zero blocks of this size, aligned in the output, are left as holes in a sparse output.
_BLOCK = 4096
_ZERO_BLOCK = bytes(_BLOCK)
_ZERO_CHUNK = bytes(CHUNK)


def compression_of(path: str | os.PathLike[str]) -> str | None:
    """``xz``, ``gzip``, ``bzip2`` or ``zstd`` from the first bytes of ``path``; None for
    anything else."""
    with open(path, "rb") as fh:
        head = fh.read(10)
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    if head[:3] == b"BZh" and head[3:4] != b"" and head[3] in _BZIP2_LEVELS and head[4:] in _BZIP2_NEXT:
        return "bzip2"
    return None


def _check_zstd_frames(path: Path) -> None:
    """Walk the frame and block headers of a zstd file and raise ``EOFError`` if the last
    frame is cut short: python-zstandard's reader reports a truncated frame as a clean end."""
    size = path.stat().st_size
    pos = 0
    with open(path, "rb") as fh:

        def read(n: int) -> bytes:
            fh.seek(pos)
            data = fh.read(n)
            if len(data) < n:
                raise EOFError("compressed data ends inside a frame")
            return data

        while pos < size:
            magic = int.from_bytes(read(4), "little")
            if 0x184D2A50 <= magic <= 0x184D2A5F:  # a skippable frame
                pos += 8 + int.from_bytes(read(8)[4:], "little")
                continue
            if magic != 0xFD2FB528:
                raise ValueError("data after the last frame")
            desc = read(5)[4]
            single_segment = desc >> 5 & 1
            pos += 5 + (0 if single_segment else 1) + (0, 1, 2, 4)[desc & 3]
            pos += (single_segment, 2, 4, 8)[desc >> 6]
            while True:
                header = int.from_bytes(read(3), "little")
                kind, length = header >> 1 & 3, header >> 3
                if kind == 3:
                    raise ValueError("reserved block type")
                pos += 3 + (1 if kind == 1 else length)
                if header & 1:  # the frame's last block
                    break
            pos += 4 * (desc >> 2 & 1)  # content checksum
        if pos > size:
            raise EOFError("compressed data ends inside a frame")


def _open_decompressed(path: Path, kind: str | None):
    if kind == "xz":
        return lzma.open(path, "rb")
    if kind == "gzip":
        return gzip.open(path, "rb")
    if kind == "bzip2":
        return bz2.open(path, "rb")  # several streams one after another, as pbzip2 writes, too
    if kind == "zstd":
        import zstandard

        _check_zstd_frames(path)
        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), read_across_frames=True, closefd=True)
    return open(path, "rb")


def _read_full(reader, n: int) -> bytes:
    """``n`` bytes, fewer only at the end: each chunk then starts block-aligned in the output."""
    data = reader.read(n)
    while 0 < len(data) < n:
        more = reader.read(n - len(data))
        if not more:
            break
        data += more
    return data


def decompress_into(src: str | os.PathLike[str], fd: int, *, sparse: bool = False) -> str | None:
    """Stream-decompress ``src`` (by magic, else copy) into ``fd``, an empty regular file open
    for writing; returns the detected format. ``sparse``: all-zero 4 KiB blocks are left as
    holes, so a disk image takes the space its data takes. Nothing is fsynced."""
    import zstandard

    src_p = Path(src)
    kind = compression_of(src_p)
    errors = (EOFError, lzma.LZMAError, zlib.error, zstandard.ZstdError, ValueError, OSError)
    size = 0
    try:
        reader = _open_decompressed(src_p, kind)
    except errors as exc:
        raise DecompressionError(f"{src_p.name}: cannot decompress {kind}: {exc}") from None
    with reader:
        while True:
            try:  # corrupt bzip2 and gzip data are OSError too: only reads are caught here
                chunk = _read_full(reader, CHUNK)
            except errors as exc:
                raise DecompressionError(f"{src_p.name}: cannot decompress {kind}: {exc}") from None
            if not chunk:
                break
            if sparse:
                _write_sparse(fd, chunk, size)
            else:
                _pwrite_all(fd, memoryview(chunk), size)
            size += len(chunk)
    os.ftruncate(fd, size)  # the holes at the end
    return kind


def _write_sparse(fd: int, chunk: bytes, offset: int) -> None:
    """Write ``chunk`` at the block-aligned ``offset``, skipping its all-zero blocks."""
    if chunk == _ZERO_CHUNK[: len(chunk)]:
        return
    view = memoryview(chunk)
    n, pos = len(chunk), 0
    while pos < n:
        while pos < n and chunk[pos : pos + _BLOCK] == _ZERO_BLOCK[: n - pos]:
            pos += _BLOCK
        start = pos
        while pos < n and chunk[pos : pos + _BLOCK] != _ZERO_BLOCK[: n - pos]:
            pos += _BLOCK
        if start < n:
            _pwrite_all(fd, view[start : min(pos, n)], offset + start)


def _pwrite_all(fd: int, data: memoryview, offset: int) -> None:
    while data:
        n = os.pwrite(fd, data, offset)
        data = data[n:]
        offset += n


def decompress_file(src: str | os.PathLike[str], dest: str | os.PathLike[str]) -> str | None:
    """Stream-decompress ``src`` (xz/gzip/bzip2/zstd by magic, else copy) into ``dest``
    atomically.

    Returns the detected format (None for a plain copy). Truncated or corrupt data is a
    :class:`DecompressionError`; errors writing ``dest`` propagate as ``OSError``.
    """
    dest_p = Path(dest)
    with _temp(dest_p.parent) as tmp, open(tmp, "r+b") as out:
        kind = decompress_into(src, out.fileno())
        os.fsync(out.fileno())
        _publish(tmp, dest_p)
    return kind
