"""Typed config models (pydantic v2), one module per Butane variant and version and per
Ignition spec, generated from the spec data the validators use::

    from butane_py.models import fcos_1_6

    cfg = fcos_1_6.Config(storage=fcos_1_6.Storage(files=[fcos_1_6.File(path="/etc/motd")]))
    cfg.to_butane()   # YAML text
    cfg.translate()   # butane_py.translate(cfg.to_butane())

Module names: ``fcos_1_6``, ``flatcar_1_1``, ``openshift_4_14``, ``fcos_1_8_exp``,
``ignition_3_5``… Importing this package does not import pydantic; a model module does.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["butane_config", "butane_paths", "format_errors", "ignition_config"]


def butane_config(variant: str, version: str) -> Any:
    """The ``Config`` class of a Butane variant and version (``"fcos"``, ``"1.6.0"``).

    Raises KeyError for an unknown variant or version."""
    from ._modules import BUTANE

    return importlib.import_module(f".{BUTANE[(variant, version)]}", __name__).Config


def ignition_config(version: str) -> Any:
    """The ``Config`` class of an Ignition spec version (``"3.5.0"``). Raises KeyError if unknown."""
    from ._modules import IGNITION

    return importlib.import_module(f".{IGNITION[version]}", __name__).Config


def butane_paths(exc: Any) -> list[tuple[str, str]]:
    """``[(path, message)]`` of a pydantic ``ValidationError`` raised by a model, with paths
    in Butane's form: ``$.storage.files.0.mode``."""
    out = []
    for err in exc.errors():
        parts = [str(p) for p in err["loc"] if not _union_tag(p)]
        out.append(("$." + ".".join(parts) if parts else "$", err["msg"]))
    return out


def format_errors(exc: Any) -> str:
    """One line per error: ``error at $.storage.files.0.mode: Input should be a valid integer``."""
    return "\n".join(f"error at {path}: {msg}" for path, msg in butane_paths(exc))


# The only unions in the models are the scalar values of map fields (``sysctl``…), where
# pydantic adds the member's type to the location.
_UNION_TAGS = frozenset({"str", "int", "float", "bool", "none"})


def _union_tag(part: Any) -> bool:
    return isinstance(part, str) and part in _UNION_TAGS
