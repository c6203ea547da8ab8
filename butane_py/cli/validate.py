"""``butane-py validate``: an Ignition config checked as ignition-validate does."""

from __future__ import annotations

import sys
from enum import Enum

from ..errors import ButanePyError
from ._options import Option


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


FORMATS = tuple(f.value for f in OutputFormat)
# Files with these names are read as Ignition configs (anything else as Butane).
IGNITION_SUFFIXES = (".ign", ".json")

OPTIONS = {
    "fmt": Option(("--format",), "text (the reference's lines) or json.", takes_value=True, choices=FORMATS),
}


def validate(config: str = "-", fmt: str = "text") -> int:
    """The reference's report lines, exit 0 (valid) or 1."""
    from ..ignition import parse_config
    from ..io import read_input

    try:
        data = read_input(config)
    except ButanePyError as exc:
        sys.stderr.write(f"{exc}\n")
        return exc.exit_code
    result = parse_config(data)
    if fmt == "json":
        import json

        entries = [e.to_dict() for e in result.report]
        if result.error is not None:
            entries.append(
                {"kind": "error", "path": None, "line": None, "column": None,
                 "message": f"couldn't parse config: {result.error}"}
            )
        sys.stdout.write(json.dumps({"valid": result.ok, "findings": entries}, ensure_ascii=False) + "\n")
    else:
        if result.report:
            sys.stdout.write(result.report.reference_text())
        if not result.report.is_fatal and result.error is not None:
            sys.stderr.write(f"couldn't parse config: {result.error}\n")
    sys.stdout.flush()
    return 0 if result.ok else 1


def register(app) -> None:
    """Declare ``validate`` on the typer ``app``."""
    import typer

    @app.command(
        "validate",
        help=(
            "Validate an Ignition config (spec 3.0.0 to 3.7.0-experimental) like ignition-validate.\n\n"
            "Example: butane-py validate config.ign"
        ),
    )
    def validate_cmd(
        config: str = typer.Argument("-", metavar="FILE", help="Ignition config; '-' or nothing reads standard input."),
        fmt: OutputFormat = OPTIONS["fmt"].typer(OutputFormat.text),
    ) -> None:
        raise typer.Exit(validate(config, fmt.value))
