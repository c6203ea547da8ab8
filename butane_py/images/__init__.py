"""Where images come from: Fedora CoreOS streams, Flatcar channels, Ubuntu simplestreams and
the pinned catalog. This layer only resolves what to download (URLs, digests, signature URLs,
file names, cache keys); downloading and verifying is ``butane_py.fetch``'s job.

Metadata documents are read through an injectable ``get_bytes(url) -> bytes`` callable.
"""

from __future__ import annotations

from ._catalog import CatalogEntry, CatalogFile, catalog, validate_catalog
from ._common import (
    ARCHITECTURES,
    Artifact,
    GetBytes,
    ImageError,
    MetadataError,
    NotPinnedError,
    UnknownChoiceError,
    UnsafeNameError,
    normalize_arch,
    printable,
    safe_name,
)
from ._flatcar import (
    FlatcarVersion,
    fetch_flatcar,
    flatcar_artifacts,
    parse_digests,
    parse_version_txt,
    sha512_for,
)
from ._simplestreams import (
    Item,
    clearsigned_text,
    fetch_latest,
    fetch_product,
    flatten_products,
    latest_item,
    load_document,
)
from ._stream import (
    DEFAULT_FORMAT,
    DEFAULT_PLATFORM,
    DEFAULT_STREAM,
    DEFAULT_STREAM_BASE,
    CloudImage,
    Stream,
    StreamRow,
    fetch_stream,
    load_stream,
    stream_url,
)

__all__ = [
    "ARCHITECTURES",
    "DEFAULT_FORMAT",
    "DEFAULT_PLATFORM",
    "DEFAULT_STREAM",
    "DEFAULT_STREAM_BASE",
    "Artifact",
    "CatalogEntry",
    "CatalogFile",
    "CloudImage",
    "FlatcarVersion",
    "GetBytes",
    "ImageError",
    "Item",
    "MetadataError",
    "NotPinnedError",
    "Stream",
    "StreamRow",
    "UnknownChoiceError",
    "UnsafeNameError",
    "catalog",
    "clearsigned_text",
    "fetch_flatcar",
    "fetch_latest",
    "fetch_product",
    "fetch_stream",
    "flatcar_artifacts",
    "flatten_products",
    "latest_item",
    "load_document",
    "load_stream",
    "normalize_arch",
    "parse_digests",
    "parse_version_txt",
    "resolve",
    "sha512_for",
    "stream_url",
    "printable",
    "safe_name",
    "validate_catalog",
]

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
) -> list[Artifact]:
    """Resolve an image name or catalog alias to the files to download.

    * a catalog alias (``fcos-stable``, ``fcos-stable-iso``, ...) → the pinned files; no network.
      ``stream``/``platform``/``format`` must then be None or agree with the entry.
    * ``fcos`` → live stream metadata (``stream`` default stable, ``platform`` metal,
      ``format`` raw.xz; ``base_url`` overrides the stream base).
    * ``flatcar`` → channel ``stream`` (default stable), ``format`` default pxe, SHA-512 from
      ``.DIGESTS``; ``base_url`` overrides the channel's board URL.
    * ``ubuntu`` → simplestreams; ``stream`` is the release (``24.04`` or ``noble``), ``format``
      the ftype (default ``disk1.img``); ``base_url`` overrides the mirror root.
    """
    from ._catalog import _packaged, lookup

    if name in _packaged():
        entry = lookup(name)
        for label, want, have in (
            ("stream", stream, entry.stream),
            ("platform", platform, entry.platform),
            ("format", format, entry.format),
        ):
            if want is not None and want != have:
                raise ImageError(
                    f"catalog alias {name!r} is {label} {have!r}, not {want!r}"
                )
        return entry.artifacts(arch)
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
        )
        return [art]
    raise UnknownChoiceError("image", name, [*DISTRIBUTION_NAMES, *_packaged()])
