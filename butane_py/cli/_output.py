"""What several commands print the same way: error lines, tables, colour, text from outside."""

from __future__ import annotations

import sys

from ..errors import ButanePyError


def use_color(when: str) -> bool:
    """Whether to colour a report: ``--color`` (the reference's yes and no too), else a terminal
    without NO_COLOR."""
    import os

    if when in ("always", "yes"):
        return True
    if when in ("never", "no"):
        return False
    return "NO_COLOR" not in os.environ and sys.stderr.isatty()


def shown(text: str) -> str:
    """``text`` from a server, an image or a catalog, with its control characters escaped."""
    from ..images import printable

    return printable(text)


def fail(exc: ButanePyError) -> int:
    """One ``Error:`` line on standard error; the error's exit code."""
    sys.stderr.write(f"Error: {exc}\n")
    return exc.exit_code


def fail_shown(exc: ButanePyError) -> int:
    """As :func:`fail`, whatever a server put in the message."""
    sys.stderr.write(f"Error: {shown(str(exc))}\n")
    return exc.exit_code


def table(rows: list[tuple]) -> None:
    """Rows in aligned columns on standard output, the first being the headings."""
    rows = [tuple(shown(str(c)) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n")
