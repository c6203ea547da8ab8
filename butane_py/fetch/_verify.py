"""Verified downloads (:func:`fetch`) and the same checks on local files (:func:`verify_file`).

Guarantees of :func:`fetch`:

* The data is streamed, as raw bytes (``Accept-Encoding: identity``; nothing is decoded),
  into a temporary file in the destination directory (or the cache directory), SHA-256 (and
  optionally SHA-512) is computed while streaming, then the detached OpenPGP signature is
  checked over the whole file (see ``_openpgp``), and only then is the file renamed into
  place with mode ``0666 & ~umask``. On any failure, or a signal that unwinds (SIGINT; the
  entry point turns SIGTERM and SIGHUP into SystemExit), the temporary file is removed.
* ``insecure=True`` only tolerates a *missing* signature (HTTP 404/410); a bad, malformed
  or foreign signature is always an error. ``signed_digest=True`` says the expected digest
  itself came from metadata verified with the keyring (simplestreams): no signature is then
  fetched, and the digest is the proof. ``unverified=True`` wants no signature and requests
  nothing but the URL (a digest given is still checked): for a literal URL its user vouches for.
* A cache hit is reused without any request when size and mtime still match the metadata
  and any expected digest given by the caller equals the recorded one. It is not re-hashed
  by default (hashing a 1 GiB image costs seconds); ``reverify=True`` re-hashes and
  re-checks the stored signature.
* ``decompress=True`` writes the decompressed data to ``dest`` (see ``_decompress``); the
  cache keeps the verified compressed file.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..io import os_reason
from ._cache import (
    CHUNK,
    _TMP_PREFIX,
    _meta_path,
    _publish,
    _read_meta,
    _remove,
    _sig_path,
    _temp,
    _write_file,
    cache_path,
    default_cache_dir,
)
from ._decompress import decompress_file
from ._download import DEFAULT_RETRIES, Progress, _client, _Downloader
from ._errors import CacheError, DigestMismatchError, FetchError, MissingSignatureError, SignatureError
from ._names import filename_from_url
from ._openpgp import Keyring, SignatureInfo, load_signature, verify_detached_file

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class FetchResult:
    path: Path  # the final file (decompressed when requested)
    source: Path  # the verified downloaded file (cache entry, or == path)
    sha256: str  # of the downloaded (compressed) data
    sha512: str | None
    size: int
    signature: (
        SignatureInfo | None
    )  # None when insecure and the signature was missing, or with signed_digest or unverified
    from_cache: bool
    requests: int  # HTTP requests made for the data (0 on a cache hit)


def _check_digests(
    label: str, got256: str, got512: str | None, sha256: str | None, sha512: str | None
) -> None:
    if sha256 is not None and got256 != sha256.strip().lower():
        raise DigestMismatchError(
            f"{label}: SHA-256 mismatch: expected {sha256.strip().lower()}, got {got256}"
        )
    if sha512 is not None and got512 != sha512.strip().lower():
        raise DigestMismatchError(
            f"{label}: SHA-512 mismatch: expected {sha512.strip().lower()}, got {got512}"
        )


def _hash_file(path: Path, with512: bool) -> tuple[str, str | None]:
    h256 = hashlib.sha256()
    h512 = hashlib.sha512() if with512 else None
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h256.update(chunk)
            if h512:
                h512.update(chunk)
    return h256.hexdigest(), (h512.hexdigest() if h512 else None)


def _os_error(exc: OSError, dest: Path, cache: Path | None) -> FetchError | InputError:
    """A clean error naming the file (or, for a temporary file, its directory)."""
    name = exc.filename2 if exc.filename2 is not None else exc.filename
    path = Path(os.fsdecode(name)) if name is not None else dest
    if path.name.startswith(_TMP_PREFIX):
        path = path.parent
    if cache is not None and (path == cache or cache in path.parents):
        return CacheError(f"cache {str(path)!r}: {os_reason(exc)} (BUTANE_PY_CACHE sets its place)")
    return InputError(f"{str(path)!r}: {os_reason(exc)}")


def fetch(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    sha512: str | None = None,
    signature_url: str | None = None,
    keyring: Keyring | None = None,
    insecure: bool = False,
    signed_digest: bool = False,
    unverified: bool = False,
    decompress: bool = False,
    save_signature: bool = False,
    cache_key: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    reverify: bool = False,
    fetch_retries: int | None = DEFAULT_RETRIES,
    retry_delay: float = 1.0,
    max_retry_delay: float = 600.0,
    timeout: float = 60.0,
    transport: httpx.BaseTransport | None = None,
    client: httpx.Client | None = None,
    progress: Progress | None = None,
) -> FetchResult:
    """Download ``url`` to ``dest`` (decompressed when ``decompress``), verified.

    ``signature_url`` defaults to ``url + ".sig"``; ``keyring`` defaults to the bundled
    Fedora CoreOS and Flatcar keys. ``signed_digest``: the given digest came from metadata
    verified with the keyring, so no signature is fetched. ``unverified``: no signature is
    fetched and none is needed; a cache hit is any entry without one. ``save_signature`` writes the
    signature beside ``dest`` as ``dest.sig`` (not with ``decompress``). With ``cache_key``
    the verified download is kept in the cache and ``dest`` is produced from it. Proxies come
    from the environment (httpx ``trust_env``) unless an explicit ``client`` is given.
    Problems writing ``dest`` are :class:`InputError`, in the cache :class:`CacheError`.
    """
    dest_p = Path(dest)
    label = filename_from_url(url)
    if signed_digest and sha256 is None and sha512 is None:
        raise FetchError(f"{label}: no verified digest to check the download against")
    base = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) if cache_key is not None else None
    entry = cache_path(cache_key, base) if cache_key is not None else None
    if dest_p.is_dir() and dest_p != entry:
        raise InputError(f"{str(dest_p)!r}: is a directory")
    try:
        return _fetch(url, dest_p, label, entry, sha256=sha256, sha512=sha512, signature_url=signature_url,
                      keyring=keyring, insecure=insecure, signed_digest=signed_digest, unverified=unverified,
                      decompress=decompress,
                      save_signature=save_signature and not decompress, reverify=reverify,
                      fetch_retries=fetch_retries, retry_delay=retry_delay, max_retry_delay=max_retry_delay,
                      timeout=timeout, transport=transport, client=client, progress=progress)
    except OSError as exc:
        raise _os_error(exc, dest_p, base) from None


def _fetch(url: str, dest_p: Path, label: str, entry: Path | None, *, sha256, sha512, signature_url, keyring,
           insecure, signed_digest, unverified, decompress, save_signature, reverify, fetch_retries, retry_delay,
           max_retry_delay, timeout, transport, client, progress) -> FetchResult:
    sig_url = signature_url if signature_url is not None else url + ".sig"
    ring = keyring if keyring is not None else Keyring.bundled()

    # ---- cache hit
    if entry is not None:
        hit = _cache_lookup(entry, ring, sha256, sha512, insecure or unverified, signed_digest, reverify, label)
        if hit is not None:
            meta, info = hit
            _produce(entry, dest_p, decompress)
            if save_signature and info is not None:
                _write_file(_sig_path(dest_p), _sig_path(entry).read_bytes())
            return FetchResult(path=dest_p, source=entry, sha256=meta["sha256"], sha512=meta.get("sha512"),
                               size=meta["size"], signature=info, from_cache=True, requests=0)

    own_client = client is None
    if client is None:
        client = _client(timeout, transport)
    dl = _Downloader(client, fetch_retries=fetch_retries, retry_delay=retry_delay,
                     max_retry_delay=max_retry_delay, progress=progress, timeout=timeout)
    work_dir = entry.parent if entry is not None else dest_p.parent
    try:
        with _temp(work_dir) as tmp:
            hashers = [hashlib.sha256()] + ([hashlib.sha512()] if sha512 is not None else [])
            size = dl.download(url, tmp, hashers)
            got256 = hashers[0].hexdigest()
            got512 = hashers[1].hexdigest() if sha512 is not None else None
            _check_digests(label, got256, got512, sha256, sha512)
            info: SignatureInfo | None = None
            sig_bytes = None if signed_digest or unverified else dl.get_small(sig_url, missing_ok=True)
            if sig_bytes is not None:
                info = verify_detached_file(tmp, load_signature(sig_bytes), ring, what=label)
            elif not (signed_digest or insecure or unverified):
                raise MissingSignatureError(f"{label}: signature {sig_url} not found (use --insecure to skip)")
            if entry is not None:
                if sig_bytes is not None:
                    _write_file(_sig_path(entry), sig_bytes)
                else:
                    _remove(_sig_path(entry))
                _publish(tmp, entry)
                st = entry.stat()
                meta = {
                    "url": url,
                    "size": st.st_size,
                    "mtime_ns": st.st_mtime_ns,
                    "sha256": got256,
                    "sha512": got512,
                    "signed_by": info.certificate if info else None,
                    "signed_digest": signed_digest,
                    "fetched_at": time.time(),
                }
                _write_file(_meta_path(entry), json.dumps(meta, indent=1).encode())
                source = entry
                _produce(entry, dest_p, decompress)
            elif decompress:
                decompress_file(tmp, dest_p)
                source = dest_p
            else:
                _publish(tmp, dest_p)
                source = dest_p
            if save_signature and sig_bytes is not None:
                _write_file(_sig_path(dest_p), sig_bytes)
    finally:
        if own_client:
            client.close()
    return FetchResult(path=dest_p, source=source, sha256=got256, sha512=got512, size=size, signature=info,
                       from_cache=False, requests=dl.requests)


def _produce(entry: Path, dest: Path, decompress: bool) -> None:
    """Write ``dest`` from a verified cache entry (never modifying the entry)."""
    if dest.resolve() == entry.resolve():
        if decompress:
            raise CacheError(f"{dest}: cannot decompress a cache entry onto itself")
        return
    if decompress:
        decompress_file(entry, dest)
        return
    with _temp(dest.parent) as tmp, open(entry, "rb") as src, open(tmp, "wb") as out:
        while chunk := src.read(CHUNK):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
        _publish(tmp, dest)


def _cache_lookup(
    entry: Path,
    ring: Keyring,
    sha256: str | None,
    sha512: str | None,
    insecure: bool,
    signed_digest: bool,
    reverify: bool,
    label: str,
) -> tuple[dict, SignatureInfo | None] | None:
    """A usable entry's metadata and signature details, or None (a miss).

    Usable: signed by a key of ``ring``; or, with ``signed_digest``, equal to the verified
    digest given now; or, with ``insecure``, anything whose digests match."""
    meta = _read_meta(entry)
    if meta is None:
        return None
    if sha256 is not None and meta["sha256"] != sha256.strip().lower():
        return None
    if sha512 is not None and meta.get("sha512") != sha512.strip().lower():
        return None
    sig_file = _sig_path(entry)
    signed_by = meta.get("signed_by")
    signed = sig_file.exists() and isinstance(signed_by, str) and signed_by in ring.fingerprints
    proven = signed_digest and (sha256 is not None or sha512 is not None)
    # insecure only excuses a missing signature, never one by another key
    if not (signed or proven or (insecure and not sig_file.exists())):
        return None
    if reverify:
        got256, got512 = _hash_file(entry, meta.get("sha512") is not None)
        if got256 != meta["sha256"] or (meta.get("sha512") and got512 != meta["sha512"]):
            return None
    if not signed:
        return meta, None
    if not reverify:
        return meta, SignatureInfo(signed_by, "")
    try:
        return meta, verify_detached_file(entry, sig_file.read_bytes(), ring, what=label)
    except SignatureError:
        return None


def verify_file(
    path: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    sha512: str | None = None,
    signature: bytes | None = None,
    keyring: Keyring | None = None,
    insecure: bool = False,
) -> SignatureInfo | None:
    """Check a local file: digests (one streaming pass) and the detached signature.

    ``signature=None`` is an error unless ``insecure``. Returns the signature details.
    """
    p = Path(path)
    label = p.name
    ring = keyring if keyring is not None else Keyring.bundled()
    if signature is not None and (sha256 is not None or sha512 is not None):
        # One read: the digests are computed while the signature is checked; the digest
        # result is checked too before the signature result is returned.
        algos = {"sha256": ""} if sha256 is not None else {}
        if sha512 is not None:
            algos["sha512"] = ""
        info = verify_detached_file(p, signature, ring, what=label, digests=algos)
        _check_digests(
            label, algos.get("sha256", ""), algos.get("sha512"), sha256, sha512
        )
        return info
    if sha256 is not None or sha512 is not None:
        try:
            got256, got512 = _hash_file(p, sha512 is not None)
        except OSError as exc:
            raise InputError(f"cannot read {p}: {exc.strerror}") from None
        _check_digests(label, got256, got512, sha256, sha512)
    if signature is None:
        if insecure:
            return None
        raise MissingSignatureError(
            f"{label}: no signature given (use --insecure to skip)"
        )
    return verify_detached_file(p, signature, ring, what=label)
