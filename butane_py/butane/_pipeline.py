"""The Butane pipeline, step for step as the reference runs it.

YAML → version and variant → typed decode → unused keys → Butane rules → sugar →
Ignition rules on the output (mapped back through the translation set) → JSON.
Findings keep the reference's order: unused keys, Butane rules, translation, duplicates,
Ignition rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._go import yaml as _goyaml
from ..ignition._validate import _MISSING, _Walker, context_mismatch
from ..report import Entry, Key, Report
from . import _extensions, _fcos, _filters, _openshift
from ._schema import NAMED_LISTS, Base
from ._translate import (
    ERR_MOUNT_UNIT_NO_FORMAT,
    ERR_MOUNT_UNIT_NO_PATH,
    ERR_QUADLET_BAD_EXTENSION,
    ERR_TEMPLATE_INSTANCE_CONTENTS,
    ERR_TOO_MANY_RESOURCE_SOURCES,
    ERR_TOO_MANY_SYSTEMD_SOURCES,
    ERR_TREE_NO_LOCAL,
    QUADLET_SUFFIXES,
    Options,
    TranslationSet,
    Translator,
    decimal_mode_warning,
    template_instance,
    validate_embedded_ignition,
)
from ._variants import REGISTRY, REMOVED, VariantVersion

ERR_NO_VARIANT = "error parsing variant; must be specified"
ERR_INVALID_VERSION = "error parsing version; must be a valid semver"
ERR_INVALID_SOURCE = "source config is invalid"
ERR_INVALID_GENERATED = "config generated was invalid"


@dataclass
class Result:
    """What a translation produced: the Ignition config (None on failure), the findings,
    and ``error``, the reason the reference gives after ``Error translating config:``."""

    config: dict | None
    report: Report
    error: str | None = None
    version: VariantVersion | None = None
    spec_version: str | None = None
    # For openshift without --raw: the MachineConfig around ``config``.
    machine_config: dict | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


# -- the YAML position tree (vcontext's) -------------------------------------------------------


class _Ctx:
    """Positions as the reference's context tree sees YAML: last duplicate key wins,
    aliases are leaves at their own position, ``<<`` is an ordinary key."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self._maps: dict[int, tuple[dict, dict]] = {}

    def _map(self, node: Any) -> tuple[dict, dict]:
        m = self._maps.get(id(node))
        if m is None:
            children: dict = {}
            keys: dict = {}
            for k, v in node.value:
                name = k.value if k.kind == "scalar" else ""
                children[name] = v
                keys[name] = k
            m = self._maps[id(node)] = (children, keys)
        return m

    def child(self, node: Any, elem: Any) -> Any:
        if node is None:
            return None
        if isinstance(elem, Key):
            return self._map(node)[1].get(str(elem)) if node.kind == "map" else None
        if isinstance(elem, str):
            return self._map(node)[0].get(elem) if node.kind == "map" else None
        if node.kind == "seq" and isinstance(elem, int) and 0 <= elem < len(node.value):
            return node.value[elem]
        return None

    def deepest(self, path: tuple) -> Any:
        node = self.root
        for elem in path:
            nxt = self.child(node, elem)
            if nxt is None:
                break
            node = nxt
        return node

    def position(self, path: tuple) -> tuple[int, int] | None:
        node = self.deepest(path)
        if node is None:
            return None
        return node.line, node.column


# -- the Butane-side walk (rules and unused keys) ----------------------------------------------


class _ButaneWalker:
    def __init__(self, vv: VariantVersion, structs: dict, ctx: _Ctx | None) -> None:
        self.vv = vv
        self.structs = structs
        self.ctx = ctx
        self.rules = Report()
        self.unused = Report()

    def walk(self, v: dict, name: str, path: tuple, node: Any, check_unused: bool) -> None:
        self._rule(name, v, path)
        fields = self.structs[name]
        if check_unused and node is not None:
            if node.kind == "map":
                known = {n for n, _ in fields}
                seen = set()
                for k, _ in node.value:
                    key = k.value if k.kind == "scalar" else ""
                    if key not in known and key not in seen:
                        seen.add(key)
                        self.unused.warn(path + (Key(key),), f"unused key {key}")
            else:
                self.unused.warn(path, context_mismatch(path))
        for fname, expr in fields:
            sub = v.get(fname)
            if sub is None:
                # A struct that is not behind a pointer is walked even when null or absent,
                # as the reference walks Go's zero value: its rules run, and a null in the
                # source is "not a map" there.
                if expr not in self.structs:
                    continue
                sub = {}
            child = self.ctx.child(node, fname) if (self.ctx and node is not None) else None
            base = expr.lstrip("*")
            if base in NAMED_LISTS:
                base = "[]" + NAMED_LISTS[base]
            if base.startswith("[]"):
                item = base[2:]
                if item in self.structs:
                    for i, x in enumerate(sub):
                        c = self.ctx.child(child, i) if (self.ctx and child is not None) else None
                        self.walk(x, item, path + (fname, i), c, check_unused)
            elif base in self.structs:
                self.walk(sub, base, path + (fname,), child, check_unused)

    def _rule(self, name: str, v: dict, path: tuple) -> None:
        r = self.rules
        feats = self.vv.features
        if name == "Resource":
            _resource_rule(self, v, path)
        elif name == "FileContents":
            # v0_1's only sugar: its rule blames inline, not the last source as later bases do.
            if v.get("inline") is not None and v.get("source") is not None:
                r.error(path + ("inline",), ERR_TOO_MANY_RESOURCE_SOURCES)
        elif name == "Filesystem":
            if v.get("with_mount_unit") is True:
                fmt = v.get("format")
                if not fmt:
                    r.error(path + ("format",), ERR_MOUNT_UNIT_NO_FORMAT)
                elif (fmt != "swap" or not self.vv.base.has("swap_units")) and not v.get("path"):
                    r.error(path + ("path",), ERR_MOUNT_UNIT_NO_PATH)
        elif name in ("File", "Directory"):
            mode = v.get("mode")
            if mode is not None:
                warning = decimal_mode_warning(mode, name == "Directory")
                if warning:
                    r.warn(path + ("mode",), warning)
        elif name == "Tree":
            if v.get("local", "") == "":
                r.error(path, ERR_TREE_NO_LOCAL)
        elif name in ("Unit", "Dropin"):
            if v.get("contents_local") is not None and v.get("contents") is not None:
                r.error(path + ("contents_local",), ERR_TOO_MANY_SYSTEMD_SOURCES)
        elif name == "Quadlet":
            qname = v.get("name", "")
            if not qname.endswith(QUADLET_SUFFIXES):
                r.error(path + ("name",), ERR_QUADLET_BAD_EXTENSION)
            elif template_instance(qname) is not None:
                for key in ("contents", "contents_local"):
                    if v.get(key) is not None:
                        r.error(path + (key,), ERR_TEMPLATE_INSTANCE_CONTENTS)
            elif v.get("contents_local") is not None and v.get("contents") is not None:
                r.error(path + ("contents_local",), ERR_TOO_MANY_SYSTEMD_SOURCES)
        elif name == "Config":
            if "openshift" in feats:
                # openshift's Config has its own rules, which hide fcos's.
                _openshift.config_rule(feats, v, path, r)
            else:
                _fcos.config_rule(feats, v, path, r)
        elif name in _fcos.RULES:
            _fcos.RULES[name](feats, v, path, r)
        elif name in _openshift.RULES and "openshift" in feats:
            _openshift.RULES[name](feats, v, path, r)


def _resource_rule(w: _ButaneWalker, v: dict, path: tuple) -> None:
    last = None
    sources = 0
    for key in ("local", "inline", "source"):
        if v.get(key) is not None:
            sources += 1
            last = key
    if sources > 1:
        w.rules.error(path + (last,), ERR_TOO_MANY_RESOURCE_SOURCES)
        return
    if path[:2] == ("ignition", "config") and last == "inline":
        found, ok = validate_embedded_ignition(w.vv.base.spec, path, v["inline"].encode("utf-8", "surrogateescape"))
        w.rules.merge(found)
        if not ok:
            w.rules.error(path + ("inline",), "config is not valid")


# -- the pipeline ------------------------------------------------------------------------------


def variant_structs(vv: VariantVersion, extensions: bool = True) -> dict:
    structs = dict(vv.base.structs)
    if extensions:
        structs["Config"] = structs["Config"] + _extensions.CONFIG_FIELDS
        structs.update(_extensions.STRUCTS)
    extra = _fcos.extra_structs(vv.features) if vv.variant in ("fcos", "openshift") else {}
    if "FcosConfig" in extra:
        structs["Config"] = structs["Config"] + extra.pop("FcosConfig")
    structs.update(extra)
    if vv.variant == "openshift":
        structs["Config"] = structs["Config"] + _openshift.CONFIG_FIELDS
        structs.update(_openshift.EXTRA_STRUCTS)
    return structs


def _go_type(vv: VariantVersion, structs: dict):
    from ._schema import _go_struct

    pkgs = {k: vv.pkg for k in structs if k not in vv.base.structs or k == "Config"}
    if vv.variant == "openshift":
        # The fcos structs openshift embeds keep the fcos package's name (v1_5.BootDevice).
        pkgs.update(dict.fromkeys(_fcos.extra_structs(vv.features), vv.fcos_pkg))
    return _go_struct("Config", structs, vv.base.name, pkgs, {})


def translate_bytes(
    data: bytes, options: Options, raw: bool = False, extensions: bool = True, lint: bool = False
) -> Result:
    report = Report()
    try:
        node = _goyaml.parse(data)
        stub = _goyaml.decode(node, _goyaml._COMMON_FIELDS)
    except _goyaml.YAMLError as exc:
        return Result(None, report, f"Error unmarshaling yaml: {exc.message}")
    version, variant = stub.get("version", ""), stub.get("variant", "")
    if variant == "":
        return Result(None, report, ERR_NO_VARIANT)
    from .._go.semver import semver_parse

    sv = semver_parse(version)
    if sv is None:
        return Result(None, report, ERR_INVALID_VERSION)
    canonical = f"{sv[0]}.{sv[1]}.{sv[2]}" + (f"-{sv[3]}" if sv[3] else "") + (f"+{sv[4]}" if sv[4] else "")
    if (variant, canonical) in REMOVED:
        return Result(None, report, REMOVED[(variant, canonical)])
    vv = REGISTRY.get((variant, canonical))
    if vv is None:
        return Result(None, report, f"No translator exists for variant {variant} with version {canonical}")
    structs = variant_structs(vv, extensions)
    try:
        if node is None:
            raise _goyaml.YAMLError("EOF")  # what Decoder.Decode says of an empty stream
        cfg = _goyaml.decode(node, _go_type(vv, structs)) or {}
    except _goyaml.YAMLError as exc:
        return Result(None, report, exc.message, vv)
    ctx = _Ctx(node)
    result = Result(None, report, None, vv, vv.base.spec.version)

    walker = _ButaneWalker(vv, structs, ctx)
    walker.walk(cfg, "Config", (), node, True)
    report.merge(walker.unused)
    report.merge(walker.rules)
    if extensions:
        _extensions.check(cfg, report)
    if lint:
        from ._lint import lint as run_lint

        report.merge(run_lint(cfg))
    if report.is_fatal:
        return _finish(result, ctx, ERR_INVALID_SOURCE)

    if vv.variant == "openshift":
        options = Options(options.files_dir, vv.has("no_auto_compression"), full_translations=True)
    tr = _run_translation(vv, cfg, options)
    config = tr.config  # type: ignore[attr-defined]
    if extensions and not tr.report.is_fatal:
        _extensions.translate(tr, cfg, config)
    mc = None
    if vv.variant == "openshift" and not tr.report.is_fatal:
        mc = _openshift.machine_config(tr, vv.features, cfg, config)
        if raw:
            config = _openshift.raw(tr, mc)
            mc = None
    report.merge(tr.report)
    report.merge(_map_report(tr.out_report, tr.ts))
    if report.is_fatal:
        return _finish(result, ctx, ERR_INVALID_SOURCE)

    spec = vv.base.spec
    # openshift's filters name MachineConfig fields, so with --raw they match nothing.
    if vv.filters and not (vv.variant == "openshift" and raw):
        if mc is not None:
            found = _filters.verify_mc(mc, spec, dict(vv.filters), vv.ignore_zero)
        else:
            found = _filters.verify(config, spec, dict(vv.filters))
        report.merge(_map_report(found, tr.ts))
        if report.is_fatal:
            return _finish(result, ctx, ERR_INVALID_SOURCE)

    ign = _Walker(spec)
    ign.struct(config, "Config", ("spec", "config") if mc is not None else (), _MISSING)
    dups = _mc_dups(mc, ign.dups) if mc is not None else ign.dups
    report.merge(_map_report(dups, tr.ts))
    report.merge(_map_report(ign.rules, tr.ts))
    if report.is_fatal:
        return _finish(result, ctx, ERR_INVALID_GENERATED)
    result.config = config
    result.machine_config = mc
    return _finish(result, ctx, None)


def _mc_dups(mc: dict, ignition_dups: Report) -> Report:
    """Duplicates in the MachineConfig's own lists follow those in its Ignition config."""
    out = Report(list(ignition_dups.entries))
    spec = mc["spec"]
    for key in ("kernelArguments", "extensions"):
        seen: set = set()
        for i, v in enumerate(spec.get(key) or ()):
            if v in seen:
                out.error(("spec", key, i), "duplicate entry defined")
            seen.add(v)
    return out


def _run_translation(vv: VariantVersion, cfg: dict, options: Options) -> Translator:
    from ._translate import translate_base

    config, ts, r = translate_base(vv.base, cfg, options)
    tr = Translator(vv.base, options, r, ts)
    if vv.variant in ("fcos", "openshift") and not r.is_fatal:
        config = _fcos.translate(tr, vv.features, cfg, config)
    tr.config = config  # type: ignore[attr-defined]
    return tr


def _map_report(r: Report, ts: TranslationSet) -> Report:
    """Findings about output paths, moved to the input paths they came from."""
    out = Report()
    for e in r.entries:
        out.entries.append(Entry(e.kind, e.message, ts.map_path(e.path)))
    return out


def _finish(result: Result, ctx: _Ctx, error: str | None) -> Result:
    for e in result.report.entries:
        pos = ctx.position(e.path)
        if pos is not None:
            e.line, e.column = pos
            e.has_marker = True
    result.error = error
    if error is not None:
        result.config = None
    return result


__all__ = ["Result", "translate_bytes", "Options", "Base"]
