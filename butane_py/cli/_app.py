"""The typer apps, with typer's classic help look: one for the default command, one for all the
others, assembled from the areas' ``register`` functions.

Importing this module imports typer; the fast entry (:mod:`._fast`) comes here only for what
it does not parse itself: help, shell completion, mistakes and the less frequent commands.
"""

from __future__ import annotations

import sys
import typing
from enum import Enum
from typing import Optional

import typer
import typer.core

from ..errors import ButanePyError
from . import translate
from ._fast import AREAS, SUBCOMMANDS

_APP_HELP = (
    "Provision CoreOS-family machines: Butane to Ignition, validation, images.\n\n"
    "Without a command, butane-py translates a Butane config as butane does: butane-py [OPTIONS] [INPUT] "
    "(see butane-py --help)."
)


def _group() -> None:
    pass


def build(command: Optional[str] = None) -> typer.Typer:
    """The app of the commands beside the default one; with ``command``, only its area's
    (typer then makes and checks only their parameters)."""
    import importlib

    app = typer.Typer(name="butane-py", help=_APP_HELP, add_completion=True, no_args_is_help=True,
                      pretty_exceptions_enable=False)
    app.callback(help=_APP_HELP)(_group)
    # The order of registration is the order of the command list in --help.
    for area in [AREAS[command]] if command else dict.fromkeys(AREAS.values()):
        importlib.import_module(f".{area}", __package__).register(app)
    return app


# The default command is an app of its own: it runs when the first word is not a command.
translate_app = typer.Typer(
    name="butane-py",
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
translate.register(translate_app)


_TYPE_NAMES = {str: "TEXT", int: "INTEGER", float: "FLOAT"}


def _type_label(param) -> str:
    """What a value looks like, in typer's classic words: TEXT, INTEGER, [text|json]."""
    desc = param.type_descriptor
    if desc.is_choice:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices) + "]"
    annotation = desc.annotation
    if desc.is_list:
        annotation = typing.get_args(annotation)[0] if typing.get_args(annotation) else str
    return _TYPE_NAMES.get(annotation, getattr(annotation, "__name__", "TEXT").upper())


class _PlainValues:
    """Checks a parameter's values as typer's pydantic adapter does, for the value types this CLI
    declares: switches, text, a choice of an Enum, lists of text. Typer 0.29 builds an adapter
    for every parameter it processes, and importing pydantic for that costs more CPU time than
    most commands' own work. Anything else goes to typer's adapter, made by ``typer_param``."""

    def __init__(self, kind: type, choices: tuple, case_sensitive: bool, typer_param) -> None:
        self.kind = kind  # bool, str or Enum
        self.choices = choices
        self.case_sensitive = case_sensitive
        self.typer_param = typer_param

    @classmethod
    def of(cls, param, typer_param):
        desc = param.type_descriptor
        annotation = desc.annotation
        if desc.is_list:
            (annotation,) = typing.get_args(annotation) or (str,)
        if annotation in (bool, str):
            return cls(annotation, (), desc.case_sensitive, typer_param)
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            return cls(Enum, tuple(annotation), desc.case_sensitive, typer_param)
        return typer_param()

    def coerce(self, value, param, ctx):
        multiple = param.multiple or param.nargs == -1
        if value is None:
            return () if multiple else None
        if not multiple:
            return self._one(value, param, ctx)
        if isinstance(value, str):
            raise typer.BadParameter("Value must be an iterable.", ctx=ctx, param=param)
        return [self._one(item, param, ctx) for item in value]

    def _one(self, value, param, ctx):
        if self.kind is str:
            return value if isinstance(value, str) else str(value)
        if self.kind is bool:
            # A switch gives True or False; anything else (text from a default map) as typer reads it.
            return value if isinstance(value, bool) else self.typer_param().coerce(value, param, ctx)
        from typer._click.utils import _escape_control_characters
        from typer._param_types import coerce_cli_choice

        try:
            return coerce_cli_choice(value, choices=self.choices, case_sensitive=self.case_sensitive, ctx=ctx)
        except ValueError as exc:
            raise typer.BadParameter(_escape_control_characters(str(exc)), ctx=ctx, param=param) from None


class _Option(typer.core.TyperOption):
    def display_type_rich(self, ctx):
        if self.is_flag or self.count:
            return None  # a switch takes no value: nothing to show beside it
        return self.metavar if self.metavar is not None else _type_label(self)

    def get_runtime_param(self):
        return _PlainValues.of(self, super().get_runtime_param)


class _Argument(typer.core.TyperArgument):
    def display_type_rich(self, ctx):
        return _type_label(self)

    def get_runtime_param(self):
        return _PlainValues.of(self, super().get_runtime_param)

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")


def _classic(param):
    if type(param) is typer.core.TyperOption:
        param.__class__ = _Option
    elif type(param) is typer.core.TyperArgument:
        param.__class__ = _Argument
    return param


def _classic_help(command) -> None:
    """Give every parameter of ``command`` and its subcommands the look of typer's classic help,
    and make their help cheaper to print (see :func:`_import_rich_help`)."""
    for param in command.params:
        _classic(param)
    made = command.get_help_option  # --help is made on first use, with the context's names
    command.get_help_option = lambda ctx: _classic(made(ctx))
    formats = command.format_help

    def format_help(ctx, formatter) -> None:
        _import_rich_help()
        formats(ctx, formatter)

    command.format_help = format_help
    for sub in getattr(command, "commands", {}).values():
        _classic_help(sub)


def _import_rich_help() -> None:
    """Import typer's rich help module without the two renderers it imports and never uses here:
    Markdown (for markup mode "markdown"; ours is "rich") and Traceback (for pretty exceptions,
    which are off). They bring in markdown-it and pygments, about 100 ms of CPU time. While the
    module is imported, each stands in as a class that makes the real one if it is ever made;
    the real modules stay importable as usual."""
    if "typer.rich_utils" in sys.modules:
        return
    import importlib
    import types

    def stand_in(module: str, name: str) -> type:
        def make(cls, *args, **kwargs):
            return getattr(importlib.import_module(module), name)(*args, **kwargs)

        return type(name, (), {"__new__": make})

    stood_in = []
    for module, name in (("rich.markdown", "Markdown"), ("rich.traceback", "Traceback")):
        if module not in sys.modules:
            sys.modules[module] = types.ModuleType(module)
            setattr(sys.modules[module], name, stand_in(module, name))
            stood_in.append(module)
    try:
        importlib.import_module("typer.rich_utils")
    except ImportError:
        pass  # a typer that wants more of them: it imports the real ones when it prints help
    finally:
        for module in stood_in:
            del sys.modules[module]


def command_paths() -> list[str]:
    """Every command a user can run, as typed after ``butane-py``: "validate", "stream list"…"""
    import typer.main

    def walk(command, prefix: str) -> list[str]:
        subs = getattr(command, "commands", None)
        if not subs:
            return [prefix]
        return [p for name, sub in subs.items() for p in walk(sub, f"{prefix} {name}".strip())]

    return walk(typer.main.get_command(build()), "")


def suggestion(word: str) -> Optional[str]:
    """The command ``word`` was probably meant to be, or None: ``list-stream`` → ``stream list``.

    Each command is matched as written, hyphenated and hyphenated in reverse order."""
    import difflib

    forms: dict[str, str] = {}
    for path in command_paths():
        parts = path.split()
        forms.setdefault(parts[0], parts[0])  # a group alone: "imags" → images
        for form in (path, "-".join(parts), "-".join(reversed(parts))):
            forms.setdefault(form, path)
    match = difflib.get_close_matches(word.lower(), list(forms), n=1, cutoff=0.75)
    return forms[match[0]] if match else None


def _completion_target():
    """The app whose words a shell completes: a command's, or the default command's when the first
    word is an option or an input (`butane-py --p` → `--pretty`), read as typer's shell scripts
    pass the line (bash: COMP_WORDS and COMP_CWORD; zsh, fish, PowerShell: _TYPER_COMPLETE_ARGS)."""
    import os
    import shlex

    try:
        if "COMP_WORDS" in os.environ:
            words = shlex.split(os.environ["COMP_WORDS"])
            words = words[1:int(os.environ.get("COMP_CWORD", len(words))) + 1]
        else:
            line = os.environ.get("_TYPER_COMPLETE_ARGS", "")
            words = shlex.split(line)[1:] + ([""] if line.endswith(" ") else [])
    except ValueError:  # an open quote, a bad number
        words = []
    if len(words) > 1:
        return build() if words[0] in SUBCOMMANDS else translate_app
    return translate_app if words and words[0].startswith("-") else build()


def _pxe_without_value(args: list[str]) -> list[str]:
    """``embed --flatcar CH --pxe -o DIR``: there --pxe is a switch, so give it an empty value."""
    if not args or args[0] != "embed" or not any(a == "--flatcar" or a.startswith("--flatcar=") for a in args):
        return args
    out = list(args)
    for i, arg in enumerate(out):
        if arg == "--pxe" and (i + 1 == len(out) or out[i + 1].startswith("-")):
            out.insert(i + 1, "")
            break
    return out


def run(args: list[str]) -> int:
    """Parse ``args`` and run the command they name; returns the exit code."""
    import os

    import typer.main

    completing = any(k.endswith("_COMPLETE") and k.startswith("_BUTANE") for k in os.environ)
    args = _pxe_without_value(args)
    if completing:
        target = _completion_target()
    elif args == ["help"] and not os.path.lexists("help"):  # a file named help is still translated
        target, args = build(), ["--help"]
    else:
        target = build(args[0]) if args and args[0] in SUBCOMMANDS else translate_app
    command = typer.main.get_command(target)
    _classic_help(command)
    try:
        rc = command.main(args=args, prog_name="butane-py", standalone_mode=False)
    except ButanePyError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # click's own exits (e.g. --help)
        return exc.code if isinstance(exc.code, int) else 1
    except KeyboardInterrupt:
        sys.stderr.write("Aborted.\n")
        return 130
    except Exception as exc:
        # Usage errors from the argument parser (typer vendors its own click).
        show = getattr(exc, "show", None)
        if callable(show) and isinstance(getattr(exc, "exit_code", None), int):
            show()
            return exc.exit_code  # type: ignore[attr-defined]
        if type(exc).__name__ == "Abort":
            sys.stderr.write("Aborted.\n")
            return 1
        raise
    # Without standalone mode the parser hands back a command's exit code.
    return rc if isinstance(rc, int) else 0
