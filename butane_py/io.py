"""Reading inputs and writing outputs safely."""

from __future__ import annotations

import os
import stat
import sys
import tempfile

from .errors import InputError


def os_reason(exc: OSError) -> str:
    """An OSError's reason as the reference tools print it: lower case, no errno or path."""
    return (exc.strerror or str(exc)).lower()


def read_input(path: str) -> bytes:
    """The bytes of ``path``, or of standard input for ``-``; :class:`InputError` otherwise."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as f:
            return f.read()
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


def write_output(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file beside it, then a rename.

    A target that exists and is not a regular file (``/dev/null``, a FIFO, a terminal)
    is written directly and never replaced.
    """
    if path == "-":
        write_stdout(data)
        return
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(f"couldn't write {path}: {os_reason(exc)}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:
            with open(path, "wb") as f:
                f.write(data)
        except OSError as exc:
            raise InputError(f"couldn't write {path}: {os_reason(exc)}") from None
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".butane-py-", dir=directory)
    except OSError as exc:
        raise InputError(f"couldn't write {path}: {os_reason(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        mode = (st.st_mode & 0o7777) if st is not None else (0o666 & ~_umask())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise InputError(f"couldn't write {path}: {os_reason(exc)}") from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
