"""butane-py: Butane to Ignition, Ignition validation, and CoreOS image tooling.

The public API is what ``__all__`` lists; everything in a ``_private`` module may change.
"""

from __future__ import annotations

from .errors import ButanePyError, ConfigError, InputError, ParseError, UsageError, ValidationError
from .report import Entry, Kind, Report

__version__ = "0.1.0"

__all__ = [
    "ButanePyError",
    "ConfigError",
    "Entry",
    "InputError",
    "Kind",
    "ParseError",
    "Report",
    "UsageError",
    "ValidationError",
    "__version__",
    "butane",
    "decompile",
    "ignition",
    "translate",
    "translate_many",
]


def __getattr__(name: str):
    # Subpackages load on first use: start-up time matters for pre-commit.
    import importlib

    if name in ("ignition", "butane"):
        return importlib.import_module(f".{name}", __name__)
    if name in ("translate", "translate_many", "decompile"):
        return getattr(importlib.import_module(".butane", __name__), name)
    raise AttributeError(name)
