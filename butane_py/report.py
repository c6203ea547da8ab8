"""Findings: one mechanism for every check in every layer.

An :class:`Entry` has a severity, a path into the document (``$.storage.files.0.path``),
a message and, when known, a 1-based line and byte column in the source text.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence, Union

PathElem = Union[str, int]


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


def format_path(path: Sequence[PathElem]) -> str:
    """``("storage", "files", 0)`` -> ``$.storage.files.0``."""
    return ".".join(["$", *map(str, path)])


@dataclass
class Entry:
    kind: Kind
    message: str
    path: tuple[PathElem, ...] = ()
    line: int | None = None
    column: int | None = None
    # Whether the reference prints a position even when it is 0:0 (an offset past the end).
    has_marker: bool = field(default=False, repr=False)

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


@dataclass
class Report:
    entries: list[Entry] = field(default_factory=list)

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


_PRINTF_VERB = re.compile(r"%([-+# 0]*)(\d*)(?:\.(\d*))?(.?)", re.S)


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

    return _PRINTF_VERB.sub(verb, fmt)
