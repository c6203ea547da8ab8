"""Writing a changed image: in place, to a new file, or to standard output.

All three give the same bytes. In place only the changed areas are written. A new file is a
copy (a reflink where the filesystem allows, else the data extents only, so holes stay holes)
made beside the target, patched, then renamed into place. Standard output gets
the image streamed with the areas spliced in.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from contextlib import contextmanager

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import BinaryIO, Iterable, Iterator

from ..io import os_reason, output_target, replacing
from ._errors import OutputError
from ._live import Region

_FICLONE = 0x40049409
_CHUNK = 1 << 20


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view = view[n:]
        offset += n


# Signals that would stop the process between two area writes: held back while an image is
# patched in place, then delivered (SIGKILL and power loss cannot be held: `iso reset` repairs).
_HELD = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
# Tests set this to a path: it is created after the first area is written, then the patch pauses,
# so that a signal can be sent right there.
_PAUSE_ENV = "_BUTANE_PY_TEST_PATCH_PAUSE"


def patch_in_place(path: str, regions: Iterable[Region]) -> None:
    """Write the changed areas into ``path`` itself; nothing else is touched.

    All or nothing as far as the process can make it: the areas' blocks are allocated first (an
    image may be sparse, and a full disk must fail before any byte changes), the writes and the
    fsync run with :data:`_HELD` signals blocked.
    """
    regions = list(regions)
    if not regions:
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC | os.O_NONBLOCK)  # a FIFO put there must not block
    except OSError as exc:
        raise OutputError(f"cannot open {path} for writing: {os_reason(exc)}") from None
    try:
        for r in regions:
            _allocate(fd, r.offset, r.length)
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
        try:
            for i, r in enumerate(regions):
                if i == 1:
                    _test_pause()
                _pwrite_all(fd, r.contents, r.offset)
            os.fsync(fd)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {os_reason(exc)}") from None
    finally:
        os.close(fd)


def _allocate(fd: int, offset: int, length: int) -> None:
    try:
        os.posix_fallocate(fd, offset, length)
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS, errno.ENODEV):
            raise


def _test_pause() -> None:
    marker = os.environ.get(_PAUSE_ENV)
    if marker:
        import time

        with open(marker, "w"):
            pass
        time.sleep(2)


def _data_extents(fd: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of every data extent, by SEEK_DATA/SEEK_HOLE; the whole file if unsupported."""
    extents = []
    pos = 0
    try:
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError as exc:
                if exc.errno == errno.ENXIO:  # only a hole remains
                    break
                raise
            end = os.lseek(fd, start, os.SEEK_HOLE)
            extents.append((start, min(end, size)))
            pos = end
    except (OSError, AttributeError):
        return [(0, size)]
    return extents


def clone_file(src_fd: int, dst_fd: int, size: int) -> str:
    """Make ``dst_fd`` a copy of ``src_fd``; returns how: ``reflink`` or ``extents``.

    Without reflinks only the data extents are copied, through one reused buffer; holes stay
    holes. (copy_file_range was measured slower than this on ext4: 65 against 54 ms per
    256 MiB, as it falls back to an in-kernel splice there.)
    """
    try:
        import fcntl

        fcntl.ioctl(dst_fd, _FICLONE, src_fd)
        return "reflink"
    except OSError:
        pass
    os.ftruncate(dst_fd, size)
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    for start, end in _data_extents(src_fd, size):
        pos = start
        while pos < end:
            n = os.preadv(src_fd, [view[: min(_CHUNK, end - pos)]], pos)
            if n == 0:
                break
            _pwrite_all(dst_fd, view[:n], pos)
            pos += n
    return "extents"


@contextmanager
def new_file(dest: str, force: bool, mode: int | None = None, shown: str | None = None) -> Iterator[int]:
    """A file descriptor on a temporary file beside ``dest`` to fill; when the block ends
    normally it becomes ``dest`` (see :func:`..io.replacing`: ``mode`` defaults to the replaced
    file's, else ``0666 & ~umask``), otherwise it is removed. Without ``force`` an existing
    ``dest`` is refused, up front and again at the end (a hard link never clobbers)."""
    shown = shown or dest
    if not force and os.path.lexists(dest):
        raise OutputError(f"{shown} already exists; use --force to overwrite it")
    try:
        with replacing(dest, exclusive=not force, mode=mode) as fd:
            yield fd
    except FileExistsError:
        raise OutputError(f"{shown} already exists; use --force to overwrite it") from None
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {os_reason(exc)}") from None


def write_copy(src: str, dest: str, regions: Iterable[Region], force: bool = False, shown: str | None = None) -> None:
    """Write a patched copy of ``src`` to ``dest`` atomically; ``src`` is only read."""
    regions = list(regions)
    try:
        src_fd = os.open(src, os.O_RDONLY)
    except OSError as exc:
        raise OutputError(f"cannot open {src}: {os_reason(exc)}") from None
    try:
        size = os.fstat(src_fd).st_size
        with new_file(dest, force, shown=shown) as fd:
            clone_file(src_fd, fd, size)
            for r in regions:
                _pwrite_all(fd, r.contents, r.offset)
        # No fsync, as cp and coreos-installer: the rename already makes the new file appear
        # whole or not at all, and syncing a multi-GiB image would dominate the time.
    finally:
        os.close(src_fd)


def check_not_tty(stream: BinaryIO) -> None:
    try:
        tty = os.isatty(stream.fileno())
    except (AttributeError, OSError, ValueError):
        tty = False
    if tty:
        raise OutputError("Refusing to write binary data to terminal")


def stream_to(src: str, out: BinaryIO, regions: Iterable[Region]) -> None:
    """Stream ``src`` to ``out`` with the changed areas spliced in."""
    regions = sorted(regions, key=lambda r: r.offset)
    with open(src, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        pos = 0
        for r in regions + [None]:
            stop = size if r is None else r.offset
            f.seek(pos)
            while pos < stop:
                chunk = f.read(min(_CHUNK, stop - pos))
                if not chunk:
                    raise OutputError(f"{src} changed while it was being read")
                out.write(chunk)
                pos += len(chunk)
            if r is not None:
                out.write(r.contents)
                pos += r.length
    out.flush()


def _stream(src: str, out: BinaryIO, regions: Iterable[Region], name: str) -> None:
    check_not_tty(out)
    try:
        stream_to(src, out, regions)
    except BrokenPipeError:
        raise OutputError(f"{name} closed before the whole image was written") from None
    except OSError as exc:
        raise OutputError(f"cannot write to {name}: {os_reason(exc)}") from None


def write_image(src: str, regions: Iterable[Region], output: str | None, force: bool = False,
                stdout: BinaryIO | None = None) -> None:
    """``output`` None: in place; ``-``: standard output; else a new file.

    An existing device or FIFO named by ``output`` (``/dev/stdout``, a pipe), directly or through
    symbolic links, is streamed into, never replaced; see :func:`..io.output_target`.
    """
    if output is None:
        patch_in_place(src, regions)
        return
    if output == "":
        raise OutputError("the output path is empty")
    if output == "-":
        _stream(src, stdout if stdout is not None else sys.stdout.buffer, regions, "standard output")
        return
    try:
        through, target = output_target(output)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {os_reason(exc)}") from None
    if through:
        try:
            out = open(target, "wb")
        except OSError as exc:
            raise OutputError(f"cannot write {output}: {os_reason(exc)}") from None
        with out:
            _stream(src, out, regions, output)
        return
    write_copy(src, target, regions, force, shown=output)
