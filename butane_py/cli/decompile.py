"""``butane-py decompile``: an Ignition config or an openshift MachineConfig as Butane."""

from __future__ import annotations

import sys
from typing import Optional


def decompile(input: str = "-", variant: str | None = None, version: str | None = None,
              output: str | None = None, exact: bool = False) -> int:
    """The Butane on standard output (or ``output``), the findings on standard error; exit 0 or 1."""
    from ..butane import decompile as run
    from ..errors import ButanePyError
    from ..io import os_reason, read_input, write_file
    from ._output import fail

    try:
        data = read_input(input)
    except ButanePyError as exc:
        return fail(exc)
    result = run(data, variant=variant, version=version, exact=exact)
    if result.report.entries:
        sys.stderr.write(str(result.report))
    if result.error is not None or result.yaml is None:
        sys.stderr.write(f"Error: {result.error}\n")
        return 1
    try:
        write_file(output or "-", result.yaml.encode("utf-8"))
    except BrokenPipeError:
        raise
    except OSError as exc:
        sys.stderr.write(f"Error: cannot write {output or 'standard output'}: {os_reason(exc)}\n")
        return 1
    return 0


def register(app) -> None:
    """Declare ``decompile`` on the typer ``app``."""
    import typer

    @app.command(
        "decompile",
        help=(
            "Turn an Ignition config (or an openshift MachineConfig) back into idiomatic Butane: inline text, "
            "octal modes, block scalars, and the sugar Butane generates (mount units, boot_device, grub) "
            "recognised. The result is checked by translating it back.\n\n"
            "Example: butane-py decompile config.ign -o config.bu"
        ),
    )
    def decompile_cmd(
        input: str = typer.Argument("-", metavar="FILE", help="Ignition JSON or MachineConfig; '-' or nothing reads standard input."),
        variant: Optional[str] = typer.Option(None, "--variant", help="Butane variant (default fcos; openshift for a MachineConfig)."),
        version: Optional[str] = typer.Option(None, "--version", help="Butane version (default: chosen to fit the config)."),
        output: Optional[str] = typer.Option(None, "-o", "--output", help="Write to this file (atomically) instead of stdout."),
        exact: bool = typer.Option(False, "--exact", help=(
            "Keep each data URL that Butane would encode differently (same bytes) instead of inline text, so "
            "that the Butane translates back to the input exactly.")),
    ) -> None:
        raise typer.Exit(decompile(input, variant, version, output, exact))
