"""A Fedora CoreOS mirror: the artifacts of chosen streams, architectures, platforms and
formats, and ``streams/STREAM.json`` naming them, laid out as on builds.coreos.fedoraproject.org:

    streams/STREAM.json
    prod/streams/STREAM/builds/RELEASE/ARCH/FILE      (and FILE.sig, copied as upstream signed it)

Every location in the written stream is an absolute URL under ``base_url``: coreos-installer
parses each ``location`` and ``signature`` as an absolute URL (``Url::parse``, no base), and
butane-py's reader fetches only http and https URLs, so a relative location would be read by
neither. ``--stream-base-url BASE_URL/streams/`` then points both at the mirror (coreos-installer
joins ``STREAM.json`` onto it, so the trailing slash matters there).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from ..fetch import Keyring
from ..fetch._download import DEFAULT_RETRIES
from ..images import (
    DEFAULT_PLATFORM,
    DEFAULT_STREAM,
    DEFAULT_STREAM_BASE,
    GetBytes,
    fetch_stream,
    load_stream,
    normalize_arch,
)
from ._publish import (
    Download,
    Fetcher,
    MirrorError,
    MirrorProgress,
    MirrorResult,
    check_base_url,
    prune,
    segment,
    url_under,
    write_document,
)

GENERATOR = "butane-py mirror"


def builds_dir(stream: str) -> str:
    """Where a stream's releases live in the mirror, relative to its root."""
    return f"prod/streams/{segment(stream, 'stream')}/builds"


def write_stream(
    dest: str | os.PathLike[str],
    base_url: str,
    *,
    streams: Iterable[str] = (DEFAULT_STREAM,),
    architectures: Iterable[str] | None = None,
    platforms: Iterable[str] = (DEFAULT_PLATFORM,),
    formats: Iterable[str] | None = None,
    keep: int | None = None,
    stream_base_url: str = DEFAULT_STREAM_BASE,
    keyring: Keyring | None = None,
    fetch_retries: int | None = DEFAULT_RETRIES,
    get_bytes: GetBytes | None = None,
    progress: MirrorProgress | None = None,
) -> MirrorResult:
    """Mirror Fedora CoreOS streams into ``dest``, to be served at ``base_url``.

    For each stream, the files of each chosen architecture (default: this machine's), platform
    (default metal) and format (default: every format the platform has) are downloaded through
    the verified fetch (SHA-256 from the stream and the detached signature, checked with
    ``keyring``, default the bundled keys); a file already in the mirror that passes the same
    checks is kept. Then ``streams/STREAM.json`` is written with only what was mirrored, every
    location under ``base_url``. With ``keep``, release directories beyond the ``keep`` newest
    are removed afterwards (never a release the new document names).
    """
    root = Path(dest)
    base = check_base_url(base_url)
    if keep is not None and keep < 1:
        raise MirrorError(f"keep must be at least 1, not {keep}")
    arches = [normalize_arch(a) for a in (architectures or [None])]
    result = MirrorResult()
    fetcher = Fetcher(root, result, keyring=keyring, fetch_retries=fetch_retries, progress=progress)
    # Every stream is read and checked before anything is downloaded.
    documents: list[tuple[str, dict, set[str]]] = []
    downloads: list[Download] = []
    for stream in dict.fromkeys(streams):
        doc, files, releases = _plan(stream, arches, list(platforms), formats, base, stream_base_url,
                                     get_bytes, fetcher)
        documents.append((stream, doc, releases))
        downloads += files
    for item in downloads:
        fetcher.get(item)
    # Artifacts first, each stream document last: a reader never sees a location not there yet.
    for stream, doc, _ in documents:
        relative = f"streams/{stream}.json"
        write_document(root, relative, (json.dumps(doc, indent=2) + "\n").encode())
        result.metadata.append(relative)
    if keep is not None:
        for stream, _, releases in documents:
            prune(root, builds_dir(stream), keep, releases, result)
    return result


def _plan(stream: str, arches: list[str], platforms: list[str], formats: Iterable[str] | None, base: str,
          stream_base_url: str, get_bytes: GetBytes | None, fetcher: Fetcher) -> tuple[dict, list[Download], set[str]]:
    """The stream document to write, the files it names, and the releases they belong to."""
    upstream = fetch_stream(segment(stream, "stream"), base_url=stream_base_url, get_bytes=get_bytes)
    builds = builds_dir(stream)
    downloads: list[Download] = []
    releases: set[str] = set()
    architectures: dict[str, dict] = {}
    for arch in arches:
        artifacts: dict[str, dict] = {}
        for platform in dict.fromkeys(platforms):
            segment(platform, "platform")
            release = segment(upstream.release(arch, platform), "release")
            releases.add(release)
            chosen = list(formats) if formats is not None else upstream.formats(arch, platform)
            out_formats: dict[str, dict] = {}
            for fmt in dict.fromkeys(chosen):
                files: dict[str, dict] = {}
                for art in upstream.artifacts(arch, platform, segment(fmt, "format")):
                    relative = f"{builds}/{release}/{arch}/{art.filename}"
                    if art.sha256 is None:
                        raise MirrorError(f"stream {stream}: {arch}/{platform}/{fmt}/{art.name} has no sha256")
                    item = Download(relative, art.url, art.signature_url or art.url + ".sig", sha256=art.sha256)
                    if fetcher.plan(item):
                        downloads.append(item)
                    entry = {
                        "location": url_under(base, relative),
                        "signature": url_under(base, relative + ".sig"),
                        "sha256": art.sha256,
                    }
                    if art.uncompressed_sha256 is not None:
                        entry["uncompressed-sha256"] = art.uncompressed_sha256
                    files[segment(art.name, "artifact name")] = entry
                out_formats[fmt] = files
            artifacts[platform] = {"release": release, "formats": out_formats}
        architectures[arch] = {"artifacts": artifacts}
    metadata = {"generator": GENERATOR}
    if upstream.last_modified is not None:
        metadata["last-modified"] = upstream.last_modified
    doc = {"stream": stream, "metadata": metadata, "architectures": architectures}
    load_stream(doc, name=stream)  # what is written is what the reader takes
    return doc, downloads, releases
