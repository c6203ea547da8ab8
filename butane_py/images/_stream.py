"""Fedora CoreOS stream metadata (``<base>/<stream>.json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import MetadataError
from ..fetch._names import filename_from_url
from ._common import (
    Artifact,
    GetBytes,
    UnknownChoiceError,
    cache_key,
    call_fetcher,
    normalize_arch,
    parse_json,
    safe_segment,
)

DEFAULT_STREAM_BASE = "https://builds.coreos.fedoraproject.org/streams/"
STREAMS = ("stable", "testing", "next")
DEFAULT_STREAM = "stable"
DEFAULT_PLATFORM = "metal"
DEFAULT_FORMAT = "raw.xz"


@dataclass(frozen=True)
class StreamRow:
    """One row of ``stream list``: an (arch, platform, format) the stream offers."""

    arch: str
    platform: str
    format: str
    release: str
    artifacts: tuple[str, ...]


@dataclass(frozen=True)
class CloudImage:
    """One row of ``stream images``. ``region`` is None for global images (GCP, KubeVirt)."""

    platform: str
    region: str | None
    image: str
    release: str | None


@dataclass(frozen=True)
class Stream:
    """A parsed stream document. ``raw`` keeps the document as loaded."""

    name: str
    last_modified: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    # --- choices -------------------------------------------------------------------------
    def architectures(self) -> list[str]:
        return sorted(self._arches())

    def platforms(self, arch: str | None = None) -> list[str]:
        return sorted(self._platforms(normalize_arch(arch)))

    def formats(
        self, arch: str | None = None, platform: str = DEFAULT_PLATFORM
    ) -> list[str]:
        arch = normalize_arch(arch)
        return sorted(_dict(self._platform(arch, platform).get("formats"), "formats"))

    def release(self, arch: str | None = None, platform: str = DEFAULT_PLATFORM) -> str:
        arch = normalize_arch(arch)
        return _release(self._platform(arch, platform), arch, platform)

    # --- lookups -------------------------------------------------------------------------
    def artifacts(
        self,
        arch: str | None = None,
        platform: str = DEFAULT_PLATFORM,
        format: str = DEFAULT_FORMAT,
    ) -> list[Artifact]:
        """The files of one (arch, platform, format), in the document's order (pxe: kernel,
        initramfs, rootfs)."""
        arch = normalize_arch(arch)
        plat = self._platform(arch, platform)
        release = _release(plat, arch, platform)
        formats = _dict(plat.get("formats"), f"{arch}/{platform} formats")
        if format not in formats:
            raise UnknownChoiceError(
                "format",
                format,
                formats,
                f"for {arch}/{platform} in stream {self.name}",
            )
        files = _dict(formats[format], f"{arch}/{platform}/{format}")
        out = []
        for name, entry in files.items():
            entry = _dict(entry, f"{arch}/{platform}/{format}/{name}")
            url = entry.get("location")
            if not isinstance(url, str) or not url:
                raise MetadataError(
                    f"stream {self.name}: {arch}/{platform}/{format}/{name} has no location"
                )
            sha256 = _hex_or_none(
                entry.get("sha256"), 64, f"{arch}/{platform}/{format}/{name} sha256"
            )
            filename = filename_from_url(url)
            out.append(
                Artifact(
                    name=name,
                    url=url,
                    filename=filename,
                    release=release,
                    cache_key=cache_key("fcos", self.name, release, arch, filename),
                    sha256=sha256,
                    signature_url=entry.get("signature")
                    if isinstance(entry.get("signature"), str)
                    else None,
                    uncompressed_sha256=_hex_or_none(
                        entry.get("uncompressed-sha256"),
                        64,
                        f"{arch}/{platform}/{format}/{name} uncompressed-sha256",
                    ),
                    distribution="fcos",
                )
            )
        return out

    def table(self) -> list[StreamRow]:
        """Every (arch, platform, format) in the stream, sorted."""
        rows = []
        for arch in sorted(self._arches()):
            for platform, plat in sorted(self._platforms(arch).items()):
                plat = _dict(plat, f"{arch}/{platform}")
                release = _release(plat, arch, platform)
                for fmt, files in sorted(_dict(plat.get("formats"), "formats").items()):
                    rows.append(
                        StreamRow(
                            arch, platform, fmt, release, tuple(_dict(files, fmt))
                        )
                    )
        return rows

    def cloud_images(self, arch: str | None = None) -> list[CloudImage]:
        """Published cloud images for one architecture (AMIs per region, GCP, KubeVirt...)."""
        arch = normalize_arch(arch)
        archd = self._arch(arch)
        images = _dict(archd.get("images", {}), f"{arch} images")
        rows: list[CloudImage] = []
        for platform, entry in sorted(images.items()):
            entry = _dict(entry, f"{arch} images/{platform}")
            regions = entry.get("regions")
            if isinstance(regions, dict):
                for region, r in sorted(regions.items()):
                    if isinstance(r, dict) and isinstance(r.get("image"), str):
                        rows.append(
                            CloudImage(
                                platform,
                                region,
                                r["image"],
                                _str_or_none(r.get("release")),
                            )
                        )
                continue
            release = _str_or_none(entry.get("release"))
            if isinstance(entry.get("project"), str) and isinstance(
                entry.get("name"), str
            ):
                rows.append(
                    CloudImage(
                        platform, None, f"{entry['project']}/{entry['name']}", release
                    )
                )
            elif isinstance(entry.get("digest-ref"), str):
                rows.append(CloudImage(platform, None, entry["digest-ref"], release))
            elif isinstance(entry.get("image"), str):
                rows.append(CloudImage(platform, None, entry["image"], release))
        return rows

    # --- helpers -------------------------------------------------------------------------
    def _arches(self) -> dict[str, Any]:
        return _dict(self.raw.get("architectures"), "architectures")

    def _arch(self, arch: str) -> dict[str, Any]:
        arches = self._arches()
        if arch not in arches:
            raise UnknownChoiceError(
                "architecture", arch, arches, f"in stream {self.name}"
            )
        return _dict(arches[arch], arch)

    def _platforms(self, arch: str) -> dict[str, Any]:
        return _dict(self._arch(arch).get("artifacts"), f"{arch} artifacts")

    def _platform(self, arch: str, platform: str) -> dict[str, Any]:
        plats = self._platforms(arch)
        if platform not in plats:
            raise UnknownChoiceError(
                "platform", platform, plats, f"for {arch} in stream {self.name}"
            )
        return _dict(plats[platform], f"{arch}/{platform}")


def load_stream(data: bytes | str | dict[str, Any], name: str | None = None) -> Stream:
    """Parse a stream document (bytes, text or an already-decoded dict)."""
    doc = data if isinstance(data, dict) else parse_json(data, "stream metadata")
    if not isinstance(doc, dict) or not isinstance(doc.get("architectures"), dict):
        raise MetadataError("stream metadata has no 'architectures' object")
    stream_name = doc.get("stream") if isinstance(doc.get("stream"), str) else None
    if name is not None and stream_name is not None and stream_name != name:
        raise MetadataError(
            f"asked for stream {name!r} but the document is for stream {stream_name!r}"
        )
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    return Stream(
        name=stream_name or name or "unknown",
        last_modified=_str_or_none(meta.get("last-modified")),
        raw=doc,
    )


def stream_url(
    stream: str = DEFAULT_STREAM, base_url: str = DEFAULT_STREAM_BASE
) -> str:
    safe_segment(stream)
    return base_url.rstrip("/") + "/" + stream + ".json"


def fetch_stream(
    stream: str = DEFAULT_STREAM,
    *,
    base_url: str = DEFAULT_STREAM_BASE,
    get_bytes: GetBytes | None = None,
) -> Stream:
    """Fetch and parse ``<base_url>/<stream>.json`` through ``get_bytes``."""
    return load_stream(
        call_fetcher(get_bytes, stream_url(stream, base_url)), name=stream
    )


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MetadataError(f"stream metadata: {what} is not an object")
    return value


def _release(plat: dict[str, Any], arch: str, platform: str) -> str:
    release = plat.get("release")
    if not isinstance(release, str) or not release:
        raise MetadataError(f"stream metadata: {arch}/{platform} has no release")
    return release


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _hex_or_none(value: Any, length: int, what: str) -> str | None:
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or len(value) != length
        or any(c not in "0123456789abcdefABCDEF" for c in value)
    ):
        raise MetadataError(f"stream metadata: {what} is not {length} hex digits")
    return value.lower()
