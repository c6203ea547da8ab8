"""The default command: a Butane config translated to Ignition, as the reference ``butane`` does."""

from __future__ import annotations

import errno
import sys
from enum import Enum

from ._options import Option
from ._output import use_color


class ColorWhen(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


OPTIONS = {
    "output": Option(("-o", "--output"), "Write to this file (atomically) instead of stdout.", takes_value=True),
    "pretty": Option(("-p", "--pretty"), "Output formatted JSON."),
    "strict": Option(("-s", "--strict"), "Fail on any warning."),
    "check": Option(("-c", "--check"), "Check the config without producing output."),
    "files_dir": Option(("-d", "--files-dir"), "Allow embedding local files from this directory.", takes_value=True),
    "raw": Option(("-r", "--raw"), "Never wrap in a MachineConfig; force Ignition output."),
    "raw_errors": Option(("--raw-errors",), "Show raw errors rather than pretty-printing them."),
    # A bare --color means always, and yes and no are accepted, as in the reference.
    "color": Option(("--color",), "Colour the report: auto, always or never.", takes_value=True,
                    choices=tuple(c.value for c in ColorWhen), alone="always", aliases=("yes", "no")),
    "no_extensions": Option(("--no-extensions",),
                            "Treat butane-py's own sections (sysctl, networkmanager) as unused keys."),
    "lint": Option(("--lint",), "Add warnings beyond the reference (passwords, keys, CAs, units)."),
}

# Errors that only writing data gives (the file is open by then).
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)


def translate(
    input: str | list[str] = "-",
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
    """Butane to Ignition, with the reference's messages and exit codes; several inputs are
    fragments, merged (:func:`translate_fragments`)."""
    if isinstance(input, list):
        if len(input) > 1:
            return translate_fragments(input, output, pretty, strict, check, files_dir, raw, raw_errors, color,
                                       no_extensions, lint)
        input = input[0]
    from ..butane import translate as do_translate
    from ..io import os_reason, read_bytes
    from ..report import render_pretty

    try:
        data = read_bytes(input)
    except IsADirectoryError:
        sys.stderr.write(f"failed to read {input}: read {input}: is a directory\n")  # the reference's words
        return 1
    except OSError as exc:
        sys.stderr.write(f"failed to open {input}: open {input}: {os_reason(exc)}\n")
        hint = _command_hint(input) if isinstance(exc, FileNotFoundError) else None
        if hint is not None:
            sys.stderr.write(f"did you mean 'butane-py {hint}'?\n")
        return 1
    result = do_translate(data, files_dir=files_dir, raw=raw, pretty=pretty, extensions=not no_extensions, lint=lint)
    if result.report.entries:
        if raw_errors:
            sys.stderr.write(str(result.report))
        else:
            name = "<stdin>" if input == "-" else input
            sys.stderr.write(render_pretty(result.report, name, data, use_color(color)))
    if result.error is not None:
        sys.stderr.write(f"Error translating config: {result.error}\n")
        return 1
    if strict and result.report.entries:
        sys.stderr.write("Config produced warnings and --strict was specified\n")
        return 1
    if not check:
        assert result.output is not None
        return _write(output, result.output)
    return 0


def _write(output: str | None, text: str) -> int:
    from ..io import os_reason, write_file

    try:
        write_file(output or "-", (text + "\n").encode("utf-8", "surrogateescape"))
    except BrokenPipeError:
        raise
    except OSError as exc:
        # The reference's words: it opens the file, then writes it (standard output is /dev/stdout).
        name = "/dev/stdout" if output in (None, "-") else output
        if exc.errno in _WRITE_ERRNOS:
            sys.stderr.write(f"Failed to write config to {name}: write {name}: {os_reason(exc)}\n")
        else:
            sys.stderr.write(f"failed to open {name}: open {name}: {os_reason(exc)}\n")
        return 1
    return 0


def translate_fragments(
    inputs: list[str],
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
    """Fragments translated and merged in order; every finding is prefixed with its file's name.
    Local files are looked up in ``files_dir`` for every fragment, else in each one's directory."""
    from ..butane import translate_many
    from ..errors import InputError
    from ..report import Report, render_pretty

    try:
        result = translate_many(inputs, files_dir=files_dir, raw=raw, pretty=pretty, extensions=not no_extensions,
                                lint=lint)
    except InputError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    colorize = use_color(color)
    shown = []
    for (name, fragment), data in zip(result.fragments, result.sources):
        for e in fragment.report.entries:
            text = f"{e}\n" if raw_errors else render_pretty(Report([e]), name, data, colorize)
            shown.append(f"{name}: {text}")
    # Pretty findings are separated by a blank line, as a single input's are.
    sys.stderr.write(("" if raw_errors else "\n").join(shown))
    if result.error is not None:
        sys.stderr.write(f"Error translating config: {result.error}\n")
        return 1
    if strict and result.findings:
        sys.stderr.write("Config produced warnings and --strict was specified\n")
        return 1
    if not check:
        assert result.output is not None
        return _write(output, result.output)
    return 0


def print_version(verbose: bool = False) -> int:
    """``--version``; with ``verbose`` (``-v``), which components are active, one a line."""
    from .. import __version__

    lines = [f"butane-py {__version__}"]
    if verbose:
        import platform

        from .._go import flate
        from .._go import yaml

        if yaml._c_module() is not None:  # the YAML layer parses large inputs with libyaml when it can import it
            from importlib.metadata import version

            parser = f"libyaml (ruamel.yaml.clib {version('ruamel.yaml.clib')})"
        else:
            parser = "python (libyaml from ruamel.yaml.clib is not available)"
        lines += [
            f"compressor: {flate.BACKEND}",
            f"yaml parser: {parser}",
            f"python: {platform.python_implementation()} {platform.python_version()}",
        ]
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


def _command_hint(word: str) -> str | None:
    """The command a missing input's name is close to (``list-stream`` → ``stream list``)."""
    if "/" in word or "." in word:
        return None  # a path, not a mistyped command
    from ._app import suggestion

    return suggestion(word)


def register(app) -> None:
    """Declare the default command on ``app``, the typer app of its own that runs without a command."""
    import typer

    from ._fast import SUBCOMMANDS

    @app.command(
        help=(
            "Translate a Butane config to Ignition, as the reference butane does.\n\n"
            "Other commands: " + ", ".join(SUBCOMMANDS) + " (butane-py COMMAND --help).\n\n"
            "Example: butane-py --pretty --strict --files-dir . config.bu -o config.ign"
        )
    )
    def translate_cmd(
        inputs: list[str] | None = typer.Argument(
            None, metavar="INPUT",
            help="Butane config; standard input if omitted. Several are fragments, merged in order."),
        output: str | None = OPTIONS["output"].typer(None),
        pretty: bool = OPTIONS["pretty"].typer(False),
        strict: bool = OPTIONS["strict"].typer(False),
        check: bool = OPTIONS["check"].typer(False),
        files_dir: str | None = OPTIONS["files_dir"].typer(None),
        raw: bool = OPTIONS["raw"].typer(False),
        raw_errors: bool = OPTIONS["raw_errors"].typer(False),
        color: ColorWhen = OPTIONS["color"].typer(ColorWhen.auto),
        no_extensions: bool = OPTIONS["no_extensions"].typer(False),
        lint: bool = OPTIONS["lint"].typer(False),
        version: bool = typer.Option(False, "-V", "--version", help="Print the version and exit."),
        verbose: bool = typer.Option(
            False, "-v", "--verbose",
            help="With --version: also print the active components (compressor, YAML parser, Python)."),
    ) -> None:
        from ..errors import UsageError

        if version:
            raise typer.Exit(print_version(verbose))
        if verbose:
            raise UsageError("-v/--verbose goes with --version")
        raise typer.Exit(
            translate(inputs or "-", output, pretty, strict, check, files_dir, raw, raw_errors, color.value,
                      no_extensions, lint)
        )
