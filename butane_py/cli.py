"""The ``butane-py`` command: parses arguments, calls the library, prints, maps errors to exit codes.

No work lives here; every command is a function of :mod:`butane_py`.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from .errors import ButanePyError

app = typer.Typer(
    name="butane-py",
    help="Provision CoreOS-family machines: Butane to Ignition, validation, images.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _group() -> None:
    """Provision CoreOS-family machines: Butane to Ignition, validation, images."""


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


@app.command(
    "validate",
    help=(
        "Validate an Ignition config (spec 3.0.0 to 3.7.0-experimental) like ignition-validate.\n\n"
        "Example: butane-py validate config.ign"
    ),
)
def validate_cmd(
    config: str = typer.Argument("-", metavar="[FILE|-]", help="Ignition config; '-' or nothing reads standard input."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text (the reference's lines) or json."),
) -> None:
    from . import commands

    raise typer.Exit(commands.validate(config, fmt.value))


def main(argv: Optional[list[str]] = None) -> int:
    """Console entry point; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    try:
        rc = app(args=args, prog_name="butane-py", standalone_mode=False)
    except ButanePyError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # click's own exits (e.g. --help)
        return exc.code if isinstance(exc.code, int) else 1
    except KeyboardInterrupt:
        sys.stderr.write("Aborted.\n")
        return 130
    except Exception as exc:
        # Usage errors from the argument parser (typer vendors its own click).
        show = getattr(exc, "show", None)
        if callable(show) and isinstance(getattr(exc, "exit_code", None), int):
            show()
            return exc.exit_code  # type: ignore[attr-defined]
        if type(exc).__name__ == "Abort":
            sys.stderr.write("Aborted.\n")
            return 1
        raise
    # Without standalone mode the parser hands back a command's exit code.
    return rc if isinstance(rc, int) else 0
