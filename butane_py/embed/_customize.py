"""Building what goes into the embed area when more than a bare config is asked for.

``--dest-device`` turns the live image into an automatic installer, as
``coreos-installer iso customize --dest-device --dest-ignition`` does: the user's config becomes
``/etc/coreos/dest.ign`` (mode 0600) and an installer config in ``/etc/coreos/installer.d/``
names the device. The live config that carries these files is Ignition 3.3.0, with every file
as a gzip-compressed data URL.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
from dataclasses import dataclass, field
from typing import Sequence

from ..errors import InputError, UsageError
from ..io import os_reason, printable
from ._errors import AlreadyCustomizedError, OutputError, UnsupportedError
from ._initrd import CONTROL
from ._live import IGNITION_PATH, NETWORK_DIR

LIVE_SPEC = "3.3.0"
DEST_IGNITION = "/etc/coreos/dest.ign"
INSTALLER_DIR = "/etc/coreos/installer.d"


def check_kargs(args: Sequence[str]) -> None:
    """Refuse kernel arguments with control characters: a newline would end the boot loader's
    line and start a command of its own."""
    for arg in args:
        if CONTROL.search(arg):
            raise UsageError(f"kernel argument {arg!r} contains a control character")


def _resource(data: bytes) -> dict:
    packed = base64.b64encode(gzip.compress(data, compresslevel=9, mtime=0)).decode()
    return {"compression": "gzip", "source": "data:;base64," + packed}


# Strings a YAML 1.2 (core schema) reader would take for another type: serde_yaml, which
# coreos-installer writes its installer config with, single-quotes these.
_NOT_A_STRING = re.compile(
    r"""(?x)
    ~ | null | Null | NULL | true | True | TRUE | false | False | FALSE
    | [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+
    | [-+]?(\.[0-9]+ | [0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)
    """
)


def _plain_allowed(text: str) -> bool:
    """Whether libyaml's emitter may write ``text`` unquoted in block context."""
    if not text or text[0] in " \t" or text[-1] in " \t" or "\n" in text:
        return False
    if text[0] in ",[]{}#&*!|>'\"%@`":
        return False
    if text[0] in "-?:" and (len(text) == 1 or text[1] in " \t"):
        return False
    return not (text.endswith(":") or ": " in text or ":\t" in text or " #" in text or "\t#" in text)


def _yaml_scalar(value: object) -> str:
    if value is True:
        return "true"
    text = str(value)
    if not text.isprintable():
        return json.dumps(text)  # double quotes, with escapes
    if _NOT_A_STRING.fullmatch(text) or not _plain_allowed(text):
        return "'" + text.replace("'", "''") + "'"
    return text


def installer_yaml(config: dict) -> bytes:
    """An installer config (coreos-installer's ``install`` options as YAML keys), in key order."""
    lines = []
    for key, value in config.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"- {_yaml_scalar(v)}" for v in value)
        else:
            lines.append(f"{key}: {_yaml_scalar(value)}")
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Customization:
    """What to embed; configs are Ignition bytes, already validated.

    ``config`` is ``butane-py embed``'s CONFIG: the installed system's config when the image
    installs (``dest_device``, ``dest_karg_append`` or ``dest_configs``), else the live
    system's. ``live_configs`` and ``dest_configs`` are further configs, merged in, as
    ``coreos-installer iso customize --live-ignition/--dest-ignition`` take them.
    """

    config: bytes | None = None
    dest_device: str | None = None
    dest_karg_append: list[str] = field(default_factory=list)
    network_keyfiles: list[str] = field(default_factory=list)  # paths
    ignition_ca: list[str] = field(default_factory=list)  # paths
    live_karg_append: list[str] = field(default_factory=list)
    live_configs: list[bytes] = field(default_factory=list)
    dest_configs: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_kargs([*self.dest_karg_append, *self.live_karg_append])

    @property
    def installs(self) -> bool:
        return self.dest_device is not None or bool(self.dest_karg_append) or bool(self.dest_configs)

    def check_inputs(self) -> None:
        """Read every keyfile and CA once, so that an unreadable one (or a bad keyfile name)
        fails early."""
        read_keyfiles(self.network_keyfiles)
        for path in self.ignition_ca:
            _read(path)

    def members(self, features: dict) -> dict[str, bytes]:
        """The embed-area members: ``config.ign`` and network keyfiles."""
        if self.network_keyfiles and not features.get("live-initrd-network"):
            raise UnsupportedError("This OS image does not support customizing network settings.")
        members = {f"{NETWORK_DIR}/{name}": data for name, data in read_keyfiles(self.network_keyfiles).items()}
        live = self.live_config(features)
        if live is not None:
            members[IGNITION_PATH] = live
        return members

    def live_config(self, features: dict) -> bytes | None:
        cas = [_read(p) for p in self.ignition_ca]
        mine = [self.config] if self.config is not None else []
        live = ([] if self.installs else mine) + self.live_configs
        if not self.installs:
            if len(live) == 1 and not cas and not self.live_configs:
                return live[0]  # embed's CONFIG is embedded verbatim, as `iso ignition embed` does
            return _wrapper(live, cas) if live or cas else None
        if not features.get("installer-config"):
            raise UnsupportedError("This OS image does not support customizing installer configuration.")
        dest = mine + self.dest_configs
        files = []
        installer: dict = {}
        if dest:
            data = dest[0] if len(dest) == 1 and not cas else _wrapper(dest, cas)
            files.append(_file(DEST_IGNITION, data))
            installer["ignition-file"] = DEST_IGNITION
        if self.dest_karg_append:
            installer["append-karg"] = list(self.dest_karg_append)
        if self.network_keyfiles:
            installer["copy-network"] = True
        if self.dest_device is not None:
            installer["dest-device"] = self.dest_device
        files.append(_file(f"{INSTALLER_DIR}/0000-customize.yaml", installer_yaml(installer)))
        return _wrapper(live, cas, files)


def _file(path: str, data: bytes) -> dict:
    # "overwrite": null as coreos-installer's ignition-config types write it
    return {"contents": _resource(data), "mode": 0o600, "overwrite": None, "path": path}


def _wrapper(merge: list[bytes], cas: list[bytes], files: list[dict] | None = None) -> bytes:
    """An Ignition 3.3.0 config merging ``merge``, trusting ``cas`` and writing ``files``."""
    ignition: dict = {"version": LIVE_SPEC}
    if merge:
        ignition["config"] = {"merge": [_resource(c) for c in merge]}
    if cas:
        ignition["security"] = {"tls": {"certificateAuthorities": [_resource(c) for c in cas]}}
    doc: dict = {"ignition": ignition}
    if files:
        doc["storage"] = {"files": files}
    return _dump(doc)


def _dump(value: dict) -> bytes:
    return (json.dumps(value, separators=(",", ":"), sort_keys=True) + "\n").encode()


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise InputError(f"cannot read {printable(path)}: {os_reason(exc)}") from None


def read_keyfiles(paths: list[str]) -> dict[str, bytes]:
    """NetworkManager keyfiles by file name, the name they get in the image; two with the same
    name are refused, as are names that are not UTF-8 or hold control characters (an archive
    member name is UTF-8, and it is printed when listed)."""
    files: dict[str, bytes] = {}
    for path in paths:
        name = os.path.basename(path)
        if not name:
            raise OutputError(f"missing filename in {printable(path)}")
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(f"keyfile name '{printable(name)}' is not valid UTF-8") from None
        if CONTROL.search(name):
            raise InputError(f"keyfile name '{printable(name)}' contains a control character")
        if name in files:
            raise AlreadyCustomizedError(f"multiple input files named '{name}'")
        files[name] = _read(path)
    return files
