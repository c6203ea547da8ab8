"""Where images come from: Fedora CoreOS streams, Flatcar channels, Ubuntu simplestreams and
the pinned catalog, and what is made of them. Resolving gives what to download (URLs, digests,
signature URLs, file names, cache keys); downloading and verifying is ``butane_py.fetch``'s job.
On top of both, disks: :func:`ensure` (a ready raw disk from an alias, a URL or a file),
:func:`copy_disk` (sparse, extended to a size) and :func:`install` (a metal image written to a
disk, with the Ignition config written into it).

Metadata documents are read through an injectable ``get_bytes(url) -> bytes`` callable.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ..errors import ImageError, MetadataError, UnsafeNameError

if TYPE_CHECKING:  # the names this module's own signatures use
    from ._catalog import CatalogEntry
    from ._common import Artifact, GetBytes
    from ._simplestreams import Verify

__all__ = [
    "ARCHITECTURES",
    "DEFAULT_FORMAT",
    "DEFAULT_PLATFORM",
    "DEFAULT_STREAM",
    "DEFAULT_STREAM_BASE",
    "Artifact",
    "BootConfigError",
    "CatalogEntry",
    "CatalogFile",
    "CloudImage",
    "DestinationError",
    "DiskError",
    "EnsureResult",
    "FilesystemError",
    "FlatcarVersion",
    "GetBytes",
    "GptError",
    "ImageError",
    "InstallError",
    "InstallResult",
    "Item",
    "MetadataError",
    "NotPinnedError",
    "Qcow2Error",
    "Stream",
    "StreamRow",
    "UnknownChoiceError",
    "UnsafeNameError",
    "UnsupportedImageError",
    "catalog",
    "clearsigned_text",
    "copy_disk",
    "ensure",
    "fetch_flatcar",
    "fetch_latest",
    "fetch_product",
    "fetch_stream",
    "flatcar_artifacts",
    "flatten_products",
    "install",
    "latest_item",
    "load_document",
    "load_stream",
    "normalize_arch",
    "parse_digests",
    "parse_size",
    "parse_version_txt",
    "resolve",
    "resolve_live",
    "load_catalog",
    "lock",
    "sha512_for",
    "stream_url",
    "printable",
    "safe_name",
    "validate_catalog",
]

# Each name loads its module on first use, so that a program that needs one part (the qcow2
# conversion or the sparse copy, say) does not import the others and the fetch layer.
_LAZY = {
    "safe_name": "butane_py.fetch._names",
    **dict.fromkeys(["CatalogEntry", "CatalogFile", "catalog", "load_catalog", "lock", "validate_catalog"],
                    "._catalog"),
    **dict.fromkeys(["ARCHITECTURES", "Artifact", "GetBytes", "NotPinnedError", "UnknownChoiceError",
                     "normalize_arch", "printable"], "._common"),
    **dict.fromkeys(["FlatcarVersion", "fetch_flatcar", "flatcar_artifacts", "parse_digests", "parse_version_txt",
                     "sha512_for"], "._flatcar"),
    **dict.fromkeys(["Item", "Verify", "clearsigned_text", "fetch_latest", "fetch_product", "flatten_products",
                     "latest_item", "load_document"], "._simplestreams"),
    **dict.fromkeys(["DEFAULT_FORMAT", "DEFAULT_PLATFORM", "DEFAULT_STREAM", "DEFAULT_STREAM_BASE", "CloudImage",
                     "Stream", "StreamRow", "fetch_stream", "load_stream", "stream_url"], "._stream"),
    # the disks: they bring in the fetch layer and the qcow2, GPT and ext4 code
    **dict.fromkeys(["EnsureResult", "ensure"], "._ensure"),
    **dict.fromkeys(["DiskError", "copy_disk", "parse_size"], "._sparse"),
    **dict.fromkeys(["InstallResult", "install"], "._install"),
    **dict.fromkeys(["BootConfigError", "DestinationError", "FilesystemError", "GptError", "InstallError",
                     "UnsupportedImageError"], "._install_errors"),
    "Qcow2Error": "._qcow2",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later uses find it without this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


DISTRIBUTION_NAMES = {
    "fcos": "fcos",
    "fedora-coreos": "fcos",
    "flatcar": "flatcar",
    "ubuntu": "ubuntu",
}


def resolve(
    name: str,
    arch: str | None = None,
    *,
    stream: str | None = None,
    platform: str | None = None,
    format: str | None = None,
    get_bytes: GetBytes | None = None,
    base_url: str | None = None,
    verify: Verify | None = None,
    catalog: dict[str, CatalogEntry] | None = None,
) -> list[Artifact]:
    """Resolve an image name or catalog alias to the files to download.

    * a catalog alias (``fcos-stable``, ``fcos-stable-iso``, ...; of ``catalog`` when given,
      else of the bundled catalog) → its pinned files, with no network; an alias that pins
      nothing is resolved live through its source, as below (``base_url`` and ``verify``
      apply). ``stream``/``platform``/``format`` must then be None or agree with the entry.
      With ``catalog``, only its aliases are accepted.
    * ``fcos`` → live stream metadata (``stream`` default stable, ``platform`` metal,
      ``format`` raw.xz; ``base_url`` overrides the stream base).
    * ``flatcar`` → channel ``stream`` (default stable), ``format`` default pxe, SHA-512 from
      ``.DIGESTS``; ``base_url`` overrides the channel's board URL.
    * ``ubuntu`` → simplestreams; ``stream`` is the release (``24.04`` or ``noble``), ``format``
      the ftype (default ``disk1.img``); ``base_url`` overrides the mirror root. With
      ``verify`` (see :mod:`._simplestreams`) only signed metadata is read, and each file's
      SHA-256 is its proof.
    """
    from ._catalog import _packaged, lookup
    from ._common import UnknownChoiceError, printable
    from ._flatcar import fetch_flatcar
    from ._simplestreams import fetch_latest
    from ._stream import DEFAULT_FORMAT, DEFAULT_PLATFORM, DEFAULT_STREAM, DEFAULT_STREAM_BASE, fetch_stream

    entries = _packaged() if catalog is None else catalog
    if name in entries or catalog is not None:
        entry = lookup(name, entries)
        for label, want, have in (
            ("stream", stream, entry.stream),
            ("platform", platform, entry.platform),
            ("format", format, entry.format),
        ):
            if want is not None and want != have:
                raise ImageError(
                    printable(f"catalog alias {name!r} is {label} {have!r}, not {want!r}")
                )
        if entry.pinned:
            return entry.artifacts(arch)
        return resolve_live(entry, arch, get_bytes=get_bytes, base_url=base_url, verify=verify)[0]
    dist = DISTRIBUTION_NAMES.get(name)
    if dist == "fcos":
        s = fetch_stream(
            stream or DEFAULT_STREAM,
            base_url=base_url or DEFAULT_STREAM_BASE,
            get_bytes=get_bytes,
        )
        return s.artifacts(arch, platform or DEFAULT_PLATFORM, format or DEFAULT_FORMAT)
    if dist == "flatcar":
        if platform not in (None, "metal"):
            raise ImageError("Flatcar images are chosen by format, not platform")
        return fetch_flatcar(
            stream or "stable",
            arch,
            format or "pxe",
            get_bytes=get_bytes,
            base_url=base_url,
        )
    if dist == "ubuntu":
        if stream is None:
            raise ImageError("ubuntu needs a release, e.g. stream='24.04'")
        from ._simplestreams import DEFAULT_FTYPE, DEFAULT_MIRROR

        art, _verified = fetch_latest(
            stream,
            arch,
            format or DEFAULT_FTYPE,
            mirror=base_url or DEFAULT_MIRROR,
            get_bytes=get_bytes,
            signed=verify is not None,
            verify=verify,
        )
        return [art]
    raise UnknownChoiceError("image", name, [*DISTRIBUTION_NAMES, *_packaged()])


def resolve_live(
    entry: CatalogEntry,
    arch: str | None = None,
    *,
    get_bytes: GetBytes | None = None,
    base_url: str | None = None,
    verify: Verify | None = None,
) -> tuple[list[Artifact], str]:
    """A catalog entry's files as its source offers them now, whatever it pins, and the URL
    of the metadata they were read from. Each file's cache key carries the resolved release."""
    from ._flatcar import channel_base_url
    from ._simplestreams import DEFAULT_MIRROR, INDEX_PATH, SIGNED_INDEX_PATH
    from ._stream import DEFAULT_STREAM_BASE, stream_url

    dist = entry.distribution
    arts = resolve(
        dist,
        arch,
        stream=entry.stream,
        platform=entry.platform if dist != "ubuntu" else None,
        format=entry.format,
        get_bytes=get_bytes,
        base_url=base_url,
        verify=verify,
    )
    if dist == "fcos":
        source = stream_url(entry.stream, base_url or DEFAULT_STREAM_BASE)
    elif dist == "flatcar":
        source = base_url or channel_base_url(entry.stream, arch)
    else:
        source = (base_url or DEFAULT_MIRROR).rstrip("/") + "/" + (
            SIGNED_INDEX_PATH if verify is not None else INDEX_PATH
        )
    return arts, source
