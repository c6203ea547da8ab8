"""The command line as a user meets it: every ``--help`` (syrupy snapshots in
tests/__snapshots__/), choice errors, hints for mistyped commands, ``help``, shell completion
of the default command, and the hints in error messages naming options that exist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT
from .test_cli_download import VERIFY, run as download, site  # noqa: F401  (site is a fixture)

# Help is rendered at a fixed width, without colour, so that the snapshots are stable.
HELP_ENV = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}


def run(*args: str, cwd=None, env: dict | None = None, stdin: bytes = b"") -> subprocess.CompletedProcess:
    full = dict(os.environ, PYTHONPATH=str(ROOT), **HELP_ENV, **(env or {}))
    return subprocess.run([sys.executable, "-m", "butane_py", *args], capture_output=True, text=True, env=full,
                          cwd=cwd, input=stdin.decode(), timeout=120)


def _all_commands() -> list[str]:
    from butane_py.cli import _app

    paths = set()
    for path in _app.command_paths():
        words = path.split()
        paths.update(" ".join(words[:i]) for i in range(1, len(words) + 1))  # groups have help too
    return sorted(paths)


COMMANDS = _all_commands()


def render_help(monkeypatch, capsys, words: list[str]) -> str:
    from butane_py.cli import _app

    for key, value in HELP_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert _app.run([*words, "--help"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def test_every_command_is_covered() -> None:
    assert {"validate", "check", "stream list", "iso extract pxe", "pxe network unwrap", "embed"} <= set(COMMANDS)
    assert len(COMMANDS) >= 30


@pytest.mark.parametrize("command", ["", *COMMANDS], ids=["(translate)", *COMMANDS])
def test_help_snapshot(command: str, monkeypatch, capsys, snapshot) -> None:
    text = render_help(monkeypatch, capsys, command.split())
    # What typer's defaults do not print: type names in angle brackets, doubled brackets, pydantic.
    assert not re.search(r"<(bool|str|int|list\[\w+\])>", text), text
    assert "[[" not in text and "]]" not in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert text == snapshot


def test_help_in_process_equals_a_real_run(monkeypatch, capsys) -> None:
    """The snapshots are rendered in-process for speed; a real run prints the same bytes."""
    for words in ([], ["iso", "customize"]):
        p = run(*words, "--help")
        assert p.returncode == 0 and p.stderr == ""
        assert p.stdout == render_help(monkeypatch, capsys, words)


def test_help_command_lists_the_commands(tmp_path, snapshot) -> None:
    p = run("help", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == snapshot
    assert "Without a command, butane-py translates" in p.stdout, "it names the default command"
    for name in ("validate", "check", "download", "stream", "iso", "pxe", "embed"):
        assert re.search(rf"^│ {re.escape(name)} ", p.stdout, re.M), p.stdout


def test_a_file_named_help_is_still_translated(tmp_path) -> None:
    (tmp_path / "help").write_text("variant: fcos\nversion: 1.5.0\n")
    p = run("help", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == '{"ignition":{"version":"3.4.0"}}\n'


@pytest.mark.parametrize(
    "word, hint",
    [("list-stream", "stream list"), ("stream-list", "stream list"), ("streamlist", "stream list"),
     ("clean-cache", "cache clean"), ("valdate", "validate"), ("imags", "images")],
)
def test_missing_input_close_to_a_command_gets_a_hint(word: str, hint: str, tmp_path) -> None:
    p = run(word, cwd=tmp_path)
    assert p.returncode == 1
    assert p.stdout == ""
    assert p.stderr == (f"failed to open {word}: open {word}: no such file or directory\n"
                        f"did you mean 'butane-py {hint}'?\n")


@pytest.mark.parametrize("word", ["provision", "nosuch.bu", "configs/list-stream", "zzz"])
def test_missing_input_far_from_commands_is_the_reference_error_alone(word: str, tmp_path) -> None:
    p = run(word, cwd=tmp_path)
    assert p.returncode == 1
    assert p.stderr == f"failed to open {word}: open {word}: no such file or directory\n"


def test_an_existing_file_close_to_a_command_is_translated(tmp_path) -> None:
    (tmp_path / "list-stream").write_text("variant: fcos\nversion: 1.5.0\n")
    p = run("list-stream", cwd=tmp_path)
    assert p.returncode == 0 and p.stderr == "", p.stderr


@pytest.mark.parametrize(
    "args, message",
    [(["validate", "--format", "xml", "x.ign"], "Invalid value for '--format': 'xml' is not one of 'text', 'json'."),
     (["check", "--format", "yaml", "x.bu"], "Invalid value for '--format': 'yaml' is not one of 'text', 'json'."),
     (["--color", "sometimes", "x.bu"],
      "Invalid value for '--color': 'sometimes' is not one of 'auto', 'always', 'never'."),
     (["hash-password", "--method", "md5"],
      "Invalid value for '--method': 'md5' is not one of 'sha512', 'yescrypt'.")],
)
def test_bad_choice_is_a_plain_usage_error(args: list[str], message: str) -> None:
    p = run(*args)
    assert p.returncode == 2
    assert p.stderr.splitlines()[-1] == f"Error: {message}", p.stderr
    assert "Value error" not in p.stderr and "Traceback" not in p.stderr


def complete(line: str, shell: str = "bash") -> list[str]:
    """What typer's completion script gets back for ``line`` (the cursor at its end)."""
    if shell == "bash":
        words = line.split()
        cword = len(words) if line.endswith(" ") else len(words) - 1
        env = {"_BUTANE_PY_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(cword)}
    else:
        env = {"_BUTANE_PY_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": line}
    p = run(env=env)
    assert "Traceback" not in p.stderr, p.stderr
    return p.stdout.split()


def test_completion_of_the_default_commands_options() -> None:
    assert complete("butane-py --p") == ["--pretty"]
    assert "--strict" in complete("butane-py --s")
    assert complete("butane-py config.bu --pre") == ["--pretty"]
    assert "\"--pretty\"" in " ".join(complete("butane-py --p", shell="zsh"))


def test_completion_of_commands_still_works() -> None:
    assert complete("butane-py st") == ["stream"]
    assert complete("butane-py stream ") == ["list", "images"]
    assert complete("butane-py check --s") == ["--strict"]
    assert set(complete("butane-py ")) >= {"validate", "embed", "iso", "pxe"}


def test_iso_extract_pxe_hint_names_an_option_that_exists(iso_cache, tmp_path: Path) -> None:
    from ._isos import pristine

    iso = pristine("embed-areas-2023-07.x86_64.iso", iso_cache)
    out = tmp_path / "pxe"
    assert run("iso", "extract", "pxe", "-o", str(out), str(iso)).returncode == 0
    kernel = out / f"{iso.stem}-vmlinuz"
    kernel.write_bytes(b"mine")
    p = run("iso", "extract", "pxe", "-o", str(out), str(iso))
    assert p.returncode == 1
    hint = re.search(r"use (--?\w[\w-]*) to", p.stderr)
    assert hint, p.stderr
    assert kernel.read_bytes() == b"mine"
    p = run("iso", "extract", "pxe", hint[1], "-o", str(out), str(iso))
    assert p.returncode == 0, p.stderr
    assert kernel.read_bytes() != b"mine"


def test_embed_unknown_stream_lists_the_streams(tmp_path: Path) -> None:
    (tmp_path / "c.bu").write_text("variant: fcos\nversion: 1.5.0\n")
    for kind in ("--iso", "--pxe"):
        p = run("embed", kind, "stabel", "c.bu", "-o", "out", cwd=tmp_path,
                env={"BUTANE_PY_CACHE": str(tmp_path / "cache")})
        assert p.returncode == 1
        assert p.stderr == "Error: unknown stream 'stabel'; available: stable, testing, next\n"
    assert sorted(os.listdir(tmp_path)) == ["c.bu"], "nothing fetched or written"


def test_missing_signature_hint_names_the_option(site, tmp_path: Path) -> None:  # noqa: F811
    srv, root, payloads, formats = site
    name = formats["pxe"]["kernel"]["location"].rsplit("/", 1)[1]
    (root / f"{name}.sig").unlink()
    p = download("-u", srv.url(name), "-C", str(tmp_path), "--keyring", str(VERIFY / "test-key.pub.asc"),
                 "--fetch-retries", "1", "-q", cache=tmp_path / "cache")
    assert p.returncode == 1
    assert "(use --insecure to skip)" in p.stderr, p.stderr
    p = download("-u", srv.url(name), "-C", str(tmp_path), "--insecure", "--fetch-retries", "1", "-q",
                 cache=tmp_path / "cache")
    assert p.returncode == 0, p.stderr
