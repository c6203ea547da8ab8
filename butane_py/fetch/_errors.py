"""Errors of the fetch layer. All are one-line messages with exit code 1.

:class:`FetchError`: the data could not be had (download, decompression, cache).
:class:`VerificationError`: the data was had but failed a check (digest or signature).
:class:`KeyringError`: the keys to check it with could not be read.
"""

from __future__ import annotations

from ..errors import ButanePyError


class FetchError(ButanePyError):
    """Base class for download problems."""


class DownloadError(FetchError):
    """The data could not be downloaded (HTTP error, connection, retries exhausted)."""


class DecompressionError(FetchError):
    """The verified data could not be decompressed."""


class CacheError(FetchError):
    """A cache key or directory is unusable."""


class VerificationError(ButanePyError):
    """Downloaded data failed a check (digest or signature)."""


class DigestMismatchError(VerificationError):
    """The data's SHA-256 or SHA-512 differs from the expected digest."""


class SignatureError(VerificationError):
    """An OpenPGP signature check failed."""


class MissingSignatureError(SignatureError):
    """The detached signature does not exist on the server (use --insecure to skip)."""


class BadSignatureError(SignatureError):
    """The signature was made by a known key but does not match the data."""


class UnknownKeyError(SignatureError):
    """The signature was made by a key that is not in the keyring."""


class MalformedSignatureError(SignatureError):
    """The signature data cannot be parsed as an OpenPGP signature."""


class KeyringError(ButanePyError):
    """A keyring file cannot be read or holds no usable certificate."""


class PassphraseNeededError(KeyringError):
    """A secret key is protected by a passphrase, and none was given."""
