"""Shared pieces of the image layer: errors, the resolved-artifact record, architectures, fetchers."""

from __future__ import annotations

import platform as _platform
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..errors import ButanePyError

#: A metadata fetcher: takes a URL, returns the whole body. Anything it raises is wrapped in
#: :class:`MetadataError`. Tests pass a dict lookup or a loopback HTTP client here.
GetBytes = Callable[[str], bytes]

ARCHITECTURES = ("x86_64", "aarch64", "ppc64le", "s390x")

_ARCH_ALIASES = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "x64": "x86_64",
    "aarch64": "aarch64",
    "arm64": "aarch64",
    "ppc64le": "ppc64le",
    "ppc64el": "ppc64le",
    "s390x": "s390x",
}


class ImageError(ButanePyError):
    """Base class for everything the image layer refuses."""


class UnknownChoiceError(ImageError):
    """An architecture, platform, format, channel, release or alias that the source does not offer.

    ``kind`` names what was asked for ("architecture", "platform", ...), ``value`` the request,
    and ``available`` the sorted choices the source does offer.
    """

    def __init__(
        self, kind: str, value: str, available: Iterable[str], where: str = ""
    ) -> None:
        self.kind = kind
        self.value = value
        self.available = sorted(available)
        place = f" {where}" if where else ""
        offered = ", ".join(self.available) if self.available else "none"
        super().__init__(f"unknown {kind} {value!r}{place}; available: {offered}")


class MetadataError(ImageError):
    """A metadata document could not be fetched or does not have the expected shape."""


class NotPinnedError(ImageError):
    """A catalog alias exists but has no verified entry for the requested architecture."""


def normalize_arch(arch: str | None = None) -> str:
    """Map an architecture name (or this machine's, when None) to the CoreOS spelling."""
    raw = arch if arch is not None else _platform.machine()
    key = raw.strip().lower()
    try:
        return _ARCH_ALIASES[key]
    except KeyError:
        raise UnknownChoiceError("architecture", raw, ARCHITECTURES) from None


@dataclass(frozen=True)
class Artifact:
    """One file to download, with everything needed to verify and cache it.

    ``sha256`` / ``sha512`` are the expected digests of the file as served (either may be None
    when the source does not publish it; Flatcar only publishes SHA-512 through ``digests_url``).
    ``cache_key`` is a relative POSIX path, unique per distribution/stream/release/arch/file.
    """

    name: str
    url: str
    filename: str
    release: str
    cache_key: str
    sha256: str | None = None
    sha512: str | None = None
    signature_url: str | None = None
    uncompressed_sha256: str | None = None
    digests_url: str | None = None
    distribution: str = ""


def filename_from_url(url: str) -> str:
    """The last path segment of a URL (query and fragment ignored)."""
    from urllib.parse import unquote, urlsplit

    path = urlsplit(url).path
    name = unquote(path.rstrip("/").rsplit("/", 1)[-1])
    if not name or name in (".", ".."):
        raise MetadataError(f"URL has no file name: {url}")
    return name


def safe_segment(value: str) -> str:
    """A cache-key path segment: refuses separators and dot-only names."""
    if (
        not value
        or value in (".", "..")
        or "/" in value
        or "\\" in value
        or "\x00" in value
    ):
        raise MetadataError(f"unsafe value for a cache path segment: {value!r}")
    return value


def call_fetcher(get_bytes: GetBytes | None, url: str) -> bytes:
    fetcher = get_bytes if get_bytes is not None else urllib_get_bytes
    try:
        data = fetcher(url)
    except ImageError:
        raise
    except (
        Exception
    ) as exc:  # the fetcher is pluggable; report any failure with its URL
        raise MetadataError(f"cannot fetch {url}: {exc}") from exc
    if not isinstance(data, (bytes, bytearray)):
        raise MetadataError(
            f"fetcher returned {type(data).__name__} for {url}, expected bytes"
        )
    return bytes(data)


MAX_METADATA_BYTES = 64 * 1024 * 1024


def urllib_get_bytes(url: str, timeout: float = 30.0) -> bytes:
    """The default metadata fetcher: one GET with the standard library, bounded in size.

    Only http(s) URLs are accepted. The download/verify machinery for large images lives in
    ``butane_py.fetch``; this is only for small metadata documents.
    """
    import urllib.request

    if not url.startswith(("https://", "http://")):
        raise MetadataError(f"refusing to fetch non-HTTP URL: {url}")
    request = urllib.request.Request(url, headers={"User-Agent": "butane-py"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data = response.read(MAX_METADATA_BYTES + 1)
    if len(data) > MAX_METADATA_BYTES:
        raise MetadataError(
            f"metadata document larger than {MAX_METADATA_BYTES} bytes: {url}"
        )
    return data


def parse_json(data: bytes | str, what: str) -> object:
    import json

    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MetadataError(f"{what} is not valid JSON: {exc}") from exc


def cache_key(distribution: str, stream: str, release: str, arch: str, filename: str) -> str:
    """``<distribution>/<stream>/<release>/<arch>/<file>``: a new release is a new key."""
    return "/".join([distribution, *(safe_segment(x) for x in (stream, release, arch, filename))])
