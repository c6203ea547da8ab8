"""Reading inputs and writing outputs safely."""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from contextlib import contextmanager

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Callable, Iterator

from .errors import InputError


def os_reason(exc: OSError) -> str:
    """An OSError's reason as the reference tools print it: lower case, no errno or path."""
    return (exc.strerror or str(exc)).lower()


# Compiled on first use (re caches it): only messages need it.
_UNPRINTABLE = "[\x00-\x1f\x7f-\x9f\udc80-\udcff]"


def same_file(a: os.stat_result, b: os.stat_result) -> bool:
    """Whether two stats name the same file: the same inode, or two nodes of one block device."""
    if stat.S_ISBLK(a.st_mode) and stat.S_ISBLK(b.st_mode):
        return a.st_rdev == b.st_rdev
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def printable(text: str) -> str:
    """``text`` safe to print: control characters (a terminal's escape sequences) and bytes that
    were not UTF-8 (surrogate escapes) shown as ``\\xNN``."""
    return re.sub(_UNPRINTABLE, lambda m: f"\\x{ord(m[0]) & 0xFF:02x}", text)


def read_bytes(path: str) -> bytes:
    """The bytes of ``path``, or of standard input for ``-``; :class:`OSError` otherwise."""
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def read_input(path: str) -> bytes:
    """The bytes of ``path``, or of standard input for ``-``; :class:`InputError` otherwise."""
    try:
        return read_bytes(path)
    except IsADirectoryError:
        raise InputError(f"couldn't read config: read {path}: is a directory") from None
    except OSError as exc:
        raise InputError(f"couldn't read config: open {path}: {os_reason(exc)}") from None


def write_stdout(data: bytes) -> None:
    """``data`` to standard output; a full disk is an :class:`InputError`, a closed pipe propagates
    (the entry point then ends quietly)."""
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise InputError(f"couldn't write to standard output: {os_reason(exc)}") from None


def output_target(path: str) -> tuple[bool, str]:
    """Where an output named ``path`` goes: ``(True, path)`` to write through it (an existing
    device or FIFO, or anything reached through a ``/proc/*/fd`` or ``/dev/fd`` link, such as
    ``/dev/stdout``: replacing those would replace the link, not feed what it points to);
    ``(False, target)`` to create or atomically replace the regular file ``target``, which is
    ``path`` with its symbolic links resolved (so a link keeps pointing at the new file).
    A directory or socket is an :class:`OSError`."""
    current = path
    for _ in range(40):  # the kernel's own limit on links followed
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            return False, current
        if stat.S_ISLNK(st.st_mode):
            parent = os.path.dirname(current) or "."
            if os.stat(parent).st_dev == os.stat("/proc").st_dev:
                return True, current  # a /proc magic link: only opening it reaches its file
            current = os.path.join(parent, os.readlink(current))
            continue
        if stat.S_ISREG(st.st_mode):
            return False, current
        if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) or stat.S_ISFIFO(st.st_mode):
            return True, current
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        raise OSError(errno.EINVAL, "not a regular file, a device or a pipe", path)
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)


@contextmanager
def replacing(path: str, exclusive: bool = False, mode: int | None = None, sync: bool = False) -> Iterator[int]:
    """A descriptor on a new temporary file beside ``path`` to fill. When the block ends
    normally the file gets ``mode`` (default: the replaced regular file's permissions, else
    ``0666 & ~umask``), is fsynced with ``sync``, and is renamed to ``path`` (``exclusive``:
    hard-linked, which never clobbers: :class:`FileExistsError`). Otherwise it is removed.

    The file is unnamed while it is filled (``O_TMPFILE``, where the file system has it), so
    even a SIGKILL or a power loss leaves nothing behind; elsewhere it is a hidden
    ``.butane-py-*`` file, removed on any error or catchable signal. Every step is relative to
    one open descriptor of the directory, and the final name is never followed if it is a
    symbolic link (it is replaced, or refused with ``exclusive``): the file lands in that
    directory and nowhere else.
    """
    directory, name = os.path.split(path)
    if name in ("", ".", ".."):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    dir_fd = os.open(directory or ".", os.O_RDONLY | os.O_DIRECTORY)
    tmp: str | None = None
    try:
        fd = _unnamed(dir_fd)
        if fd is None:
            tmp, fd = _fresh_name(
                lambda t: os.open(t, _FLAGS | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dir_fd), path)
        try:
            yield fd
            if mode is None:
                mode = _mode_of(name, dir_fd)
            os.fchmod(fd, mode)
            if sync:
                os.fsync(fd)
            if tmp is None:  # give the unnamed file its name while it is open
                if exclusive:
                    os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=dir_fd)
                    return
                tmp, _ = _fresh_name(lambda t: os.link(f"/proc/self/fd/{fd}", t, dst_dir_fd=dir_fd), path)
        finally:
            os.close(fd)
        if exclusive:
            os.link(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
            os.unlink(tmp, dir_fd=dir_fd)
        else:
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        tmp = None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp, dir_fd=dir_fd)
            except OSError:
                pass
        os.close(dir_fd)


_FLAGS = os.O_WRONLY | os.O_CLOEXEC


def _unnamed(dir_fd: int) -> int | None:
    """An ``O_TMPFILE`` in the directory, or None where that (or /proc, to link it) is missing."""
    if not hasattr(os, "O_TMPFILE") or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(".", _FLAGS | os.O_TMPFILE, 0o600, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
            return None
        raise


def _fresh_name(create: Callable[[str], object], path: str) -> tuple[str, object]:
    """``create(name)`` on the first free hidden temporary name, and the name."""
    for _ in range(100):
        tmp = f".butane-py-{os.urandom(6).hex()}"  # as secrets.token_hex, whose import costs ~10 ms
        try:
            return tmp, create(tmp)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", path)


def _mode_of(name: str, dir_fd: int) -> int:
    """The permissions a replacement of ``name`` gets: the regular file's own (without setuid,
    setgid or sticky bits), else what a new file gets."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        return stat.S_IMODE(st.st_mode) & 0o777
    return 0o666 & ~_umask()


class Terminated(SystemExit):
    """SIGTERM or SIGHUP received inside :func:`signals_unwind`. A :class:`SystemExit` with the
    status a shell gives the signal (128 + its number): ``finally`` blocks and context managers
    run on the way out, and left uncaught it ends the program quietly, as the CLI ends."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


@contextmanager
def signals_unwind() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise :class:`Terminated` instead of ending the
    process on the spot, so that a writer removes its temporary file and leaves its destination
    as it was; the default actions are back when the block ends. Ctrl-C needs nothing: it
    raises KeyboardInterrupt already.

    Only a signal at its default action is taken over: a handler the program set (the CLI's)
    or an ignored signal (nohup) is left alone, and so is everything outside the main thread,
    the only one that runs signal handlers. Once one has arrived both are ignored until the
    block ends, so a second cannot cut the clean-up short. Blocks nest: an inner one finds the
    handlers taken and leaves them to the outer one."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    taken = [s for s in (signal.SIGTERM, signal.SIGHUP) if signal.getsignal(s) == signal.SIG_DFL]

    def terminate(signum: int, frame: object) -> None:
        for s in taken:
            signal.signal(s, signal.SIG_IGN)
        raise Terminated(signum)

    try:
        for s in taken:
            signal.signal(s, terminate)
        yield
    finally:
        for s in taken:
            signal.signal(s, signal.SIG_DFL)


def write_file(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` (standard output for ``-``): atomically through a temporary file
    and a rename for a regular file (see :func:`output_target` for links, devices, FIFOs and
    ``/dev/stdout``); :class:`OSError` otherwise."""
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    through, target = output_target(path)
    if through:
        with open(target, "wb") as f:  # as the reference opens it: O_CREAT|O_TRUNC
            f.write(data)
        return
    if os.path.exists(target) and not os.access(target, os.W_OK):
        # A read-only file is not replaced, as the reference (which opens it to write) refuses it.
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
    with replacing(target, sync=True) as fd:
        write_all(fd, data)


def write_output(path: str, data: bytes) -> None:
    """:func:`write_file`, with :class:`InputError` for what cannot be written."""
    if path == "-":
        write_stdout(data)
        return
    try:
        write_file(path, data)
    except OSError as exc:
        raise InputError(f"couldn't write {path}: {os_reason(exc)}") from None


def cache_root() -> str:
    """butane-py's cache directory: ``$BUTANE_PY_CACHE``, else the platform's user cache
    directory (downloads, ready disks and help pages live below it)."""
    env = os.environ.get("BUTANE_PY_CACHE")
    if env:
        return env
    import platformdirs

    return platformdirs.user_cache_dir("butane-py")


def write_all(fd: int, data: bytes) -> None:
    """All of ``data`` to the descriptor ``fd`` (``os.write`` may write less than it is given)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
