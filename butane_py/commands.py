"""Each command as a function: read inputs, call the library, print, return the exit code.

The typer app in :mod:`butane_py.cli` and the fast path in :mod:`butane_py._entry` both
call these, so a command behaves the same however it was parsed.
"""

from __future__ import annotations

import sys

from .errors import ButanePyError

VALIDATE_FORMATS = ("text", "json")


def validate(config: str = "-", fmt: str = "text") -> int:
    """``butane-py validate``: the reference's report lines, exit 0 (valid) or 1."""
    from .ignition import parse_config
    from .io import read_input

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
