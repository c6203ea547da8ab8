"""Descriptions of Go types, for decoders that must follow Go's rules for a given target type.

A :class:`GoType` says what Go's decoder would decode into: its kind, the name Go prints
for it in error messages (``reflect.Type.String()``), and its element or fields. It stands in
for the ``reflect.Type`` that yaml.v3's decoder (:mod:`.yaml`) switches on; Butane's config
types are built from the spec data in ``butane/_schema.py``.

Go source: ``src/reflect/type.go`` (Go 1.27): ``Kind`` (only the kinds these configs use:
struct, slice, pointer, string, int, bool, map and interface) and ``rtype.String``.
"""

from __future__ import annotations

STRUCT, SLICE, PTR, STRING, INT, BOOL, MAP, ANY = "struct", "slice", "ptr", "string", "int", "bool", "map", "any"


# type.go: Kind, rtype.String
class GoType:
    """A Go type (not a dataclass: see :class:`~butane_py.report.Entry`); never changed once made."""

    __slots__ = ("kind", "name", "elem", "fields")

    def __init__(self, kind: str, name: str, elem: GoType | None = None,
                 fields: tuple[tuple[str, GoType], ...] = ()) -> None:
        self.kind = kind
        # Go's reflect.Type.String(): "int", "*int", "[]v0_5.File", "v0_5.Resource", "v1_5.Config"…
        self.name = name
        # For ptr, slice and map: the element type.
        self.elem = elem
        # For struct: (key, type) in Go's field order, embedded structs already flattened.
        self.fields = fields

    @property
    def base(self) -> "GoType":
        """The type behind any pointers."""
        t = self
        while t.kind == PTR and t.elem is not None:
            t = t.elem
        return t


def ptr(t: GoType) -> GoType:
    return GoType(PTR, "*" + t.name, t)


def slice_of(t: GoType, name: str | None = None) -> GoType:
    return GoType(SLICE, name or "[]" + t.name, t)


STRING_T = GoType(STRING, "string")
INT_T = GoType(INT, "int")
BOOL_T = GoType(BOOL, "bool")
ANY_T = GoType(ANY, "interface {}")
