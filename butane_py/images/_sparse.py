"""Sparse, atomic copies of raw disk images, extended to a size.

A copy is a reflink where the filesystem has them (the whole file shares its blocks), else
each data extent (``SEEK_DATA``/``SEEK_HOLE``) is copied with ``copy_file_range`` (the kernel
copies, or clones the range on XFS, NFS and the like), else read and written. Holes stay
holes, so the copy takes the space its source takes. The new file is written beside the
destination, fsynced and renamed: the destination is the whole copy or is untouched. Each
piece copied is handed to writeback at once, so that the disk writes while the copy goes on
and the fsync has little left to wait for.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager

from ..io import os_reason, output_target, replacing, same_file, signals_unwind
from ..errors import ImageError

_FICLONE = 0x40049409  # ioctl: make the destination share every block of the source
_CHUNK = 8 << 20  # read-write copies move this much at a time
# copy_file_range copies this much at a time, each piece then handed to writeback
_WRITEBACK = 32 << 20
# copy_file_range errors that mean "not between these files", not "the copy failed".
_NO_COPY_FILE_RANGE = (errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL, errno.EBADF)

#: The largest size a file can have (off_t).
MAX_SIZE = (1 << 63) - 1

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE = re.compile(r"([0-9]+)(?:([kmgt])(i?b)?)?", re.IGNORECASE)


def printable(text: str) -> str:
    """``text`` escaped for an error message (see :func:`butane_py.images.printable`)."""
    from ._common import printable as escaped  # here: _common's imports cost more than a copy's work

    return escaped(text)


class DiskError(ImageError):
    """A disk copy or size that is refused, or a copy that failed; the message is one line."""


def parse_size(text: str) -> int:
    """Bytes from a size such as ``20G``: an integer, optionally followed by ``K``, ``M``,
    ``G`` or ``T`` (either case) or ``KiB``, ``MiB``, ``GiB``, ``TiB``, all powers of 1024.

    That is the part of size syntax that ``qemu-img`` (single letters), ``truncate`` and
    ``fallocate`` (both spellings) read alike. ``KB``/``GB`` are refused because tools
    disagree on them (1000 or 1024), and so are fractions (``1.5G``), which not all of them
    take.
    """
    m = _SIZE.fullmatch(text)
    if not m or (m[3] is not None and m[3].lower() != "ib"):
        raise DiskError(
            printable(f"invalid size {text!r}: use bytes or an integer with K, M, G, T (or KiB, MiB, GiB, TiB)")
        )
    size = int(m[1]) * _UNITS[(m[2] or "").lower()]
    if size > MAX_SIZE:
        raise DiskError(printable(f"size {text!r} is larger than a file can be"))
    return size


def copy_disk(src: str | os.PathLike[str], dst: str | os.PathLike[str], size: int | str | None = None) -> str:
    """Copy the raw disk ``src`` to ``dst``, sparse, then extend it to ``size`` bytes (an int,
    or a string for :func:`parse_size`; default: the source's size). Returns how it was
    copied: ``reflink``, ``copy_file_range`` or ``read-write``.

    Refused (:class:`DiskError`): a ``size`` smaller than the source, a ``dst`` that is the
    source (by name, link or inode) or is not a regular file. ``dst`` appears whole or not
    at all (see :func:`writing_disk`); ``src`` is only read.
    """
    src, dst = os.fspath(src), os.fspath(dst)
    if isinstance(size, str):
        size = parse_size(size)
    try:
        src_fd = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise DiskError(printable(f"cannot open {src}: {os_reason(exc)}")) from None
    try:
        st = os.fstat(src_fd)
        if not stat.S_ISREG(st.st_mode):
            raise DiskError(printable(f"{src} is not a regular file"))
        if size is None:
            size = st.st_size
        elif size < st.st_size:
            raise DiskError(f"size {size} is smaller than the source disk ({st.st_size} bytes)")
        elif size > MAX_SIZE:
            raise DiskError(f"size {size} is larger than a file can be")
        with writing_disk(dst, not_over=src_fd) as dst_fd:
            try:
                return _copy(src_fd, dst_fd, st.st_size, size)
            except OSError as exc:
                raise DiskError(printable(f"cannot copy {src} to {dst}: {os_reason(exc)}")) from None
    finally:
        os.close(src_fd)


@contextmanager
def writing_disk(dst: str | os.PathLike[str], not_over: int | None = None) -> Iterator[int]:
    """A descriptor on a new, empty file beside ``dst`` to fill; when the block ends normally
    it is fsynced and renamed to ``dst`` (a symbolic link there keeps pointing at it),
    otherwise it is removed, on an error, Ctrl-C, SIGTERM or SIGHUP alike (see
    :func:`butane_py.io.signals_unwind`).

    The file is unnamed while it is filled where the filesystem allows (``O_TMPFILE``), so
    even SIGKILL leaves nothing. ``not_over`` is a descriptor of the source: a ``dst`` that
    is the same file is refused, as is a ``dst`` that is a directory, device or FIFO.
    """
    dst = os.fspath(dst)
    try:
        through, target = output_target(dst)
    except OSError as exc:
        raise DiskError(f"cannot write {printable(dst)}: {os_reason(exc)}") from None
    if through:
        raise DiskError(f"cannot write {printable(dst)}: not a regular file")
    if not_over is not None:
        src = os.fstat(not_over)
        try:
            there = os.stat(target)
        except FileNotFoundError:
            there = None
        except OSError as exc:
            raise DiskError(f"cannot write {printable(dst)}: {os_reason(exc)}") from None
        if there is not None and same_file(there, src):
            raise DiskError(f"refusing to write {printable(dst)} over its own source")
    with signals_unwind():
        try:
            with replacing(target, sync=True) as fd:
                yield fd
        except OSError as exc:
            raise DiskError(f"cannot write {printable(dst)}: {os_reason(exc)}") from None


def _copy(src_fd: int, dst_fd: int, length: int, size: int) -> str:
    """Copy ``length`` bytes, leaving holes, into the empty ``dst_fd``, then extend it to ``size``."""
    try:
        import fcntl

        fcntl.ioctl(dst_fd, _FICLONE, src_fd)
        how = "reflink"
    except OSError:
        os.ftruncate(dst_fd, length)
        how = "copy_file_range"
        buf = None
        for start, end in _data_extents(src_fd, length):
            pos = start
            while pos < end:
                if how == "copy_file_range":
                    try:
                        n = os.copy_file_range(src_fd, dst_fd, min(_WRITEBACK, end - pos), pos, pos)
                    except OSError as exc:
                        if exc.errno not in _NO_COPY_FILE_RANGE:
                            raise
                        how = "read-write"
                        continue
                else:
                    if buf is None:
                        buf = memoryview(bytearray(_CHUNK))
                    n = os.preadv(src_fd, [buf[: min(_CHUNK, end - pos)]], pos)
                    _pwrite_all(dst_fd, buf[:n], pos)
                if n == 0:
                    raise DiskError("the source disk changed (it got shorter) while it was copied")
                _start_writeback(dst_fd, pos, n)
                pos += n
    if os.fstat(dst_fd).st_size != size:
        os.ftruncate(dst_fd, size)
    return how


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Start writing a piece of the copy to the disk, without waiting for it: the disk then
    writes while the next piece is copied, and the fsync before the rename waits for the last
    pieces only. (``DONTNEED`` starts the write of dirty pages and drops only clean ones;
    Python has no ``sync_file_range``.)"""
    try:
        os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass  # only a hint


def _data_extents(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each data extent below ``size``; the whole file where the filesystem
    cannot tell (then the copy is complete, just not sparse)."""
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # only a hole remains
                return
            if exc.errno == errno.EINVAL and pos == 0:
                yield 0, size
                return
            raise
        if start >= size:
            return
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        yield start, end
        pos = end


def _pwrite_all(fd: int, data: memoryview, offset: int) -> None:
    while data:
        n = os.pwrite(fd, data, offset)
        data = data[n:]
        offset += n
