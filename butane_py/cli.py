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


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


def read_input(path: str) -> bytes:
    """Read a named file, or standard input for ``-``, with one-line errors."""
    from .io import read_input as _read

    return _read(path)


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
    from .ignition import parse_config

    data = read_input(config)
    result = parse_config(data)
    if fmt is OutputFormat.json:
        import json

        entries = [e.to_dict() for e in result.report]
        if result.error is not None:
            entries.append({"kind": "error", "path": None, "line": None, "column": None,
                            "message": f"couldn't parse config: {result.error}"})
        sys.stdout.write(json.dumps({"valid": result.ok, "findings": entries}, ensure_ascii=False) + "\n")
    else:
        if result.report:
            sys.stdout.write(result.report.reference_text())
        if not result.report.is_fatal and result.error is not None:
            sys.stderr.write(f"couldn't parse config: {result.error}\n")
    raise typer.Exit(0 if result.ok else 1)


def main(argv: Optional[list[str]] = None) -> int:
    """Console entry point; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="butane-py", standalone_mode=False)
    except ButanePyError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # click's own exits (e.g. --help)
        return exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            sys.stderr.write("Aborted.\n")
            return 1
        raise
    return 0
