"""The one walk over a decoded config and the source tree it was decoded from.

Ignition validation (over the JSON) and Butane translation (over the YAML) check structs
the same way, as the reference's validation pass does: for each struct, its rule, its
unused keys (judged on the source as written), its duplicate list items, then its fields
in Go order. Each caller brings its rule table and a :class:`Tree` that reads its source.
"""

from __future__ import annotations

from ..report import Key, Report, format_path
from ._spec import StructType

# The types below are for type checkers only: importing typing costs start-up time.
TYPE_CHECKING = False  # typing.TYPE_CHECKING
if TYPE_CHECKING:
    from typing import Any, Callable, Mapping, Protocol

    # A rule: (context, value, path, report); the context is what the caller's rules read
    # (the Ignition spec, or Butane's variant and version).
    Rule = Callable[[Any, Any, tuple, Report], None]
    Duplicates = Callable[[dict, str, StructType, tuple, Report], None]

    class Tree(Protocol):
        """How the walk reads a source tree's nodes."""

        def mapping(self, node: Any) -> dict | None:
            """A map node's children by key (first occurrence's order, last duplicate's node),
            or None if ``node`` is not a map."""

        def items(self, node: Any) -> list | None:
            """A sequence node's elements, or None if ``node`` is not a sequence."""

# Where the walk has no source node: the key is absent, or the walk has no source at all.
MISSING: Any = object()


class Walker:
    """Walks once, gathering three reports; each caller orders them as its reference does."""

    def __init__(
        self,
        structs: Mapping[str, StructType],
        rules: Mapping[str, Rule],
        context: Any,
        tree: Tree,
        duplicates: Duplicates | None = None,
    ) -> None:
        self._structs = structs
        # Rules by struct name, and by named type for each item of a list of it (Device).
        self._rule_table = rules
        self._context = context
        self._duplicates = duplicates
        self._mapping = tree.mapping
        self._items = tree.items
        self.rules = Report()
        self.dups = Report()
        self.unused = Report()

    def struct(self, v: dict, name: str, path: tuple, node: Any = MISSING) -> None:
        rule = self._rule_table.get(name)
        if rule is not None:
            rule(self._context, v, path, self.rules)
        st = self._structs[name]
        children = None
        if node is not MISSING:
            children = self._mapping(node)
            if children is None:
                self.unused.warn(path, context_mismatch(path))
            else:
                names = st.names
                for key in children:
                    if key not in names:
                        self.unused.warn(path + (Key(key),), f"unused key {key}")
        if self._duplicates is not None:
            self._duplicates(v, name, st, path, self.dups)
        for fname, ft in st.fields:
            sub = v.get(fname)
            if sub is None:
                if ft.kind != "struct" or ft.pointer:
                    continue
                # Go validates a struct that is not behind a pointer even when it is absent
                # or null, as its zero value: its rule runs (a config inlined in Butane may
                # lack "ignition"), and a null in the source is not a map.
                sub = {}
            child = MISSING if children is None else children.get(fname, MISSING)
            kind = ft.kind
            if kind == "struct":
                self.struct(sub, ft.struct, path + (fname,), child)  # type: ignore[arg-type]
            elif kind == "list":
                item = ft.item
                assert item is not None
                if item.kind == "struct":
                    elems = None if child is MISSING else self._items(child)
                    n = 0 if elems is None else len(elems)
                    for i, x in enumerate(sub):
                        self.struct(x, item.struct, path + (fname, i), elems[i] if i < n else MISSING)  # type: ignore[arg-type,index]
                else:
                    rule = self._rule_table.get(item.expr)
                    if rule is not None:
                        for i, x in enumerate(sub):
                            rule(self._context, x, path + (fname, i), self.rules)


def context_mismatch(path: tuple) -> str:
    """The warning for a struct whose source is not a map (a ``null``, say)."""
    return (
        f"context tree does not match content tree at {format_path(path)}. "
        "Line and column reporting may be inconsistent. Unused keys may not be reported"
    )


__all__ = ["MISSING", "Walker", "context_mismatch"]  # and, for type checkers, Rule and Tree
