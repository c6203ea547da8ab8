"""The openshift variant: an fcos config wrapped in a MachineConfig, with the MCO's limits."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

from .._go.url import url_parse
from ..ignition._spec import Spec
from ..report import Report
from ._output import value
from ._translate import TranslationSet, Translator

MC_API_VERSION = "machineconfiguration.openshift.io/v1"
MC_KIND = "MachineConfig"
ROLE_LABEL = "machineconfiguration.openshift.io/role"
CEX_KARG = "rd.luks.key=/etc/luks/cex.key"

ERR_NAME_REQUIRED = "metadata.name is required"
ERR_ROLE_REQUIRED = "machineconfiguration.openshift.io/role label is required"
ERR_KERNEL_TYPE = 'must be empty, "default", or "realtime"'
ERR_BTRFS = "btrfs is not supported in this spec version"
ERR_FORMAT_NONE = 'format "none" is not supported in this spec version'
ERR_FILE_SCHEME = "file contents source must be data URL in this spec version"
ERR_SPECIAL_MODE = "special mode bits are not supported in this spec version"
ERR_USER_NAME = 'users other than "core" are not supported in this spec version'
ERR_MISSING_CEX_KARG = "'rd.luks.key=/etc/luks/cex.key' must be set as kernel argument when CEX is enabled for the boot device"
ERR_FIELD_ELIDED = "field ignored in raw mode"

ERR_KERNEL_ARGUMENTS = "this section cannot be used for kernel arguments in this spec version; use openshift.kernel_arguments instead"
ERR_GROUPS = "groups are not supported in this spec version"
ERR_USER_FIELD = (
    'fields other than "name", "ssh_authorized_keys", and "password_hash" (4.13.0+) are not supported in this spec version'
)
ERR_DIRECTORIES = "directories are not supported in this spec version"
ERR_APPEND = "appending to files is not supported in this spec version"
ERR_COMPRESSION = "file compression is not supported in this spec version"
ERR_HEADERS = "file HTTP headers are not supported in this spec version"
ERR_LINKS = "links are not supported in this spec version"

_USER_FIELDS = ("gecos", "groups", "homeDir", "noCreateHome", "noLogInit", "noUserGroup", "primaryGroup", "shell",
                "shouldExist", "system", "uid")


def filters(features: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """The MachineConfig field filters of a version, by its features."""
    out = [("spec.config.passwd.groups", ERR_GROUPS)]
    out += [(f"spec.config.passwd.users.{f}", ERR_USER_FIELD) for f in _USER_FIELDS]
    if "password_hash" not in features:
        out.append(("spec.config.passwd.users.passwordHash", ERR_USER_FIELD))
    out += [
        ("spec.config.storage.directories", ERR_DIRECTORIES),
        ("spec.config.storage.files.append", ERR_APPEND),
        ("spec.config.storage.files.contents.httpHeaders", ERR_HEADERS),
        ("spec.config.storage.links", ERR_LINKS),
    ]
    if "kargs_filter" in features:
        out.append(("spec.config.kernelArguments", ERR_KERNEL_ARGUMENTS))
    if "compression_filter" in features:
        out.append(("spec.config.storage.files.contents.compression", ERR_COMPRESSION))
    return tuple(out)


EXTRA_STRUCTS = {
    "Metadata": (("name", "string"), ("labels", "map[string]string")),
    "OpenShift": (
        ("kernel_arguments", "[]string"),
        ("extensions", "[]string"),
        ("fips", "*bool"),
        ("kernel_type", "*string"),
    ),
}
CONFIG_FIELDS = (("metadata", "Metadata"), ("openshift", "OpenShift"))


# -- rules on the Butane side --------------------------------------------------------------


def metadata_rule(features: frozenset[str], m: dict, path: tuple, r: Report) -> None:
    if m.get("name", "") == "":
        r.error(path + ("name",), ERR_NAME_REQUIRED)
    if not (m.get("labels") or {}).get(ROLE_LABEL):
        r.error(path + ("labels",), ERR_ROLE_REQUIRED)


def openshift_rule(features: frozenset[str], o: dict, path: tuple, r: Report) -> None:
    kt = o.get("kernel_type")
    if kt is not None and kt not in ("", "default", "realtime"):
        r.error(path + ("kernel_type",), ERR_KERNEL_TYPE)


def config_rule(features: frozenset[str], cfg: dict, path: tuple, r: Report) -> None:
    if "cex_kargs_rule" not in features:
        return
    kargs = (cfg.get("openshift") or {}).get("kernel_arguments") or ()
    boot_cex = ((cfg.get("boot_device") or {}).get("luks") or {}).get("cex", {}).get("enabled") is True
    if boot_cex and CEX_KARG not in kargs:
        r.error(path + ("openshift", "kernel_arguments"), ERR_MISSING_CEX_KARG)
    root_cex = any(
        (lk.get("cex") or {}).get("enabled") is True and lk.get("name") == "root"
        for lk in (cfg.get("storage") or {}).get("luks") or ()
    )
    if root_cex and CEX_KARG not in kargs:
        r.error(path + ("openshift", "kernel_arguments"), ERR_MISSING_CEX_KARG)


RULES = {"Metadata": metadata_rule, "OpenShift": openshift_rule}


# -- the MachineConfig ----------------------------------------------------------------------


def machine_config(tr: Translator, features: frozenset[str], cfg: dict, config: dict) -> dict:
    """Wrap a translated config; re-point the translations under ``spec.config``."""
    if "grub_contents" in features:
        _grub_as_contents(tr, config)
    prefixed = TranslationSet()
    for to, frm in tr.ts.set.items():
        prefixed.add(frm, ("spec", "config") + to)
    ts = prefixed
    meta = cfg.get("metadata") or {}
    labels = dict(meta.get("labels") or {})
    mc: dict[str, Any] = {
        "apiVersion": MC_API_VERSION,
        "kind": MC_KIND,
        "metadata": {"name": meta.get("name", ""), "labels": labels},
        "spec": {"config": config},
    }
    ts.add(("version",), ("apiVersion",))
    ts.add(("version",), ("kind",))
    ts.add(("metadata",), ("metadata",))
    ts.add(("metadata", "name"), ("metadata", "name"))
    ts.add(("metadata", "labels"), ("metadata", "labels"))
    ts.add(("version",), ("spec",))
    ts.add((), ("spec", "config"))
    for k in labels:
        ts.add(("metadata", "labels", k), ("metadata", "labels", k))
    spec = mc["spec"]
    o = cfg.get("openshift") or {}
    for key, json_key in (("extensions", "extensions"), ("fips", "fips"), ("kernel_arguments", "kernelArguments"),
                          ("kernel_type", "kernelType")):
        v = o.get(key)
        if v is None:
            continue
        spec[json_key] = list(v) if isinstance(v, list) else v
        if isinstance(v, list):
            for i in range(len(v)):
                ts.add(("openshift", key, i), ("spec", json_key, i))
        ts.add(("openshift", key), ("spec", json_key))
    if "fips_luks" in features and spec.get("fips") is True:
        _fips_luks(config, ts)
    tr.ts = ts
    _support_checks(tr, features, config)
    return mc


def _fips_luks(config: dict, ts: TranslationSet) -> None:
    for i, luks in enumerate(config.get("storage", {}).get("luks") or ()):
        options = luks.get("options") or []
        if any(o == "--cipher" or o.startswith("--cipher=") or o == "-c" for o in options):
            continue
        for j in range(2):
            ts.add(("openshift", "fips"), ("spec", "config", "storage", "luks", i, "options", len(options) + j))
        if not options:
            ts.add(("openshift", "fips"), ("spec", "config", "storage", "luks", i, "options"))
        luks["options"] = options + ["--cipher", "aes-cbc-essiv:sha256"]


def _grub_as_contents(tr: Translator, config: dict) -> None:
    """4.23: the GRUB user.cfg is written whole, as contents, not appended."""
    for i, f in enumerate(config.get("storage", {}).get("files") or ()):
        if f.get("path") == "/boot/grub2/user.cfg":
            append = f.get("append") or []
            if len(append) != 1:
                return
            f["contents"] = append[0]
            del f["append"]
            src, dst = ("storage", "files", i, "append", 0), ("storage", "files", i, "contents")
            moved = {}
            for to, frm in list(tr.ts.set.items()):
                if to[: len(src)] == src:
                    moved[dst + to[len(src):]] = frm
                    del tr.ts.set[to]
            tr.ts.set.update(moved)
            return


def _support_checks(tr: Translator, features: frozenset[str], config: dict) -> None:
    r = tr.out_report
    storage = config.get("storage", {})
    prefix = ("spec", "config", "storage")
    for i, fs in enumerate(storage.get("filesystems") or ()):
        if fs.get("format") == "btrfs":
            r.error(prefix + ("filesystems", i, "format"), ERR_BTRFS)
    if "format_none_error" in features:
        for i, fs in enumerate(storage.get("filesystems") or ()):
            if fs.get("format") == "none":
                r.error(prefix + ("filesystems", i, "format"), ERR_FORMAT_NONE)
    for i, f in enumerate(storage.get("files") or ()):
        src = (f.get("contents") or {}).get("source")
        if src is not None:
            u = url_parse(src)
            if u is not None and u.scheme != "data":
                r.error(prefix + ("files", i, "contents", "source"), ERR_FILE_SCHEME)
        mode = f.get("mode")
        if "special_mode_error" in features and mode is not None and mode & ~0o777:
            r.error(prefix + ("files", i, "mode"), ERR_SPECIAL_MODE)
    for i, u in enumerate(config.get("passwd", {}).get("users") or ()):
        if u.get("name", "") != "core":
            r.error(("spec", "config", "passwd", "users", i, "name"), ERR_USER_NAME)


def raw(tr: Translator, mc: dict) -> dict:
    """``--raw``: the bare Ignition config; MachineConfig-only fields are warned about."""
    spec = mc["spec"]
    descended = TranslationSet()
    for to, frm in tr.ts.set.items():
        if to[:2] == ("spec", "config"):
            descended.add(frm, to[2:])
    # As in the reference, only the ignored-field warnings are mapped through the
    # MachineConfig's set; earlier findings go through the descended one, so those at
    # MachineConfig paths (the MCO support checks) keep them and point at the top.
    mapped = Report()
    for e in tr.out_report.entries:
        mapped.entries.append(type(e)(e.kind, e.message, descended.map_path(e.path)))
    for key in ("kernelArguments", "extensions", "fips", "kernelType"):
        # Set at all counts (Go's IsZero): fips: false and an empty list are ignored too.
        if spec.get(key) is not None:
            mapped.warn(tr.ts.map_path(("spec", key)), ERR_FIELD_ELIDED)
    tr.out_report = Report()
    tr.report.merge(mapped)
    tr.ts = descended
    return spec["config"]


# -- YAML output ------------------------------------------------------------------------------


def to_yaml(mc: dict, spec: Spec) -> str:
    """A MachineConfig as YAML text, byte for byte as Butane writes it (gopkg.in/yaml.v3 rules)."""
    from .._go import yaml_encode as _goyaml_encode  # only openshift needs it: keep other variants' start-up light

    # Butane trims line breaks from both ends of the encoder's output.
    return ("# Generated by Butane; do not edit\n" + _goyaml_encode.encode(_mc_value(mc, spec))).strip("\n")


def _mc_value(mc: dict, spec: Spec) -> dict:
    """The MachineConfig as the reference marshals it before turning it into YAML."""
    meta = {"name": mc["metadata"]["name"]}
    if mc["metadata"]["labels"]:
        meta["labels"] = mc["metadata"]["labels"]
    spec_out: dict = {"config": value(mc["spec"]["config"], spec)}
    for key in ("kernelArguments", "extensions", "fips", "kernelType"):
        v = mc["spec"].get(key)
        if v is not None and v != []:
            spec_out[key] = v
    return {"apiVersion": mc["apiVersion"], "kind": mc["kind"], "metadata": meta, "spec": spec_out}
