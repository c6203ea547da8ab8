"""Field filters: parts of the Ignition output a variant does not support.

A filter names a dotted Ignition field (``storage.luks.clevis``); any non-empty value
there is an error with the variant's message, reported at the value's output path.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Mapping

from ..ignition._spec import FieldType, Spec
from ..report import Report


def verify(config: dict, spec: Spec, filters: Mapping[str, str], ignore_zero: frozenset[str] = frozenset()) -> Report:
    r = Report()
    if filters:
        _verify(config, FieldType.parse("Config"), spec, "", (), filters, ignore_zero, r)
    return r


def _verify(v: Any, ft: FieldType, spec: Spec, name: str, path: tuple, filters, ignore_zero, r: Report) -> None:
    err = filters.get(name)
    if err is not None:
        if not _empty(v, ft, spec, name, ignore_zero):
            r.error(path, err)
        return
    if v is None:
        return
    if ft.kind == "struct":
        for fname, sub in spec.compiled[ft.struct].fields:  # type: ignore[index]
            child = f"{name}.{fname}" if name else fname
            _verify(v.get(fname), sub, spec, child, path + (fname,), filters, ignore_zero, r)
    elif ft.kind == "list":
        for i, x in enumerate(v):
            _verify(x, ft.item, spec, name, path + (i,), filters, ignore_zero, r)  # type: ignore[arg-type]


def _empty(v: Any, ft: FieldType, spec: Spec, name: str, ignore_zero: frozenset[str]) -> bool:
    if v is None:
        return True
    if ft.kind == "struct":
        return all(
            _empty(v.get(f), sub, spec, f"{name}.{f}", ignore_zero)
            for f, sub in spec.compiled[ft.struct].fields  # type: ignore[index]
        )
    if ft.kind == "list":
        return len(v) == 0
    if ft.pointer:
        return not v and name in ignore_zero
    return not v


def verify_mc(mc: dict, spec: Spec, filters: Mapping[str, str], ignore_zero: frozenset[str] = frozenset()) -> Report:
    """Filters over a MachineConfig: ``spec.config.…`` names reach into its Ignition config."""
    r = Report()
    inner = {k[len("spec.config."):]: v for k, v in filters.items() if k.startswith("spec.config.")}
    zero = frozenset(z[len("spec.config."):] for z in ignore_zero if z.startswith("spec.config."))
    if inner:
        _verify(mc["spec"]["config"], FieldType.parse("Config"), spec, "", ("spec", "config"), inner, zero, r)
    return r
