"""The fcos variant: boot_device (LUKS, mirroring, s390x layouts), grub users, partition warnings."""

from __future__ import annotations

import re

from ..ignition._spec import FieldType
from ..report import Report
from ._translate import TranslationSet, Translator, merge_translated

RESERVED_TYPE_GUID = "8DA63339-0007-60C0-C436-083AC8230908"
BIOS_TYPE_GUID = "21686148-6449-6E6F-744E-656564454649"
PREP_TYPE_GUID = "9E1A2D38-C612-4316-AA26-8B49521E5A8B"
ESP_TYPE_GUID = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

ERR_UNKNOWN_LAYOUT = "layout must be one of: aarch64, ppc64le, s390x-eckd, s390x-virt, s390x-zfcp, x86_64"
ERR_UNKNOWN_LAYOUT_LEGACY = "layout must be one of: aarch64, ppc64le, x86_64"
ERR_TOO_FEW_MIRROR_DEVICES = "mirroring requires at least two devices"
ERR_MIRROR_REQUIRES_LAYOUT = "boot_device.layout should be specified when boot_device.mirror is specified"
ERR_NO_LUKS_BOOT_DEVICE = "device is required for layouts: s390x-eckd, s390x-zfcp"
ERR_MIRROR_NOT_SUPPORTED = "mirroring not supported on layouts: s390x-eckd, s390x-zfcp, s390x-virt"
ERR_LUKS_BOOT_DEVICE_BAD_NAME = "device name must start with /dev/dasd on s390x-eckd layout or /dev/sd on s390x-zfcp layout"
ERR_CEX_ARCH = "when using cex the targeted architecture must match s390x"
ERR_CEX_WITH_CLEVIS = "cannot use cex with clevis"
ERR_NO_LUKS_METHOD = "no method specified for luks"
ERR_REUSE_BY_LABEL = (
    "partitions cannot be reused by label; number must be specified except on boot disk "
    "(/dev/disk/by-id/coreos-boot-disk) or when wipe_table is true"
)
ERR_WRONG_PARTITION_NUMBER = "incorrect partition number; a new partition will be created using reserved label"
ERR_ROOT_TOO_SMALL = "root should have 8GiB of space assigned"
ERR_ROOT_CONSTRAINED = (
    "root partition cannot expand; it is set to fill available space but is followed by an auto-positioned partition"
)
ERR_MOUNT_POINT_FORBIDDEN = "path must be under /etc or /var if with_mount_unit is true"
ERR_GRUB_NAME = 'field "name" is required'
ERR_GRUB_PASSWORD = 'field "password_hash" is required'

_ALLOWED_MOUNTPOINTS = re.compile(r"/(etc|var)(/|\Z)")
_DASD = re.compile(r".*(/dev/dasd[a-z]\Z)", re.S)
_SD = re.compile(r".*(/dev/sd[a-z]\Z)", re.S)
ROOT_DEVICE = "/dev/disk/by-id/coreos-boot-disk"
_RESERVED_NUMBERS = {"BIOS-BOOT": 1, "PowerPC-PReP-boot": 1, "EFI-SYSTEM": 2, "boot": 3, "root": 4}


def _luks_struct(features: frozenset[str]) -> tuple:
    fields = []
    if "cex" in features:
        fields.append(("cex", "Cex"))
    if "discard" in features:
        fields.append(("discard", "*bool"))
    if "luks_device" in features:
        fields.append(("device", "*string"))
    fields += [("tang", "[]Tang"), ("threshold", "*int"), ("tpm2", "*bool")]
    return tuple(fields)


def extra_structs(features: frozenset[str]) -> dict[str, tuple]:
    """The structs fcos adds to its base, by the features of its version."""
    if "boot_device" not in features:
        return {}
    config = (("boot_device", "BootDevice"),) + ((("grub", "Grub"),) if "grub" in features else ())
    out = {
        "FcosConfig": config,
        "BootDevice": (("layout", "*string"), ("luks", "BootDeviceLuks"), ("mirror", "BootDeviceMirror")),
        "BootDeviceLuks": _luks_struct(features),
        "BootDeviceMirror": (("devices", "[]string"),),
    }
    if "grub" in features:
        out["Grub"] = (("users", "[]GrubUser"),)
        out["GrubUser"] = (("name", "string"), ("password_hash", "*string"))
    return out


# -- rules on the Butane config ---------------------------------------------------------------


def config_rule(features: frozenset[str], cfg: dict, path: tuple, r: Report) -> None:
    if "config_rules" not in features:
        return
    storage = cfg.get("storage", {})
    mirror = set((cfg.get("boot_device", {}).get("mirror", {}) or {}).get("devices") or ())
    for i, disk in enumerate(storage.get("disks") or ()):
        device = disk.get("device", "")
        if device != ROOT_DEVICE and disk.get("wipe_table") is not True and device not in mirror:
            for p, part in enumerate(disk.get("partitions") or ()):
                if part.get("number", 0) == 0 and part.get("label") is not None:
                    r.warn(path + ("storage", "disks", i, "partitions", p, "number"), ERR_REUSE_BY_LABEL)
    for i, fs in enumerate(storage.get("filesystems") or ()):
        p = fs.get("path")
        if p is not None and not _ALLOWED_MOUNTPOINTS.match(p) and fs.get("with_mount_unit") is True:
            r.error(path + ("storage", "filesystems", i, "path"), ERR_MOUNT_POINT_FORBIDDEN)


def boot_device_rule(features: frozenset[str], d: dict, path: tuple, r: Report) -> None:
    mirror = d.get("mirror", {})
    layout = d.get("layout")
    luks = d.get("luks", {})
    if mirror.get("devices") and layout is None:
        if "mirror_layout_error" in features:
            r.error(path + ("mirror",), ERR_MIRROR_REQUIRES_LAYOUT)
        else:
            r.warn(path + ("mirror",), ERR_MIRROR_REQUIRES_LAYOUT)
    if layout is not None:
        if "s390x" not in features:
            if layout not in ("aarch64", "ppc64le", "x86_64"):
                r.error(path + ("layout",), ERR_UNKNOWN_LAYOUT_LEGACY)
        else:
            device = luks.get("device")
            if layout in ("aarch64", "ppc64le", "x86_64", "s390x-virt"):
                pass
            elif layout in ("s390x-eckd", "s390x-zfcp"):
                pattern = _DASD if layout == "s390x-eckd" else _SD
                if not device:
                    r.error(path + ("layout",), ERR_NO_LUKS_BOOT_DEVICE)
                elif not pattern.search(device):
                    r.error(path + ("layout",), ERR_LUKS_BOOT_DEVICE_BAD_NAME)
            else:
                r.error(path + ("layout",), ERR_UNKNOWN_LAYOUT)
            if layout.startswith("s390x") and mirror.get("devices"):
                r.error(path + ("layout",), ERR_MIRROR_NOT_SUPPORTED)
    if "cex" in features and luks.get("cex", {}).get("enabled") is True:
        if layout is None:
            r.error(path + ("luks", "cex"), ERR_CEX_ARCH)
        elif not layout.startswith("s390x"):
            r.error(path + ("layout",), ERR_CEX_ARCH)
        if luks.get("tang") or luks.get("tpm2") is True:
            r.error(path + ("luks",), ERR_CEX_WITH_CLEVIS)
    # The reference runs the mirror's own rule here and again when it visits the mirror.
    mirror_rule(features, mirror, path + ("mirror",), r)


def boot_device_luks_rule(features: frozenset[str], lk: dict, path: tuple, r: Report) -> None:
    if "luks_method_rule" not in features or not lk.get("device"):
        return
    valid = any(t for t in (lk.get("tang") or ()))
    if lk.get("tpm2") is True or lk.get("cex", {}).get("enabled") is True:
        valid = True
    if not valid:
        r.error(path + ("luks",), ERR_NO_LUKS_METHOD)


def mirror_rule(features: frozenset[str], m: dict, path: tuple, r: Report) -> None:
    if len(m.get("devices") or ()) == 1:
        r.error(path + ("devices",), ERR_TOO_FEW_MIRROR_DEVICES)


def grub_user_rule(features: frozenset[str], u: dict, path: tuple, r: Report) -> None:
    if u.get("name", "") == "":
        r.error(path + ("name",), ERR_GRUB_NAME)
    if not u.get("password_hash"):
        r.error(path + ("password_hash",), ERR_GRUB_PASSWORD)


RULES = {
    "BootDevice": boot_device_rule,
    "BootDeviceLuks": boot_device_luks_rule,
    "BootDeviceMirror": mirror_rule,
    "GrubUser": grub_user_rule,
}


# -- translation -------------------------------------------------------------------------------


def translate(tr: Translator, features: frozenset[str], cfg: dict, config: dict) -> dict:
    if "boot_device" in features:
        config = _boot_device(tr, features, cfg, config)
    _partition_warnings(tr, features, config)
    if "grub" in features:
        config = _grub(tr, cfg, config)
    return config


def _partition_warnings(tr: Translator, features: frozenset[str], config: dict) -> None:
    r = tr.out_report
    for i, disk in enumerate(config.get("storage", {}).get("disks") or ()):
        parts = disk.get("partitions") or ()
        for p, part in enumerate(parts):
            label = part.get("label")
            if label is None:
                continue
            at = ("storage", "disks", i, "partitions", p)
            if "root_warnings" in features and label == "root":
                size = part.get("sizeMiB")
                if size is None or size == 0:
                    for idx, other in enumerate(parts):
                        if idx != p and not other.get("startMiB"):
                            r.warn(at + ("label",), ERR_ROOT_CONSTRAINED)
                            break
                elif size < 8192:
                    r.warn(at + ("size_mib",), ERR_ROOT_TOO_SMALL)
            if disk.get("wipeTable") is not True:
                want = _RESERVED_NUMBERS.get(label)
                if want is not None and part.get("number", 0) != want:
                    r.warn(at + ("label",), ERR_WRONG_PARTITION_NUMBER)


def _boot_device(tr: Translator, features: frozenset[str], cfg: dict, config: dict) -> dict:
    bd = cfg.get("boot_device") or {}
    luks = bd.get("luks") or {}
    devices = (bd.get("mirror") or {}).get("devices") or []
    cex = (luks.get("cex") or {}).get("enabled") is True
    want_luks = luks.get("tpm2") is True or bool(luks.get("tang")) or cex
    want_mirror = bool(devices)
    if not want_luks and not want_mirror:
        return config
    layout = bd.get("layout")
    bios = efi = prep = False
    if layout is None or layout == "x86_64":
        bios = efi = True
    elif layout == "aarch64":
        efi = True
    elif layout == "ppc64le":
        prep = True
    spec = tr.spec
    ts = TranslationSet()
    disks: list[dict] = []
    filesystems: list[dict] = []
    storage: dict = {}
    if want_mirror:
        for i, device in enumerate(devices):
            n = len(disks) + 1
            parts = []
            if bios:
                parts.append({"label": f"bios-{n}", "sizeMiB": 1, "typeGuid": BIOS_TYPE_GUID})
            elif prep:
                parts.append({"label": f"prep-{n}", "sizeMiB": 4, "typeGuid": PREP_TYPE_GUID})
            else:
                parts.append({"label": f"reserved-{n}", "sizeMiB": 1, "typeGuid": RESERVED_TYPE_GUID})
            if efi:
                parts.append({"label": f"esp-{n}", "sizeMiB": 127, "typeGuid": ESP_TYPE_GUID})
            else:
                parts.append({"label": f"reserved-{n}", "sizeMiB": 1, "typeGuid": RESERVED_TYPE_GUID})
            parts.append({"label": f"boot-{n}", "sizeMiB": 384})
            parts.append({"label": f"root-{n}"})
            disk = {"device": device, "partitions": parts, "wipeTable": True}
            ts.add_common_source(("boot_device", "mirror", "devices", i), ("storage", "disks", len(disks)), disk,
                                 FieldType.parse("Disk"), spec)
            disks.append(disk)
            if efi:
                esp = {"device": f"/dev/disk/by-partlabel/esp-{n}", "format": "vfat", "label": f"esp-{n}",
                       "wipeFilesystem": True}
                ts.add_common_source(("boot_device", "mirror", "devices", i), ("storage", "filesystems", len(filesystems)),
                                     esp, FieldType.parse("Filesystem"), spec)
                filesystems.append(esp)
        ts.add(("boot_device", "mirror", "devices"), ("storage", "disks"))
        count = len(disks)
        raid = [
            {"devices": [f"/dev/disk/by-partlabel/boot-{i + 1}" for i in range(count)], "level": "raid1",
             "name": "md-boot", "options": ["--metadata=1.0"]},
            {"devices": [f"/dev/disk/by-partlabel/root-{i + 1}" for i in range(count)], "level": "raid1",
             "name": "md-root"},
        ]
        ts.add_common_source(("boot_device", "mirror"), ("storage", "raid"), raid, FieldType.parse("[]Raid"), spec)
        storage["raid"] = raid
        boot_fs = {"device": "/dev/md/md-boot", "format": "ext4", "label": "boot", "wipeFilesystem": True}
        ts.add_common_source(("boot_device", "mirror"), ("storage", "filesystems", len(filesystems)), boot_fs,
                             FieldType.parse("Filesystem"), spec)
        filesystems.append(boot_fs)
    if want_luks:
        if layout == "s390x-eckd":
            luks_device = luks.get("device", "") + "2"
        elif layout == "s390x-zfcp":
            luks_device = luks.get("device", "") + "4"
        elif want_mirror:
            luks_device = "/dev/md/md-root"
        else:
            luks_device = "/dev/disk/by-partlabel/root"
        lpath, rpath = ("boot_device", "luks"), ("storage", "luks", 0)
        entry: dict = {}
        if cex:
            entry["cex"] = {"enabled": True}
            ts.add(lpath + ("cex", "enabled"), rpath + ("cex", "enabled"))
            ts.add(lpath, rpath + ("cex",))
        else:
            clevis: dict = {}
            for key in ("tang", "threshold", "tpm2"):
                if luks.get(key) is not None:
                    clevis[key] = tr.value(FieldType.parse("[]Tang") if key == "tang" else FieldType.parse("*int"),
                                           luks[key], lpath + (key,))
            for p in _leaf_paths(clevis):
                ts.add(lpath + p, rpath + ("clevis",) + p)
            ts.add(lpath, rpath + ("clevis",))
            entry["clevis"] = clevis
        entry["device"] = luks_device
        if luks.get("discard") is not None:
            entry["discard"] = luks["discard"]
        entry.update({"label": "luks-root", "name": "root", "wipeVolume": True})
        ts.add(lpath + ("discard",), rpath + ("discard",))
        for f in ("device", "label", "name", "wipeVolume"):
            ts.add(lpath, rpath + (f,))
        ts.add(lpath, rpath)
        ts.add(lpath, ("storage", "luks"))
        storage["luks"] = [entry]
    root_fs = {"device": "/dev/mapper/root" if want_luks else "/dev/md/md-root", "format": "xfs", "label": "root",
               "wipeFilesystem": True}
    ts.add_common_source(("boot_device",), ("storage", "filesystems", len(filesystems)), root_fs,
                         FieldType.parse("Filesystem"), spec)
    ts.add(("boot_device",), ("storage", "filesystems"))
    filesystems.append(root_fs)
    ts.add(("boot_device",), ("storage",))
    if disks:
        storage["disks"] = disks
    storage["filesystems"] = filesystems
    rendered = {"storage": {k: storage[k] for k in ("disks", "filesystems", "luks", "raid") if k in storage}}
    return merge_translated(spec, rendered, ts, config, tr)


def _leaf_paths(v, prefix: tuple = ()):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _leaf_paths(x, prefix + (k,))
        yield prefix
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _leaf_paths(x, prefix + (i,))
        yield prefix
    else:
        yield prefix


def _grub(tr: Translator, cfg: dict, config: dict) -> dict:
    users = (cfg.get("grub") or {}).get("users") or ()
    if not users:
        # The reference merges even an empty grub config, which drops zero-valued fields
        # from its translations; that only shows when paths are re-rooted (openshift).
        if tr.options.full_translations:
            return merge_translated(tr.spec, {}, TranslationSet(), config, tr)
        return config
    names = [u.get("name", "") for u in users]
    cmds = [f"password_pbkdf2 {u.get('name', '')} {u.get('password_hash', '')}" for u in users]
    text = "# Generated by Butane\n\n" + f'set superusers="{" ".join(names)}"\n' + "\n".join(cmds) + "\n"
    url, compression = tr.data_url(text.encode("utf-8", "surrogateescape"), None)
    resource: dict = {"source": url}
    if compression is not None:
        resource["compression"] = compression
    storage = {
        "files": [{"path": "/boot/grub2/user.cfg", "append": [resource]}],
        "filesystems": [{"device": "/dev/disk/by-label/boot", "format": "ext4", "path": "/boot"}],
    }
    ts = TranslationSet()
    ts.add_common_source(("grub", "users"), ("storage",), storage, FieldType.parse("Storage"), tr.spec)
    return merge_translated(tr.spec, {"storage": storage}, ts, config, tr)
