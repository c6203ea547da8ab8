"""Decompression of verified downloads: xz, gzip or zstd, detected by magic bytes; other data
is copied unchanged. Truncated or corrupt data is a :class:`DecompressionError`."""

from __future__ import annotations

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


def _detect(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(6)
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
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
    if kind == "zstd":
        import zstandard

        _check_zstd_frames(path)
        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), read_across_frames=True, closefd=True)
    return open(path, "rb")


def decompress_file(src: str | os.PathLike[str], dest: str | os.PathLike[str]) -> str | None:
    """Stream-decompress ``src`` (xz/gzip/zstd by magic, else copy) into ``dest`` atomically.

    Returns the detected format (None for a plain copy). Truncated or corrupt data is a
    :class:`DecompressionError`; errors writing ``dest`` propagate as ``OSError``.
    """
    import zstandard

    src_p, dest_p = Path(src), Path(dest)
    kind = _detect(src_p)
    with _temp(dest_p.parent) as tmp, open(tmp, "wb") as out:
        try:
            with _open_decompressed(src_p, kind) as reader:
                while chunk := reader.read(CHUNK):
                    out.write(chunk)
        except (EOFError, lzma.LZMAError, zlib.error, zstandard.ZstdError, ValueError, gzip.BadGzipFile) as exc:
            raise DecompressionError(f"{src_p.name}: cannot decompress {kind}: {exc}") from None
        out.flush()
        os.fsync(out.fileno())
        _publish(tmp, dest_p)
    return kind

