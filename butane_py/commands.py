"""Each command as a function: read inputs, call the library, print, return the exit code.

The typer app in :mod:`butane_py.cli` and the fast path in :mod:`butane_py._entry` both
call these, so a command behaves the same however it was parsed.
"""

from __future__ import annotations

import sys

from .errors import ButanePyError

VALIDATE_FORMATS = ("text", "json")
# Commands beside the default one (Butane translation); anything else is its input.
SUBCOMMANDS = ("validate", "check", "schema", "hash-password")


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


COLOR_WHEN = ("auto", "always", "never")


def _use_color(when: str) -> bool:
    import os

    if when in ("always", "yes"):
        return True
    if when in ("never", "no"):
        return False
    return "NO_COLOR" not in os.environ and sys.stderr.isatty()


def translate(
    input: str = "-",
    output: str | None = None,
    pretty: bool = False,
    strict: bool = False,
    check: bool = False,
    files_dir: str | None = None,
    raw: bool = False,
    raw_errors: bool = False,
    color: str = "auto",
    no_extensions: bool = False,
    lint: bool = False,
) -> int:
    """The default command: Butane to Ignition, as the reference ``butane`` does it."""
    from .butane import translate as do_translate
    from .io import read_input, write_output
    from .report import render_pretty

    try:
        data = read_input(input)
    except ButanePyError as exc:
        sys.stderr.write(f"{exc}\n")
        return exc.exit_code
    result = do_translate(data, files_dir=files_dir, raw=raw, pretty=pretty, extensions=not no_extensions, lint=lint)
    if result.report.entries:
        if raw_errors:
            sys.stderr.write(str(result.report))
        else:
            name = "<stdin>" if input == "-" else input
            sys.stderr.write(render_pretty(result.report, name, data, _use_color(color)))
    if result.error is not None:
        sys.stderr.write(f"Error translating config: {result.error}\n")
        return 1
    if strict and result.report.entries:
        sys.stderr.write("Config produced warnings and --strict was specified\n")
        return 1
    if not check:
        assert result.output is not None
        try:
            write_output(output or "-", (result.output + "\n").encode("utf-8", "surrogateescape"))
        except ButanePyError as exc:
            sys.stderr.write(f"{exc}\n")
            return exc.exit_code
    return 0


BUTANE_SUFFIXES = (".bu", ".yaml", ".yml")
IGNITION_SUFFIXES = (".ign", ".json")


def check(
    files: list[str], files_dir: str | None = None, strict: bool = False, fmt: str = "text", lint: bool = False
) -> int:
    """``butane-py check``: translate or validate many files in one process, by extension."""
    import json
    import os

    from .butane import translate as do_translate
    from .ignition import parse_config
    from .io import read_input

    results = []
    failed = 0
    for name in files:
        entry: dict = {"file": name, "ok": False, "findings": [], "error": None}
        try:
            data = read_input(name)
        except ButanePyError as exc:
            entry["error"] = str(exc)
        else:
            if name.endswith(IGNITION_SUFFIXES):
                parsed = parse_config(data)
                report, error, ok = parsed.report, parsed.error, parsed.ok
                if error is not None:
                    error = f"couldn't parse config: {error}"
            else:
                directory = files_dir if files_dir is not None else (os.path.dirname(name) or ".")
                res = do_translate(data, files_dir=directory, strict=strict, lint=lint)
                report, error, ok = res.report, res.error, res.ok
            if strict and report.entries and error is None:
                ok, error = False, "Config produced warnings and --strict was specified"
            entry.update(ok=ok, error=error, findings=[e.to_dict() for e in report])
        failed += not entry["ok"]
        results.append(entry)
    if fmt == "json":
        sys.stdout.write(json.dumps({"files": results, "failed": failed}, ensure_ascii=False) + "\n")
    else:
        out = []
        for entry in results:
            for f in entry["findings"]:
                where = f"{entry['file']}:{f['line']}:{f['column']}" if f["line"] else entry["file"]
                path = f" ({f['path']})" if f["path"] else ""
                out.append(f"{where}: {f['kind']}: {f['message']}{path}\n")
            if entry["error"]:
                out.append(f"{entry['file']}: error: {entry['error']}\n")
        noun = "file" if len(results) == 1 else "files"
        out.append(f"checked {len(results)} {noun}: {failed} failed\n")
        sys.stdout.write("".join(out))
    return 1 if failed else 0


def schema(variant: str | None, version: str | None, ignition: str | None) -> int:
    """``butane-py schema``: print the JSON Schema of a Butane version or an Ignition spec."""
    from .ignition._schema import all_butane_schemas, all_schemas

    if ignition is not None:
        text = all_schemas().get(f"ignition/{ignition}.json")
        what = f"Ignition spec {ignition}"
    else:
        text = all_butane_schemas().get(f"butane/{variant}/{version}.json")
        what = f"{variant} {version}"
    if text is None:
        sys.stderr.write(f"Error: no schema for {what}\n")
        return 1
    sys.stdout.write(text)
    return 0


def hash_password(method: str = "sha512", grub: bool = False) -> int:
    """``butane-py hash-password``: prompt twice without echo, or read standard input."""
    from .passwords import grub_hash, hash_password as make_hash

    if sys.stdin.isatty():
        import getpass

        try:
            first = getpass.getpass("Password: ")
            second = getpass.getpass("Password (again): ")
        except EOFError:
            sys.stderr.write("Error: no password given\n")
            return 1
        if first != second:
            sys.stderr.write("Error: the passwords do not match\n")
            return 1
        password = first
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        sys.stderr.write("Error: the password is empty\n")
        return 1
    try:
        sys.stdout.write((grub_hash(password) if grub else make_hash(password, method)) + "\n")
    except ButanePyError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return exc.exit_code
    return 0
