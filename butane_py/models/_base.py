"""The base classes of the generated models (this module imports pydantic)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr


def _scalar_text(value: Any) -> Any:
    # Butane's YAML decoder fills a string field from any scalar, with the scalar's text.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


__all__ = ["ButaneConfigModel", "ButaneModel", "Field", "IgnitionConfigModel", "IgnitionModel", "ScalarStr",
           "StrictBool", "StrictInt", "StrictStr"]

ScalarStr = Annotated[str, BeforeValidator(_scalar_text)]
"""A Butane string field: a bool or number given for it becomes its text."""


class ButaneModel(BaseModel):
    """A Butane struct. Keys are Butane's (snake_case); unknown keys are refused.

    Scalars are read as Butane's YAML decoder reads them into a Go field: a number or bool
    fills a string field (as its text: :data:`ScalarStr`); an int field takes only an int (a
    string such as ``"0644"`` is refused, as Butane refuses it); a bool field also takes
    YAML 1.1's ``yes``/``no``/``on``/``off`` words (pydantic's lax bool).
    """

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, populate_by_name=True)


class ButaneConfigModel(ButaneModel):
    """A whole Butane config: its dict, YAML text, and translation."""

    def to_dict(self) -> dict[str, Any]:
        """The config as Butane data (unset fields left out)."""
        return self.model_dump(exclude_none=True, by_alias=True)

    def to_butane(self) -> str:
        """The config as Butane YAML text, ``variant`` and ``version`` included."""
        from .._go.yaml_encode import encode

        return encode(self.to_dict())

    def translate(self, **kw: Any):
        """``butane_py.translate(self.to_butane(), **kw)``: a :class:`~butane_py.report.Result`."""
        from ..butane import translate

        return translate(self.to_butane(), **kw)


class IgnitionModel(BaseModel):
    """An Ignition struct. Keys are Ignition's (camelCase); JSON types are strict, as in Go."""

    model_config = ConfigDict(extra="forbid", strict=True, use_attribute_docstrings=True, populate_by_name=True)


class IgnitionConfigModel(IgnitionModel):
    """A whole Ignition config."""

    def to_dict(self) -> dict[str, Any]:
        """The config as Ignition data (unset fields left out)."""
        return self.model_dump(exclude_none=True, by_alias=True)

    def to_json(self) -> str:
        """The config as compact Ignition JSON."""
        import json

        return json.dumps(self.to_dict(), separators=(",", ":"))
