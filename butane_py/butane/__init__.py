"""Butane configs: translate YAML to Ignition as the reference Butane does.

>>> from butane_py import butane
>>> result = butane.translate("variant: fcos\\nversion: 1.5.0\\n")
>>> result.output
'{"ignition":{"version":"3.4.0"}}'
"""

from __future__ import annotations

import gc
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
    extensions: bool = True,
    lint: bool = False,
) -> Result:
    """Translate a Butane config to Ignition. Never prints; bad input is a failed Result.

    With ``strict``, any finding fails the translation, as ``butane --strict`` does.
    ``extensions=False`` turns butane-py's own sections (``sysctl``, ``networkmanager``)
    off, so that they are unused keys, exactly as in the reference. ``lint=True`` adds
    warnings beyond the reference (plain-text passwords, bad SSH keys, expired CAs,
    misspelt unit sections).
    """
    from ._output import dumps, value
    from ._pipeline import translate_bytes
    from ._translate import Options

    data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
    # A translation builds many small objects without cycles: collections while it runs
    # only cost time (a sixth of it on a config of thousands of files).
    gc_was = gc.isenabled()
    gc.disable()
    try:
        res = translate_bytes(data, Options(files_dir=files_dir), raw=raw, extensions=extensions, lint=lint)
        vv = res.version
        result = Result(None, res.report, res.error, vv.variant if vv else None, vv.version if vv else None)
        if res.error is None and res.config is not None:
            if strict and res.report.entries:
                result.error = "Config produced warnings and --strict was specified"
            elif res.machine_config is not None:
                from ._openshift import to_yaml

                result.output = to_yaml(_mc_value(res.machine_config, vv.base.spec))  # type: ignore[union-attr]
            else:
                result.output = dumps(value(res.config, vv.base.spec), pretty)  # type: ignore[union-attr]
    finally:
        if gc_was:
            gc.enable()
    return result


def _mc_value(mc: dict, spec) -> dict:
    """The MachineConfig as the reference marshals it before turning it into YAML."""
    from ._output import value

    meta = {"name": mc["metadata"]["name"]}
    if mc["metadata"]["labels"]:
        meta["labels"] = mc["metadata"]["labels"]
    spec_out: dict = {"config": value(mc["spec"]["config"], spec)}
    for key in ("kernelArguments", "extensions", "fips", "kernelType"):
        v = mc["spec"].get(key)
        if v is not None and v != []:
            spec_out[key] = v
    return {"apiVersion": mc["apiVersion"], "kind": mc["kind"], "metadata": meta, "spec": spec_out}


__all__ = ["Result", "translate"]
