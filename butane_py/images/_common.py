"""Shared pieces of the image layer: choice errors, the resolved-artifact record, architectures, fetchers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..errors import ButanePyError, ImageError, MetadataError

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


def printable(text: str) -> str:
    """``text`` with control, invisible and bidirectional characters escaped (``\\n``,
    ``\\u202e``): server-controlled strings must not reshape what a terminal shows."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


class UnknownChoiceError(ImageError):
    """An architecture, platform, format, channel, release or alias that the source does not offer.

    ``kind`` names what was asked for ("architecture", "platform", ...), ``value`` the request,
    and ``available`` the sorted choices the source does offer.
    """

    def __init__(
        self, kind: str, value: str, available: Iterable[str], where: str = "", sort: bool = True
    ) -> None:
        self.kind = kind
        self.value = value
        # sort=False keeps an order that means something (streams from most to least stable).
        self.available = sorted(available) if sort else list(available)
        place = f" {where}" if where else ""
        offered = ", ".join(printable(a) for a in self.available) if self.available else "none"
        super().__init__(printable(f"unknown {kind} {value!r}{place}; available: {offered}"))


class NotPinnedError(ImageError):
    """A catalog alias exists but has no verified entry for the requested architecture."""


def normalize_arch(arch: str | None = None) -> str:
    """Map an architecture name (or this machine's, when None) to the CoreOS spelling."""
    if arch is None:
        import platform  # here: only this machine's architecture needs it

        raw = platform.machine()
    else:
        raw = arch
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
    ``cache_key`` is a relative POSIX path, unique per distribution/stream/release/arch/file;
    every segment is a plain file name (:func:`butane_py.fetch._names.safe_name`).
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
    #: The digests were read from metadata verified with the keyring: they are the proof,
    #: no detached signature is needed (simplestreams).
    signed_digest: bool = False


def safe_segment(value: str) -> str:
    """A cache-key path segment (see :func:`butane_py.fetch._names.safe_name`)."""
    from ..fetch._names import safe_name  # here: the disk tools import this module without fetch

    return safe_name(value, "cache path segment")


def call_fetcher(get_bytes: GetBytes | None, url: str) -> bytes:
    if get_bytes is None:
        from ..fetch import get_metadata as get_bytes
    try:
        data = get_bytes(url)
    except ButanePyError:
        raise
    except Exception as exc:  # the fetcher is pluggable; report any failure with its URL
        raise MetadataError(f"cannot fetch {url}: {exc}") from exc
    if not isinstance(data, (bytes, bytearray)):
        raise MetadataError(
            f"fetcher returned {type(data).__name__} for {url}, expected bytes"
        )
    return bytes(data)


def parse_json(data: bytes | str, what: str) -> object:
    import json

    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MetadataError(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise MetadataError(f"{what} is nested too deeply") from None


def cache_key(distribution: str, stream: str, release: str, arch: str, filename: str) -> str:
    """``<distribution>/<stream>/<release>/<arch>/<file>``: a new release is a new key."""
    return "/".join([distribution, *(safe_segment(x) for x in (stream, release, arch, filename))])
