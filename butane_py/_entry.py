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


FAST: dict[str, Callable[[list[str]], Optional[Callable[[], int]]]] = {"validate": _fast_validate}


def main(argv: Optional[list[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in FAST:
        run = FAST[args[0]](args[1:])
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
