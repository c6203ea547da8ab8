"""Live ISO embed areas: the Ignition initrd area and the kernel-argument areas.

Where they are (in order of preference):

* Ignition: ``coreos/igninfo.json`` (``file``, optional ``offset`` and ``length``; s390x points
  into ``images/cdboot.img``), else the whole of ``images/ignition.img``, else the legacy
  ``coreiso+`` header at byte 32744 (magic, then offset and length as little-endian u64).
* Kargs: ``coreos/kargs.json`` (``default``, ``files`` with ``offset``/``pad``/``end``, ``size``),
  else the legacy ``coreKarg`` header at byte 32672 (magic, area length, offset of the
  defaults, then up to six area offsets, all little-endian u64).

An all-zero Ignition area is empty. Kargs areas hold ``kargs + end`` padded with ``pad``.
"""

from __future__ import annotations

import json
import os
import stat
import struct

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import BinaryIO

from ..io import os_reason
from . import _initrd
from ._errors import (
    AreaFullError,
    ImageFormatError,
    NoEmbedAreaError,
    UnsupportedError,
)
from ._iso9660 import IsoFs, NotFound

IGNITION_PATH = "config.ign"
NETWORK_DIR = "etc/coreos-firstboot-network"
NETWORK_GLOB = NETWORK_DIR + "/*"

_IGNINFO = "COREOS/IGNINFO.JSO"
_DEFAULT_AREA = "IMAGES/IGNITION.IMG"
_KARGS_INFO = "COREOS/KARGS.JSO"
_FEATURES = "COREOS/FEATURES.JSO"
_LEGACY_IGN_MAGIC = b"coreiso+"
_LEGACY_IGN_AT = 32768 - 24
_LEGACY_KARGS_MAGIC = b"coreKarg"
_LEGACY_KARGS_AT = 32768 - 24 - 72
_KARGS_MAX = 2048

FLATCAR_HINT = (
    "Flatcar ISOs have no Ignition embed area; boot Flatcar over PXE with an OEM initrd instead: "
    "butane-py embed --flatcar CHANNEL --pxe CONFIG -o DIR"
)


class Region:
    """Bytes at a fixed place in the image, and what they should become. (This module's classes
    are not dataclasses: importing dataclasses costs more than ``iso ignition show`` does.)"""

    def __init__(self, offset: int, length: int, original: bytes, contents: bytes | None = None,
                 pad: str | None = None, end: str | None = None) -> None:
        self.offset = offset
        self.length = length
        self.original = original
        self.contents = contents  # None: unchanged
        self.pad = pad
        self.end = end

    @property
    def modified(self) -> bool:
        return self.contents is not None and self.contents != self.original


def _read_at(f: BinaryIO, offset: int, length: int, what: str) -> bytes:
    from ._errors import IncompleteImageError

    size = os.fstat(f.fileno()).st_size
    if offset < 0 or length < 0 or offset + length > size:
        raise IncompleteImageError(f"the {what} ({length} bytes at {offset}) lies outside the image")
    f.seek(offset)
    data = f.read(length)
    if len(data) != length:
        raise IncompleteImageError(f"image is truncated: the {what} ({length} bytes at {offset}) is past its end")
    return data


def _count(value: object, what: str, *, positive: bool = False) -> int:
    """A JSON number used as an offset or size: an integer (not a bool), in range."""
    if not isinstance(value, int) or isinstance(value, bool) or value < (1 if positive else 0) or value >= 1 << 62:
        raise ImageFormatError(f"{what} is not a valid size or offset: {value!r}")
    return value


def _char(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value.encode()) != 1:
        raise ImageFormatError(f"{what} must be a single ASCII character, not {value!r}")
    return value


def _json_file(iso: IsoFs, path: str) -> dict | None:
    rec = iso.find(path)
    if rec is None:
        return None
    if rec.is_dir:
        raise ImageFormatError(f"{path.lower()} is a directory")
    try:
        value = json.loads(iso.read(rec).decode("utf-8").rstrip(" \0"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ImageFormatError(f"cannot parse {path.lower()} in the ISO: {exc}") from None
    if not isinstance(value, dict):
        raise ImageFormatError(f"{path.lower()} in the ISO is not a JSON object")
    return value


def _locate_ignition(iso: IsoFs, f: BinaryIO) -> tuple[int, int, str]:
    info = _json_file(iso, _IGNINFO)
    if info is not None:
        name = info.get("file")
        if not isinstance(name, str):
            raise ImageFormatError("coreos/igninfo.json has no \"file\"")
        try:
            rec = iso.get(name)
        except NotFound:
            raise ImageFormatError(f"coreos/igninfo.json names {name}, which is not in the ISO") from None
        if rec.is_dir:
            raise ImageFormatError(f"coreos/igninfo.json names {name}, which is a directory")
        offset = _count(info.get("offset") or 0, "coreos/igninfo.json offset")
        length = info.get("length")
        length = rec.length - offset if length is None else _count(length, "coreos/igninfo.json length", positive=True)
        if length <= 0 or offset + length > rec.length:
            raise ImageFormatError("coreos/igninfo.json gives an area outside its file")
        return rec.offset + offset, length, "igninfo.json"
    rec = iso.find(_DEFAULT_AREA)
    if rec is not None and not rec.is_dir:
        return rec.offset, rec.length, "images/ignition.img"
    head = _read_at(f, _LEGACY_IGN_AT, 24, "system area")
    if head[:8] == _LEGACY_IGN_MAGIC:
        offset, length = struct.unpack_from("<QQ", head, 8)
        return offset, length, "coreiso+ header"
    hint = FLATCAR_HINT if "flatcar" in iso.volume_id.lower() else (
        "this is not a CoreOS live ISO (no coreos/igninfo.json, images/ignition.img or coreiso+ header)"
    )
    raise NoEmbedAreaError(f"no Ignition embed area in this ISO: {hint}")


class KargsAreas:
    """The kernel-argument areas: every copy must hold the same arguments. Damaged areas
    (copies that disagree, invalid UTF-8) leave ``kargs`` None and ``error`` set: reading the
    current arguments fails, resetting them to ``default`` repairs the image."""

    def __init__(self, size: int, default: str, regions: list[Region], kargs: str | None, source: str,
                 error: ImageFormatError | None = None) -> None:
        self.size = size
        self.default = default
        self.regions = regions
        self.kargs = kargs
        self.source = source
        self.error = error

    @property
    def current(self) -> str:
        if self.error is not None:
            raise self.error
        assert self.kargs is not None
        return self.kargs

    def set(self, kargs: str) -> None:
        text = kargs.strip()
        encoded = text.encode()
        if len(encoded) >= self.size:
            raise AreaFullError(f"kargs too large for area: {len(encoded) + 1} vs {self.size}")
        for region in self.regions:
            body = encoded + (region.end or "\n").encode()
            region.contents = body + (region.pad or "#").encode() * (self.size - len(body))
            assert len(region.contents) == self.size  # pad and end are one byte each
        self.kargs = text
        self.error = None


def _parse_kargs(region: Region) -> str:
    try:
        text = region.original.decode("utf-8")
    except UnicodeDecodeError:
        raise ImageFormatError(f"invalid UTF-8 in the kargs area at byte {region.offset}") from None
    return text.rstrip(region.pad or "#").rstrip(region.end or "\n").strip()


def _build_kargs(size: int, default: str, regions: list[Region], source: str) -> KargsAreas:
    if not regions:
        raise ImageFormatError("no kargs embed areas found; corrupted CoreOS ISO image")
    try:
        kargs = _parse_kargs(regions[0])
        for region in regions[1:]:
            other = _parse_kargs(region)
            if other != kargs:
                raise ImageFormatError(
                    f"kargs don't match at all offsets! (expected {kargs!r}, but offset {region.offset} has {other!r});"
                    " `iso kargs reset` restores the defaults"
                )
    except ImageFormatError as exc:
        return KargsAreas(size, default, regions, None, source, exc)
    return KargsAreas(size, default, regions, kargs, source)


def _locate_kargs(iso: IsoFs, f: BinaryIO) -> KargsAreas | None:
    info = _json_file(iso, _KARGS_INFO)
    if info is not None:
        size, default, files = info.get("size"), info.get("default"), info.get("files")
        if not isinstance(default, str) or not isinstance(files, list):
            raise ImageFormatError("coreos/kargs.json lacks size, default or files")
        size = _count(size, "coreos/kargs.json size", positive=True)
        if size > _KARGS_MAX:
            raise ImageFormatError(f"karg embed area size larger than {_KARGS_MAX} (found {size})")
        if len(default.encode()) > size:
            raise ImageFormatError(f"default kargs size {len(default.encode())} larger than embed areas ({size})")
        regions = []
        for loc in files:
            if not isinstance(loc, dict) or not isinstance(loc.get("path"), str):
                raise ImageFormatError("coreos/kargs.json has a malformed file entry")
            try:
                rec = iso.get(loc["path"])
            except NotFound:
                raise ImageFormatError(f"coreos/kargs.json names {loc['path']}, which is not in the ISO") from None
            if rec.is_dir:
                raise ImageFormatError(f"coreos/kargs.json names {loc['path']}, which is a directory")
            offset = rec.offset + _count(loc.get("offset"), "coreos/kargs.json offset")
            pad, end = _char(loc.get("pad"), "coreos/kargs.json pad"), _char(loc.get("end"), "coreos/kargs.json end")
            regions.append(Region(offset, size, _read_at(f, offset, size, "kargs area"), pad=pad, end=end))
        regions.sort(key=lambda r: r.offset)
        return _build_kargs(size, default, regions, "kargs.json")
    head = _read_at(f, _LEGACY_KARGS_AT, 72, "system area")
    if head[:8] != _LEGACY_KARGS_MAGIC:
        return None
    size, default_at, *offsets = struct.unpack_from("<8Q", head, 8)
    if size > _KARGS_MAX:
        raise ImageFormatError(f"karg embed area length larger than {_KARGS_MAX} (found {size})")
    default = _parse_kargs(Region(default_at, size, _read_at(f, default_at, size, "default kargs")))
    regions = []
    for offset in offsets:
        if offset == 0:
            break
        regions.append(Region(offset, size, _read_at(f, offset, size, "kargs area")))
    return _build_kargs(size, default, regions, "coreKarg header")


def open_image(path: str) -> BinaryIO:
    """``path`` opened for reading; it must be a regular file, as images are read at offsets."""
    from ..errors import InputError

    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputError(f"cannot open {path}: {os_reason(exc)}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(f"{path} is not a regular file (an image is read at fixed offsets)")
    return os.fdopen(fd, "rb")


class LiveIso:
    """A CoreOS live ISO's embed areas, read from ``path``; change them, then write
    :meth:`regions` (see ``_write.write_image``)."""

    def __init__(self, path: str, size: int, ignition_area: Region, ignition_source: str,
                 kargs_areas: KargsAreas | None, _features: dict | None = None,
                 _features_error: ImageFormatError | None = None) -> None:
        self.path = path
        self.size = size
        self.ignition_area = ignition_area
        self.ignition_source = ignition_source
        self.kargs_areas = kargs_areas
        self._features = _features
        self._features_error = _features_error
        self._members: dict[str, bytes] | None = None  # decoded when first needed
        self._members_changed = False

    # -- reading

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> "LiveIso":
        p = os.fspath(path)
        with open_image(p) as f:
            size = os.fstat(f.fileno()).st_size
            iso = IsoFs(f)
            offset, length, source = _locate_ignition(iso, f)
            raw = _read_at(f, offset, length, "Ignition embed area")
            kargs = _locate_kargs(iso, f)
            # Only network and installer customization need the features: a broken
            # features.json must not stop `ignition show`.
            try:
                features, error = _json_file(iso, _FEATURES) or {}, None
            except ImageFormatError as exc:
                features, error = None, exc
            return cls(p, size, Region(offset, length, raw), source, kargs, features, error)

    @property
    def members(self) -> dict[str, bytes]:
        """The embed area's files. Decoded only by the commands that need them (not by kargs
        edits or a reset, so those work on an image whose area is damaged), and never past
        :data:`_initrd.LIMIT` bytes: the area is 256 KiB, but xz could unpack it to gigabytes."""
        if self._members is None:
            raw = self.ignition_area.original
            if raw.count(0) == len(raw):
                self._members = {}
            else:
                try:
                    self._members = _initrd.read_members(raw, total_limit=_initrd.LIMIT)
                except Exception as exc:
                    raise ImageFormatError(f"cannot decode the Ignition embed area: {exc}") from None
        return self._members

    @property
    def features(self) -> dict:
        if self._features is None:
            raise self._features_error or ImageFormatError("coreos/features.json could not be read")
        return self._features

    @property
    def ignition(self) -> bytes | None:
        return self.members.get(IGNITION_PATH)

    @property
    def network(self) -> dict[str, bytes]:
        return {k: v for k, v in self.members.items() if k.startswith(NETWORK_DIR + "/")}

    @property
    def kargs(self) -> str:
        return self._kargs().current

    @property
    def default_kargs(self) -> str:
        return self._kargs().default

    @property
    def kargs_supported(self) -> bool:
        return self.kargs_areas is not None

    def _kargs(self) -> KargsAreas:
        if self.kargs_areas is None:
            raise UnsupportedError("No karg embed areas found; old or corrupted CoreOS ISO image.")
        return self.kargs_areas

    def feature(self, name: str) -> bool:
        return bool(self.features.get(name))

    # -- changing

    def set_member(self, path: str, data: bytes | None) -> None:
        if data is None:
            self.members.pop(path, None)
        else:
            self.members[path] = data
        self._members_changed = True

    def set_ignition(self, config: bytes | None) -> None:
        self.set_member(IGNITION_PATH, config)

    def set_network(self, keyfiles: dict[str, bytes]) -> None:
        if keyfiles and not self.feature("live-initrd-network"):
            raise UnsupportedError("This OS image does not support customizing network settings.")
        members = self.members
        for name in list(self.network):
            members.pop(name)
        for name, data in keyfiles.items():
            members[f"{NETWORK_DIR}/{name}"] = data
        self._members_changed = True

    def replace_members(self, members: dict[str, bytes]) -> None:
        self._members = dict(members)
        self._members_changed = True

    def set_kargs(self, kargs: str) -> None:
        self._kargs().set(kargs)

    def regions(self) -> list[Region]:
        """The areas whose bytes change, in offset order, with their new contents."""
        out = []
        area = self.ignition_area
        if self._members_changed:
            data = _initrd.to_bytes(self.members) if self.members else b""
            if len(data) > area.length:
                raise AreaFullError(f"config too large for embed area: {len(data)} > {area.length} bytes")
            area.contents = data + bytes(area.length - len(data))
        if area.modified:
            out.append(area)
        if self.kargs_areas is not None:
            out.extend(r for r in self.kargs_areas.regions if r.modified)
        out.sort(key=lambda r: r.offset)
        for a, b in zip(out, out[1:]):
            if a.offset + a.length > b.offset:
                raise ImageFormatError(f"embed areas overlap at byte {b.offset}; corrupted ISO image")
        for r in out:
            if r.contents is None or len(r.contents) != r.length:
                raise ImageFormatError(f"internal error: area at byte {r.offset} would change size")
            if r.offset + r.length > self.size:
                raise ImageFormatError(f"embed area at byte {r.offset} is past the end of the image")
        return out

    def describe(self) -> dict:
        """Where the areas are and what they hold, for tests and debugging."""
        out = {
            "ignition": {"offset": self.ignition_area.offset, "length": self.ignition_area.length,
                         "found_by": self.ignition_source, "members": sorted(self.members)},
        }
        if self.kargs_areas is not None:
            k = self.kargs_areas
            out["kargs"] = {
                "size": k.size, "default": k.default, "current": k.kargs, "found_by": k.source,
                "areas": [{"offset": r.offset, "length": r.length, **({"pad": r.pad} if r.pad else {}),
                           **({"end": r.end} if r.end else {})} for r in k.regions],
            }
        return out
