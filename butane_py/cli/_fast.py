"""The console script: plain invocations of the hot commands run here, everything else in typer.

Importing typer costs more than validating a small config, so plain invocations of translate
and ``validate`` are parsed here, from the option tables their typer declarations read
(:mod:`._options`). Anything else, ``--help`` and every mistake included, goes to the typer app
(:mod:`._app`) for its help and messages.
"""

from __future__ import annotations

import sys
from typing import Callable, Optional

# Commands beside the default one (Butane translation); anything else is its input.
SUBCOMMANDS = (
    "validate", "check", "schema", "hash-password", "download", "stream", "images", "cache", "iso", "pxe", "embed",
)


def _fast_translate(args: list[str]) -> Optional[Callable[[], int]]:
    from ._options import parse
    from .translate import OPTIONS

    parsed = parse(args, OPTIONS)
    if parsed is None or len(parsed[1]) > 1:
        return None
    kw, positional = parsed

    def run() -> int:
        from .translate import translate

        return translate(positional[0] if positional else "-", **kw)

    return run


def _fast_validate(args: list[str]) -> Optional[Callable[[], int]]:
    from ._options import parse
    from .validate import OPTIONS

    parsed = parse(args, OPTIONS)
    if parsed is None or len(parsed[1]) > 1:
        return None
    kw, positional = parsed

    def run() -> int:
        from .validate import validate

        return validate(positional[0] if positional else "-", **kw)

    return run


FAST: dict[str, Callable[[list[str]], Optional[Callable[[], int]]]] = {
    "validate": _fast_validate,
}


def main(argv: Optional[list[str]] = None) -> int:
    """Console entry point; returns the exit code."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as a program killed by SIGPIPE.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:
        import errno

        if exc.errno not in (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG):
            raise
        from ..io import os_reason

        sys.stderr.write(f"Error: cannot write output: {os_reason(exc)}\n")
        return 1


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds, so temporary files are removed


def _main(argv: Optional[list[str]] = None) -> int:
    import os

    if argv is None:
        import signal

        # SIGTERM and SIGHUP (a closed terminal or SSH session) unwind as Ctrl-C does, so no
        # temporary file is left behind; a signal the caller ignores (nohup) stays ignored.
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) is not signal.SIG_IGN:
                signal.signal(signum, _terminate)
        # Started with a standard stream closed (`>&-`): reading gives nothing, writing goes nowhere.
        if sys.stdin is None:
            sys.stdin = open(os.devnull)
        if sys.stdout is None:
            sys.stdout = open(os.devnull, "w")
    args = sys.argv[1:] if argv is None else argv
    run = None
    if any(k.startswith("_BUTANE") and k.endswith("_COMPLETE") for k in os.environ):
        pass  # shell completion: typer answers
    elif args and args[0] in FAST:
        run = FAST[args[0]](args[1:])
    elif args == ["help"] and not os.path.lexists("help"):
        pass  # the command list, from typer
    elif not args or args[0] not in SUBCOMMANDS:
        run = _fast_translate(args)
    if run is not None:
        try:
            return run()
        except KeyboardInterrupt:
            sys.stderr.write("Aborted.\n")
            return 130
    from ._app import run as full

    return full(args)
