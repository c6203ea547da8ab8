"""Variants and their versions as data: the base each builds on and the features it turns on.

Adding ``fcos 1.9.0-experimental`` is one line here (plus a base version if it needs one).
"""

from __future__ import annotations

from ._schema import BASES, Base


class VariantVersion:
    """One variant's version (a plain class, not a dataclass: see :class:`~butane_py.report.Entry`);
    never changed once made."""

    def __init__(self, variant: str, version: str, base: Base, pkg: str, features: frozenset[str] = frozenset(),
                 filters: tuple[tuple[str, str], ...] = (), fcos_pkg: str = "") -> None:
        self.variant = variant
        self.version = version
        self.base = base
        self.pkg = pkg  # the Go package name, as type errors print it ("v1_5")
        self.features = features
        # Ignition fields this variant refuses: dotted path → message.
        self.filters = filters
        self.fcos_pkg = fcos_pkg  # openshift: the package of the fcos version it builds on ("v1_5")

    @property
    def ignore_zero(self) -> frozenset[str]:
        # A compression of "" is no compression (openshift 4.8 and 4.9).
        return frozenset({"spec.config.storage.files.contents.compression"}) if self.has("compression_filter") else frozenset()

    def has(self, feature: str) -> bool:
        return feature in self.features


_FCOS_1_3 = {"boot_device", "root_warnings"}
_FCOS_1_5 = _FCOS_1_3 | {"discard", "grub"}
_FCOS_1_6 = _FCOS_1_5 | {"luks_device", "cex", "s390x", "config_rules"}
_FCOS_1_7 = _FCOS_1_6 | {"mirror_layout_error", "luks_method_rule"}

_TABLE = [
    ("fcos", "1.0.0", "v0_1", "v1_0", set()),
    ("fcos", "1.1.0", "v0_2", "v1_1", set()),
    ("fcos", "1.2.0", "v0_3", "v1_2", set()),
    ("fcos", "1.3.0", "v0_3", "v1_3", _FCOS_1_3),
    ("fcos", "1.4.0", "v0_4", "v1_4", _FCOS_1_3),
    ("fcos", "1.5.0", "v0_5", "v1_5", _FCOS_1_5),
    ("fcos", "1.6.0", "v0_6", "v1_6", _FCOS_1_6),
    ("fcos", "1.7.0", "v0_7", "v1_7", _FCOS_1_7),
    ("fcos", "1.8.0-experimental", "v0_8_exp", "v1_8_exp", _FCOS_1_7),
]

ERR_CLEVIS_SUPPORT = "clevis is not supported in this spec version"
ERR_CEX_NOT_SUPPORTED = "cex is not currently supported on the target platform"
_EDGE_FILTERS = (
    ("kernelArguments", "kernel argument customization is not supported in this spec version"),
    ("storage.disks", "disk customization is not supported in this spec version"),
    ("storage.filesystems", "filesystem customization is not supported in this spec version"),
    ("storage.luks", "luks is not supported in this spec version"),
    ("storage.raid", "raid is not supported in this spec version"),
)
_FILTERS = {
    "flatcar": {
        "1.0.0": (("storage.luks.clevis", ERR_CLEVIS_SUPPORT),),
        "1.1.0": (("storage.luks.clevis", ERR_CLEVIS_SUPPORT),),
        "1.2.0-experimental": (("storage.luks.cex", ERR_CEX_NOT_SUPPORTED),),
    },
    "r4e": {"*": _EDGE_FILTERS},
    "fiot": {"*": _EDGE_FILTERS},
}
_TABLE += [
    ("flatcar", "1.0.0", "v0_4", "v1_0", set()),
    ("flatcar", "1.1.0", "v0_5", "v1_1", set()),
    ("flatcar", "1.2.0-experimental", "v0_8_exp", "v1_2_exp", set()),
    ("r4e", "1.0.0", "v0_4", "v1_0", set()),
    ("r4e", "1.1.0", "v0_5", "v1_1", set()),
    ("r4e", "1.2.0-experimental", "v0_8_exp", "v1_2_exp", set()),
    ("fiot", "1.0.0", "v0_5", "v1_0", set()),
    ("fiot", "1.1.0-experimental", "v0_8_exp", "v1_1_exp", set()),
]


# openshift: (version, fcos version it builds on, its own features)
_OS_4_8 = {"openshift", "no_auto_compression", "compression_filter", "fips_luks"}
_OS_4_10 = {"openshift", "special_mode_error", "fips_luks"}
_OS_4_13 = _OS_4_10 | {"password_hash"}
_OS_4_14 = _OS_4_13 | {"kargs_filter", "format_none_error"}
_OS_4_19 = _OS_4_14 | {"cex_kargs_rule"}
_OS_4_20 = _OS_4_19 - {"fips_luks"}
_OPENSHIFT = [
    ("4.8.0", "1.3.0", _OS_4_8), ("4.9.0", "1.3.0", _OS_4_8), ("4.10.0", "1.3.0", _OS_4_10),
    ("4.11.0", "1.3.0", _OS_4_10), ("4.12.0", "1.3.0", _OS_4_10), ("4.13.0", "1.3.0", _OS_4_13),
    ("4.14.0", "1.5.0", _OS_4_14), ("4.15.0", "1.5.0", _OS_4_14), ("4.16.0", "1.5.0", _OS_4_14),
    ("4.17.0", "1.5.0", _OS_4_14), ("4.18.0", "1.5.0", _OS_4_14), ("4.19.0", "1.6.0", _OS_4_19),
    ("4.20.0", "1.6.0", _OS_4_20), ("4.21.0", "1.6.0", _OS_4_20), ("4.22.0", "1.6.0", _OS_4_20),
    ("4.23.0-experimental", "1.8.0-experimental", _OS_4_20 | {"grub_contents"}),
]
_FCOS = {version: (base, pkg, feats) for variant, version, base, pkg, feats in _TABLE if variant == "fcos"}
_OPENSHIFT_FCOS_PKG = {}
for os_version, fcos_version, os_features in _OPENSHIFT:
    base, _OPENSHIFT_FCOS_PKG[os_version], fcos_features = _FCOS[fcos_version]
    pkg = "v" + os_version.replace(".0-experimental", "_exp").replace(".0", "").replace(".", "_")
    _TABLE.append(("openshift", os_version, base, pkg, set(fcos_features) | os_features))


def _filters(variant: str, version: str, features: set) -> tuple:
    if variant == "openshift":
        from ._openshift import filters

        return filters(frozenset(features))
    table = _FILTERS.get(variant, {})
    return table.get(version, table.get("*", ()))


REGISTRY: dict[tuple[str, str], VariantVersion] = {
    (variant, version): VariantVersion(
        variant, version, BASES[base], pkg, frozenset(features), _filters(variant, version, features),
        _OPENSHIFT_FCOS_PKG.get(version, "") if variant == "openshift" else "",
    )
    for variant, version, base, pkg, features in _TABLE
}

# Variants that exist only to say they are gone.
REMOVED = {("rhcos", "0.1.0"): "rhcos variant has been removed; use openshift variant instead: "
                               "https://coreos.github.io/butane/upgrading-openshift/"}
