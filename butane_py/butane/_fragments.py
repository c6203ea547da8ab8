"""Butane fragments merged at transpile time: each translated on its own, then merged as
Ignition merges configs (``ignition.config.merge``), later fragments over earlier ones.

A value a later fragment replaces with a different one (the same file path with other contents,
say) is a warning in the later fragment, at its position, naming the earlier one's position.
"""

from __future__ import annotations

import gc
import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Iterable, Union

    FragmentSource = Union[str, "os.PathLike[str]", tuple[str, Union[str, bytes]]]

from ..errors import InputError
from ..ignition._merge import _entry_name, merge_configs
from ..ignition._spec import BY_VERSION, FieldType, Spec
from ..ignition._translate import translate as translate_up
from ..ignition._validate import ParseResult
from ..report import Entry, Kind, Record, Report
from . import Result, _openshift
from ._output import dumps, value
from ._pipeline import ERR_STRICT
from ._pipeline import translate as run
from ._translate import Options

ERR_VARIANTS = "fragments of different variants: {} is {}, {} is {}"
ERR_METADATA = "openshift fragments must agree on metadata (name and labels): {} and {} differ"
# The MachineConfig's own lists, merged as sets in order (the MCO treats them so).
_MC_LISTS = ("kernelArguments", "extensions")
_MC_SCALARS = ("fips", "kernelType")


class FragmentsResult(Record):
    """Fragments translated and merged: ``output`` (as a single translation writes it, or None on
    failure), ``error`` (why not, naming the fragment when one failed), the ``variant`` and
    ``version`` of the fragments (the newest version among them), ``fragments``: each
    fragment's name and its own :class:`~butane_py.butane.Result`, whose report also holds the
    merge's warnings about it, and ``sources``: each fragment's bytes (for showing findings in
    context)."""

    __match_args__ = ("output", "error", "variant", "version", "fragments", "sources")

    def __init__(self, output: str | None, error: str | None, variant: str | None, version: str | None,
                 fragments: list[tuple[str, Result]], sources: list[bytes]) -> None:
        self.output = output
        self.error = error
        self.variant = variant
        self.version = version
        self.fragments = fragments
        self.sources = sources

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def findings(self) -> list[tuple[str, Entry]]:
        """Every finding with the name of its fragment, fragment by fragment."""
        return [(name, e) for name, r in self.fragments for e in r.report.entries]


class _Fragment:
    __slots__ = ("name", "data", "result", "trace")

    def __init__(self, name: str, data: bytes, result: Result, trace: dict) -> None:
        self.name = name
        self.data = data
        self.result = result
        self.trace = trace


def read_sources(sources: Iterable[FragmentSource], files_dir: str | None) -> list[tuple[str, bytes, str | None]]:
    """Each source's name, bytes and local-file directory; :class:`InputError` if a path is unreadable."""
    from ..io import os_reason, read_bytes

    out = []
    for source in sources:
        if isinstance(source, tuple):
            name, text = source
            data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
            out.append((name, data, files_dir))
            continue
        path = os.fspath(source)
        try:
            data = read_bytes(path)
        except IsADirectoryError:
            raise InputError(f"failed to read {path}: read {path}: is a directory") from None
        except OSError as exc:
            raise InputError(f"failed to open {path}: open {path}: {os_reason(exc)}") from None
        if path == "-":
            out.append(("<stdin>", data, files_dir))
        else:
            out.append((path, data, files_dir if files_dir is not None else os.path.dirname(path) or "."))
    return out


def translate_many(
    sources: Iterable[FragmentSource],
    *,
    files_dir: str | None = None,
    strict: bool = False,
    raw: bool = False,
    pretty: bool = False,
    extensions: bool = True,
    lint: bool = False,
) -> FragmentsResult:
    gc_was = gc.isenabled()
    gc.disable()  # as in translate: many small objects, no cycles
    try:
        return _translate_many(read_sources(sources, files_dir), strict, raw, pretty, extensions, lint)
    finally:
        if gc_was:
            gc.enable()


def _translate_many(inputs: list[tuple[str, bytes, str | None]], strict: bool, raw: bool, pretty: bool,
                    extensions: bool, lint: bool) -> FragmentsResult:
    if not inputs:
        raise ValueError("no fragments to translate")
    frags = []
    for name, data, fdir in inputs:
        trace: dict = {}
        result = run(data, Options(files_dir=fdir), raw=raw, pretty=pretty, extensions=extensions, lint=lint,
                     trace=trace)
        frags.append(_Fragment(name, data, result, trace))
    pairs = [(f.name, f.result) for f in frags]
    texts = [f.data for f in frags]
    first = frags[0].result
    if len(frags) == 1:  # exactly a single translation
        out = FragmentsResult(first.output, first.error, first.variant, first.version, pairs, texts)
        return _strict(out, strict)
    versions = [f.result.version for f in frags]
    newest = max(versions, key=lambda v: (v is not None, _semver_key(v)))
    failed = next((f for f in frags if f.result.error is not None), None)
    if failed is not None:
        return FragmentsResult(None, f"{failed.name}: {failed.result.error}", first.variant, newest, pairs, texts)
    for f in frags[1:]:
        if f.result.variant != first.variant:
            error = ERR_VARIANTS.format(frags[0].name, first.variant, f.name, f.result.variant)
            return FragmentsResult(None, error, first.variant, newest, pairs, texts)
    mc = frags[0].trace["mc"]
    if mc is not None:
        for f in frags[1:]:
            if f.trace["mc"]["metadata"] != mc["metadata"]:
                return FragmentsResult(None, ERR_METADATA.format(frags[0].name, f.name), first.variant, newest, pairs, texts)
    merged = merge_configs([ParseResult(Report(), f.trace["spec"], f.trace["config"]) for f in frags])
    spec = BY_VERSION[merged.version]
    configs = [translate_up(f.trace["config"], f.trace["spec"].version, merged.version) for f in frags]
    for i, o in merged.overrides:
        _conflict(frags, configs, spec, i, o.path, o.child_path, o.child is None)
    if mc is not None:
        mc = _merge_machine_configs(frags, merged.config)
        output = _openshift.to_yaml(mc, spec)
    else:
        output = dumps(value(merged.config, spec), pretty)
    return _strict(FragmentsResult(output, None, first.variant, newest, pairs, texts), strict)


def _strict(result: FragmentsResult, strict: bool) -> FragmentsResult:
    if strict and result.error is None and result.findings:
        result.output, result.error = None, ERR_STRICT
    return result


def _semver_key(version: str | None) -> tuple:
    from .._go.semver import semver_parse

    sv = semver_parse(version or "")
    # A pre-release sorts before its release.
    return (sv[0], sv[1], sv[2], not sv[3], sv[3]) if sv else ()


def _merge_machine_configs(frags: list[_Fragment], config: dict) -> dict:
    """One MachineConfig around the merged config: the first fragment's metadata (all agree);
    its lists joined in order without repeats, its other fields the last fragment's that sets them."""
    spec: dict[str, Any] = {"config": config}
    setter: dict[str, _Fragment] = {}  # the fragment whose value of a scalar field is kept so far
    for f in frags:
        fspec = f.trace["mc"]["spec"]
        for key in _MC_LISTS:
            if fspec.get(key) is not None:
                joined = spec.setdefault(key, [])
                joined += [x for x in fspec[key] if x not in joined]
        for key in _MC_SCALARS:
            if fspec.get(key) is None:
                continue
            if key in setter and spec[key] != fspec[key]:
                _warn_override(setter[key], ("spec", key), f, ("spec", key), f"spec.{key}", False)
            spec[key], setter[key] = fspec[key], f
    return {**frags[0].trace["mc"], "spec": spec}


def _conflict(frags: list[_Fragment], configs: list[dict], spec: Spec, i: int, path: str, child_path: str,
              removed: bool) -> None:
    """A value fragment ``i`` replaces, as a warning at its place naming the earlier fragment's."""
    child_at = _resolve(spec, configs[i], child_path)
    parent = None
    for j in range(i - 1, -1, -1):
        at = _resolve(spec, configs[j], path)
        if at is not None:
            parent = (frags[j], at)
            break
    prefix = ("spec", "config") if frags[i].trace["mc"] is not None else ()
    if parent is None:
        _warn_override(None, None, frags[i], prefix + (child_at or ()), path, removed)
        return
    pprefix = ("spec", "config") if parent[0].trace["mc"] is not None else ()
    _warn_override(parent[0], pprefix + parent[1], frags[i], prefix + (child_at or ()), path, removed)


def _warn_override(parent: _Fragment | None, parent_out: tuple | None, child: _Fragment, child_out: tuple,
                   path: str, removed: bool) -> None:
    where = ""
    if parent is not None and parent_out is not None:
        line, col = _position(parent, parent_out)
        where = f" of {parent.name}:{line}:{col}" if line else f" of {parent.name}"
    verb = "removes" if removed else "overrides"
    entry = Entry(Kind.WARNING, f"{verb} {path}{where}", child.trace["ts"].map_path(child_out))
    pos = child.trace["ctx"].position(entry.path)
    if pos is not None:
        entry.line, entry.column = pos
        entry.has_marker = True
    child.result.report.entries.append(entry)


def _position(frag: _Fragment, out_path: tuple) -> tuple[int, int] | tuple[None, None]:
    pos = frag.trace["ctx"].position(frag.trace["ts"].map_path(out_path))
    return pos if pos is not None else (None, None)


def _resolve(spec: Spec, config: dict, path: str) -> tuple | None:
    """The tuple path (list indices) in ``config`` of an override's path (``storage.files[path=/a].mode``),
    or None if ``config`` has nothing there."""
    name, v, rest, out = "Config", config, path, ()
    while rest:
        field, rest = _next_field(rest)
        ft = dict(spec.compiled[name].fields).get(field)
        if ft is None or not isinstance(v, dict) or v.get(field) is None:
            return None
        v, out = v[field], out + (field,)
        if ft.kind == "list":
            item: FieldType = ft.item  # type: ignore[assignment]
            # Keys may hold dots and brackets: match each entry's name against the text.
            for k, x in enumerate(v):
                bracket = f"[{_entry_name(x, item)}]"
                if rest.startswith(bracket):
                    v, out, rest = x, out + (k,), rest[len(bracket):]
                    break
            else:
                return out if not rest else None
            ft = item
        if rest.startswith("."):
            rest = rest[1:]
        if ft.kind == "struct":
            name = ft.struct  # type: ignore[assignment]
    return out


def _next_field(rest: str) -> tuple[str, str]:
    """The field name at the start of ``rest``, and what follows it."""
    end = len(rest)
    for k, c in enumerate(rest):
        if c in ".[":
            end = k
            break
    return rest[:end], rest[end:]


__all__ = ["FragmentsResult", "translate_many"]
