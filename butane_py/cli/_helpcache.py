"""Rendered ``--help`` pages, kept so that asking again does not import typer and rich.

Typer and rich cost five to six times a bare interpreter's start-up to import, before any
help is drawn. A plain help request (command words, then ``--help`` or ``-h``) is answered
from ``$BUTANE_PY_CACHE/.help/`` (the download cache's directory) when a page was rendered
before under the same conditions, and rendered by typer and kept otherwise.

What a page depends on is all in its key: the arguments, the interpreter, every file of
butane_py and the ``__init__`` files of typer and rich (size and modification time, so an
upgrade or an edit renders anew), the environment (less variables no renderer reads, that
change from one shell to the next), whether each standard stream is a terminal and its size,
and standard output's encoding. ``BUTANE_PY_HELP_CACHE=0`` turns the cache off.
"""

from __future__ import annotations

import os
import sys

# Variables that differ between shells and sessions and that no renderer reads: left out of the
# key so that a new terminal finds the pages an old one rendered.
_VOLATILE = frozenset({
    "_", "PWD", "OLDPWD", "SHLVL", "SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY", "SSH_AUTH_SOCK", "TERM_SESSION_ID",
    "WINDOWID", "XDG_SESSION_ID", "XDG_VTNR", "TMUX_PANE", "STY", "ITERM_SESSION_ID", "KITTY_WINDOW_ID",
    "WEZTERM_PANE", "GPG_TTY", "LS_COLORS",
})
_KEEP = 64  # pages kept; the oldest go when a new one is stored
_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def _is_request(args: list[str]) -> bool:
    """Command words (at most three) followed by ``--help`` or ``-h``, and nothing else."""
    if not args or args[-1] not in ("--help", "-h") or len(args) > 4:
        return False
    return all(word and word[0].isalpha() and set(word) <= _WORD for word in args[:-1])


def _code_stamp(out: list[str]) -> None:
    """Size and modification time of every file of butane_py, typer's and rich's ``__init__``."""
    import importlib.util

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for top, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            st = os.stat(os.path.join(top, name))
            out.append(f"{top}/{name}:{st.st_size}:{st.st_mtime_ns}")
    for name in ("typer", "rich"):
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        st = os.stat(origin) if origin else None
        out.append(f"{origin}:{st.st_size if st else 0}:{st.st_mtime_ns if st else 0}")


def _key(args: list[str]) -> str:
    import hashlib

    parts = ["\0".join(args), sys.executable, sys.version]
    _code_stamp(parts)
    parts += sorted(f"{k}={v}" for k, v in os.environ.items() if k not in _VOLATILE)
    for fd in (0, 1, 2):
        try:
            tty = os.isatty(fd)
            parts.append(f"{fd}:{tty}:{tuple(os.get_terminal_size(fd)) if tty else ''}")
        except OSError:
            parts.append(f"{fd}:-")
    parts.append(f"{getattr(sys.stdout, 'encoding', None)}:{getattr(sys.stdout, 'errors', None)}")
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _directory() -> str:
    from ..io import cache_root

    return os.path.join(cache_root(), ".help")


class _Recorder:
    """Standard output, with a copy of what is written through it as text. Anything that goes
    around it (its binary buffer, its descriptor) makes the copy unusable."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.parts: list[str] = []
        self.bypassed = False

    def write(self, text: str) -> int:
        written = self._stream.write(text)  # first: click probes with bytes, which a text stream refuses
        self.parts.append(text)
        return written

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):
        if name in ("buffer", "fileno", "detach"):
            self.bypassed = True
        return getattr(self._stream, name)


def render(args: list[str], full) -> int:
    """``full(args)``, answered from the cache for a plain help request where possible."""
    if os.environ.get("BUTANE_PY_HELP_CACHE") == "0" or not _is_request(args) or sys.stdout is None:
        return full(args)
    try:
        path = os.path.join(_directory(), _key(args))
    except OSError:  # a file of the package went away while it was stamped
        return full(args)
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as page:
            text = page.read()
    except OSError:
        text = None
    if text is not None:
        sys.stdout.flush()
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
        return 0
    recorder = _Recorder(sys.stdout)
    sys.stdout = recorder  # type: ignore[assignment]
    try:
        rc = full(args)
    finally:
        sys.stdout = recorder._stream
    if rc == 0 and not recorder.bypassed and recorder.parts:
        _store(path, "".join(recorder.parts))
    return rc


def _store(path: str, text: str) -> None:
    """Keep the page (written whole, then renamed); a cache that cannot be written is skipped."""
    directory = os.path.dirname(path)
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        data = text.encode(encoding, getattr(sys.stdout, "errors", None) or "strict")
        os.makedirs(directory, mode=0o700, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        pages = sorted(os.scandir(directory), key=lambda e: e.stat(follow_symlinks=False).st_mtime_ns)
        for old in pages[:-_KEEP]:
            os.unlink(old.path)
    except (OSError, UnicodeError):
        pass
