"""The console script: plain invocations of the hot commands run here, everything else in typer.

Importing typer costs more than validating a small config, so ``--version`` and plain
invocations of translate, ``validate``, ``check``, ``schema`` and ``iso ignition show`` are parsed
here, from the option tables their typer declarations read (:mod:`._options`). Anything else,
``--help`` and every mistake included, goes to the typer app (:mod:`._app`) for its help and
messages.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Callable, Optional

# The commands beside the default one (Butane translation), each with the module of its area;
# any other first word is the default command's input.
AREAS = {
    "validate": "validate", "check": "tools", "schema": "tools", "hash-password": "tools", "download": "images",
    "stream": "images", "images": "images", "cache": "images", "install": "disks", "iso": "embed", "pxe": "embed",
    "embed": "embed", "ignition": "ignition", "mirror": "mirror", "decompile": "decompile",
}
SUBCOMMANDS = tuple(AREAS)


def _fast_version(args: list[str]) -> Optional[Callable[[], int]]:
    words = set(args)
    if not words <= {"--version", "-V", "-v"} or not words & {"--version", "-V"}:
        return None
    from .translate import print_version

    return lambda: print_version(verbose="-v" in words)


# The commands parsed here, by their words (none: the default one): the module of their area,
# the option table there (None: no options), the function that runs them, and their positional
# arguments: "input" (at most one; standard input without it), "inputs" (any number; standard input
# without one, a list with several), "one" (exactly one), "two" (exactly two), "files" (one or
# more), or None.
FAST: dict[tuple[str, ...], tuple[str, Optional[str], str, Optional[str]]] = {
    (): ("translate", "OPTIONS", "translate", "inputs"),
    ("validate",): ("validate", "OPTIONS", "validate", "input"),
    ("check",): ("tools", "CHECK_OPTIONS", "check", "files"),
    ("schema",): ("tools", "SCHEMA_OPTIONS", "schema", None),
    ("iso", "ignition", "show"): ("embed", None, "iso_ignition_show", "one"),
    ("images", "copy"): ("disks", "COPY_OPTIONS", "images_copy", "two"),
}


def _fast_command(args: list[str]) -> Optional[tuple[str, ...]]:
    """The words of the command parsed here that ``args`` start with, if any (not the default one)."""
    for words in FAST:
        if words and tuple(args[:len(words)]) == words:
            return words
    return None


def _plain(command: tuple[str, ...], args: list[str]) -> Optional[Callable[[], int]]:
    """How to run ``command`` with ``args`` if they are a plain invocation, else None (typer then
    parses them, and says what is wrong)."""
    import importlib

    from ._options import parse

    module, table, function, positional = FAST[command]
    area = importlib.import_module(f".{module}", __package__)
    parsed = parse(args, getattr(area, table) if table else {})
    if parsed is None:
        return None
    kw, words = parsed
    run = getattr(area, function)
    if positional == "input" and len(words) <= 1:
        return lambda: run(words[0] if words else "-", **kw)
    if positional == "inputs" and len(words) <= 1:
        return lambda: run(words[0] if words else "-", **kw)
    if positional == "inputs" and not _bare_alone(args, table and getattr(area, table)):
        return lambda: run(words, **kw)
    if positional == "one" and len(words) == 1:
        return lambda: run(words[0], **kw)
    if positional == "two" and len(words) == 2:
        return lambda: run(*words, **kw)
    if positional == "files" and words:
        return lambda: run(words, **kw)
    if positional is None and not words:
        return lambda: run(**kw)
    return None


def _bare_alone(args: list[str], table: Optional[dict]) -> bool:
    """Whether ``args`` give an option that may stand alone (``--color``) without ``=``: before
    several words, the first may be its value or an input, so typer decides (and says why)."""
    return any(opt.alone is not None and arg in opt.names for opt in (table or {}).values() for arg in args)


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
    command = _fast_command(args)
    if any(k.startswith("_BUTANE") and k.endswith("_COMPLETE") for k in os.environ):
        pass  # shell completion: typer answers
    elif command is not None:
        run = _plain(command, args[len(command):])
    elif args == ["help"] and not os.path.lexists("help"):
        pass  # the command list, from typer
    elif not args or args[0] not in SUBCOMMANDS:
        run = _fast_version(args) or _plain((), args)
    if run is not None:
        try:
            return run()
        except KeyboardInterrupt:
            sys.stderr.write("Aborted.\n")
            return 130
    from ._helpcache import render

    return render(args, _full)


def _full(args: list[str]) -> int:
    """Everything the fast entry leaves to typer."""
    from ._app import run

    return run(args)
