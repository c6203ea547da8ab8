"""Writing an Ubuntu simplestreams mirror: ``streams/v1/index.json`` and one ``products:1.0``
document of datatype ``image-downloads``, in the shape juju's imagemetadata writes (an index
entry naming the products file and its sorted product IDs; products holding versions holding
items; ``updated`` as an RFC 1123 date), merged into what the mirror already holds as its
``MergeAndWriteMetadata`` does: existing products and versions are kept, a version written
again is replaced.

Readers never see a half-written mirror: the files are written first, then the products
document, then the index, each through a temporary file renamed into place. Each file's path
holds the first 16 hex digits of its SHA-256 (``images/PRODUCT/VERSION/DIGEST/NAME``), so a
replaced version's new files never overwrite the ones the old metadata still describes. With a
signing key, every document also gets a clearsigned ``.sjson`` twin (the signed index names
the signed products file), written just before its ``.json``.
"""

from __future__ import annotations

import copy
import datetime
import errno
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, MetadataError
from ..fetch._openpgp import SigningKey
from ..images import Artifact, GetBytes
from ..images._simplestreams import (
    UBUNTU_ARCH,
    Verify,
    flatten_products,
    item_artifact,
    load_document,
    mirror_items,
    parse_index,
)
from ..io import os_reason, replacing, write_all
from ._publish import MirrorError, write_document

DEFAULT_CONTENT_ID = "butane-py:images"
INDEX_PATH = "streams/v1/index.json"
SIGNED_INDEX_PATH = "streams/v1/index.sjson"
DATATYPE = "image-downloads"
#: The product attributes an upstream mirror's products keep in ours (the item's digests, size
#: and path are computed again; attributes of one version, such as its label, are not kept).
UPSTREAM_PRODUCT_ATTRIBUTES = ("aliases", "arch", "os", "release", "release_codename", "release_title",
                               "support_eol", "supported", "version")

# Product IDs, versions, item names, content IDs and file names become URL path segments that
# clients join to the mirror's URL as they are: no separators, spaces or characters to escape.
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+~-]{0,199}")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ImageFile:
    """A local file to publish as one item of one version of a product.

    ``ftype`` defaults to the file name's last extension (``img``, ``iso``, ``qcow2``) and
    ``item`` to ``ftype``. ``product_attributes`` (``arch``, ``release``, ``os``, ...) are
    set on the product, where clients inherit them down to every item."""

    file: str
    product: str
    version: str
    ftype: str | None = None
    item: str | None = None
    product_attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Published:
    """What one write did: the (product, version) pairs it added and those it replaced, and
    every file it wrote, relative to the mirror's root, in the order written."""

    content_id: str
    products_path: str
    added: tuple[tuple[str, str], ...]
    replaced: tuple[tuple[str, str], ...]
    files: tuple[str, ...]


@dataclass(frozen=True)
class UpstreamFile:
    """A file of another simplestreams mirror to publish again: the artifact to fetch (and
    verify) and what it becomes here."""

    artifact: Artifact
    product: str
    version: str
    ftype: str
    item: str
    product_attributes: Mapping[str, Any]

    def image(self, file: str) -> ImageFile:
        """The image to publish once the artifact is fetched, verified, to ``file``."""
        return ImageFile(file, self.product, self.version, self.ftype, self.item, self.product_attributes)


def upstream_files(
    mirror_url: str,
    *,
    products: Iterable[str] = (),
    release: str | None = None,
    arches: Iterable[str] = (),
    ftypes: Iterable[str] = (),
    get_bytes: GetBytes | None = None,
    verify: Verify | None = None,
) -> list[UpstreamFile]:
    """The files of the latest version of each product of the simplestreams mirror at
    ``mirror_url`` that matches: one of ``products`` (all without), ``release`` (codename or
    version number), one of ``arches``, and of the files, one of ``ftypes``. With ``verify``
    only signed metadata is read (see ``butane_py.images``), and each artifact's SHA-256 from it
    is its proof."""
    products, ftypes = set(products), set(ftypes)
    arches = {UBUNTU_ARCH.get(a, a) for a in arches}  # x86_64 is amd64 there
    root = mirror_url.rstrip("/") + "/"
    items, verified = mirror_items(root, get_bytes, verify is not None, verify)
    chosen = [
        i for i in items
        if (not products or i.product in products)
        and (release is None or release in (str(i.get("release")), str(i.get("version"))))
        and (not arches or i.get("arch") in arches)
        and (not ftypes or i.get("ftype") in ftypes)
    ]
    missing = sorted(products - {i.product for i in chosen})
    if missing or not chosen:
        wanted = ", ".join(f"{k} {v}" for k, v in (("release", release), ("arch", ",".join(sorted(arches))),
                                                    ("ftype", ",".join(sorted(ftypes)))) if v)
        raise MetadataError(f"{root}: no {' '.join(missing) or 'product'} with files matching {wanted or 'anything'}")
    latest: dict[str, str] = {}
    for i in chosen:
        latest[i.product] = max(latest.get(i.product, i.version), i.version)
    return [
        UpstreamFile(item_artifact(i, root, verified), i.product, i.version, str(i.get("ftype") or i.name), i.name,
                     {k: i.get(k) for k in UPSTREAM_PRODUCT_ATTRIBUTES if i.get(k) is not None})
        for i in sorted(chosen, key=lambda i: (i.product, i.name))
        if i.version == latest[i.product]
    ]


def merge_simplestreams(existing: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """Two ``products:1.0`` documents merged as ``MergeAndWriteMetadata`` merges: every product
    and version of ``existing`` is kept, except a version that ``new`` has too, which ``new``'s
    replaces; a product's attributes from ``new`` are set over its existing ones. The top-level
    fields (``updated`` included) are ``new``'s. Neither argument is changed."""
    for doc in (existing, new):
        if doc is not None and doc.get("format") != "products:1.0":
            raise MetadataError(f"simplestreams: not a products:1.0 document (format {doc.get('format')!r})")
    merged = copy.deepcopy(dict(existing or {}))
    if existing is not None and existing.get("content_id") != new.get("content_id"):
        raise MetadataError(
            f"simplestreams: cannot merge content {new.get('content_id')!r} into {existing.get('content_id')!r}")
    products = merged.setdefault("products", {})
    if not isinstance(products, dict):
        raise MetadataError("simplestreams: products is not an object")
    for key, value in new.items():
        if key != "products":
            merged[key] = copy.deepcopy(value)
    for pid, product in new.get("products", {}).items():
        target = products.setdefault(pid, {})
        if not isinstance(target, dict) or not isinstance(target.setdefault("versions", {}), dict):
            raise MetadataError(f"simplestreams: product {pid} is not an object with versions")
        for key, value in product.items():
            if key == "versions":
                target["versions"].update(copy.deepcopy(value))
            else:
                target[key] = copy.deepcopy(value)
    return merged


def write_simplestreams(
    dest: str | os.PathLike[str],
    images: Iterable[ImageFile],
    *,
    content_id: str = DEFAULT_CONTENT_ID,
    signing_key: SigningKey | None = None,
    updated: datetime.datetime | None = None,
    on_written: Callable[[str], None] | None = None,
) -> Published:
    """Publish ``images`` in the simplestreams mirror at ``dest`` (created if missing), merged
    into its products of ``content_id`` (see :func:`merge_simplestreams`); other content in
    the index is kept as it is. ``on_written(path)`` is called after each file is in place.

    A mirror that already has a signed index is refused without ``signing_key``: its signed
    documents would go stale. :class:`MirrorError` for what cannot be published as asked (names,
    conflicting items), :class:`InputError` for files that cannot be read or written,
    :class:`MetadataError` for existing metadata that is not simplestreams."""
    root = os.fspath(dest)
    images = list(images)
    _check_segment(content_id, "content ID")
    if not images:
        raise MirrorError("nothing to publish: give at least one image")
    stamp = _timestamp(updated)
    try:
        os.makedirs(root, exist_ok=True)
        lock = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise InputError(f"cannot open {root}: {os_reason(exc)}") from None
    try:
        # One writer at a time, so that a merge never loses what another write published.
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _write_locked(root, images, content_id, signing_key, stamp, on_written)
    finally:
        os.close(lock)


def _write_locked(root: str, images: list[ImageFile], content_id: str, signing_key: SigningKey | None, stamp: str,
                  on_written: Callable[[str], None] | None) -> Published:
    if signing_key is None and os.path.lexists(os.path.join(root, SIGNED_INDEX_PATH)):
        raise MirrorError(f"{root} has a signed index ({SIGNED_INDEX_PATH}): sign this write too, "
                         "or remove the .sjson files to publish unsigned")
    index, products_path, existing = _read_mirror(root, content_id)
    files = [_measure(image) for image in images]
    new = _products_document(files, content_id, stamp)
    merged = merge_simplestreams(existing, new)
    flatten_products(merged)  # the merged document must read back, as clients will read it
    old_versions = existing.get("products", {}) if existing else {}
    pairs = sorted({(f.image.product, f.image.version) for f in files})
    replaced = tuple(p for p in pairs if p[1] in old_versions.get(p[0], {}).get("versions", {}))

    index = dict(index or {"format": "index:1.0", "index": {}})
    index["index"] = dict(index.get("index") or {})
    index["updated"] = stamp
    index["index"][content_id] = {
        "datatype": DATATYPE, "format": "products:1.0", "path": products_path,
        "products": sorted(merged["products"]), "updated": stamp,
    }
    documents = [(products_path, merged), (INDEX_PATH, index)]
    # Everything that can fail is done before the first file lands: measuring, merging, signing.
    rendered = []
    for path, doc in documents:
        signed = None
        if signing_key is not None:
            twin = _signed_index(index, root, content_id) if path == INDEX_PATH else doc
            signed = signing_key.clearsign(_render(twin))
        rendered.append((path, _render(doc), signed))

    written: list[str] = []

    def done(path: str) -> None:
        written.append(path)
        if on_written is not None:
            on_written(path)

    for f in files:
        if _publish_file(root, f):
            done(f.path)
    for path, text, signed in rendered:
        if signed is not None:
            write_document(Path(root), _sjson(path), signed)
            done(_sjson(path))
        write_document(Path(root), path, text)
        done(path)
    return Published(content_id, products_path, tuple(p for p in pairs if p not in replaced), replaced,
                     tuple(written))


@dataclass(frozen=True)
class _Measured:
    image: ImageFile
    name: str  # item name
    ftype: str
    size: int
    sha256: str
    md5: str
    path: str  # relative to the mirror's root


def _measure(image: ImageFile) -> _Measured:
    """The image's digests, size and place in the mirror; its names checked."""
    for value, what in ((image.product, "product ID"), (image.version, "version")):
        _check_segment(value, what)
    filename = os.path.basename(image.file)
    _check_segment(filename, "file name")
    ftype = image.ftype or filename.rsplit(".", 1)[-1]
    name = image.item or ftype
    _check_segment(name, "item name")
    for key in image.product_attributes:
        if key in ("versions", "_aliases") or not key:
            raise MirrorError(f"{key!r} cannot be a product attribute")
    h256, h5, size = _digest(image.file)
    path = f"images/{image.product}/{image.version}/{h256[:16]}/{filename}"
    return _Measured(image, name, ftype, size, h256, h5, path)


def _products_document(files: list[_Measured], content_id: str, stamp: str) -> dict[str, Any]:
    products: dict[str, Any] = {}
    for f in files:
        product = products.setdefault(f.image.product, {"versions": {}})
        for key, value in f.image.product_attributes.items():
            if product.get(key, value) != value:
                raise MirrorError(f"product {f.image.product}: {key} given as both {product[key]!r} and {value!r}")
            product[key] = value
        items = product["versions"].setdefault(f.image.version, {"items": {}})["items"]
        if f.name in items:
            raise MirrorError(f"{f.image.product} {f.image.version}: two files for item {f.name!r} "
                             "(give each its own item name)")
        items[f.name] = {"ftype": f.ftype, "md5": f.md5, "path": f.path, "sha256": f.sha256, "size": f.size}
    return {"content_id": content_id, "datatype": DATATYPE, "format": "products:1.0", "products": products,
            "updated": stamp}


def _read_mirror(root: str, content_id: str) -> tuple[dict[str, Any] | None, str, dict[str, Any] | None]:
    """The mirror's index (None if it has none), the path of ``content_id``'s products document
    and that document (None if the index has no such entry)."""
    default_path = f"streams/v1/{content_id}.json"
    data = _read(root, INDEX_PATH, missing_ok=True)
    if data is None:
        return None, default_path, None
    index = _plain_json(data, INDEX_PATH)
    entries = {e.content_id: e for e in parse_index(index)}
    entry = entries.get(content_id)
    if entry is None:
        return index, default_path, None
    path = entry.path.lstrip("/")
    if any(not _SEGMENT.fullmatch(part) for part in path.split("/")) or not path.endswith(".json"):
        raise MetadataError(f"{INDEX_PATH}: {content_id} has path {entry.path!r}, not a .json file in the mirror")
    if entry.datatype != DATATYPE:
        raise MetadataError(f"{INDEX_PATH}: {content_id} is {entry.datatype!r} content, not {DATATYPE}")
    existing = _plain_json(_read(root, path), path)
    flatten_products(existing)
    return index, path, existing


def _plain_json(data: bytes, path: str) -> dict[str, Any]:
    doc = load_document(data)
    if doc.signed:
        raise MetadataError(f"{path} is clearsigned; the unsigned .json document was expected")
    return doc.content


def _signed_index(index: dict[str, Any], root: str, content_id: str) -> dict[str, Any]:
    """The index as its ``.sjson`` twin says it: each entry names its signed products file (as
    simplestreams' own signing tools rewrite it): ours, and any other that has one."""
    twin = copy.deepcopy(index)
    for cid, entry in twin["index"].items():
        path = entry.get("path")
        if isinstance(path, str) and path.endswith(".json"):
            if cid == content_id or os.path.isfile(os.path.join(root, _sjson(path.lstrip("/")))):
                entry["path"] = _sjson(path)
    return twin


def _sjson(path: str) -> str:
    return path[: -len(".json")] + ".sjson"


def _render(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _timestamp(when: datetime.datetime | None) -> str:
    when = when or datetime.datetime.now(datetime.timezone.utc)
    if when.tzinfo is None:
        raise ValueError("updated must be an aware datetime")
    return when.astimezone(datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")


def _check_segment(value: str, what: str) -> None:
    if not _SEGMENT.fullmatch(value):
        raise MirrorError(f"{what} {value!r}: use letters, digits and . _ : + ~ - (starting with a letter or digit)")


def _digest(path: str) -> tuple[str, str, int]:
    h256, h5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    size = 0
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h256.update(chunk)
                h5.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {os_reason(exc)}") from None
    return h256.hexdigest(), h5.hexdigest(), size


def _publish_file(root: str, f: _Measured) -> bool:
    """Copy the image to its place unless it is already there; whether it was copied.

    The copy is hashed again as it is written: a source that changed since it was measured
    is refused rather than published under a digest it no longer has."""
    target = os.path.join(root, f.path)
    try:
        if os.path.getsize(target) == f.size and _digest(target)[0] == f.sha256:
            return False
    except (OSError, InputError):
        pass
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        h = hashlib.sha256()
        with open(f.image.file, "rb") as src, replacing(target, sync=True) as fd:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                write_all(fd, chunk)
            if h.hexdigest() != f.sha256:
                raise InputError(f"{f.image.file} changed while it was being published; run again")
    except OSError as exc:
        raise InputError(f"cannot write {target}: {os_reason(exc)}") from None
    return True


def _read(root: str, path: str, missing_ok: bool = False) -> bytes | None:
    try:
        with open(os.path.join(root, path), "rb") as f:
            return f.read()
    except OSError as exc:
        if missing_ok and exc.errno == errno.ENOENT:
            return None
        raise InputError(f"cannot read {os.path.join(root, path)}: {os_reason(exc)}") from None
