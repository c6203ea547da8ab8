"""OpenPGP keyrings and detached-signature checks, on top of pysequoia.

All OpenPGP parsing and cryptography is done by Sequoia (``pysequoia``); this module only
loads certificates, maps failures to butane-py errors and checks the verifier's result.

Streaming: pysequoia cannot be fed data chunk by chunk, so a signature is checked over a
*file path* (``pysequoia.verify(file=..., signature=...)``), which Sequoia reads with a
bounded buffer: memory use does not grow with the file size (see ``bench/bench_verify.py``).
Callers download to a temporary file first and verify it once the whole file is on disk.
The verifier's result is checked after the whole file was read (CVE-2021-20319): success
means at least one valid signature from a certificate of the keyring.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pysequoia
from pysequoia.packet import PacketPile, Tag

from ._errors import (
    BadSignatureError,
    KeyringError,
    PassphraseNeededError,
    MalformedSignatureError,
    UnknownKeyError,
    VerificationError,
)

#: Bundled keys (package data, ``butane_py/data/keys``).
BUNDLED_KEY_FILES = ("fedora-coreos-signing-keys.asc", "flatcar-image-signing-key.asc")


def _first_line(exc: BaseException) -> str:
    """pysequoia errors carry a Rust backtrace after the first line; keep the first line."""
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


@dataclass(frozen=True)
class SignatureInfo:
    """The result of a successful check."""

    certificate: str  # primary key fingerprint (lower-case hex)
    signing_key: str  # fingerprint of the (sub)key that made the signature


class Keyring:
    """A set of public certificates; any valid signing (sub)key of any of them is accepted."""

    def __init__(self, certs: Iterable[pysequoia.Cert]) -> None:
        self.certs: list[pysequoia.Cert] = list(certs)
        self._key_ids: set[str] = set()
        self._fingerprints: set[str] = set()
        for cert in self.certs:
            for pkt in PacketPile.from_bytes(bytes(cert)):
                if pkt.tag in (
                    Tag.PublicKey,
                    Tag.PublicSubkey,
                    Tag.SecretKey,
                    Tag.SecretSubkey,
                ):
                    if pkt.fingerprint:
                        self._fingerprints.add(pkt.fingerprint.lower())
                    if pkt.key_id:
                        self._key_ids.add(pkt.key_id.lower())

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_bytes(cls, data: bytes, *, name: str = "<bytes>") -> Keyring:
        try:
            certs = pysequoia.Cert.split_bytes(data)
        except Exception as exc:  # noqa: BLE001 - pysequoia raises bare RuntimeError/ValueError  # pysequoia raises RuntimeError/ValueError
            raise KeyringError(
                f"cannot read keyring {name}: {_first_line(exc)}"
            ) from None
        if not certs:
            raise KeyringError(f"keyring {name} holds no OpenPGP certificate")
        # Never keep secret key material around.
        return cls(c for c in certs)

    @classmethod
    def from_files(cls, paths: Iterable[str | os.PathLike[str]]) -> Keyring:
        certs: list[pysequoia.Cert] = []
        for path in paths:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise KeyringError(
                    f"cannot read keyring {os.fspath(path)}: {exc.strerror}"
                ) from None
            certs.extend(cls.from_bytes(data, name=os.fspath(path)).certs)
        return cls(certs)

    @classmethod
    def bundled(cls) -> Keyring:
        """The Fedora CoreOS and Flatcar signing keys shipped with butane-py."""
        base = resources.files("butane_py") / "data" / "keys"
        certs: list[pysequoia.Cert] = []
        for name in BUNDLED_KEY_FILES:
            certs.extend(cls.from_bytes((base / name).read_bytes(), name=name).certs)
        return cls(certs)

    # -- queries ------------------------------------------------------------------------
    @property
    def fingerprints(self) -> list[str]:
        """Primary key fingerprints."""
        return [c.fingerprint.lower() for c in self.certs]

    def has_key(self, handle: str) -> bool:
        """Whether a (sub)key with this fingerprint or key ID is in the keyring."""
        h = handle.lower()
        return h in self._fingerprints or h in self._key_ids

    def _store(self, _ids: list[str]) -> list[pysequoia.Cert]:
        # Sequoia picks the matching (sub)key itself; give it every certificate.
        return self.certs


def load_signature(data: bytes) -> pysequoia.Sig:
    """Parse one detached signature (binary or ASCII-armored)."""
    if not data.strip():
        raise MalformedSignatureError("malformed signature: empty")
    try:
        return pysequoia.Sig.from_bytes(data)
    except Exception as exc:  # noqa: BLE001 - pysequoia raises bare RuntimeError/ValueError
        raise MalformedSignatureError(
            f"malformed signature: {_first_line(exc)}"
        ) from None


def _issuers(sig: pysequoia.Sig) -> list[str]:
    out = []
    for attr in ("issuer_fingerprint", "issuer_key_id"):
        try:
            value = getattr(sig, attr)
        except Exception:  # noqa: BLE001 - missing or unsupported field
            value = None
        if value:
            out.append(str(value).lower())
    return out


#: Sequoia memory-maps regular files, which makes the whole file resident (counted in the
#: process RSS). Above this size the file is fed to Sequoia through a FIFO instead, by a
#: helper process (pysequoia holds the GIL while verifying, so a thread cannot feed it).
MMAP_LIMIT = 32 << 20

_FEEDER = r"""
import hashlib, sys
src, fifo, algos = sys.argv[1], sys.argv[2], [a for a in sys.argv[3].split(",") if a]
hs = [hashlib.new(a) for a in algos]
try:
    with open(src, "rb", buffering=0) as f, open(fifo, "wb", buffering=0) as w:
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        while n := f.readinto(buf):
            chunk = view[:n]
            for h in hs:
                h.update(chunk)
            w.write(chunk)
except BrokenPipeError:
    sys.exit(3)
print(",".join(h.hexdigest() for h in hs))
"""


def _verify_via_pipe(
    path: str, keyring: Keyring, sig: pysequoia.Sig, algos
) -> tuple[object, dict[str, str]]:
    import subprocess
    import sys
    import tempfile

    algos = list(algos)
    with tempfile.TemporaryDirectory(prefix="butane-py-verify-") as d:
        fifo = os.path.join(d, "data")
        os.mkfifo(fifo, 0o600)
        proc = subprocess.Popen(
            [sys.executable, "-c", _FEEDER, path, fifo, ",".join(algos)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            result = pysequoia.verify(file=fifo, store=keyring._store, signature=sig)
            out, err = proc.communicate(timeout=60)
        except BaseException:
            # Unblock a feeder still waiting to open the FIFO, then stop it.
            try:
                fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
                os.close(fd)
            except OSError:
                pass
            proc.kill()
            proc.wait()
            raise
        if proc.returncode != 0:
            msg = err.decode(errors="replace").strip().splitlines()
            raise OSError(msg[-1] if msg else f"feeder exited with {proc.returncode}")
        values = out.decode().strip().split(",") if algos else []
        return result, dict(zip(algos, values))


def verify_detached_file(
    path: str | os.PathLike[str],
    signature: bytes | pysequoia.Sig,
    keyring: Keyring,
    *,
    what: str | None = None,
    digests: dict[str, str] | None = None,
) -> SignatureInfo:
    """Check a detached signature over the whole file at ``path``.

    ``digests``: a dict whose keys name hashlib algorithms (e.g. ``{"sha256": ""}``); they
    are computed during the same read and stored into it.

    Raises ``UnknownKeyError`` (issuer not in the keyring), ``BadSignatureError`` (a known
    key, but the data or signature does not match), ``MalformedSignatureError``.
    """
    label = what or os.path.basename(os.fspath(path))
    sig = (
        signature if isinstance(signature, pysequoia.Sig) else load_signature(signature)
    )
    issuers = _issuers(sig)
    if issuers and not any(keyring.has_key(i) for i in issuers):
        raise UnknownKeyError(f"{label}: signed by unknown key {issuers[0].upper()}")
    try:
        if digests is not None or os.path.getsize(path) > MMAP_LIMIT:
            result, got = _verify_via_pipe(os.fspath(path), keyring, sig, digests or ())
            if digests is not None:
                digests.clear()
                digests.update(got)
        else:
            result = pysequoia.verify(
                file=os.fspath(path), store=keyring._store, signature=sig
            )
    except OSError as exc:
        raise VerificationError(
            f"{label}: cannot read: {exc.strerror or exc}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - pysequoia raises bare RuntimeError/ValueError
        msg = _first_line(exc)
        if "unexpected EOF" in msg or "malformed" in msg.lower():
            raise MalformedSignatureError(
                f"{label}: malformed signature: {msg}"
            ) from None
        raise BadSignatureError(f"{label}: bad signature ({msg})") from None
    # Check the result only now, after Sequoia read every byte of the file.
    valid = list(result.valid_sigs or [])
    for vs in valid:
        cert_fpr = str(vs.certificate).lower()
        if cert_fpr in keyring.fingerprints:
            return SignatureInfo(
                certificate=cert_fpr, signing_key=str(vs.signing_key).lower()
            )
    raise BadSignatureError(
        f"{label}: bad signature (no valid signature from the keyring)"
    )


def verify_cleartext(data: bytes, keyring: Keyring) -> bytes:
    """The text of a cleartext-signed message (a simplestreams ``.sjson``), once its
    signature by a key of ``keyring`` has checked out; :class:`SignatureError` otherwise."""
    try:
        result = pysequoia.verify(data, lambda _ids: keyring.certs)
    except Exception as exc:  # Sequoia reports every failure as a generic error
        raise BadSignatureError(f"cleartext signature did not verify: {_first_line(exc)}") from None
    if not result.valid_sigs:
        raise UnknownKeyError("cleartext signature is not by a key in the keyring")
    return bytes(result.bytes)


class SigningKey:
    """A secret OpenPGP key ready to sign. Its secret material stays inside Sequoia: it is never
    shown, neither in this object's ``repr`` nor in an error message (those name the file and
    the fingerprint only)."""

    def __init__(self, signer: pysequoia.PySigner, fingerprint: str, certificate: bytes) -> None:
        self._signer = signer
        self.fingerprint = fingerprint  # primary key fingerprint (lower-case hex)
        self.certificate = certificate  # the public certificate, binary: a keyring for gpgv

    def __repr__(self) -> str:
        return f"SigningKey({self.fingerprint.upper()})"

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], passphrase: str | None = None) -> SigningKey:
        """The signing (sub)key of the secret key in ``path`` (armored or binary), unlocked with
        ``passphrase`` if it is protected; :class:`KeyringError` otherwise."""
        name = os.fspath(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise KeyringError(f"cannot read signing key {name}: {exc.strerror}") from None
        try:
            tsk = pysequoia.Tsk.from_bytes(data)
        except Exception:  # noqa: BLE001 - pysequoia raises bare RuntimeError/ValueError
            raise KeyringError(f"signing key {name} is not an OpenPGP key") from None
        fingerprint = tsk.extract_certificate().fingerprint.lower()
        if not any(p.tag in (Tag.SecretKey, Tag.SecretSubkey) for p in PacketPile.from_bytes(bytes(tsk))):
            raise KeyringError(f"signing key {name} holds no secret key (it is a public key {fingerprint.upper()})")
        try:
            signer = tsk.signer(passphrase)
        except Exception as exc:  # noqa: BLE001 - pysequoia raises bare RuntimeError/ValueError
            if "encrypted" in _first_line(exc) and passphrase is None:
                raise PassphraseNeededError(f"signing key {name} is protected by a passphrase, and none was given") from None
            if passphrase is not None and "signing" not in _first_line(exc):
                raise KeyringError(f"signing key {name}: the passphrase does not unlock it") from None
            raise KeyringError(f"signing key {name} has no usable signing key: {_first_line(exc)}") from None
        return cls(signer, fingerprint, bytes(tsk.extract_certificate()))

    def clearsign(self, data: bytes) -> bytes:
        """``data`` as an OpenPGP cleartext-signed message (what a simplestreams ``.sjson`` is)."""
        return bytes(pysequoia.sign(self._signer, data, mode=pysequoia.SignatureMode.CLEAR))
