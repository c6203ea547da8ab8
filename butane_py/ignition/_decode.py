"""Decode a parsed JSON tree into a spec's structs, with Go's ``encoding/json`` rules.

A struct becomes a dict holding only the fields that were set. Rules read absent
pointer fields as nil and absent plain fields as Go's zero value. Go's rules that matter:

- keys match fields exactly, else case-insensitively (``"Storage"`` fills ``storage``);
- ``null`` clears a pointer or list and leaves anything else as it was;
- a repeated key decodes into the value already there (structs merge, lists are
  overwritten element by element and then truncated);
- the first type error in document order is the one reported.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

from .._go.json import Num, Occurrence
from ._spec import FieldType, Spec, StructType

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


class DecodeTypeError(Exception):
    """A value of the wrong JSON kind: where it is (as written) and the Go type wanted."""

    def __init__(self, pointer: list, go_type: str) -> None:
        super().__init__(go_type)
        self.pointer = pointer
        self.go_type = go_type


def _fold(key: str) -> str:
    # Go's simple case folding for the few non-ASCII letters that fold into ASCII.
    return key.lower().replace("\u017f", "s")


class Decoder:
    def __init__(self, spec: Spec) -> None:
        self.structs = spec.compiled
        # Go reuses a slice's backing array when a repeated key decodes into it again,
        # even past its length; kept here (by id) only for slices that shrank.
        self._backing: dict[int, list] = {}

    def decode(self, value: Any) -> dict:
        """Decode the root; raise :class:`DecodeTypeError` on the first type error."""
        out: dict = {}
        if value is None:
            return out
        if type(value) is not tuple:
            raise DecodeTypeError([], "types.Config")
        return self._struct(value, self.structs["Config"], out, [])

    def _struct(self, pairs: tuple, st: StructType, out: dict, pointer: list) -> dict:
        by_name = st.by_name
        seen: dict[str, int] | None = None
        for key, raw in pairs:
            name = key if key in by_name else st.by_fold.get(_fold(key))
            if name is None:
                continue
            ft: FieldType = by_name[name]
            if seen is None:
                seen = {}
            n = seen.get(key, 0)
            seen[key] = n + 1
            elem = Occurrence(key, n) if n else key
            if raw is None:
                if ft.pointer or ft.kind == "list":
                    out.pop(name, None)
                elif ft.kind == "struct" and name not in out:
                    out[name] = {}
                continue
            out[name] = self._value(raw, ft, out.get(name), pointer + [elem])
        return out

    def _value(self, raw: Any, ft: FieldType, existing: Any, pointer: list) -> Any:
        kind = ft.kind
        t = type(raw)
        if kind == "string":
            if t is str:
                return raw
        elif kind == "int":
            if t is int:
                if INT64_MIN <= raw <= INT64_MAX:
                    return raw
            # bool is a subclass of int in Python but not a number in JSON.
        elif kind == "bool":
            if t is bool:
                return raw
        elif kind == "struct":
            if t is tuple:
                st = self.structs[ft.struct]  # type: ignore[index]
                return self._struct(raw, st, existing if existing is not None else {}, pointer)
        else:  # list
            if t is list:
                item = ft.item
                assert item is not None
                if not raw:
                    return []  # a fresh, empty slice: the old storage is gone
                old = existing if existing is not None else []
                old = self._backing.pop(id(old), old)
                out = []
                for i, x in enumerate(raw):
                    prev = old[i] if i < len(old) else None
                    if x is None:
                        # null leaves the element as it was, or at its zero value.
                        out.append(prev if prev is not None else _zero(item))
                    else:
                        out.append(self._value(x, item, prev, pointer + [i]))
                if len(old) > len(out):
                    self._backing[id(out)] = out + old[len(out) :]
                return out
        raise DecodeTypeError(pointer, ft.go_name if not ft.pointer else FieldType.parse(ft.expr[1:]).go_name)


def _zero(ft: FieldType) -> Any:
    if ft.kind == "struct":
        return {}
    if ft.kind == "string":
        return ""
    if ft.kind == "int":
        return 0
    if ft.kind == "bool":
        return False
    return None


def decode_version(value: Any) -> str:
    """The ``ignition.version`` string as Go's version stub decodes it.

    Raises :class:`DecodeTypeError` for the stub's own type errors.
    """
    if value is None:
        return ""
    if type(value) is not tuple:
        raise DecodeTypeError([], "util.versionStub")
    ign: Any = None
    ign_ptr: list = []
    seen: dict[str, int] = {}
    version = ""
    for key, raw in value:
        n = seen.get(key, 0)
        seen[key] = n + 1
        if key != "ignition" and _fold(key) != "ignition":
            continue
        elem = Occurrence(key, n) if n else key
        if raw is None:
            continue
        if type(raw) is not tuple:
            raise DecodeTypeError([elem], "struct { Version string }")
        ign, ign_ptr = raw, [elem]
        vseen: dict[str, int] = {}
        for vkey, vraw in ign:
            m = vseen.get(vkey, 0)
            vseen[vkey] = m + 1
            if vkey != "version" and _fold(vkey) != "version":
                continue
            if vraw is None:
                continue
            if type(vraw) is not str:
                raise DecodeTypeError(ign_ptr + [Occurrence(vkey, m) if m else vkey], "string")
            version = vraw
    return version


__all__ = ["Decoder", "DecodeTypeError", "decode_version", "Num"]
