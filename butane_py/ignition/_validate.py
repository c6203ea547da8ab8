"""Parse and validate an Ignition config exactly as ``ignition-validate`` does.

The pipeline: JSON syntax → the version stub → the spec of that version → typed decode →
one walk over the decoded structs that runs, like the reference, three passes' worth of
checks (semantic rules, duplicate keys, unused keys) → positions from the source text.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

from .._go import json as _gojson
from ..report import Entry, Kind, Record, Report
from ._decode import Decoder, DecodeTypeError, decode_version
from ._rules import ERR_DUPLICATE, ERR_INVALID_VERSION, ERR_UNKNOWN_VERSION, IGNORE_DUPLICATES, ITEM_KEYS, MERGED_KEYS, RULES
from ._spec import BY_SEMVER, Spec, StructType
from ._walk import MISSING, Walker

ERR_EMPTY = "not a config (empty)"


class ParseResult(Record):
    """What parsing produced: the spec and decoded config when it got that far, the
    findings, and ``error`` when the reference would print ``couldn't parse config: …``."""

    __match_args__ = ("report", "spec", "config", "error")

    def __init__(self, report: Report, spec: Spec | None = None, config: dict | None = None,
                 error: str | None = None) -> None:
        self.report = report
        self.spec = spec
        self.config = config
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None and not self.report.is_fatal


def _syntax_entry(data: bytes, message: str, offset: int) -> Entry:
    line, col = _gojson.offset_line_col(data, offset)
    return Entry(Kind.ERROR, message, (), line, col, has_marker=True)


def _type_entry(data: bytes, locator: _gojson.Locator, err: DecodeTypeError, root: str) -> Entry:
    from .._go.json_errors import type_error

    start, _ = locator.value_start(err.pointer)
    start_byte = locator.byte_offset(start)
    pointer = [p[0] if isinstance(p, _gojson.Occurrence) else p for p in err.pointer]
    message, offset = type_error(data, start_byte, err.go_type, root, pointer)
    return _syntax_entry(data, message, offset)


def parse(data: bytes) -> ParseResult:
    report = Report()
    if not data:
        return ParseResult(report, error=ERR_EMPTY)
    try:
        text, value, deep = _gojson.parse(data)
    except _gojson.JSONSyntaxError as exc:
        report.entries.append(_syntax_entry(data, exc.message, exc.offset))
        return ParseResult(report)
    return _gojson.run_deep(lambda: _parse_tree(data, text, value, report), deep)


def _parse_tree(data: bytes, text: str, value: Any, report: Report) -> ParseResult:
    locator = _gojson.Locator(text)
    try:
        version = decode_version(value)
    except DecodeTypeError as exc:
        report.entries.append(_type_entry(data, locator, exc, "versionStub"))
        return ParseResult(report)
    from .._go.semver import semver_parse

    sv = semver_parse(version)
    if sv is None:
        return ParseResult(report, error=ERR_INVALID_VERSION)
    spec = BY_SEMVER.get(sv)
    if spec is None:
        return ParseResult(report, error=ERR_UNKNOWN_VERSION)
    try:
        config = Decoder(spec).decode(value)
    except DecodeTypeError as exc:
        report.entries.append(_type_entry(data, locator, exc, "Config"))
        return ParseResult(report, spec)
    report.merge(check(spec, config, value))
    for entry in report.entries:
        entry.line, entry.column = locator.position(entry.path)
        entry.has_marker = True
    return ParseResult(report, spec, config)


def check(spec: Spec, config: dict, tree: Any = MISSING) -> Report:
    """Run every rule over a decoded config; ``tree`` (the parsed JSON) adds unused keys."""
    walker = walk(spec, config, (), tree)
    report = Report()
    report.entries = walker.rules.entries + walker.dups.entries + walker.unused.entries
    return report


def walk(spec: Spec, config: dict, path: tuple = (), tree: Any = MISSING) -> Walker:
    """Walk a decoded config found at ``path``, with its parsed JSON if given."""
    walker = Walker(spec.compiled, RULES, spec, _JSON_TREE, _duplicates)
    walker.struct(config, "Config", path, tree)
    return walker


class _JsonTree:
    """The parsed JSON: objects as tuples of pairs, arrays as lists."""

    @staticmethod
    def mapping(node: Any) -> dict | None:
        return dict(node) if type(node) is tuple else None

    @staticmethod
    def items(node: Any) -> list | None:
        return node if type(node) is list else None


_JSON_TREE = _JsonTree()


def _duplicates(v: dict, name: str, st: StructType, path: tuple, report: Report) -> None:
    ignored = IGNORE_DUPLICATES.get(name, ())
    merged = MERGED_KEYS.get(name, {})
    seen: dict[str, set] = {}
    for fname, ft in st.fields:
        if ft.kind != "list" or fname in ignored:
            continue
        items = v.get(fname)
        if not items:
            continue
        bucket = seen.setdefault(merged.get(fname, fname), set())
        item = ft.item
        keyfn = ITEM_KEYS.get(item.struct) if item.kind == "struct" else None  # type: ignore[union-attr]
        for i, x in enumerate(items):
            key = keyfn(x) if keyfn is not None else x
            if key in bucket:
                report.error(path + (fname, i), ERR_DUPLICATE)
            else:
                bucket.add(key)
