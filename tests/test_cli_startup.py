"""Start-up: what each kind of invocation imports, the fast entry's tables against the typer
declarations, ``--version -v``, and the CLI's own value checks against typer's.

bench/bench_startup.py measures the time; these tests keep the causes away: typer off the
commands the fast entry parses, pydantic off every command, and rich (with the Markdown and
Traceback renderers it would bring in) off everything but help."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT

HELLO = ROOT / "fixtures" / "examples"
WATCHED = ("typer", "pydantic", "rich", "rich.markdown", "rich.traceback", "markdown_it", "pygments")
# Modules the fast entry's commands do without, each costing from 2 to 60 ms of CPU time to
# import: the libraries of the other commands, the C YAML parser (all of ruamel.yaml; small
# configs are parsed by the port), and standard modules the fast paths avoid (dataclasses
# brings in inspect; secrets brings in hashlib and random; datetime only for YAML timestamps).
HEAVY = ("dataclasses", "inspect", "typing", "secrets", "hashlib", "threading", "ipaddress", "datetime", "ruamel.yaml",
         "_ruamel_yaml", "httpx", "cryptography", "jsonschema", "passlib", "pysequoia", "zstandard", "platformdirs",
         "gzip", "butane_py.embed._customize", "butane_py.cli.images")

# What a run prints on its last line of standard error: the watched and heavy modules it imported
# (not those the environment's start-up imported: site-packages' .pth files may import anything).
PROBE = (
    "import json, sys\n"
    "before = set(sys.modules)\n"
    "from butane_py.cli import main\n"
    "sys.argv[0] = 'butane-py'\n"
    "try:\n"
    "    rc = main()\n"
    "finally:\n"
    "    new = set(sys.modules) - before\n"
    f"    sys.stderr.write('\\n' + json.dumps([m for m in {WATCHED + HEAVY!r} if m in new]) + '\\n')\n"
)


def imported(*args: str, cwd=None) -> set[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100", NO_COLOR="1")
    p = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, cwd=cwd,
                       timeout=120)
    assert "Traceback" not in p.stderr, p.stderr
    return set(json.loads(p.stderr.splitlines()[-1]))


@pytest.fixture(scope="module")
def live_iso(tmp_path_factory):
    """A live ISO with hello.ign embedded."""
    import lzma

    from butane_py.embed import ignition_embed

    from ._isos import ISO_DIR

    iso = tmp_path_factory.mktemp("iso") / "live.iso"
    iso.write_bytes(lzma.decompress((ISO_DIR / "embed-areas-2023-07.x86_64.iso.xz").read_bytes()))
    ignition_embed(str(iso), (HELLO / "hello.ign").read_bytes())
    return iso


FAST_COMMANDS = [
    ["--version"], [str(HELLO / "hello.bu"), "-o", os.devnull], ["validate", str(HELLO / "hello.ign")],
    ["check", str(HELLO / "hello.bu")], ["check", str(HELLO / "hello.ign"), str(HELLO / "hello.bu")],
    ["schema", "--variant", "fcos", "--version", "1.6.0"], ["schema", "--ignition", "3.4.0"],
    ["iso", "ignition", "show", "LIVE_ISO"], ["iso", "ignition", "show", "missing.iso"],
    ["images", "copy", "LIVE_ISO", "copy.raw"], ["images", "copy", "LIVE_ISO", "big.raw", "--size", "1G"],
]


@pytest.mark.parametrize("args", FAST_COMMANDS, ids=" ".join)
def test_fast_commands_import_neither_typer_nor_heavy_modules(args: list[str], live_iso, tmp_path) -> None:
    args = [str(live_iso) if a == "LIVE_ISO" else a for a in args]
    assert imported(*args, cwd=tmp_path) == set()


def test_version_verbose_imports_the_c_yaml_parser_but_not_typer() -> None:
    """``-V -v`` says whether the C YAML parser can be used, so it imports it."""
    got = imported("-V", "-v")
    assert "_ruamel_yaml" in got and not got & set(WATCHED)


def test_the_c_yaml_parser_is_imported_once_the_port_has_read_16_kib() -> None:
    """A process's first inputs, up to _PORT_BUDGET bytes in all, are parsed by the port without
    importing the C parser; the input that would go past it, and every one after, by the C parser."""
    code = (
        "import sys\n"
        "from butane_py._go import yaml\n"
        "used = []\n"
        "fast = yaml._parse_fast\n"
        "yaml._parse_fast = lambda data: used.append(len(data)) or fast(data)\n"
        "small = b'a: [1, 2]\\n' * 100\n"
        "for _ in range(yaml._PORT_BUDGET // len(small)):\n"
        "    yaml.parse(small)\n"
        "print('_ruamel_yaml' in sys.modules, len(used))\n"
        "yaml.parse(small)\n"
        "yaml.parse(b'a: 1\\n')\n"
        "print('_ruamel_yaml' in sys.modules, len(used))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.stdout.split() == ["False", "0", "True", "2"], p.stderr


@pytest.mark.parametrize("args", [
    ["hash-password", "--method", "md5"], ["--color", "sometimes", "x.bu"], ["check"], ["iso", "ignition", "show"],
    ["iso", "ignition", "show", "--help"],
], ids=" ".join)
def test_other_commands_import_typer_but_not_pydantic_or_rich(args: list[str], tmp_path) -> None:
    watched = imported(*args, cwd=tmp_path) & set(WATCHED)
    assert watched == ({"typer", "rich"} if "--help" in args else {"typer"})


@pytest.mark.parametrize("args", [["--help"], ["download", "--help"], ["iso"], ["help"]], ids=" ".join)
def test_help_imports_rich_without_markdown_or_tracebacks(args: list[str], tmp_path) -> None:
    assert imported(*args, cwd=tmp_path) & set(WATCHED) == {"typer", "rich"}


def test_fast_tables_are_the_typer_declarations() -> None:
    """Each command the fast entry parses takes exactly the options of its table."""
    import typer.main

    from butane_py.cli import _app, tools

    for word, table in (("check", tools.CHECK_OPTIONS), ("schema", tools.SCHEMA_OPTIONS)):
        command = typer.main.get_command(_app.build(word)).commands[word]  # type: ignore[attr-defined]
        declared = {opt for p in command.params if p.param_type_name == "option" for opt in p.opts}
        assert declared - {"--help"} == {name for opt in table.values() for name in opt.names}, word
    from butane_py.cli import disks

    group = typer.main.get_command(_app.build("images")).commands["images"]  # type: ignore[attr-defined]
    declared = {opt for p in group.commands["copy"].params if p.param_type_name == "option" for opt in p.opts}
    assert declared - {"--help"} == {name for opt in disks.COPY_OPTIONS.values() for name in opt.names}


def test_areas_register_their_commands() -> None:
    """The fast entry's list of commands is the app's, and each area declares the ones named for it."""
    import typer.main

    from butane_py.cli import _app, _fast

    assert set(typer.main.get_command(_app.build()).commands) == set(_fast.SUBCOMMANDS)  # type: ignore[attr-defined]
    for word in _fast.SUBCOMMANDS:
        assert word in typer.main.get_command(_app.build(word)).commands  # type: ignore[attr-defined]


def run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "butane_py", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.mark.parametrize("args", [["--version", "-v"], ["-v", "-V"], ["--version", "-v", str(HELLO / "hello.bu")]],
                         ids=" ".join)
def test_version_verbose_names_the_components(args: list[str]) -> None:
    from butane_py import __version__

    p = run(*args)
    assert p.returncode == 0 and p.stderr == ""
    lines = p.stdout.splitlines()
    assert lines[0] == f"butane-py {__version__}"
    assert [line.split(": ", 1)[0] for line in lines[1:]] == ["compressor", "yaml parser", "python"]
    assert lines[3] == f"python: {sys.implementation.name.replace('cpython', 'CPython')} {sys.version.split()[0]}"


def test_verbose_alone_is_a_usage_error() -> None:
    p = run("-v", "x.bu")
    assert p.returncode == 2
    assert p.stderr == "Error: -v/--verbose goes with --version\n"


def test_plain_values_are_checked_as_typer_checks_them() -> None:
    """The CLI's own checks of text, choices and lists give what typer's pydantic adapters give,
    message included, for every parameter of every command."""
    import typer.core
    import typer.main

    from butane_py.cli import _app

    def params(command):
        yield from command.params
        for sub in getattr(command, "commands", {}).values():
            yield from params(sub)

    ctx = typer.main.get_command(_app.translate_app).make_context("butane-py", [])
    commands = [typer.main.get_command(_app.translate_app), typer.main.get_command(_app.build())]
    checked = 0
    for param in (p for command in commands for p in params(command)):
        theirs = typer.core._TyperParameter.get_runtime_param(param)
        ours = _app._PlainValues.of(param, lambda: theirs)
        if ours is theirs:
            continue  # a type the CLI leaves to typer
        for value in (None, "text", "json", "never", "JSON", ("a", "b"), [], "-", True, False):
            results = []
            for check in (ours, theirs):
                try:
                    results.append(("ok", check.coerce(value, param=param, ctx=ctx)))
                except typer.BadParameter as exc:
                    results.append(("error", exc.format_message().replace("Value error, ", "", 1)))
                except Exception as exc:  # noqa: BLE001  (a value the parser never hands over)
                    results.append(("raised", type(exc).__name__))
            if results[0][0] != "raised" and results[1][0] != "raised":
                assert results[0] == results[1], (param.name, value)
        checked += 1
    assert checked > 50
