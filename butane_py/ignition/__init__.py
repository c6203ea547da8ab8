"""Ignition configs, spec 3.0.0 to 3.7.0-experimental: parse, validate, translate, merge.

>>> from butane_py import ignition
>>> report = ignition.validate(b'{"ignition": {"version": "3.4.0"}}')
>>> report.is_fatal
False
"""

from __future__ import annotations

from ..report import Report
from ._spec import BY_VERSION, LATEST_STABLE, SPECS, Spec
from ._merge import Merged, Override, Transcript, merge_configs
from ._translate import to_json_value
from ._translate import translate as _translate
from ._validate import ParseResult, parse

VERSIONS: tuple[str, ...] = tuple(s.version for s in SPECS)

Source = str | bytes | bytearray | memoryview


def _as_bytes(source: Source) -> bytes:
    if isinstance(source, str):
        return source.encode("utf-8")
    return bytes(source)


def validate(source: Source) -> Report:
    """Validate a config as ``ignition-validate`` does and return its findings.

    Parse failures that the reference prints as ``couldn't parse config: …`` become an
    error entry with that message, so ``report.is_fatal`` is the verdict.
    """
    result = parse(_as_bytes(source))
    report = result.report
    if result.error is not None and not report.is_fatal:
        report.error((), f"couldn't parse config: {result.error}")
    return report


def parse_config(source: Source) -> ParseResult:
    """Parse and validate; the result carries the spec version and decoded config."""
    return parse(_as_bytes(source))


def translate(config: dict, from_version: str, to_version: str = LATEST_STABLE.version) -> dict:
    """Translate a decoded config (``parse_config(...).config``) up to a later spec version."""
    return _translate(config, from_version, to_version)


def merge(parent: dict, child: dict, version: str, transcript: Transcript | None = None) -> dict:
    """Merge ``child`` over ``parent`` as ``ignition.config.merge`` does; both of ``version``."""
    from ._merge import merge as _merge

    return _merge(BY_VERSION[version], parent, child, transcript)


def overrides(parent: dict, child: dict, version: str) -> list[Override]:
    """The values of ``parent`` that merging ``child`` over it replaces; both of ``version``."""
    from ._merge import overrides as _overrides

    return _overrides(BY_VERSION[version], parent, child)


def to_json(config: dict, version: str, *, pretty: bool = False) -> str:
    """Serialise a decoded config in the reference's field order, omitting unset values."""
    import json

    value = to_json_value(config, version)
    if pretty:
        return json.dumps(value, indent=2, ensure_ascii=False)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def spec(version: str) -> Spec:
    """The spec definition of ``version`` (``KeyError`` if unknown)."""
    return BY_VERSION[version]


__all__ = [
    "LATEST_STABLE",
    "VERSIONS",
    "Merged",
    "Override",
    "ParseResult",
    "Spec",
    "Transcript",
    "merge",
    "merge_configs",
    "overrides",
    "parse_config",
    "spec",
    "to_json",
    "translate",
    "validate",
]
