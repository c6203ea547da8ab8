"""Download, verify, cache and decompress images.

Library code: never prints, never exits; progress goes to an optional callback
``progress(done_bytes, total_bytes_or_None)``. Problems writing a destination are
:class:`InputError` (from ``butane_py.errors``), in the cache :class:`CacheError`.

The private modules, by concern: ``_download`` (HTTP client policy, retries, resumption,
bounded reads), ``_verify`` (:func:`fetch` and :func:`verify_file`: digests and signatures),
``_openpgp`` (keyrings and signature checks), ``_cache`` (cache entries and temporary files),
``_decompress``, ``_names`` (local names from server-controlled strings) and ``_errors``.
"""

from __future__ import annotations

from ._cache import CacheEntry, Cleaned, cache_path, clean_cache, default_cache_dir, list_cache
from ._decompress import decompress_file
from ._download import get_metadata, metadata_fetcher, metadata_timeout, parse_retries
from ._errors import (
    BadSignatureError,
    CacheError,
    DecompressionError,
    DigestMismatchError,
    DownloadError,
    FetchError,
    KeyringError,
    MalformedSignatureError,
    MissingSignatureError,
    SignatureError,
    UnknownKeyError,
    VerificationError,
)
from ._names import filename_from_url
from ._openpgp import Keyring, SignatureInfo, verify_cleartext
from ._verify import FetchResult, fetch, verify_file

__all__ = [
    "BadSignatureError",
    "CacheEntry",
    "CacheError",
    "Cleaned",
    "DecompressionError",
    "DigestMismatchError",
    "DownloadError",
    "FetchError",
    "FetchResult",
    "Keyring",
    "KeyringError",
    "MalformedSignatureError",
    "MissingSignatureError",
    "SignatureError",
    "SignatureInfo",
    "UnknownKeyError",
    "VerificationError",
    "cache_path",
    "clean_cache",
    "decompress_file",
    "default_cache_dir",
    "fetch",
    "filename_from_url",
    "get_metadata",
    "list_cache",
    "metadata_fetcher",
    "metadata_timeout",
    "parse_retries",
    "verify_cleartext",
    "verify_file",
]
