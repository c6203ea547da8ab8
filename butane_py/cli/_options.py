"""Option tables: the options of the commands the fast entry parses, named once.

A command's typer declaration builds each of these options with :meth:`Option.typer`, and
the fast entry parses plain invocations with :func:`parse` from the same table, so the two
cannot disagree. Neither this module nor a table imports typer.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any


class Option:
    """One option: its names, whether it takes a value, which values it accepts. (A plain class,
    not a dataclass: importing dataclasses costs more than most fast commands' own work.)"""

    def __init__(self, names: tuple[str, ...], help: str, takes_value: bool = False, choices: tuple[str, ...] = (),
                 alone: str | None = None, aliases: tuple[str, ...] = (), metavar: str | None = None) -> None:
        self.names = names
        self.metavar = metavar
        self.help = help
        self.takes_value = takes_value
        self.choices = choices  # any value when empty
        # Given alone, the option means this value, and a value must be attached with '=' (as
        # Go's pflag does for NoOptDefVal). The typer declaration leaves that to the fast entry.
        self.alone = alone
        self.aliases = aliases  # further values the fast entry accepts (the reference's spellings)

    def typer(self, default: Any) -> Any:
        """The typer option declaring this one, with ``default``."""
        import typer

        return typer.Option(default, *self.names, help=self.help, metavar=self.metavar)


def parse(args: list[str], table: dict[str, Option]) -> tuple[dict[str, Any], list[str]] | None:
    """``args`` as keywords (a switch gives True) and positional arguments, or None for anything
    this parser leaves to typer: help, ``--``, an unknown option, a missing or unknown value."""
    flags = {name: key for key, opt in table.items() if not opt.takes_value for name in opt.names}
    values = {name: key for key, opt in table.items() if opt.takes_value for name in opt.names}
    kw: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "-" or not arg.startswith("-"):
            positional.append(arg)
        elif arg in flags:
            kw[flags[arg]] = True
        elif arg in values:
            opt = table[values[arg]]
            if opt.alone is not None:
                kw[values[arg]] = opt.alone
            elif i < len(args):
                kw[values[arg]] = args[i]
                i += 1
            else:
                return None
        elif arg.startswith("--") and arg.split("=", 1)[0] in values:
            name, value = arg.split("=", 1)
            kw[values[name]] = value
        elif len(arg) > 2 and arg[1] != "-" and all(f"-{c}" in flags for c in arg[1:]):
            for c in arg[1:]:
                kw[flags[f"-{c}"]] = True
        else:
            return None
    for key, value in kw.items():
        opt = table[key]
        if opt.choices and value not in opt.choices + opt.aliases:
            return None
    return kw, positional
