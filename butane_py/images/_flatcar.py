"""Flatcar release channels: ``version.txt``, versioned artifact URLs and ``.DIGESTS`` files.

Format → files (all under ``https://{channel}.release.flatcar-linux.net/{board}/{version}/``):

============  ===========================================================================
format        files (artifact name: file)
============  ===========================================================================
pxe           kernel: flatcar_production_pxe.vmlinuz, initramfs: flatcar_production_pxe_image.cpio.gz
iso           disk: flatcar_production_iso_image.iso
qemu          disk: flatcar_production_qemu_image.img
qemu_uefi     disk: flatcar_production_qemu_uefi_image.img
image, metal  disk: flatcar_production_image.bin.bz2 (the raw disk image used by flatcar-install)
============  ===========================================================================

Any other format spelled as a full file name starting ``flatcar_production_`` (for example
``flatcar_production_vmware_ova.ova``) is taken as-is, so new ``*_image`` names need no code.
Every file has a detached ``<file>.sig`` and a ``<file>.DIGESTS`` (MD5, SHA1, SHA512).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from ..errors import MetadataError
from ._common import (
    Artifact,
    GetBytes,
    UnknownChoiceError,
    cache_key,
    call_fetcher,
    normalize_arch,
)

CHANNELS = ("alpha", "beta", "stable", "lts")
BOARDS = {"x86_64": "amd64-usr", "aarch64": "arm64-usr"}
BASE_URL_TEMPLATE = "https://{channel}.release.flatcar-linux.net/{board}/"

FORMATS: dict[str, tuple[tuple[str, str], ...]] = {
    "pxe": (
        ("kernel", "flatcar_production_pxe.vmlinuz"),
        ("initramfs", "flatcar_production_pxe_image.cpio.gz"),
    ),
    "iso": (("disk", "flatcar_production_iso_image.iso"),),
    "qemu": (("disk", "flatcar_production_qemu_image.img"),),
    "qemu_uefi": (("disk", "flatcar_production_qemu_uefi_image.img"),),
    "image": (("disk", "flatcar_production_image.bin.bz2"),),
    "metal": (("disk", "flatcar_production_image.bin.bz2"),),
}

_VERSION_RE = re.compile(r"^[0-9]+(\.[0-9]+)*([.+-][0-9A-Za-z.+-]+)?$")


@dataclass(frozen=True)
class FlatcarVersion:
    """The parsed ``version.txt``. ``values`` holds every key, unquoted."""

    version: str
    version_id: str | None
    build_id: str | None
    values: dict[str, str]


def parse_version_txt(text: bytes | str) -> FlatcarVersion:
    """Parse shell-style ``KEY=VALUE`` lines (values may be single- or double-quoted).

    Blank lines and ``#`` comments are ignored; ``export KEY=...`` is accepted.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    values: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, rest = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise MetadataError(f"version.txt line {lineno}: not KEY=VALUE: {line!r}")
        try:
            words = shlex.split(rest, comments=True, posix=True)
        except ValueError as exc:
            raise MetadataError(f"version.txt line {lineno}: {exc}") from exc
        values[key] = " ".join(words)
    version = values.get("FLATCAR_VERSION")
    if not version:
        raise MetadataError("version.txt has no FLATCAR_VERSION")
    if not _VERSION_RE.match(version):
        raise MetadataError(
            f"version.txt: FLATCAR_VERSION {version!r} is not a version"
        )
    return FlatcarVersion(
        version,
        values.get("FLATCAR_VERSION_ID"),
        values.get("FLATCAR_BUILD_ID"),
        values,
    )


def board_for(arch: str | None) -> str:
    arch = normalize_arch(arch)
    if arch not in BOARDS:
        raise UnknownChoiceError("architecture", arch, BOARDS, "for Flatcar")
    return BOARDS[arch]


def channel_base_url(channel: str, arch: str | None = None) -> str:
    if channel not in CHANNELS:
        raise UnknownChoiceError("channel", channel, CHANNELS, "for Flatcar")
    return BASE_URL_TEMPLATE.format(channel=channel, board=board_for(arch))


def version_txt_url(channel: str, arch: str | None = None) -> str:
    return channel_base_url(channel, arch) + "current/version.txt"


def flatcar_artifacts(
    channel: str,
    version: str,
    arch: str | None = None,
    format: str = "pxe",
    *,
    base_url: str | None = None,
) -> list[Artifact]:
    """The files of one format, from the versioned directory (never ``current/``).

    ``sha512`` is left None: read it from ``digests_url`` with :func:`parse_digests`, or use
    :func:`fetch_flatcar` to fill it in.
    """
    arch = normalize_arch(arch)
    if version == "current" or not _VERSION_RE.match(version):
        raise MetadataError(
            f"Flatcar version must be a concrete version, not {version!r}"
        )
    base = base_url if base_url is not None else channel_base_url(channel, arch)
    if not base.endswith("/"):
        base += "/"
    if format in FORMATS:
        files = FORMATS[format]
    elif format.startswith("flatcar_production_") and "/" not in format:
        files = (("disk", format),)
    else:
        raise UnknownChoiceError(
            "format",
            format,
            FORMATS,
            "for Flatcar (or a flatcar_production_* file name)",
        )
    out = []
    for name, filename in files:
        url = f"{base}{version}/{filename}"
        out.append(
            Artifact(
                name=name,
                url=url,
                filename=filename,
                release=version,
                cache_key=cache_key("flatcar", channel, version, arch, filename),
                signature_url=url + ".sig",
                digests_url=url + ".DIGESTS",
                distribution="flatcar",
            )
        )
    return out


_HEADER_RE = re.compile(r"^#+\s*([A-Za-z0-9-]+)\s+HASH\s*$", re.IGNORECASE)
_LINE_RE = re.compile(r"^([0-9a-fA-F]+)\s+\*?(.+?)\s*$")
_BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}


def parse_digests(text: bytes | str) -> dict[str, dict[str, str]]:
    """Parse a Gentoo-style ``.DIGESTS`` file into ``{algorithm: {filename: hexdigest}}``.

    Section headers like ``# SHA512 HASH`` name the algorithm of the lines that follow; a line
    whose digest length does not fit its section (or with no section) is classified by length.
    File names are reduced to their last path segment; a ``*`` binary-mode marker is dropped.
    Unrecognised lines are skipped.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    result: dict[str, dict[str, str]] = {}
    section: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        header = _HEADER_RE.match(line)
        if header:
            section = header.group(1).lower().replace("-", "")
            continue
        if line.startswith("#"):
            continue
        m = _LINE_RE.match(line)
        if not m:
            continue
        digest, name = m.group(1).lower(), m.group(2)
        algo = (
            section
            if section and _BY_LENGTH.get(len(digest)) == section
            else _BY_LENGTH.get(len(digest))
        )
        if algo is None:
            continue
        name = name.replace("\\", "/").rsplit("/", 1)[-1]
        result.setdefault(algo, {})[name] = digest
    return result


def sha512_for(digests: bytes | str | dict[str, dict[str, str]], filename: str) -> str:
    """The SHA-512 of ``filename`` in a ``.DIGESTS`` file (text or parsed)."""
    table = digests if isinstance(digests, dict) else parse_digests(digests)
    found = table.get("sha512", {})
    if filename not in found:
        raise MetadataError(
            f"DIGESTS has no SHA512 for {filename} (has: {', '.join(sorted(found)) or 'none'})"
        )
    return found[filename]


def fetch_flatcar_version(
    channel: str,
    arch: str | None = None,
    *,
    get_bytes: GetBytes | None = None,
    base_url: str | None = None,
) -> FlatcarVersion:
    base = base_url if base_url is not None else channel_base_url(channel, arch)
    if not base.endswith("/"):
        base += "/"
    return parse_version_txt(call_fetcher(get_bytes, base + "current/version.txt"))


def fetch_flatcar(
    channel: str = "stable",
    arch: str | None = None,
    format: str = "pxe",
    *,
    version: str | None = None,
    get_bytes: GetBytes | None = None,
    base_url: str | None = None,
    with_digests: bool = True,
) -> list[Artifact]:
    """Resolve a channel's current (or a given) version and, optionally, fill in each file's
    SHA-512 from its ``.DIGESTS`` file. Signatures are for ``butane_py.fetch`` to verify."""
    if channel not in CHANNELS:
        raise UnknownChoiceError("channel", channel, CHANNELS, "for Flatcar")
    if version is None:
        version = fetch_flatcar_version(
            channel, arch, get_bytes=get_bytes, base_url=base_url
        ).version
    arts = flatcar_artifacts(channel, version, arch, format, base_url=base_url)
    if not with_digests:
        return arts
    from dataclasses import replace

    out = []
    for art in arts:
        assert art.digests_url is not None
        sha512 = sha512_for(call_fetcher(get_bytes, art.digests_url), art.filename)
        out.append(replace(art, sha512=sha512))
    return out
