"""butane-py's own sugar: ``sysctl:`` and ``networkmanager:``.

Both expand into ordinary ``storage.files`` entries, so the output boots on an unmodified
system: ``/etc/sysctl.d/90-butane.conf`` (0644), one NetworkManager keyfile per connection
in ``/etc/NetworkManager/system-connections/`` (0600, which NetworkManager insists on), and
``/etc/hostname`` (0644). Every mistake is reported at its YAML position.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

from ..ignition._spec import FieldType
from ..report import Key, Report
from ._translate import LocalFileError, NodeTracker, Translator, read_local_file

NM_DIR = "/etc/NetworkManager/system-connections"
SYSCTL_DIR = "/etc/sysctl.d"
DEFAULT_SYSCTL_FILE = "90-butane.conf"
TYPES = ("ethernet", "bond", "bridge", "vlan", "team")
METHODS = ("auto", "manual", "disabled")

CONFIG_FIELDS = (("sysctl", "map[string]any"), ("sysctl_file", "*string"), ("networkmanager", "NetworkManager"))
STRUCTS = {
    "NetworkManager": (("hostname", "*string"), ("connections", "[]NMConnection")),
    "NMConnection": (
        ("name", "string"),
        ("keyfile", "*string"),
        ("keyfile_local", "*string"),
        ("type", "*string"),
        ("interface", "*string"),
        ("mac", "*string"),
        ("mtu", "*int"),
        ("autoconnect", "*bool"),
        ("ipv4", "NMIP"),
        ("ipv6", "NMIP"),
        ("members", "[]string"),
        ("parent", "*string"),
        ("options", "map[string]string"),
    ),
    "NMIP": (
        ("method", "*string"),
        ("addresses", "[]string"),
        ("gateway", "*string"),
        ("dns", "[]string"),
        ("dns_search", "[]string"),
    ),
}

_SYSCTL_SEGMENT = re.compile(r"[A-Za-z0-9_*:@%+-]+\Z")
# With slashes as separators, a dot is part of a name (a VLAN interface such as eth0.100).
_SYSCTL_SLASHED_SEGMENT = re.compile(r"[A-Za-z0-9_*:@%+.-]+\Z")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.@+-][A-Za-z0-9 _.@+:-]*\Z")
_MAC = re.compile(r"([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}\Z")


def sysctl_path(cfg: dict) -> str:
    return f"{SYSCTL_DIR}/{cfg.get('sysctl_file') or DEFAULT_SYSCTL_FILE}"


def keyfile_path(name: str) -> str:
    return f"{NM_DIR}/{name}.nmconnection"


# -- checks ------------------------------------------------------------------------------------


def check(cfg: dict, r: Report) -> None:
    """Every rule of both sections, at YAML paths. A config that uses neither section
    gets no finding here: advice on standard fields belongs to ``--lint``."""
    _check_sysctl(cfg, r)
    _check_networkmanager(cfg, r)
    _check_user_files(cfg, r)


def valid_sysctl_name(name: str) -> bool:
    """``vm.swappiness`` or ``net/ipv4/conf/eth0.100/forwarding`` (a leading ``-`` ignores failures)."""
    body = name[1:] if name.startswith("-") else name
    if "/" in body:
        parts, segment = body.split("/"), _SYSCTL_SLASHED_SEGMENT
    else:
        parts, segment = body.split("."), _SYSCTL_SEGMENT
    return len(parts) >= 2 and all(segment.match(p) for p in parts)


def _check_sysctl(cfg: dict, r: Report) -> None:
    for key, value in (cfg.get("sysctl") or {}).items():
        if not valid_sysctl_name(str(key)):
            r.error(("sysctl", Key(str(key))), f"invalid sysctl name {key!r}: use dot- or slash-separated names like vm.swappiness")
        if isinstance(value, (dict, list)):
            r.error(("sysctl", str(key)), "sysctl values must be scalars, not a map or a list")
    name = cfg.get("sysctl_file")
    if name is not None and not _safe_file_name(name):
        r.error(("sysctl_file",), "sysctl_file must be a plain file name")


def _safe_file_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\x00" not in name


def _check_networkmanager(cfg: dict, r: Report) -> None:
    nm = cfg.get("networkmanager") or {}
    conns = nm.get("connections") or ()
    names: dict[str, int] = {}
    interfaces: dict[str, int] = {}
    for i, c in enumerate(conns):
        at = ("networkmanager", "connections", i)
        name = c.get("name", "")
        if not _SAFE_NAME.match(name) or name in (".", ".."):
            r.error(at + ("name",), f"connection name {name!r} must be a plain file name")
        elif name in names:
            r.error(at + ("name",), f"duplicate connection name {name!r} (also connection {names[name]})")
        else:
            names[name] = i
        forms = [k for k in ("keyfile", "keyfile_local") if c.get(k) is not None]
        if c.get("type") is not None:
            forms.append("type")
        if len(forms) != 1:
            r.error(at, "each connection needs exactly one of keyfile, keyfile_local, or type")
            continue
        if forms[0] != "type":
            continue
        ctype = c["type"]
        if ctype not in TYPES:
            r.error(at + ("type",), f"unknown connection type {ctype!r}; must be one of: {', '.join(TYPES)}")
        iface = c.get("interface") or name
        if iface in interfaces:
            r.error(at + ("interface",), f"duplicate interface {iface!r} (also connection {interfaces[iface]})")
        else:
            interfaces[iface] = i
        mac = c.get("mac")
        if mac is not None and not _MAC.match(mac):
            r.error(at + ("mac",), f"invalid MAC address {mac!r}")
        mtu = c.get("mtu")
        if mtu is not None and not 68 <= mtu <= 65535:
            r.error(at + ("mtu",), "mtu must be between 68 and 65535")
        if ctype == "vlan" and not c.get("parent"):
            r.error(at + ("parent",), "a vlan needs a parent interface")
        if ctype == "vlan" and "id" not in (c.get("options") or {}):
            r.error(at + ("options",), "a vlan needs options.id")
        if c.get("members") and ctype not in ("bond", "bridge", "team"):
            r.error(at + ("members",), "only bond, bridge and team connections have members")
        for family in ("ipv4", "ipv6"):
            _check_ip(c.get(family) or {}, family, at + (family,), r)
    for i, c in enumerate(conns):
        for j, member in enumerate(c.get("members") or ()):
            if member not in names:
                r.error(("networkmanager", "connections", i, "members", j), f"member {member!r} names no connection")


def _check_ip(ip: dict, family: str, at: tuple, r: Report) -> None:
    import ipaddress  # here: only networkmanager sections need it, and importing it costs start-up time

    method = ip.get("method")
    if method is not None and method not in METHODS:
        r.error(at + ("method",), f"method must be one of: {', '.join(METHODS)}")
    version = 4 if family == "ipv4" else 6
    networks = []
    for k, addr in enumerate(ip.get("addresses") or ()):
        try:
            iface = ipaddress.ip_interface(addr)
            if "/" not in addr or iface.version != version:
                raise ValueError
            networks.append(iface.network)
        except ValueError:
            r.error(at + ("addresses", k), f"invalid {family} address {addr!r}; use CIDR notation like "
                    + ("192.0.2.10/24" if version == 4 else "2001:db8::10/64"))
    if (ip.get("addresses") or ()) and method not in (None, "manual"):
        r.error(at + ("method",), "addresses need method: manual")
    gateway = ip.get("gateway")
    if gateway is not None:
        try:
            gw = ipaddress.ip_address(gateway)
            if gw.version != version:
                raise ValueError
        except ValueError:
            r.error(at + ("gateway",), f"invalid {family} gateway {gateway!r}")
        else:
            if networks and not any(gw in n for n in networks):
                r.error(at + ("gateway",), f"gateway {gateway} is outside every address's network")
    for k, server in enumerate(ip.get("dns") or ()):
        try:
            if ipaddress.ip_address(server).version != version:
                raise ValueError
        except ValueError:
            r.error(at + ("dns", k), f"invalid {family} DNS server {server!r}")


def _generated_paths(cfg: dict) -> dict[str, tuple]:
    """Each path the extensions will write, with the YAML path responsible for it."""
    out: dict[str, tuple] = {}
    if cfg.get("sysctl"):
        out[sysctl_path(cfg)] = ("sysctl",)
    nm = cfg.get("networkmanager") or {}
    if nm.get("hostname") is not None:
        out["/etc/hostname"] = ("networkmanager", "hostname")
    for i, c in enumerate(nm.get("connections") or ()):
        out[keyfile_path(c.get("name", ""))] = ("networkmanager", "connections", i, "name")
    return out


def _check_user_files(cfg: dict, r: Report) -> None:
    generated = _generated_paths(cfg)
    for kind in ("files", "directories", "links"):
        for i, node in enumerate(cfg.get("storage", {}).get(kind) or ()):
            path = node.get("path", "")
            at = ("storage", kind, i, "path")
            if path in generated:
                r.error(generated[path], f"{path} is also defined at $.storage.{kind}.{i}")
                r.error(at, f"{path} is also generated from ${_dotted(generated[path])}")


def _dotted(path: tuple) -> str:
    return "".join(f".{p}" for p in path)


# -- translation --------------------------------------------------------------------------------


def translate(tr: Translator, cfg: dict, config: dict) -> None:
    """Append the generated files to ``config``, recording where each came from."""
    generated = []
    sysctl = cfg.get("sysctl") or {}
    if sysctl:
        lines = [f"{k} = {_sysctl_value(sysctl[k])}" for k in sorted(sysctl, key=str)]
        generated.append((sysctl_path(cfg), 0o644, ("\n".join(lines) + "\n").encode(), ("sysctl",)))
    nm = cfg.get("networkmanager") or {}
    conns = nm.get("connections") or ()
    by_name = {c.get("name", ""): c for c in conns}
    masters = {}
    for c in conns:
        for member in c.get("members") or ():
            masters[member] = c
    for i, c in enumerate(conns):
        at = ("networkmanager", "connections", i)
        if c.get("keyfile") is not None:
            data = c["keyfile"].encode("utf-8", "surrogateescape")
        elif c.get("keyfile_local") is not None:
            try:
                data = read_local_file(c["keyfile_local"], tr.options.files_dir)
            except LocalFileError as exc:
                tr.error(at + ("keyfile_local",), str(exc))
                continue
        else:
            data = keyfile(c, masters.get(c.get("name", "")), by_name).encode("utf-8", "surrogateescape")
        generated.append((keyfile_path(c.get("name", "")), 0o600, data, at))
    if nm.get("hostname") is not None:
        generated.append(("/etc/hostname", 0o644, (nm["hostname"] + "\n").encode(), ("networkmanager", "hostname")))
    if not generated:
        return
    t = NodeTracker(config)
    for path, mode, data, at in generated:
        if t.exists(path):
            continue  # reported by check()
        i, f = t.add("files", {"path": path, "mode": mode})
        url, compression = tr.data_url(data, None)
        f["contents"] = {"source": url}
        if compression is not None:
            f["contents"]["compression"] = compression
        tr.ts.add_common_source(at, ("storage", "files", i), f, FieldType.parse("File"), tr.spec)
    t.prune(config)


def _sysctl_value(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if v is None:
        return ""
    return str(v)


def keyfile(c: dict, master: dict | None, by_name: dict) -> str:
    """A NetworkManager keyfile for a structured connection."""
    name = c.get("name", "")
    ctype = c.get("type", "ethernet")
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    conn = [("id", name), ("type", ctype), ("interface-name", c.get("interface") or name)]
    if c.get("autoconnect") is not None:
        conn.append(("autoconnect", "true" if c["autoconnect"] else "false"))
    if master is not None:
        conn.append(("master", master.get("interface") or master.get("name", "")))
        conn.append(("slave-type", master.get("type", "")))
    sections.append(("connection", conn))
    options = {str(k): str(v) for k, v in (c.get("options") or {}).items()}
    if ctype == "ethernet":
        eth = []
        if c.get("mac"):
            eth.append(("mac-address", c["mac"].upper()))
        if c.get("mtu") is not None:
            eth.append(("mtu", str(c["mtu"])))
        if eth:
            sections.append(("ethernet", eth))
    elif ctype == "vlan":
        vlan = [("id", options.pop("id", "")), ("parent", c.get("parent", ""))]
        vlan += sorted(options.items())
        if c.get("mtu") is not None:
            vlan.append(("mtu", str(c["mtu"])))
        sections.append(("vlan", vlan))
    else:
        sections.append((ctype, sorted(options.items())))
    if master is None:
        for family in ("ipv4", "ipv6"):
            sections.append((family, _ip_section(c.get(family) or {}, family)))
    return "\n".join(f"[{s}]\n" + "".join(f"{k}={v}\n" for k, v in items) for s, items in sections)


def _ip_section(ip: dict, family: str) -> list[tuple[str, str]]:
    addresses = ip.get("addresses") or []
    method = ip.get("method") or ("manual" if addresses else "auto")
    nm_method = {"disabled": "disabled" if family == "ipv4" else "disabled"}.get(method, method)
    out = []
    gateway = ip.get("gateway")
    for k, addr in enumerate(addresses, start=1):
        out.append((f"address{k}", addr + (f",{gateway}" if gateway and k == 1 else "")))
    if ip.get("dns"):
        out.append(("dns", "".join(f"{d};" for d in ip["dns"])))
    if ip.get("dns_search"):
        out.append(("dns-search", "".join(f"{d};" for d in ip["dns_search"])))
    if method == "manual":
        out.append(("may-fail", "false"))
    out.append(("method", nm_method))
    return out
