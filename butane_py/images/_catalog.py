"""The pinned catalog (``catalog.json``): aliases → verified URLs and digests per architecture.

Shape::

    {"format": "butane-py-catalog:1",
     "images": {ALIAS: {"distribution": "fcos"|"flatcar"|"ubuntu", "stream": str,
                        "version": str|null, "snapshot": "YYYY-MM-DD"|null, "source": URL,
                        "platform": str, "format": str,
                        "absent": null | "why no files are pinned",
                        "architectures": {ARCH: [{"name", "url", "sha256", "sha512"?, "signature"?}]}}}}

An entry whose files could not be verified has ``"absent"`` set and no architectures: it is
resolved live through its source at each use. No digest is ever written that was not read
from the distribution's own metadata. The same shape is the user's own catalog
(``butane-py images lock``, ``--catalog FILE``).

URLs may be http: the pinned digest (and, for Fedora CoreOS and Flatcar, the detached
signature every file must name) is what proves a file. Ubuntu publishes no per-image
signature; an Ubuntu file's pinned SHA-256, written only from verified simplestreams
metadata, is its proof.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..errors import ImageError, MetadataError
from ..fetch._names import filename_from_url
from ._common import (
    ARCHITECTURES,
    Artifact,
    GetBytes,
    NotPinnedError,
    UnknownChoiceError,
    cache_key,
    normalize_arch,
    parse_json,
    printable,
)

CATALOG_FORMAT = "butane-py-catalog:1"
_HEX = re.compile(r"^[0-9a-f]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DISTRIBUTIONS = ("fcos", "flatcar", "ubuntu")
#: A catalog file larger than this is refused before it is parsed (a lock of every alias
#: is a few hundred KiB).
MAX_CATALOG_BYTES = 16 << 20
_ENTRY_KEYS = (
    "distribution",
    "stream",
    "version",
    "snapshot",
    "source",
    "platform",
    "format",
    "absent",
    "architectures",
)


@dataclass(frozen=True)
class CatalogFile:
    name: str
    url: str
    sha256: str | None
    sha512: str | None
    signature_url: str | None


@dataclass(frozen=True)
class CatalogEntry:
    alias: str
    distribution: str
    stream: str
    version: str | None
    snapshot: str | None
    source: str
    platform: str
    format: str
    absent: str | None
    architectures: dict[str, tuple[CatalogFile, ...]]

    @property
    def pinned(self) -> bool:
        """Whether files are pinned; an unpinned alias is resolved live through its source."""
        return self.absent is None

    def artifacts(self, arch: str | None = None) -> list[Artifact]:
        arch = normalize_arch(arch)
        if self.absent is not None:
            raise NotPinnedError(
                f"catalog entry {self.alias!r} has no pinned files: {self.absent}"
            )
        if arch not in self.architectures:
            raise NotPinnedError(
                f"catalog entry {self.alias!r} has nothing pinned for {arch}; pinned: "
                + (", ".join(sorted(self.architectures)) or "none")
            )
        assert self.version is not None
        out = []
        for f in self.architectures[arch]:
            filename = filename_from_url(f.url)
            out.append(
                Artifact(
                    name=f.name,
                    url=f.url,
                    filename=filename,
                    release=self.version,
                    cache_key=cache_key(self.distribution, self.stream, self.version, arch, filename),
                    sha256=f.sha256,
                    sha512=f.sha512,
                    signature_url=f.signature_url,
                    distribution=self.distribution,
                    # Only Ubuntu files may lack a signature (validate_catalog): their pinned
                    # SHA-256 came from verified simplestreams metadata and is the proof.
                    signed_digest=f.signature_url is None,
                )
            )
        return out


def validate_catalog(doc: Any) -> list[str]:
    """Every problem with a catalog document (empty when well formed)."""
    problems: list[str] = []
    if not isinstance(doc, dict) or doc.get("format") != CATALOG_FORMAT:
        return [f"catalog format must be {CATALOG_FORMAT!r}"]
    images = doc.get("images")
    if not isinstance(images, dict) or not images:
        return ["catalog has no images"]
    for alias, e in images.items():
        where = f"images.{alias}"
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", alias):
            problems.append(
                f"{where}: alias must be lowercase letters, digits, '.', '-'"
            )
        if not isinstance(e, dict):
            problems.append(f"{where}: not an object")
            continue
        for key in _ENTRY_KEYS:
            if key not in e:
                problems.append(f"{where}: missing {key}")
        for key in e:
            if key not in _ENTRY_KEYS:
                problems.append(f"{where}: unknown key {key}")
        if e.get("distribution") not in DISTRIBUTIONS:
            problems.append(
                f"{where}.distribution: must be one of {', '.join(DISTRIBUTIONS)}"
            )
        for key in ("stream", "platform", "format", "source"):
            if not isinstance(e.get(key), str) or not e.get(key):
                problems.append(f"{where}.{key}: must be a non-empty string")
        if isinstance(e.get("source"), str) and not _is_http(e["source"]):
            problems.append(f"{where}.source: must be an http(s) URL")
        arches = e.get("architectures")
        if not isinstance(arches, dict):
            problems.append(f"{where}.architectures: must be an object")
            continue
        absent = e.get("absent")
        if absent is not None:
            if not isinstance(absent, str) or not absent:
                problems.append(f"{where}.absent: must be null or a reason")
            if arches:
                problems.append(f"{where}: an absent entry must not list architectures")
            continue
        if not arches:
            problems.append(f"{where}: no architectures and no 'absent' reason")
        if not isinstance(e.get("version"), str) or not e.get("version"):
            problems.append(f"{where}.version: must be a string when files are pinned")
        if not (isinstance(e.get("snapshot"), str) and _DATE.match(e["snapshot"])):
            problems.append(
                f"{where}.snapshot: must be YYYY-MM-DD when files are pinned"
            )
        for arch, files in arches.items():
            aw = f"{where}.architectures.{arch}"
            if arch not in ARCHITECTURES:
                problems.append(f"{aw}: unknown architecture")
            if not isinstance(files, list) or not files:
                problems.append(f"{aw}: must be a non-empty list")
                continue
            for i, f in enumerate(files):
                fw = f"{aw}[{i}]"
                if not isinstance(f, dict):
                    problems.append(f"{fw}: not an object")
                    continue
                if not isinstance(f.get("name"), str) or not f.get("name"):
                    problems.append(f"{fw}.name: missing")
                if not _is_http(f.get("url")):
                    problems.append(f"{fw}.url: must be an http(s) URL")
                for algo, n in (("sha256", 64), ("sha512", 128)):
                    v = f.get(algo)
                    if v is not None and not (
                        isinstance(v, str) and len(v) == n and _HEX.match(v)
                    ):
                        problems.append(
                            f"{fw}.{algo}: must be {n} lowercase hex digits"
                        )
                if f.get("sha256") is None and f.get("sha512") is None:
                    problems.append(f"{fw}: needs sha256 (or sha512)")
                if e.get("distribution") == "fcos" and f.get("sha256") is None:
                    problems.append(f"{fw}.sha256: required for fcos")
                sig = f.get("signature")
                if sig is not None and not _is_http(sig):
                    problems.append(f"{fw}.signature: must be an http(s) URL")
                if sig is None and e.get("distribution") in ("fcos", "flatcar"):
                    problems.append(f"{fw}.signature: required for {e['distribution']}")
                for key in f:
                    if key not in ("name", "url", "sha256", "sha512", "signature"):
                        problems.append(f"{fw}: unknown key {key}")
    return problems


def _is_http(url: Any) -> bool:
    return isinstance(url, str) and url.startswith(("https://", "http://")) and url.isprintable()


def parse_catalog(doc: Any, what: str = "catalog") -> dict[str, CatalogEntry]:
    problems = validate_catalog(doc)
    if problems:
        raise MetadataError(printable(f"{what} is malformed: " + "; ".join(problems[:5])))
    out: dict[str, CatalogEntry] = {}
    for alias, e in doc["images"].items():
        arches = {
            arch: tuple(
                CatalogFile(
                    f["name"],
                    f["url"],
                    f.get("sha256"),
                    f.get("sha512"),
                    f.get("signature"),
                )
                for f in files
            )
            for arch, files in e["architectures"].items()
        }
        out[alias] = CatalogEntry(
            alias,
            e["distribution"],
            e["stream"],
            e["version"],
            e["snapshot"],
            e["source"],
            e["platform"],
            e["format"],
            e["absent"],
            arches,
        )
    return out


@lru_cache(maxsize=1)
def _packaged() -> dict[str, CatalogEntry]:
    from importlib.resources import files

    try:
        text = files(__package__).joinpath("catalog.json").read_text(encoding="utf-8")
    except OSError as exc:
        raise MetadataError(
            f"the pinned catalog is missing from this installation: {exc}"
        ) from exc
    return parse_catalog(json.loads(text))


def catalog() -> dict[str, CatalogEntry]:
    """The pinned catalog shipped with butane-py, keyed by alias."""
    return dict(_packaged())


def load_catalog(path: str) -> dict[str, CatalogEntry]:
    """A user's catalog file (``butane-py images lock`` writes them), keyed by alias."""
    from ..errors import InputError
    from ..io import os_reason

    try:
        with open(path, "rb") as f:
            data = f.read(MAX_CATALOG_BYTES + 1)
    except OSError as exc:
        raise InputError(printable(f"cannot read catalog {path}: {os_reason(exc)}")) from None
    if len(data) > MAX_CATALOG_BYTES:
        raise InputError(printable(f"catalog {path} is larger than {MAX_CATALOG_BYTES >> 20} MiB"))
    return parse_catalog(parse_json(data, printable(f"catalog {path}")), printable(f"catalog {path}"))


def lookup(alias: str, entries: dict[str, CatalogEntry] | None = None) -> CatalogEntry:
    """The entry of ``alias`` in ``entries`` (default: the pinned catalog)."""
    entries = _packaged() if entries is None else entries
    if alias not in entries:
        raise UnknownChoiceError("image alias", alias, entries, "in the catalog")
    return entries[alias]


def lock(
    aliases: list[str],
    entries: dict[str, CatalogEntry],
    architectures: list[str] | None = None,
    *,
    snapshot: str,
    get_bytes: GetBytes | None = None,
    base_url: str | None = None,
    verify: Any = None,
) -> dict[str, Any]:
    """A catalog document pinning each alias as its source offers it now (live resolution,
    whatever the entry pins). Without ``architectures``, every architecture the source
    offers. Ubuntu entries need verified (signed) simplestreams metadata: ``verify``."""
    from . import resolve_live

    memo: dict[str, bytes] = {}

    def get_once(url: str) -> bytes:  # one stream document serves every architecture
        if url not in memo:
            from ._common import call_fetcher

            memo[url] = call_fetcher(get_bytes, url)
        return memo[url]

    out: dict[str, Any] = {}
    for alias in aliases:
        entry = lookup(alias, entries)
        per_arch: dict[str, list[Artifact]] = {}
        first_source = ""
        for arch in architectures or ARCHITECTURES:
            try:
                arts, source = resolve_live(
                    entry, arch, get_bytes=get_once, base_url=base_url, verify=verify
                )
            except UnknownChoiceError:
                if architectures:
                    raise
                continue  # the source does not offer this architecture
            if entry.distribution == "ubuntu" and not all(a.signed_digest for a in arts):
                raise ImageError(
                    f"{alias}: the simplestreams metadata was not verified, so its SHA-256 cannot be "
                    "pinned; give the Ubuntu cloud image keyring with --keyring"
                )
            per_arch[normalize_arch(arch)] = arts
            first_source = first_source or source
        if not per_arch:
            raise ImageError(f"{alias}: the source offers no architecture for it")
        version = max(a.release for arts in per_arch.values() for a in arts)
        out[alias] = entry_from_artifacts(
            entry.distribution, entry.stream, version, snapshot, first_source, entry.platform, entry.format, per_arch
        )
    doc = {"format": CATALOG_FORMAT, "images": out}
    problems = validate_catalog(doc)
    if problems:
        raise MetadataError(printable("the resolved files cannot be pinned: " + "; ".join(problems[:5])))
    return doc


def entry_from_artifacts(
    distribution: str,
    stream: str,
    version: str,
    snapshot: str,
    source: str,
    platform: str,
    fmt: str,
    per_arch: dict[str, list[Artifact]],
) -> dict[str, Any]:
    """A catalog entry (as JSON data) from resolved artifacts; used by scripts/update_catalog.py."""
    arches: dict[str, list[dict[str, Any]]] = {}
    for arch, arts in sorted(per_arch.items()):
        files = []
        for a in arts:
            f: dict[str, Any] = {"name": a.name, "url": a.url}
            if a.sha256:
                f["sha256"] = a.sha256
            if a.sha512:
                f["sha512"] = a.sha512
            if a.signature_url or distribution != "ubuntu":
                # what fetch checks when the metadata names no signature
                f["signature"] = a.signature_url or a.url + ".sig"
            files.append(f)
        arches[arch] = files
    if not arches:
        raise ImageError(f"no files to pin for {distribution} {stream}")
    return {
        "distribution": distribution,
        "stream": stream,
        "version": version,
        "snapshot": snapshot,
        "source": source,
        "platform": platform,
        "format": fmt,
        "absent": None,
        "architectures": arches,
    }


def absent_entry(
    distribution: str, stream: str, source: str, platform: str, fmt: str, reason: str
) -> dict[str, Any]:
    return {
        "distribution": distribution,
        "stream": stream,
        "version": None,
        "snapshot": None,
        "source": source,
        "platform": platform,
        "format": fmt,
        "absent": reason,
        "architectures": {},
    }
