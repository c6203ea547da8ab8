"""Lint warnings beyond the reference, on with ``--lint``: mistakes that translate fine
but fail on the machine (a plain-text password, a truncated SSH key, an expired CA, a
misspelt unit section, a NetworkManager keyfile NetworkManager will ignore)."""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timezone

from ..report import Report
from ._extensions import NM_DIR

_CRYPT = re.compile(r"\$(1|2[abxy]?|5|6|7|y|gy|sha1|md5)\$[^\s:]+\Z|[./0-9A-Za-z]{13}\Z")
SECTIONS = (
    "Unit", "Install", "Service", "Socket", "Mount", "Automount", "Swap", "Timer", "Path", "Slice", "Scope",
    "Container", "Pod", "Volume", "Network", "Kube", "Image", "Build", "Quadlet",
)


def lint(cfg: dict) -> Report:
    r = Report()
    for i, user in enumerate((cfg.get("passwd") or {}).get("users") or ()):
        at = ("passwd", "users", i)
        h = user.get("password_hash")
        if h is not None and not _CRYPT.match(h):
            r.warn(at + ("password_hash",), "password_hash is not a crypt(3) hash; hash it with butane-py hash-password")
        for k, key in enumerate(user.get("ssh_authorized_keys") or ()):
            problem = _ssh_key_problem(key)
            if problem:
                r.warn(at + ("ssh_authorized_keys", k), f"not an SSH public key: {problem}")
    cas = ((((cfg.get("ignition") or {}).get("security") or {}).get("tls") or {}).get("certificate_authorities")) or ()
    for i, ca in enumerate(cas):
        if ca.get("inline") is not None:
            problem = _certificate_problem(ca["inline"].encode())
            if problem:
                r.warn(("ignition", "security", "tls", "certificate_authorities", i, "inline"), problem)
    for i, f in enumerate((cfg.get("storage") or {}).get("files") or ()):
        path, mode = f.get("path", ""), f.get("mode")
        keyfile = path.startswith(NM_DIR + "/") and path.endswith(".nmconnection")
        if keyfile and (mode is None or mode & 0o7777 != 0o600):
            at = ("storage", "files", i, "mode" if mode is not None else "path")
            r.warn(at, "NetworkManager ignores a keyfile unless its mode is 0600")
    for i, unit in enumerate((cfg.get("systemd") or {}).get("units") or ()):
        at = ("systemd", "units", i)
        _sections(unit.get("contents"), at + ("contents",), r)
        for j, dropin in enumerate(unit.get("dropins") or ()):
            _sections(dropin.get("contents"), at + ("dropins", j, "contents"), r)
    return r


def _ssh_key_problem(line: str) -> str | None:
    from cryptography.hazmat.primitives.serialization import load_ssh_public_key

    # authorized_keys lines may start with options; the key is the part from its type on.
    m = re.search(r"(?:^|\s)((?:ssh|ecdsa|sk)-[\w@.-]+\s+\S+)", line)
    if not m:
        return "no key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-…) found"
    try:
        load_ssh_public_key(m.group(1).encode())
    except Exception as exc:  # cryptography raises several types for bad keys
        return str(exc) or type(exc).__name__
    return None


def _certificate_problem(pem: bytes) -> str | None:
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        return f"not a valid PEM certificate: {exc}"
    now = datetime.now(timezone.utc)
    for cert in certs:
        if cert.not_valid_after_utc < now:
            return f"certificate {cert.subject.rfc4514_string()} expired on {cert.not_valid_after_utc:%Y-%m-%d}"
    return None


def _sections(contents: str | None, at: tuple, r: Report) -> None:
    if not contents:
        return
    for m in re.finditer(r"^\s*\[([^\]\n]*)\]", contents, re.M):
        name = m.group(1)
        if name in SECTIONS or name.startswith("X-"):
            continue
        close = difflib.get_close_matches(name, SECTIONS, n=1, cutoff=0.6)
        hint = f"; did you mean [{close[0]}]?" if close else ""
        r.warn(at, f"unknown unit section [{name}]{hint}")
