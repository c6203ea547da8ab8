"""Butane configs: translate YAML to Ignition as the reference Butane does.

>>> from butane_py import butane
>>> result = butane.translate("variant: fcos\\nversion: 1.5.0\\n")
>>> result.output
'{"ignition":{"version":"3.4.0"}}'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ..report import Report

Source = Union[str, bytes]


@dataclass
class Result:
    """A translation: ``output`` (Ignition JSON, or None on failure), the findings, and
    ``error``, the reason the reference prints after ``Error translating config:``."""

    output: str | None
    report: Report
    error: str | None = None
    variant: str | None = None
    version: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def translate(
    source: Source,
    *,
    files_dir: str | None = None,
    strict: bool = False,
    raw: bool = False,
    pretty: bool = False,
) -> Result:
    """Translate a Butane config to Ignition. Never prints; bad input is a failed Result.

    With ``strict``, any finding fails the translation, as ``butane --strict`` does.
    """
    from ._output import dumps, value
    from ._pipeline import translate_bytes
    from ._translate import Options

    data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
    res = translate_bytes(data, Options(files_dir=files_dir))
    vv = res.version
    result = Result(None, res.report, res.error, vv.variant if vv else None, vv.version if vv else None)
    if res.error is None and res.config is not None:
        if strict and res.report.entries:
            result.error = "Config produced warnings and --strict was specified"
        else:
            result.output = dumps(value(res.config, vv.base.spec), pretty)  # type: ignore[union-attr]
    return result


__all__ = ["Result", "translate"]
