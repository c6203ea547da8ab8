"""``butane-py ignition merge``: what Ignition applies from a base config and a user's."""

from __future__ import annotations

import sys
from typing import Optional

from ..errors import ButanePyError

# Exit code of ``merge --check`` when a config overrides values of the ones before it (1 is an
# unreadable or invalid input, 2 a usage error).
OVERRIDES_FOUND = 3


def _parsed(files: list[str]) -> list:
    """Each file parsed and validated; findings on standard error, prefixed with the file's name."""
    from ..errors import ValidationError
    from ..ignition import parse_config
    from ..io import printable, read_input

    results, invalid = [], []
    for name in files:
        result = parse_config(read_input(name))
        shown = printable("<stdin>" if name == "-" else name)
        lines = result.report.reference_text().splitlines() if result.report else []
        if result.error is not None and not result.report.is_fatal:
            lines.append(f"couldn't parse config: {result.error}")
        sys.stderr.write("".join(f"{shown}: {line}\n" for line in lines))
        if not result.ok:
            invalid.append(shown)
        results.append(result)
    if invalid:
        raise ValidationError(f"{', '.join(invalid)}: not a valid Ignition config")
    return results


def _json(value) -> str:
    import json

    from ..io import printable

    return printable(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _override_line(name: str, override) -> str:
    from ..io import printable

    user = "removed" if override.child is None else _json(override.child)
    if override.child_path != override.path:
        user = f"{printable(override.child_path)} {user}"
    return f"{name}: overrides {printable(override.path)}: {_json(override.parent)} -> {user}\n"


def merge(files: list[str], output: str | None = None, pretty: bool = False, check: bool = False) -> int:
    """Merge the configs, each over the ones before it; print the result (or write ``output``).
    ``check``: list on standard error what each config overrides, and exit 3 if anything."""
    from ..errors import UsageError
    from ..ignition import merge_configs, to_json
    from ..io import printable, write_output
    from ._output import fail

    try:
        if len(files) < 2:
            raise UsageError("give a base config and at least one config to merge over it")
        if files.count("-") > 1:
            raise UsageError("only one input can be standard input ('-')")
        merged = merge_configs(_parsed(files))
        write_output(output or "-", (to_json(merged.config, merged.version, pretty=pretty) + "\n").encode())
    except ButanePyError as exc:
        return fail(exc)
    if not check:
        return 0
    names = [printable("<stdin>" if f == "-" else f) for f in files]
    sys.stderr.write("".join(_override_line(names[i], o) for i, o in merged.overrides))
    return OVERRIDES_FOUND if merged.overrides else 0


def register(app) -> None:
    """Declare the ``ignition`` group on the typer ``app``."""
    import typer

    ignition_app = typer.Typer(help="Ignition configs as Ignition itself combines them.", no_args_is_help=True)
    app.add_typer(ignition_app, name="ignition")

    @ignition_app.command("merge", help=(
        "Print the config Ignition applies from a base config and configs merged over it.\n\n"
        "The configs merge in order (Flatcar's OEM base.ign, then a user's config, say) by Ignition's rules: a "
        "later config's values replace earlier ones, list entries with the same key (a file's path, a unit's "
        "name) merge. Every input is validated first. The result has the newest spec version among the inputs; "
        "merge and replace references are kept, not fetched.\n\n"
        "Exit codes: 0 merged; 1 an input is unreadable or invalid; 2 usage error; 3 with --check, when a "
        "config overrides values of the ones before it (the merge is still written).\n\n"
        "Example: butane-py ignition merge --check base.ign user.ign"))
    def merge_cmd(
        files: list[str] = typer.Argument(..., metavar="CONFIG",
                                          help="Ignition configs, the base first; '-' reads standard input."),
        output: Optional[str] = typer.Option(None, "-o", "--output", metavar="PATH",
                                             help="Write the merged config here (atomically); standard output "
                                                  "if omitted."),
        pretty: bool = typer.Option(False, "-p", "--pretty", help="Indent the output."),
        check: bool = typer.Option(False, "--check",
                                   help="List on standard error each value a config overrides (JSON path, "
                                        "earlier value -> later value); exit 3 if there is any."),
    ) -> None:
        raise typer.Exit(merge(files, output, pretty, check))
