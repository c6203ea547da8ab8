"""Sugar for a decompiled config: mount units, ``boot_device`` and ``grub``.

Each candidate is built from what the translation would generate for it (the mount unit's
exact text, the storage of a ``boot_device`` or ``grub`` section translated on its own) and
kept only if the whole config still translates back to the input: regenerate and compare.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Callable, Iterator

from ..report import Report
from ._decompile_yaml import dump, load
from ._translate import mount_unit

# The key each storage list is merged by.
_MERGE_KEYS = {"disks": "device", "filesystems": "device", "luks": "name", "raid": "name", "files": "path"}
_MIRROR_LAYOUTS = {"bios-1": "x86_64", "prep-1": "ppc64le", "reserved-1": "aarch64"}
_GRUB_FILE = "/boot/grub2/user.cfg"
_GRUB_USER = re.compile(r"password_pbkdf2 (\S+) (\S+)")


_SUGAR_OF_FEATURE = {"mount_units": "with_mount_unit", "swap_units": "with_mount_unit", "boot_device": "boot_device",
                     "grub": "grub"}


def sugar_hints(needs: set[str]) -> set[str]:
    """The sugar that the features a config's idiomatic form needs stand for."""
    return {_SUGAR_OF_FEATURE[n] for n in needs if n in _SUGAR_OF_FEATURE}


def apply_sugar(attempt: Any, check: Callable[[dict], Any]) -> Any:
    """The attempt with every sugar that round-trips as well as it does (named in ``sugar``)."""
    used: list[str] = []
    vv = attempt.vv

    def better(candidate: dict) -> bool:
        nonlocal attempt
        new = check(candidate)
        if new.error or (attempt.exact and not new.exact) or new.warnings > attempt.warnings:
            return False
        new.report, new.sugar, new.losses = attempt.report, attempt.sugar, attempt.losses
        attempt = new
        return True

    # Peeled in the reverse of the order the translation adds them: its grub storage comes
    # first in the output, then boot_device's, then the mount units.
    if vv.has("grub"):
        grub = _grub(attempt.butane)
        candidate = grub and _with_section(attempt.butane, vv, "grub", grub)
        if candidate and better(candidate):
            used.append("grub")
    if vv.has("boot_device"):
        bd = _boot_device(attempt.butane)
        candidate = bd and _with_section(attempt.butane, vv, "boot_device", bd)
        if candidate and better(candidate):
            used.append("boot_device")
    if vv.base.has("mount_units"):
        for i in range(len((attempt.butane.get("storage") or {}).get("filesystems") or ())):
            for candidate in _mount_unit_candidates(attempt.butane, vv, i):
                if better(candidate):
                    used.append("with_mount_unit")
                    break
    attempt.sugar = used
    return attempt


# -- mount units ------------------------------------------------------------------------------


def _mount_unit_candidates(bu: dict, vv: Any, i: int) -> Iterator[dict]:
    fs = bu["storage"]["filesystems"][i]
    units = (bu.get("systemd") or {}).get("units") or []
    if not fs.get("format"):
        return
    for remote in (False, True):
        generated = mount_unit(fs, remote, vv.base.has("swap_units"))
        j = next((j for j, u in enumerate(units) if u.get("name") == generated["name"]), None)
        if j is None or units[j].get("contents") != generated["contents"]:
            continue
        out = copy.deepcopy(bu)
        out["storage"]["filesystems"][i]["with_mount_unit"] = True
        unit = {k: v for k, v in units[j].items() if k != "contents" and not (k == "enabled" and v is True)}
        new_units = out["systemd"]["units"]
        if set(unit) == {"name"}:
            del new_units[j]
        else:
            new_units[j] = unit
        if not new_units:
            del out["systemd"]["units"]
            if not out["systemd"]:
                del out["systemd"]
        yield out


# -- boot_device and grub ---------------------------------------------------------------------


def _boot_device(bu: dict) -> dict | None:
    """The ``boot_device`` section the storage looks generated from, or None."""
    storage = bu.get("storage") or {}
    raid = {r.get("name"): r for r in storage.get("raid") or ()}
    luks = next((lk for lk in storage.get("luks") or () if lk.get("name") == "root" and lk.get("label") == "luks-root"),
                None)
    bd: dict = {}
    if "md-root" in raid:
        disks = storage.get("disks") or ()
        devices = []
        for n in range(1, len(raid["md-root"].get("devices") or ()) + 1):
            disk = next((d for d in disks if any(p.get("label") == f"root-{n}" for p in d.get("partitions") or ())), None)
            if disk is None:
                return None
            devices.append(disk.get("device", ""))
        first = next(d for d in disks if d.get("device") == devices[0])
        layout = _MIRROR_LAYOUTS.get((first.get("partitions") or [{}])[0].get("label"))
        if layout is None:
            return None
        bd["layout"] = layout
        bd["mirror"] = {"devices": devices}
    if luks is not None:
        lb: dict = {}
        clevis = luks.get("clevis") or {}
        if (luks.get("cex") or {}).get("enabled") is True:
            lb["cex"] = {"enabled": True}
        if "discard" in luks:
            lb["discard"] = luks["discard"]
        device = luks.get("device", "")
        if not bd and re.fullmatch(r".*/dev/dasd[a-z]2", device):
            bd["layout"] = "s390x-eckd"
            lb["device"] = device[:-1]
        elif not bd and re.fullmatch(r".*/dev/sd[a-z]4", device):
            bd["layout"] = "s390x-zfcp"
            lb["device"] = device[:-1]
        if "cex" in lb and "layout" not in bd:
            bd["layout"] = "s390x-virt"  # cex needs an s390x layout; this one changes nothing else
        for key in ("tang", "threshold", "tpm2"):
            if key in clevis:
                lb[key] = clevis[key]
        bd["luks"] = lb
    return {k: bd[k] for k in ("layout", "luks", "mirror") if k in bd} or None


def _grub(bu: dict) -> dict | None:
    """The ``grub`` section whose user.cfg the storage holds, or None."""
    f = next((f for f in (bu.get("storage") or {}).get("files") or () if f.get("path") == _GRUB_FILE), None)
    if f is None:
        return None
    append = f.get("append") or []
    text = (append[0] if len(append) == 1 else f.get("contents") or {}).get("inline")
    if not isinstance(text, str) or not text.startswith("# Generated by Butane\n\nset superusers="):
        return None
    users = [{"name": m.group(1), "password_hash": m.group(2)} for m in _GRUB_USER.finditer(text)]
    return {"users": users} if users else None


def _with_section(bu: dict, vv: Any, key: str, section: dict) -> dict | None:
    """``bu`` with ``section`` under ``key`` and without the storage it generates."""
    from . import translate
    from ._decompile import to_butane

    alone: dict = {"variant": bu["variant"], "version": bu["version"]}
    if "metadata" in bu:
        alone["metadata"] = bu["metadata"]
        kargs = (bu.get("openshift") or {}).get("kernel_arguments")
        if kargs:
            alone["openshift"] = {"kernel_arguments": kargs}
    alone[key] = section
    result = translate(dump(alone))
    if not result.ok or result.output is None:
        return None
    config = load(result.output)["spec"]["config"] if vv.variant == "openshift" else json.loads(result.output)
    generated = to_butane(vv, "Storage", config.get("storage") or {}, (), Report())
    storage = _subtract(bu.get("storage") or {}, generated)
    if storage is None:
        return None
    out = {k: v for k, v in bu.items() if k != "storage"}
    if storage:
        out["storage"] = storage
    out[key] = section
    return _reordered(out, bu)


def _reordered(out: dict, bu: dict) -> dict:
    """Butane's top-level order: the base config, then boot_device, grub, openshift."""
    order = [k for k in bu if k not in ("boot_device", "grub", "openshift")] + ["boot_device", "grub", "openshift"]
    return {k: out[k] for k in sorted(out, key=lambda k: order.index(k) if k in order else len(order))}


def _subtract(storage: dict, generated: dict) -> dict | None:
    """``storage`` less the ``generated`` entries (fields the user set otherwise stay), or None
    when an entry is missing or lacks a generated field, so was not generated."""
    out = copy.deepcopy(storage)
    for kind, entries in generated.items():
        key = _MERGE_KEYS.get(kind)
        if key is None:
            return None
        have = out.get(kind) or []
        for g in entries:
            j = next((j for j, e in enumerate(have) if e.get(key) == g.get(key)), None)
            if j is None or any(k not in have[j] for k in g):
                return None
            residual = {k: v for k, v in have[j].items() if k == key or g.get(k) != v}
            if set(residual) == {key}:
                del have[j]
            else:
                have[j] = residual
        if have:
            out[kind] = have
        else:
            out.pop(kind, None)
    return out
