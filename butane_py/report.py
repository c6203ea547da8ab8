"""Findings: one mechanism for every check in every layer.

An :class:`Entry` has a severity, a path into the document (``$.storage.files.0.path``),
a message and, when known, a 1-based line and byte column in the source text.
"""

from __future__ import annotations

import enum
import json
import re

TYPE_CHECKING = False  # typing's own flag, without importing typing (see Entry)
if TYPE_CHECKING:
    from typing import Iterable, Iterator, Sequence

PathElem = str | int


class Kind(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:  # "error", not "Kind.ERROR"
        return self.value


class Key(str):
    """A path element that names an object key itself rather than its value.

    Unused-key findings point at the key, as the reference does.
    """

    __slots__ = ()


class Record:
    """The methods a dataclass would generate, for the records on the path of every command
    (importing dataclasses and typing costs more CPU time than translating a small config).
    A record's fields are its ``__match_args__``, in order; ``_no_repr`` leaves some out of
    its repr. Records compare equal field by field and are mutable, so unhashable;
    :class:`FrozenRecord` is the hashable kind."""

    __match_args__: tuple[str, ...] = ()
    _no_repr: tuple[str, ...] = ()

    def _fields(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__match_args__)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__match_args__ if name not in self._no_repr)
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]


class FrozenRecord(Record):
    """A :class:`Record` never changed once made, hashable by its fields."""

    def __hash__(self) -> int:
        return hash(self._fields())


def format_path(path: Sequence[PathElem]) -> str:
    """``("storage", "files", 0)`` -> ``$.storage.files.0``."""
    return ".".join(["$", *map(str, path)])


class Entry(Record):
    """One finding."""

    __match_args__ = ("kind", "message", "path", "line", "column", "has_marker")
    _no_repr = ("has_marker",)

    def __init__(self, kind: Kind, message: str, path: tuple[PathElem, ...] = (), line: int | None = None,
                 column: int | None = None, has_marker: bool = False) -> None:
        self.kind = kind
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        # Whether the reference prints a position even when it is 0:0 (an offset past the end).
        self.has_marker = has_marker

    @property
    def is_fatal(self) -> bool:
        return self.kind is Kind.ERROR

    @property
    def json_path(self) -> str:
        return format_path(self.path)

    def __str__(self) -> str:
        """The reference's raw line: ``error at $.a.b, line L col C: message``."""
        at = ""
        marker = self.line is not None or self.has_marker
        pos = f"line {self.line or 0} col {self.column or 0}"
        if marker and self.path:
            at = f" at {self.json_path}, {pos}"
        elif marker:
            at = f" at {pos}"
        elif self.path:
            at = f" at {self.json_path}"
        return f"{self.kind}{at}: {self.message}"

    def to_dict(self) -> dict:
        return {
            "kind": str(self.kind),
            "path": self.json_path if self.path else None,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class Report(Record):
    """Findings in the order they were made."""

    __match_args__ = ("entries",)

    def __init__(self, entries: list[Entry] | None = None) -> None:
        self.entries: list[Entry] = [] if entries is None else entries

    def add(self, kind: Kind, path: Iterable[PathElem], message: str) -> Entry:
        entry = Entry(kind, message, tuple(path))
        self.entries.append(entry)
        return entry

    def error(self, path: Iterable[PathElem], message: str) -> Entry:
        return self.add(Kind.ERROR, path, message)

    def warn(self, path: Iterable[PathElem], message: str) -> Entry:
        return self.add(Kind.WARNING, path, message)

    def info(self, path: Iterable[PathElem], message: str) -> Entry:
        return self.add(Kind.INFO, path, message)

    def merge(self, other: "Report") -> None:
        self.entries.extend(other.entries)

    @property
    def is_fatal(self) -> bool:
        return any(e.kind is Kind.ERROR for e in self.entries)

    @property
    def errors(self) -> list[Entry]:
        return [e for e in self.entries if e.kind is Kind.ERROR]

    @property
    def warnings(self) -> list[Entry]:
        return [e for e in self.entries if e.kind is Kind.WARNING]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __str__(self) -> str:
        return "".join(f"{e}\n" for e in self.entries)

    def reference_text(self) -> str:
        """The report as ``ignition-validate`` prints it.

        The reference passes the whole report to ``Printf`` as its format string after
        trimming it, so a ``%`` in a message is read as a formatting verb.
        """
        return go_printf_no_args(str(self).strip()) + "\n"

    def to_json(self) -> str:
        return json.dumps([e.to_dict() for e in self.entries], ensure_ascii=False)


# Compiled on first use (re caches it): only reports with a "%" need it.
_PRINTF_VERB = r"%([-+# 0]*)(\d*)(?:\.(\d*))?(.?)"


def go_printf_no_args(fmt: str) -> str:
    """Go's ``fmt.Sprintf(fmt)`` with no operands: ``%%`` is ``%``, other verbs go missing."""
    if "%" not in fmt:
        return fmt

    def verb(m: re.Match) -> str:
        v = m.group(4)
        if v == "%":
            return "%"
        if v == "":
            return "%!(NOVERB)"
        return f"%!{v}(MISSING)"

    return re.sub(_PRINTF_VERB, verb, fmt, flags=re.S)


# -- the pretty renderer (Butane's rustc-style snippets) -----------------------------------

_RED, _YELLOW, _CYAN, _BLUE, _RESET = "\033[1;31m", "\033[1;33m", "\033[1;36m", "\033[1;34m", "\033[0m"
_KIND_COLOR = {Kind.ERROR: _RED, Kind.WARNING: _YELLOW, Kind.INFO: _CYAN}
_SPACE_CHARS = frozenset(" \t\n\v\f\r\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | frozenset(
    chr(c) for c in range(0x2000, 0x200B)
)


def _paint(text: str, code: str, colorize: bool) -> str:
    return code + text + _RESET if colorize else text


def render_pretty(report: Report, filename: str, source: bytes, colorize: bool = False) -> str:
    """Each finding with its file position and two lines of context, carets under the token."""
    lines = source.split(b"\n")
    return "\n".join(_render_entry(e, filename, lines, colorize) for e in report.entries)


def _render_entry(e: Entry, filename: str, lines: list[bytes], colorize: bool) -> str:
    if e.line is None and not e.has_marker:
        return f"{e}\n"
    line, col = e.line or 0, e.column or 0
    if line < 1 or line > len(lines) or col < 1 or col > len(lines[line - 1]):
        return f"{e}\n"
    out = []
    path = f"[{e.json_path}]" if e.path else ""
    out.append(f"{_paint(str(e.kind), _KIND_COLOR.get(e.kind, _RESET), colorize)}{path}:\n")
    out.append(f"  {_paint('-->', _BLUE, colorize)} {filename}:{line}:{col}\n")
    first, last = max(1, line - 2), min(len(lines), line + 2)
    width = len(str(last))
    gutter = " " * width
    out.append(f" {gutter} |\n")
    for n in range(first, last + 1):
        text = lines[n - 1]
        number = _paint(f"{n:>{width}}", _BLUE, colorize)
        out.append(f" {number} | {_text(text)}\n")
        if n == line:
            start = col - 1
            rest = text[start:]
            length = _until_space(rest)
            carets = _paint("^" * length, _BLUE, colorize)
            out.append(f" {gutter} | {' ' * start}{carets} {e.message}\n")
    out.append(f" {gutter} |\n")
    return "".join(out)


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _until_space(rest: bytes) -> int:
    """Byte length up to the first Unicode space (Go's strings.IndexFunc(unicode.IsSpace))."""
    offset = 0
    for ch in rest.decode("utf-8", "surrogateescape"):
        if ch in _SPACE_CHARS:
            return offset
        offset += 1 if "\udc80" <= ch <= "\udcff" else len(ch.encode("utf-8", "surrogatepass"))
    return len(rest)
