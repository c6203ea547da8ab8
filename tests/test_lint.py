"""``--lint``: warnings beyond the reference, off by default."""

from __future__ import annotations

import datetime
import textwrap

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from butane_py import butane

GOOD_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ2hQ8e4HXNkLdrlTfEM8p1PnWRqV9MPGuW5cg3fS1j ok"


def certificate(not_after: datetime.datetime) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-ca")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(datetime.datetime(2020, 1, 1)).not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def config(pem: str, password: str, keys: list[str], section: str) -> str:
    key_lines = "".join(f"        - {k}\n" for k in keys)
    return (
        "variant: fcos\nversion: 1.5.0\nignition:\n  security:\n    tls:\n      certificate_authorities:\n"
        "        - inline: |\n" + textwrap.indent(pem, "            ")
        + f"passwd:\n  users:\n    - name: core\n      password_hash: {password}\n      ssh_authorized_keys:\n"
        + key_lines
        + f"systemd:\n  units:\n    - name: a.service\n      contents: |\n        [Unit]\n        [{section}]\n"
    )


def test_lint_finds_each_problem() -> None:
    text = config(certificate(datetime.datetime(2021, 1, 1)), "hunter2", [GOOD_KEY, "ssh-rsa AAAAtruncated"], "Servce")
    assert not butane.translate(text).report.entries, "lint is off by default"
    result = butane.translate(text, lint=True)
    assert result.ok
    got = [(e.json_path, e.line, e.message) for e in result.report]
    assert got == [
        ("$.passwd.users.0.password_hash", 19, "password_hash is not a crypt(3) hash; hash it with butane-py hash-password"),
        ("$.passwd.users.0.ssh_authorized_keys.1", 22, "not an SSH public key: Invalid format"),
        ("$.ignition.security.tls.certificate_authorities.0.inline", 7, "certificate CN=test-ca expired on 2021-01-01"),
        ("$.systemd.units.0.contents", 26, "unknown unit section [Servce]; did you mean [Service]?"),
    ]
    assert all(e.kind == "warning" for e in result.report)


def test_lint_is_quiet_on_good_configs() -> None:
    text = config(certificate(datetime.datetime(2099, 1, 1)), "$6$salt$" + "a" * 86, [GOOD_KEY], "Service")
    assert not butane.translate(text, lint=True).report.entries


def test_keyfile_mode_is_lint_only() -> None:
    # A standard field: without --lint butane-py must say what the reference says (nothing),
    # so that --strict passes exactly where the reference's does.
    text = (
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n"
        "    - path: /etc/NetworkManager/system-connections/a.nmconnection\n      mode: 0644\n"
        "    - path: /etc/NetworkManager/system-connections/b.nmconnection\n"
        "    - path: /etc/NetworkManager/system-connections/c.nmconnection\n      mode: 0600\n"
    )
    assert butane.translate(text, strict=True).ok
    got = [(e.kind, e.json_path, e.line, e.message) for e in butane.translate(text, lint=True).report]
    message = "NetworkManager ignores a keyfile unless its mode is 0600"
    assert got == [
        ("warning", "$.storage.files.0.mode", 6, message),
        ("warning", "$.storage.files.1.path", 7, message),
    ]
