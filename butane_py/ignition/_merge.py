"""``ignition.config.merge`` semantics over decoded configs, with a transcript.

Plain fields take the child's value; pointers take the child's unless it is nil; structs
merge unless one side is zero; keyed lists merge entry by entry in the parent's order
(an entry moved to a sibling list sharing the key namespace, like a file replaced by a
directory, leaves the parent's list) and the child's new entries follow. A child HTTP
header with no value deletes the parent's header. The transcript maps every result path
to the parent or child path it came from, for positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._rules import IGNORE_DUPLICATES, ITEM_KEYS, MERGED_KEYS
from ._spec import FieldType, Spec

PARENT, CHILD = "parent", "child"


@dataclass(frozen=True)
class Mapping:
    source: str  # PARENT or CHILD
    from_path: tuple
    to_path: tuple


@dataclass
class Transcript:
    mappings: list[Mapping] = field(default_factory=list)

    def add(self, source: str, from_path: tuple, to_path: tuple) -> None:
        self.mappings.append(Mapping(source, from_path, to_path))


def is_zero(v: Any, ft: FieldType, spec: Spec) -> bool:
    """Go's ``reflect.Value.IsZero`` for a decoded value of type ``ft``."""
    if v is None:
        return True
    if ft.pointer or ft.kind == "list":
        return False  # a set pointer or a non-nil list
    if ft.kind == "struct":
        st = spec.compiled[ft.struct]  # type: ignore[index]
        return all(is_zero(v.get(n), t, spec) for n, t in st.fields)
    return not v  # "", 0, False


def _key(item: Any, ft: FieldType) -> Any:
    if ft.kind == "struct":
        return ITEM_KEYS[ft.struct](item)  # type: ignore[index]
    return item


def merge(spec: Spec, parent: dict, child: dict, transcript: Transcript | None = None) -> dict:
    """Merge ``child`` over ``parent`` (both decoded configs of ``spec``)."""
    t = transcript if transcript is not None else Transcript()
    return _merge_struct(spec, "Config", parent, (), child, (), (), t)


def _transcribe(spec: Spec, source: str, frm: tuple, to: tuple, v: Any, ft: FieldType, t: Transcript) -> bool:
    if v is None:
        return False
    if ft.kind == "struct":
        st = spec.compiled[ft.struct]  # type: ignore[index]
        done = False
        for n, sub in st.fields:
            done = _transcribe(spec, source, frm + (n,), to + (n,), v.get(n), sub, t) or done
        if done:
            t.add(source, frm, to)
        return done
    if ft.kind == "list":
        done = False
        for i, x in enumerate(v):
            done = _transcribe(spec, source, frm + (i,), to + (i,), x, ft.item, t) or done  # type: ignore[arg-type]
        if done:
            t.add(source, frm, to)
        return done
    if not ft.pointer and not v:
        return False
    t.add(source, frm, to)
    return True


def _merge_struct(
    spec: Spec, name: str, parent: dict, ppath: tuple, child: dict, cpath: tuple, rpath: tuple, t: Transcript
) -> dict:
    st = spec.compiled[name]
    ignored = IGNORE_DUPLICATES.get(name, frozenset())
    merged_keys = MERGED_KEYS.get(name, {})
    # The child's keyed entries, across lists that share a namespace (last one wins).
    child_entries: dict[tuple[str, Any], tuple[str, int, Any]] = {}
    for fname, ft in st.fields:
        if ft.kind != "list" or fname in ignored:
            continue
        handle = merged_keys.get(fname, fname)
        for j, item in enumerate(child.get(fname) or ()):
            child_entries[(handle, _key(item, ft.item))] = (fname, j, item)  # type: ignore[arg-type]

    result: dict = {}
    for fname, ft in st.fields:
        pv, cv = parent.get(fname), child.get(fname)
        pp, cp, rp = ppath + (fname,), cpath + (fname,), rpath + (fname,)
        kind = ft.kind
        if kind in ("string", "int", "bool") and not ft.pointer:
            if cv is not None:
                result[fname] = cv
            _transcribe(spec, CHILD, cp, rp, cv, ft, t)
        elif kind == "struct" and ft.pointer and pv is not None and cv is not None:
            result[fname] = _merge_struct(spec, ft.struct, pv, pp, cv, cp, rp, t)  # type: ignore[arg-type]
            t.add(PARENT, pp, rp)
            t.add(CHILD, cp, rp)
        elif ft.pointer:
            src, v, frm = (PARENT, pv, pp) if cv is None else (CHILD, cv, cp)
            if v is not None:
                result[fname] = v
            _transcribe(spec, src, frm, rp, v, ft, t)
        elif kind == "struct":
            if is_zero(cv, ft, spec):
                if pv is not None:
                    result[fname] = pv
                _transcribe(spec, PARENT, pp, rp, pv, ft, t)
            elif is_zero(pv, ft, spec):
                result[fname] = cv
                _transcribe(spec, CHILD, cp, rp, cv, ft, t)
            else:
                result[fname] = _merge_struct(spec, ft.struct, pv, pp, cv, cp, rp, t)  # type: ignore[arg-type]
                t.add(PARENT, pp, rp)
                t.add(CHILD, cp, rp)
        elif fname in ignored:
            plist, clist = pv or [], cv or []
            if not plist and not clist:
                continue
            out = list(plist) + list(clist)
            for i, item in enumerate(plist):
                _transcribe(spec, PARENT, pp + (i,), rp + (i,), item, ft.item, t)  # type: ignore[arg-type]
            for i, item in enumerate(clist):
                _transcribe(spec, CHILD, cp + (i,), rp + (len(plist) + i,), item, ft.item, t)  # type: ignore[arg-type]
            if plist:
                t.add(PARENT, pp, rp)
            if clist:
                t.add(CHILD, cp, rp)
            result[fname] = out
        else:
            plist, clist = pv or [], cv or []
            if not plist and not clist:
                continue
            item_t: FieldType = ft.item  # type: ignore[assignment]
            handle = merged_keys.get(fname, fname)
            out = []
            from_parent = from_child = False
            parent_keys = {_key(x, item_t) for x in plist}
            for i, pitem in enumerate(plist):
                ri = rp + (len(out),)
                hit = child_entries.get((handle, _key(pitem, item_t)))
                if hit is None:
                    out.append(pitem)
                    _transcribe(spec, PARENT, pp + (i,), ri, pitem, item_t, t)
                    from_parent = True
                    continue
                clist_name, j, citem = hit
                if clist_name != fname:
                    continue  # replaced by an entry of a sibling list
                from_parent = from_child = True
                if item_t.kind == "struct":
                    if fname == "httpHeaders" and citem.get("value") is None:
                        continue
                    out.append(_merge_struct(spec, item_t.struct, pitem, pp + (i,), citem, cp + (j,), ri, t))  # type: ignore[arg-type]
                    t.add(PARENT, pp + (i,), ri)
                    t.add(CHILD, cp + (j,), ri)
                else:
                    out.append(citem)
                    _transcribe(spec, CHILD, cp + (j,), ri, citem, item_t, t)
            for j, citem in enumerate(clist):
                if _key(citem, item_t) not in parent_keys:
                    _transcribe(spec, CHILD, cp + (j,), rp + (len(out),), citem, item_t, t)
                    out.append(citem)
                    from_child = True
            if from_parent:
                t.add(PARENT, pp, rp)
            if from_child:
                t.add(CHILD, cp, rp)
            result[fname] = out
    return result
