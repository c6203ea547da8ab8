"""``butane-py check``, ``schema`` and ``hash-password``: tools around configs."""

from __future__ import annotations

import sys
from enum import Enum

from ..errors import ButanePyError
from ._options import Option
from .validate import FORMATS, IGNITION_SUFFIXES, OutputFormat

CHECK_OPTIONS = {
    "files_dir": Option(("-d", "--files-dir"),
                        "Files directory for local: paths (default: each file's own directory).", takes_value=True),
    "strict": Option(("-s", "--strict"), "Fail a file on any warning."),
    "fmt": Option(("--format",), "text or json.", takes_value=True, choices=FORMATS),
    "lint": Option(("--lint",), "Add warnings beyond the reference."),
    "portable": Option(("--portable",), "Fail a Butane file that uses butane-py's own sections (sysctl, "
                                        "networkmanager), which the reference Butane ignores."),
}

SCHEMA_OPTIONS = {
    "variant": Option(("--variant",), "Butane variant (fcos, flatcar, openshift, r4e, fiot).", takes_value=True),
    "version": Option(("--version",), "Butane version, e.g. 1.6.0.", takes_value=True),
    "ignition": Option(("--ignition",), "Ignition spec version instead, e.g. 3.5.0.", takes_value=True),
}


def check(
    files: list[str], files_dir: str | None = None, strict: bool = False, fmt: str = "text", lint: bool = False,
    portable: bool = False,
) -> int:
    """Translate or validate many files in one process, by extension.

    ``portable``: Butane files are read as the reference Butane reads them (no extensions),
    and each extension section is an error at its key."""
    import json
    import os

    from ..butane import translate as do_translate
    from ..ignition import parse_config
    from ..io import read_input

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
                elif not ok:
                    error = "config is invalid"  # its error findings say why
            else:
                directory = files_dir if files_dir is not None else (os.path.dirname(name) or ".")
                res = do_translate(data, files_dir=directory, strict=strict, lint=lint, extensions=not portable)
                report, error, ok = res.report, res.error, res.ok
                if portable and _not_portable(report):
                    ok, error = False, error or "uses butane-py's own sections, which the reference Butane ignores"
            if strict and report.entries and ok:  # a failed file is not blamed on warnings
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


def _not_portable(report) -> bool:
    """Turn the reference's "unused key" warning on each butane-py extension section into an
    error (at the key's position, which the warning already carries); whether there was one."""
    from ..butane._extensions import CONFIG_FIELDS
    from ..report import Kind

    found = False
    for e in report.entries:
        key = e.path[0] if len(e.path) == 1 else None
        if key in {name for name, _ in CONFIG_FIELDS} and e.kind is Kind.WARNING:
            e.kind = Kind.ERROR
            e.message = (f"{key} is a butane-py extension: the reference Butane ignores it, so this config is not "
                         "portable (write the files it stands for under storage.files instead)")
            found = True
    return found


def schema(variant: str | None = None, version: str | None = None, ignition: str | None = None) -> int:
    """The JSON Schema of a Butane version or an Ignition spec on standard output."""
    if (ignition is None) == (variant is None or version is None):
        sys.stderr.write("Error: give either --variant and --version, or --ignition\n")
        return 2
    # Only the schema asked for is built: the others cost start-up time for nothing.
    if ignition is not None:
        from ..ignition._jsonschema import render_version

        text = render_version(ignition)
        what = f"Ignition spec {ignition}"
    else:
        from ..butane._jsonschema import render_butane

        text = render_butane(variant or "", version or "")
        what = f"{variant} {version}"
    if text is None:
        sys.stderr.write(f"Error: no schema for {what}\n")
        return 1
    sys.stdout.write(text)
    return 0


class HashMethod(str, Enum):
    sha512 = "sha512"
    yescrypt = "yescrypt"


def hash_password(method: str = "sha512", grub: bool = False) -> int:
    """Prompt twice without echo, or read standard input; print the hash."""
    from ..passwords import grub_hash, hash_password as make_hash

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


def register(app) -> None:
    """Declare ``check``, ``schema`` and ``hash-password`` on the typer ``app``."""
    import typer

    @app.command(
        "check",
        help=(
            "Check many configs in one process: Butane files (.bu, .yaml, .yml) are translated, "
            "Ignition files (.ign, .json) validated.\n\n"
            "Example: butane-py check --strict configs/*.bu build/*.ign"
        ),
    )
    def check_cmd(
        files: list[str] = typer.Argument(..., metavar="FILE", help="Configs to check."),
        files_dir: str | None = CHECK_OPTIONS["files_dir"].typer(None),
        strict: bool = CHECK_OPTIONS["strict"].typer(False),
        fmt: OutputFormat = CHECK_OPTIONS["fmt"].typer(OutputFormat.text),
        lint: bool = CHECK_OPTIONS["lint"].typer(False),
        portable: bool = CHECK_OPTIONS["portable"].typer(False),
    ) -> None:
        raise typer.Exit(check(files, files_dir, strict, fmt.value, lint, portable))

    @app.command(
        "schema",
        help=(
            "Print the JSON Schema of a Butane variant and version, or of an Ignition spec.\n\n"
            "Example: butane-py schema --variant fcos --version 1.6.0 > fcos-1.6.0.json"
        ),
    )
    def schema_cmd(
        variant: str | None = SCHEMA_OPTIONS["variant"].typer(None),
        version: str | None = SCHEMA_OPTIONS["version"].typer(None),
        ignition: str | None = SCHEMA_OPTIONS["ignition"].typer(None),
    ) -> None:
        raise typer.Exit(schema(variant, version, ignition))

    @app.command(
        "hash-password",
        help=(
            "Hash a password for passwd.users[].password_hash (sha512-crypt by default, or yescrypt "
            "where the system's libcrypt has it), or with --grub for grub.users[].password_hash. "
            "Prompts twice without echo, or reads one line from standard input.\n\n"
            "Example: butane-py hash-password --grub"
        ),
    )
    def hash_password_cmd(
        method: HashMethod = typer.Option(HashMethod.sha512, "--method", help="sha512 or yescrypt."),
        grub: bool = typer.Option(False, "--grub", help="A grub.pbkdf2.sha512 hash for grub.users."),
    ) -> None:
        raise typer.Exit(hash_password(method.value, grub))
