"""Ubuntu simplestreams: ``streams/v1/index.json`` and its ``products:1.0`` documents.

Signed documents (``.sjson``, OpenPGP clearsigned) are NOT verified here: pass ``verify``, a
callable that takes the signed bytes and returns the verified cleartext (``fetch.verify_cleartext``
provides the OpenPGP check), or accept the result's ``verified=False``. With ``verify``, a
document that is not clearsigned is refused, and the artifact's SHA-256 (read from verified
metadata) is marked as its proof (``Artifact.signed_digest``): Ubuntu publishes no per-image
signature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import MetadataError
from ..fetch._names import safe_name
from ._common import (
    Artifact,
    GetBytes,
    UnknownChoiceError,
    cache_key,
    call_fetcher,
    normalize_arch,
    parse_json,
)

DEFAULT_MIRROR = "https://cloud-images.ubuntu.com/releases/"
INDEX_PATH = "streams/v1/index.json"
SIGNED_INDEX_PATH = "streams/v1/index.sjson"
DEFAULT_FTYPE = "disk1.img"
UBUNTU_ARCH = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "ppc64le": "ppc64el",
    "s390x": "s390x",
}

#: Takes clearsigned bytes, returns the verified cleartext or raises.
Verify = Callable[[bytes], bytes]

_BEGIN = "-----BEGIN PGP SIGNED MESSAGE-----"
_SIG = "-----BEGIN PGP SIGNATURE-----"


@dataclass(frozen=True)
class Document:
    """A decoded simplestreams document; ``signed``/``verified`` record how it was read."""

    content: dict[str, Any] = field(repr=False)
    signed: bool
    verified: bool


def clearsigned_text(data: bytes) -> bytes:
    """The cleartext of an OpenPGP clearsigned message, WITHOUT checking the signature."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MetadataError("clearsigned message is not UTF-8 text") from None
    lines = text.splitlines()
    try:
        start = lines.index(_BEGIN)
        end = lines.index(_SIG, start)
    except ValueError:
        raise MetadataError("not an OpenPGP clearsigned message") from None
    i = start + 1
    while i < end and lines[i].strip():  # armor headers (Hash: ...) end at a blank line
        i += 1
    body = [line.removeprefix("- ") for line in lines[i + 1 : end]]
    return "\n".join(body).encode("utf-8")


def load_document(data: bytes, verify: Verify | None = None) -> Document:
    """Decode JSON or clearsigned JSON. With ``verify``, signed documents are verified by it."""
    stripped = data.lstrip()
    if verify is not None and not stripped.startswith(_BEGIN.encode()):
        raise MetadataError("simplestreams document is not clearsigned; with a keyring only signed metadata is accepted")
    if stripped.startswith(_BEGIN.encode()):
        if verify is not None:
            return Document(
                _obj(parse_json(verify(data), "simplestreams document")), True, True
            )
        return Document(
            _obj(parse_json(clearsigned_text(stripped), "simplestreams document")),
            True,
            False,
        )
    return Document(_obj(parse_json(data, "simplestreams document")), False, False)


@dataclass(frozen=True)
class IndexEntry:
    content_id: str
    path: str
    datatype: str | None
    format: str | None
    products: tuple[str, ...]


def parse_index(doc: dict[str, Any]) -> list[IndexEntry]:
    if doc.get("format") != "index:1.0":
        raise MetadataError(
            f"simplestreams index has format {doc.get('format')!r}, expected 'index:1.0'"
        )
    out = []
    for cid, entry in sorted(_obj(doc.get("index"), "index").items()):
        entry = _obj(entry, f"index/{cid}")
        path = entry.get("path")
        if not isinstance(path, str) or not path:
            raise MetadataError(f"simplestreams index entry {cid} has no path")
        out.append(
            IndexEntry(
                cid,
                path,
                entry.get("datatype"),
                entry.get("format"),
                tuple(p for p in products if isinstance(p, str)) if isinstance(products := entry.get("products"), list) else (),
            )
        )
    return out


@dataclass(frozen=True)
class Item:
    """One file of one version of one product, with every inherited attribute merged in."""

    product: str
    version: str
    name: str
    attrs: dict[str, Any] = field(repr=False, compare=False)

    @property
    def path(self) -> str:
        return str(self.attrs["path"])

    @property
    def sha256(self) -> str | None:
        value = self.attrs.get("sha256")
        if value is None:
            return None
        if not isinstance(value, str) or len(value) != 64 or any(c not in "0123456789abcdefABCDEF" for c in value):
            raise MetadataError(f"simplestreams: {self.product}/{self.version}/{self.name} sha256 is not 64 hex digits")
        return value.lower()

    def get(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)


_CHILD_KEYS = {"products", "versions", "items", "_aliases"}


def _expand(level: dict[str, Any], aliases: dict[str, Any]) -> dict[str, Any]:
    """The level's own scalar attributes, plus those named through ``_aliases``.

    For each attribute whose name is a key of ``_aliases`` and whose value names an alias, the
    alias's attributes are added; attributes set explicitly on the level win."""
    own = {k: v for k, v in level.items() if k not in _CHILD_KEYS}
    expanded: dict[str, Any] = {}
    for key, value in own.items():
        table = aliases.get(key)
        if (
            isinstance(table, dict)
            and isinstance(value, str)
            and isinstance(table.get(value), dict)
        ):
            expanded.update(table[value])
    expanded.update(own)
    return expanded


def flatten_products(doc: dict[str, Any]) -> list[Item]:
    """Every item, with attributes inherited top level → product → version → item."""
    if doc.get("format") != "products:1.0":
        raise MetadataError(
            f"simplestreams products file has format {doc.get('format')!r}, expected 'products:1.0'"
        )
    aliases = doc.get("_aliases") if isinstance(doc.get("_aliases"), dict) else {}
    top = _expand(doc, aliases)
    items: list[Item] = []
    for pid, product in _obj(doc.get("products"), "products").items():
        product = _obj(product, f"product {pid}")
        pattrs = {**top, **_expand(product, aliases)}
        for ver, version in _obj(
            product.get("versions", {}), f"{pid} versions"
        ).items():
            version = _obj(version, f"{pid}/{ver}")
            vattrs = {**pattrs, **_expand(version, aliases)}
            for name, item in _obj(
                version.get("items", {}), f"{pid}/{ver} items"
            ).items():
                attrs = {
                    **vattrs,
                    **_expand(_obj(item, f"{pid}/{ver}/{name}"), aliases),
                }
                if isinstance(attrs.get("path"), str):
                    items.append(Item(pid, ver, name, attrs))
    return items


def latest_item(
    items: list[Item], release: str, arch: str | None = None, ftype: str = DEFAULT_FTYPE
) -> Item:
    """The item of the lexically greatest version for a release (codename or version number,
    e.g. ``noble`` or ``24.04``), architecture and file type."""
    ua = UBUNTU_ARCH.get(normalize_arch(arch), arch or "")
    by_release = [
        i
        for i in items
        if release in (str(i.get("release", "")), str(i.get("version", "")))
    ]
    if not by_release:
        known = {str(i.get("version") or i.get("release")) for i in items}
        raise UnknownChoiceError("release", release, known, "in simplestreams products")
    by_arch = _narrow(by_release, "arch", "architecture", ua, f"for {release}")
    matching = _narrow(by_arch, "ftype", "ftype", ftype, f"for {release}/{ua}")
    return max(matching, key=lambda i: (i.version, i.product, i.name))


def _narrow(items: list[Item], attr: str, kind: str, value: str, where: str) -> list[Item]:
    """The items whose ``attr`` is ``value``; an error listing the choices if there are none."""
    kept = [i for i in items if i.get(attr) == value]
    if not kept:
        raise UnknownChoiceError(kind, value, {str(i.get(attr)) for i in items}, where)
    return kept


def item_artifact(item: Item, mirror: str = DEFAULT_MIRROR, verified: bool = False) -> Artifact:
    url = mirror.rstrip("/") + "/" + item.path.lstrip("/")
    filename = safe_name(item.path.rsplit("/", 1)[-1], "file name")
    release = str(item.get("release") or item.get("version"))
    return Artifact(
        name=item.name,
        url=url,
        filename=filename,
        release=item.version,
        cache_key=cache_key("ubuntu", release, item.version, str(item.get("arch")), filename),
        sha256=item.sha256,
        distribution="ubuntu",
        signed_digest=verified and item.sha256 is not None,
    )


def mirror_items(
    root: str, get_bytes: GetBytes | None, signed: bool, verify: Verify | None
) -> tuple[list[Item], bool]:
    """Every item of the mirror's image-downloads products, and whether all was verified."""
    index_doc = load_document(
        call_fetcher(get_bytes, root + (SIGNED_INDEX_PATH if signed else INDEX_PATH)),
        verify,
    )
    verified = index_doc.verified
    items: list[Item] = []
    for entry in parse_index(index_doc.content):
        if entry.datatype not in (None, "image-downloads"):
            continue
        path = entry.path
        if signed and path.endswith(".json"):
            path = path[: -len(".json")] + ".sjson"
        doc = load_document(call_fetcher(get_bytes, root + path.lstrip("/")), verify)
        verified = verified and doc.verified
        items.extend(flatten_products(doc.content))
    return items, verified


def fetch_latest(
    release: str,
    arch: str | None = None,
    ftype: str = DEFAULT_FTYPE,
    *,
    mirror: str = DEFAULT_MIRROR,
    get_bytes: GetBytes | None = None,
    signed: bool = False,
    verify: Verify | None = None,
) -> tuple[Artifact, bool]:
    """Read the mirror's index and its image-downloads products files; return the latest
    matching file and whether the metadata it came from was verified (only with ``verify``)."""
    root = mirror.rstrip("/") + "/"
    items, verified = mirror_items(root, get_bytes, signed, verify)
    return item_artifact(latest_item(items, release, arch, ftype), root, verified), verified


def fetch_product(
    product: str,
    ftype: str = DEFAULT_FTYPE,
    *,
    mirror: str = DEFAULT_MIRROR,
    get_bytes: GetBytes | None = None,
    signed: bool = False,
    verify: Verify | None = None,
) -> tuple[Artifact, bool]:
    """The latest file of type ``ftype`` of one product (``com.ubuntu.cloud:server:24.04:amd64``)."""
    root = mirror.rstrip("/") + "/"
    items, verified = mirror_items(root, get_bytes, signed, verify)
    matching = [i for i in items if i.product == product and i.get("ftype") == ftype]
    if not matching:
        products = sorted({i.product for i in items})
        raise UnknownChoiceError("product", product, products, f"with ftype {ftype} on {root}")
    return item_artifact(max(matching, key=lambda i: (i.version, i.name)), root, verified), verified


def _obj(value: Any, what: str = "document") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MetadataError(f"simplestreams: {what} is not an object")
    return value
