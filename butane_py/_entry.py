"""The console script: a fast path for the commands pre-commit runs most, typer for the rest.

Importing typer costs more than the whole validation of a small config, so plain
invocations of the hot commands are recognised here with the same options the typer
app declares (a test keeps the two in step); anything else, ``--help`` and every
mistake included, goes to the typer app for its help and messages.
"""

from __future__ import annotations

import sys
from typing import Callable, Optional


def _fast_validate(args: list[str]) -> Optional[Callable[[], int]]:
    from .commands import VALIDATE_FORMATS

    positional: list[str] = []
    fmt = "text"
    it = iter(args)
    for arg in it:
        if arg == "--format":
            fmt = next(it, "")
            if fmt not in VALIDATE_FORMATS:
                return None
        elif arg.startswith("--format="):
            fmt = arg.split("=", 1)[1]
            if fmt not in VALIDATE_FORMATS:
                return None
        elif arg == "-" or not arg.startswith("-"):
            positional.append(arg)
        else:
            return None
    if len(positional) > 1:
        return None
    config = positional[0] if positional else "-"

    def run() -> int:
        from .commands import validate

        return validate(config, fmt)

    return run


# The default command's options: (short, long) → keyword, and whether it takes a value.
TRANSLATE_FLAGS = {
    ("-p", "--pretty"): "pretty",
    ("-s", "--strict"): "strict",
    ("-c", "--check"): "check",
    ("-r", "--raw"): "raw",
    (None, "--raw-errors"): "raw_errors",
    (None, "--no-extensions"): "no_extensions",
    (None, "--lint"): "lint",
}
TRANSLATE_VALUES = {("-o", "--output"): "output", ("-d", "--files-dir"): "files_dir", (None, "--color"): "color"}


def _fast_translate(args: list[str]) -> Optional[Callable[[], int]]:
    from .commands import COLOR_WHEN

    kw: dict = {}
    positional: list[str] = []
    flags = {name: key for names, key in TRANSLATE_FLAGS.items() for name in names if name}
    values = {name: key for names, key in TRANSLATE_VALUES.items() for name in names if name}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "-" or not arg.startswith("-"):
            positional.append(arg)
        elif arg in flags:
            kw[flags[arg]] = True
        elif arg == "--color":
            kw["color"] = "always"  # a bare --color means always, as in the reference
        elif arg in values:
            if i >= len(args):
                return None
            kw[values[arg]] = args[i]
            i += 1
        elif arg.startswith("--") and "=" in arg and arg.split("=", 1)[0] in values:
            name, value = arg.split("=", 1)
            kw[values[name]] = value
        elif len(arg) > 2 and arg[1] != "-" and all(f"-{c}" in flags for c in arg[1:]):
            for c in arg[1:]:
                kw[flags[f"-{c}"]] = True
        else:
            return None
    if len(positional) > 1 or kw.get("color", "auto") not in COLOR_WHEN + ("yes", "no"):
        return None
    kw["input"] = positional[0] if positional else "-"

    def run() -> int:
        from .commands import translate

        return translate(**kw)

    return run


FAST: dict[str, Callable[[list[str]], Optional[Callable[[], int]]]] = {"validate": _fast_validate}


def main(argv: Optional[list[str]] = None) -> int:
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
        from .io import os_reason

        sys.stderr.write(f"Error: cannot write output: {os_reason(exc)}\n")
        return 1


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds, so temporary files are removed


def _main(argv: Optional[list[str]] = None) -> int:
    if argv is None:
        import os
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
    from .commands import SUBCOMMANDS

    run = None
    import os

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
    from .cli import main as full

    return full(args)


if __name__ == "__main__":
    sys.exit(main())
