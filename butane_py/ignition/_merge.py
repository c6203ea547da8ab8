"""``ignition.config.merge`` semantics over decoded configs, with a transcript.

Plain fields take the child's value; pointers take the child's unless it is nil; structs
merge unless one side is zero; keyed lists merge entry by entry in the parent's order
(an entry moved to a sibling list sharing the key namespace, like a file replaced by a
directory, leaves the parent's list) and the child's new entries follow. A child HTTP
header with no value deletes the parent's header. The transcript maps every result path
to the parent or child path it came from, for positions.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Sequence

from ..errors import ValidationError
from ..report import FrozenRecord, Record
from ._rules import IGNORE_DUPLICATES, ITEM_KEYS, MERGED_KEYS
from ._spec import BY_VERSION, SPECS, FieldType, Spec
from ._translate import json_value, translate
from ._validate import ParseResult

PARENT, CHILD = "parent", "child"


class Mapping:
    """Where one result path came from (plain classes here, not dataclasses: see
    :class:`~butane_py.report.Entry`)."""

    __slots__ = ("source", "from_path", "to_path")

    def __init__(self, source: str, from_path: tuple, to_path: tuple) -> None:
        self.source = source  # PARENT or CHILD
        self.from_path = from_path
        self.to_path = to_path


class Transcript:
    def __init__(self) -> None:
        self.mappings: list[Mapping] = []

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


def _child_entries(spec: Spec, name: str, child: dict) -> dict[tuple[str, Any], tuple[str, int, Any]]:
    """The child's keyed list entries by (namespace, key), across lists that share a namespace
    (the last one wins): (list name, index, entry)."""
    ignored = IGNORE_DUPLICATES.get(name, frozenset())
    merged_keys = MERGED_KEYS.get(name, {})
    entries: dict[tuple[str, Any], tuple[str, int, Any]] = {}
    for fname, ft in spec.compiled[name].fields:
        if ft.kind != "list" or fname in ignored:
            continue
        handle = merged_keys.get(fname, fname)
        for j, item in enumerate(child.get(fname) or ()):
            entries[(handle, _key(item, ft.item))] = (fname, j, item)  # type: ignore[arg-type]
    return entries


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
    child_entries = _child_entries(spec, name, child)
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


# -- what a merge replaces ---------------------------------------------------------------------

# The field each keyed entry is named by in an override's path (ITEM_KEYS compares by it).
_KEY_FIELDS = {
    "Directory": "path", "File": "path", "Link": "path", "Disk": "device", "Filesystem": "device", "Luks": "name",
    "Raid": "name", "PasswdUser": "name", "PasswdGroup": "name", "Unit": "name", "Dropin": "name",
    "Resource": "source", "ConfigReference": "source", "FileContents": "source", "CaReference": "source",
    "HTTPHeader": "name", "Tang": "url",
}


class Override(FrozenRecord):
    """A value of the parent config that merging the child replaces.

    ``path`` names keyed list entries by their key (``storage.files[path=/etc/x].mode``);
    ``parent`` and ``child`` are JSON values, ``child`` None when the child removes the value
    (an HTTP header without a value); ``child_path`` is where the child's value is, ``path``
    unless the child's entry is in a sibling list (a file replaced by a directory).
    """

    __match_args__ = ("path", "parent", "child", "child_path")

    def __init__(self, path: str, parent: Any, child: Any, child_path: str) -> None:
        self.path = path
        self.parent = parent
        self.child = child
        self.child_path = child_path



def overrides(spec: Spec, parent: dict, child: dict) -> list[Override]:
    """What of ``parent`` merging ``child`` over it replaces with a different value, in the
    order of the config's fields (both decoded configs of ``spec``)."""
    found: list[Override] = []
    _struct_overrides(spec, "Config", parent, child, "", found)
    return found


def _entry_name(item: Any, ft: FieldType) -> str:
    if ft.kind != "struct":
        return str(item)
    if ft.struct == "Partition":
        key = ITEM_KEYS["Partition"](item)
        return key.replace(":", "=", 1) if key else "number=0"
    field_name = _KEY_FIELDS[ft.struct]  # type: ignore[index]
    return f"{field_name}={item.get(field_name, '')}"


def _entry_json(spec: Spec, ft: FieldType, item: Any) -> Any:
    return json_value(spec, ft, item) or ({} if ft.kind == "struct" else item)


def _struct_overrides(spec: Spec, name: str, parent: dict, child: dict, prefix: str, found: list[Override]) -> None:
    ignored = IGNORE_DUPLICATES.get(name, frozenset())
    merged_keys = MERGED_KEYS.get(name, {})
    child_entries = _child_entries(spec, name, child)
    for fname, ft in spec.compiled[name].fields:
        pv, cv = parent.get(fname), child.get(fname)
        path = f"{prefix}.{fname}" if prefix else fname
        if pv is None or (ft.kind != "list" and cv is None):
            continue  # nothing of the parent's, or the parent's value is kept
        if ft.kind == "struct":
            _struct_overrides(spec, ft.struct, pv, cv, path, found)  # type: ignore[arg-type]
        elif ft.kind != "list":
            # Plain (not pointer) values are entries' keys, equal once matched, and the version,
            # the same once both configs are of one spec.
            if ft.pointer and pv != cv:
                found.append(Override(path, pv, cv, path))
        elif fname not in ignored:  # an ignored-duplicates list is concatenated: nothing replaced
            item_t: FieldType = ft.item  # type: ignore[assignment]
            handle = merged_keys.get(fname, fname)
            for pitem in pv:
                hit = child_entries.get((handle, _key(pitem, item_t)))
                if hit is None:
                    continue
                clist, _, citem = hit
                entry = f"{path}[{_entry_name(pitem, item_t)}]"
                if clist != fname:
                    child_path = f"{prefix}.{clist}" if prefix else clist
                    found.append(Override(entry, _entry_json(spec, item_t, pitem), _entry_json(spec, item_t, citem),
                                          f"{child_path}[{_entry_name(citem, item_t)}]"))
                elif item_t.kind == "struct":
                    if fname == "httpHeaders" and citem.get("value") is None:
                        found.append(Override(entry, _entry_json(spec, item_t, pitem), None, entry))
                    else:
                        _struct_overrides(spec, item_t.struct, pitem, citem, entry, found)  # type: ignore[arg-type]


class Merged(Record):
    """Configs merged as Ignition applies them: the decoded ``config``, of spec ``version``, and
    ``overrides``: (index of a config, a value it replaced of the configs before it)."""

    __match_args__ = ("config", "version", "overrides")

    def __init__(self, config: dict, version: str, overrides: list[tuple[int, Override]]) -> None:
        self.config = config
        self.version = version
        self.overrides = overrides


def merge_configs(configs: Sequence[ParseResult]) -> Merged:
    """Merge parsed configs in order, each over the ones before it, as Ignition merges its base
    configs and the user's.

    Ignition parses every config up to its own newest spec before merging; the merge is written
    in the newest spec among ``configs`` (translating up adds nothing), which any Ignition that
    reads them all reads too.
    """
    if not configs:
        raise ValueError("no configs to merge")
    for i, parsed in enumerate(configs):
        if not parsed.ok or parsed.spec is None or parsed.config is None:
            raise ValidationError(f"config {i + 1} is not a valid Ignition config", parsed.report)
    order = [s.version for s in SPECS]
    version = max((p.spec.version for p in configs), key=order.index)  # type: ignore[union-attr]
    spec = BY_VERSION[version]
    decoded = [translate(p.config, p.spec.version, version) for p in configs]  # type: ignore[union-attr,arg-type]
    result = decoded[0]
    found: list[tuple[int, Override]] = []
    for i, child in enumerate(decoded[1:], 1):
        found += [(i, o) for o in overrides(spec, result, child)]
        result = merge(spec, result, child)
    return Merged(result, version, found)
