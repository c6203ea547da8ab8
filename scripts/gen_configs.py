#!/usr/bin/env python3
"""Generate random Butane configs for the differential harness (scripts/differential.py).

Usage:
  gen_configs.py --out DIR [--seed S] [--count N] [--mistakes P]

Writes DIR/gen-S-NNNNN.bu. Config i of seed S depends only on (S, i), so a difference found
in one file can be regenerated alone. Every variant and version is covered in turn; fields are
chosen per the spec version (with, now and then, a field from a newer version), and with
probability P (default 0.35) a config gets one or two deliberate mistakes: unknown keys, wrong
types, empty or null values, duplicate entries or keys, bad paths. Local resources name files of
the conformance files directory (shared/conformance/butane/files), so run the output with
`--files` pointing at a copy of it.
"""

import argparse
import json
import pathlib
import random

# (variant, version, base): base is the Butane base spec (1 = v0_1 ... 8 = v0_8_exp).
VERSIONS = (
    [("fcos", v, b) for v, b in [("1.0.0", 1), ("1.1.0", 2), ("1.2.0", 3), ("1.3.0", 3), ("1.4.0", 4),
                                 ("1.5.0", 5), ("1.6.0", 6), ("1.7.0", 7), ("1.8.0-experimental", 8)]]
    + [(var, v, b) for var in ("flatcar", "r4e") for v, b in [("1.0.0", 4), ("1.1.0", 5), ("1.2.0-experimental", 8)]]
    + [("fiot", "1.0.0", 5), ("fiot", "1.1.0-experimental", 8)]
    + [("openshift", f"4.{m}.0", 3 if m <= 13 else 5 if m <= 18 else 6) for m in range(8, 23)]
    + [("openshift", "4.23.0-experimental", 8)]
)
IGN = {1: "3.0.0", 2: "3.1.0", 3: "3.2.0", 4: "3.3.0", 5: "3.4.0", 6: "3.5.0", 7: "3.6.0", 8: "3.7.0-experimental"}

LOCAL_FILES = ["example.conf", "file", "file-epilogue", "local-file3", "ca.pem", "logo.svg", "public-ipv4.sh",
               "gen/motd.txt", "gen/large.conf", "gen/random.bin", "gen/empty.txt", "gen/script.sh",
               "gen/utf8-ünï.txt", "gen/luks.key", "tree/run.sh"]
TREES = ["tree", "gen/tree2", "gen/tree3", "gen/tree2/etc", "tree/sub"]
KEYS_LOCAL = ["id_rsa.pub", "id_ed25519.pub", "ssh-key.pub", "gen/keys-multi.pub", "gen/single-nonl.pub",
              "users/core/id_rsa.pub", "gen/empty.txt"]
WORDS = "alpha beta gamma delta fox lazy quick brown ünïcödé 🚀 key=value # : - \" ' % \\".split(" ")
DIRS = ["/etc", "/etc/systemd/system", "/opt/app", "/usr/local/bin", "/var/lib/app", "/etc/NetworkManager/system-connections",
        "/etc/ssh/sshd_config.d", "/etc/sysctl.d", "/home/core", "/etc/containers/systemd", "/etc/zincati/config.d", "/boot"]
NAMES = ["config", "app.conf", "motd", "run.sh", "hosts", "eth0.nmconnection", "90-custom.conf", "data.json",
         "Grüße.md", "with space", "settings.toml", "policy.json", "id", "x"]
UNIT_TYPES = ["service", "service", "service", "timer", "socket", "path", "target", "mount", "slice"]
DEVICES = ["/dev/vda", "/dev/vdb", "/dev/sdb", "/dev/nvme0n1", "/dev/disk/by-id/virtio-data", "/dev/md/data",
           "/dev/disk/by-partlabel/data", "/dev/mapper/secret", "/dev/disk/by-label/var"]
SOURCES = ["https://example.com/file", "http://example.com/a/b?c=d", "s3://bucket/key", "tftp://10.0.0.1/x"]
DATA_SOURCES = ["data:,hello%20world", "data:;base64,aGVsbG8K", "data:text/plain;charset=utf-8,caf%C3%A9"]
NEW_SOURCES = {3: ["gs://bucket/obj"], 5: ["arn:aws:s3:::bucket/key"]}
# Rare bad values (see Gen.pick).
BAD = {"local": ["missing.txt"], "tree": ["no-such-tree"], "unit_type": ["bogus"], "device": ["dev/sdc", ""],
       "source": ["ftp://example.com/x", "example.com/no-scheme", "https://exa mple.com/bad"],
       "unit_local": ["nope.service"], "dropin": ["bad-name.txt"], "label": ["x" * 40, "a:b"], "guid": ["not-a-guid"],
       "format": ["ntfs"], "fspath": ["var/x"], "fslabel": ["a-very-long-filesystem-label"], "luksname": ["a/b"]}


class Raw(str):
    """Emitted as is: a YAML literal such as 0644 or 0o755."""


class Gen:
    def __init__(self, rng, variant, version, base, mistakes):
        self.r, self.variant, self.version, self.base = rng, variant, version, base
        self.fcos = variant == "fcos"
        self.ocp = variant == "openshift"
        self.loose = rng.random() < 0.15 and mistakes > 0  # allow a field from a newer spec now and then

    def p(self, x):
        return self.r.random() < x

    def has(self, base):
        return self.base >= base or (self.loose and self.p(0.3))

    def choice(self, seq):
        return self.r.choice(seq)

    def pick(self, good, bad):
        """Usually a good value, rarely one of BAD[bad]."""
        return self.choice(BAD[bad]) if self.p(0.015) else self.choice(good)

    def text(self, lines=None):
        lines = lines or self.r.randint(1, 4)
        out = "\n".join(" ".join(self.choice(WORDS) for _ in range(self.r.randint(1, 6))) for _ in range(lines))
        return out + ("\n" if self.p(0.8) else "")

    def path(self):
        return f"{self.choice(DIRS)}/{self.choice(NAMES)}"

    def mode(self, dir=False):
        if self.p(0.08):
            return self.choice([644, 755, Raw("04755"), Raw("01777"), 0, Raw("010000"), -1])
        return self.choice([Raw("0644"), Raw("0755"), Raw("0600"), Raw("0640"), Raw("0700"), 420, 493, 384,
                            Raw("0o644"), Raw("0o755"), Raw("0444")] + ([Raw("0755")] * 3 if dir else []))

    def owner(self):
        if self.p(0.03):
            return {"id": 0, "name": "root"}
        return self.choice([{"id": self.choice([0, 1000, 1001])}, {"name": self.choice(["core", "root", "nobody"])}])

    def hash(self):
        if self.p(0.5):
            return "sha512-" + "".join(self.choice("0123456789abcdef") for _ in range(128))
        return "sha256-" + "".join(self.choice("0123456789abcdef") for _ in range(64 if self.p(0.95) else 12))

    def resource(self, kind):
        """A resource; kind 'file' allows only data: sources for a fetch-free check."""
        r = {}
        how = self.choice(["inline", "inline", "local", "source"] if self.has(2) else ["source"])
        if how == "inline":
            r["inline"] = self.text() if kind != "config" else json.dumps({"ignition": {"version": self.ign_version()}})
        elif how == "local":
            r["local"] = (self.choice([f"gen/ign-{self.ign_version()}.ign", "config.ign", "gen/bad.ign", "ign/00_base-k8s.ign"])
                          if kind == "config" else self.choice(["ca.pem", "gen/ca-bundle.pem"]) if kind == "ca"
                          else self.pick(LOCAL_FILES, "local"))
        else:
            srcs = DATA_SOURCES + ([] if kind == "file" and (self.ocp or self.base == 1) else SOURCES)
            for b, extra in NEW_SOURCES.items():
                if self.has(b) and not (kind == "file" and self.ocp):
                    srcs = srcs + extra
            r["source"] = self.pick(srcs, "source")
            if self.p(0.3):
                r["verification"] = {"hash": self.hash()}
            if self.has(2) and self.p(0.2) and r["source"].startswith("http"):
                r["http_headers"] = [{"name": self.choice(["Authorization", "X-Token"]), "value": "secret"}]
                if self.p(0.3):
                    r["http_headers"].append({"name": "Empty", "value": None})
        if self.p(0.15) and (self.base > 1 or kind != "file"):
            r["compression"] = "zstd" if self.p(0.02) else "gzip" if "source" in r and self.p(0.7) else ""
        return r

    def ign_version(self):
        return IGN[self.base] if self.p(0.9) else self.choice(list(IGN.values()))

    def file(self):
        f = {"path": self.path()}
        if self.p(0.7):
            f["contents"] = self.resource("file")
        if self.p(0.6):
            f["mode"] = self.mode()
        if self.p(0.15):
            f["overwrite"] = self.choice([True, False])
        if self.p(0.15):
            f["user"] = self.owner()
        if self.p(0.15):
            f["group"] = self.owner()
        if self.p(0.15) and self.has(2) and not self.ocp:
            f["append"] = [self.resource("file") for _ in range(self.r.randint(1, 2))]
        return f

    def unit_contents(self, name):
        body = f"[Unit]\nDescription={self.choice(['Demo', 'Mount data', 'Say hello'])}\n"
        if name.endswith(".service"):
            body += "[Service]\nType=oneshot\nExecStart=/usr/bin/echo hello\n"
        elif name.endswith(".timer"):
            body += "[Timer]\nOnCalendar=daily\n"
        elif name.endswith(".mount"):
            body += "[Mount]\nWhat=/dev/vdb\nWhere=/var/data\n"
        if self.p(0.7):
            body += "[Install]\nWantedBy=" + self.choice(["multi-user.target", "timers.target", "default.target"]) + "\n"
        if self.p(0.02):
            body = "not a unit\n[Service\n"
        return body

    def unit(self):
        name = self.choice(["app", "hello", "docker", "var-data", "zincati", "getty@tty1", "my-unit"]) + "." + self.pick(UNIT_TYPES, "unit_type")
        u = {"name": name}
        if self.p(0.5):
            u["enabled"] = self.choice([True, False])
        if self.p(0.1):
            u["mask"] = self.choice([True, False])
        if self.p(0.6):
            if self.has(5) and self.p(0.3):
                u["contents_local"] = self.pick(["gen/app.service", "example.service", "issuegen-public-ipv4.service"], "unit_local")
            else:
                u["contents"] = self.unit_contents(name)
        if self.p(0.3):
            u["dropins"] = []
            for _ in range(self.r.randint(1, 2)):
                d = {"name": self.pick(["10-override.conf", "env.conf"], "dropin")}
                if self.has(5) and self.p(0.3):
                    d["contents_local"] = self.choice(["gen/override.conf", "example.conf"])
                elif self.p(0.9):
                    d["contents"] = "[Service]\nEnvironment=A=" + self.choice(WORDS) + "\n"
                if all(x["name"] != d["name"] for x in u["dropins"]):
                    u["dropins"].append(d)
        return u

    def user(self):
        u = {"name": "core" if self.ocp or self.p(0.5) else self.choice(["alice", "deploy", "root", "ünï"])}
        if self.p(0.6):
            u["ssh_authorized_keys"] = [self.choice([
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0a2V5 user@host",
                "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 laptop", "ecdsa-sha2-nistp256 AAAAE2VjZHNh x"])
                for _ in range(self.r.randint(1, 2))]
            u["ssh_authorized_keys"] = list(dict.fromkeys(u["ssh_authorized_keys"]))
        if self.has(5) and self.p(0.3):
            u["ssh_authorized_keys_local"] = [self.choice(KEYS_LOCAL)]
        if self.p(0.3):
            u["password_hash"] = "$y$j9T$a8Z0x1Yb2Xc3Wd4Ve5Uf6/$JhQwWQ4k0dGz8c2uQXn2m8c8m3b9A1oJpQ.Ox2bQ4m5"
        if not self.ocp or self.p(0.05):
            for k, v in [("uid", 1001), ("gecos", "Alice A."), ("home_dir", "/home/alice"), ("no_create_home", True),
                         ("primary_group", "wheel"), ("groups", ["wheel", "docker"]), ("no_user_group", False),
                         ("no_log_init", True), ("shell", "/bin/bash"), ("system", True)]:
                if self.p(0.15):
                    u[k] = v
            if self.has(3) and self.p(0.1):
                u["should_exist"] = self.choice([True, False])
        return u

    def storage(self):
        s = {}
        if self.p(0.7):
            s["files"] = list({f["path"]: f for f in (self.file() for _ in range(self.r.randint(1, 4)))}.values())
        if self.p(0.25) and (not self.ocp or self.p(0.1)):
            s["directories"] = [{k: v for k, v in [("path", self.path()), ("mode", self.mode(True)),
                                                   ("overwrite", True), ("user", self.owner())] if k == "path" or self.p(0.4)}]
        if self.p(0.25) and (not self.ocp or self.p(0.1)):
            s["links"] = [{k: v for k, v in [("path", self.path()), ("target", self.choice(["/usr/bin/true", "../x", "/etc/motd"])),
                                             ("hard", self.choice([True, False])), ("overwrite", True), ("user", self.owner())]
                           if k in ("path", "target") or self.p(0.3)}]
        if self.has(2) and self.p(0.25):
            t = {"local": self.pick(TREES if not self.ocp else ["gen/tree2"], "tree")}
            if self.p(0.7):
                t["path"] = self.choice(["/etc/tree-app", "/", "/opt/t", "/var/lib/app/"])
            if self.has(7):
                for k, v in [("file_mode", self.mode()), ("dir_mode", self.mode(True)), ("user", self.owner()), ("group", self.owner())]:
                    if self.p(0.25):
                        t[k] = v
            s["trees"] = [t]
        blockdev = self.variant not in ("r4e", "fiot") or self.p(0.05)
        if blockdev and self.p(0.2):
            parts = []
            for n in range(self.r.randint(0, 2)):
                part = {"number": n + 1 if self.p(0.9) else 0, "label": self.pick(["data", "var", "srv"], "label") + str(n)}
                for k, v, b in [("size_mib", self.choice([0, 512, 10240]), 1), ("start_mib", self.choice([0, 1]), 1),
                                ("type_guid", self.pick(["0FC63DAF-8483-4772-8E79-3D69D8477DE4"], "guid"), 1),
                                ("guid", "8A8D9F2B-7B3A-4C5E-9C1D-0A1B2C3D4E5F", 1), ("wipe_partition_entry", True, 1),
                                ("resize", True, 3)]:
                    if self.has(b) and self.p(0.35):
                        part[k] = v
                if self.p(0.05):
                    part = {"number": part["number"] or 9, "should_exist": False}
                parts.append(part)
            s["disks"] = [{"device": self.pick(DEVICES, "device"), **({"wipe_table": self.choice([True, False])} if self.p(0.5) else {}),
                           **({"partitions": parts} if parts or self.p(0.2) else {})}]
        if blockdev and self.p(0.1):
            level = self.choice(["raid1", "raid0", "raid5", "linear", "raid10"] + (["raid9"] if self.p(0.05) else []))
            s["raid"] = [{"name": "data", "level": level, "devices": ["/dev/vdb", "/dev/vdc"],
                          **({"spares": 1} if self.p(0.3) and level not in ("raid0", "linear") else {}),
                          **({"options": ["--metadata=1.0"]} if self.p(0.3) else {})}]
        if blockdev and self.p(0.3):
            formats = ["ext4", "xfs", "vfat", "swap"] + ([] if self.ocp else ["btrfs"]) + (["none"] if self.has(4) and not self.ocp else [])
            fs = {"device": self.pick(DEVICES, "device"), "format": self.pick(formats + (["virtiofs"] if self.has(8) else []), "format")}
            if fs["format"] == "virtiofs":
                fs["device"] = "myfs"
            for k, v in [("path", self.pick(["/var/data", "/var", "/srv/my data", "/var/lib/containers"], "fspath")),
                         ("wipe_filesystem", True), ("label", self.pick(["data", "DATA", "var"], "fslabel")),
                         ("uuid", "8a8d9f2b-7b3a-4c5e-9c1d-0a1b2c3d4e5f"), ("options", ["-m", "0"])]:
                if self.p(0.4) or (k == "path" and self.p(0.5)):
                    fs[k] = v
            if self.has(2) and self.p(0.5):
                fs["with_mount_unit"] = self.choice([True, True, False])
                if fs["format"] != "swap" and self.p(0.95):
                    fs.setdefault("path", "/var/data")
            if self.has(2) and self.p(0.3):
                fs["mount_options"] = self.choice([["noatime"], ["ro", "nodev"]])
            s["filesystems"] = [fs]
        if blockdev and self.has(3) and self.p(0.15):
            lk = {"name": self.pick(["secret", "data", "var"], "luksname"), "device": self.pick(DEVICES, "device")}
            if self.p(0.3):
                lk["key_file"] = self.resource("key")
            cl = {}
            if self.p(0.5):
                cl["tang"] = [{"url": "https://tang.example.com", "thumbprint": "abc123",
                               **({"advertisement": '{"payload": "x"}'} if self.has(5) and self.p(0.3) else {})}]
            if self.p(0.4):
                cl["tpm2"] = True
            if cl and self.p(0.2):
                cl["threshold"] = self.choice([1, 2])
            if not cl and self.p(0.2):
                cl["custom"] = {"pin": "tpm2", "config": "{}", "needs_network": False}
            if cl:
                lk["clevis"] = cl
            for k, v, b in [("label", "luks-data", 3), ("wipe_volume", True, 3), ("options", ["--cipher", "aes"], 3),
                            ("discard", True, 5), ("open_options", ["--allow-discards"], 5), ("uuid", "8a8d9f2b-7b3a-4c5e-9c1d-0a1b2c3d4e5f", 3)]:
                if self.has(b) and self.p(0.2):
                    lk[k] = v
            if self.has(6) and self.p(0.05):
                lk = {"name": lk["name"], "device": lk["device"], "cex": {"enabled": True}}
            s["luks"] = [lk]
        return s

    def config(self):
        c = {"variant": self.variant, "version": self.version}
        if self.ocp and self.p(0.97):
            c["metadata"] = {"name": self.choice(["99-worker-custom", "99-master-ssh"] + (["Bad_Name"] if self.p(0.1) else [])),
                             "labels": {"machineconfiguration.openshift.io/role": self.choice(["worker", "master"])}}
        if self.p(0.25):
            ig = {}
            if self.p(0.5):
                ig["config"] = ({"merge": list({json.dumps(m): m for m in (self.resource("config") for _ in range(self.r.randint(1, 2)))}.values())} if self.p(0.7)
                                else {"replace": self.resource("config")})
            if self.p(0.3):
                ig["timeouts"] = {"http_response_headers": 10, "http_total": self.choice([0, 60])}
            if self.p(0.3):
                ig["security"] = {"tls": {"certificate_authorities": [self.resource("ca")]}}
            if self.has(2) and self.p(0.3):
                ig["proxy"] = {"http_proxy": self.choice(["http://proxy:3128", "http://user:pw@proxy.example.com:8080"] + (["socks5://p"] if self.p(0.1) else [])), "https_proxy": "http://proxy:3128",
                               "no_proxy": ["localhost", "10.0.0.0/8"]}
            c["ignition"] = ig
        s = self.storage()
        if s:
            c["storage"] = s
        if self.p(0.5) or not s:
            sd = {"units": list({u["name"]: u for u in (self.unit() for _ in range(self.r.randint(1, 3)))}.values())}
            if self.has(8) and self.p(0.3):
                q = {"name": self.choice(["web.container", "data.volume", "app@.container", "app@x.container", "net.network", "x.txt"])}
                if self.p(0.5):
                    q["contents_local"] = self.choice(["gen/web.container", "gen/data.volume"])
                else:
                    q["contents"] = "[Container]\nImage=quay.io/fedora/fedora\n"
                if self.p(0.5):
                    q["rootful"] = self.choice([True, False])
                if self.p(0.3):
                    q["dropins"] = [{"name": "10-env.conf", "contents_local": "gen/quadlet-dropin.conf"}]
                sd["quadlets"] = [q]
            c["systemd"] = sd
        if self.p(0.4):
            pw = {"users": list({u["name"]: u for u in (self.user() for _ in range(self.r.randint(1, 2)))}.values())}
            if not self.ocp and self.p(0.3):
                pw["groups"] = [{"name": "docker", **({"gid": 2000} if self.p(0.5) else {}), **({"system": True} if self.p(0.3) else {})}]
            c["passwd"] = pw
        if self.variant in ("fcos", "flatcar") and self.has(4) and self.p(0.2):
            c["kernel_arguments"] = {k: v for k, v in [("should_exist", ["quiet", "console=ttyS0,115200n8"]),
                                                       ("should_not_exist", ["mitigations=auto,nosmt"])] if self.p(0.7)}
        if (self.fcos and self.version >= "1.3" or self.ocp) and self.p(0.2):
            bd = {}
            if self.p(0.5):
                bd["layout"] = self.choice(["x86_64", "aarch64", "ppc64le"] + (["s390x-eckd", "s390x-virt", "s390x-zfcp"] if self.has(6) else []))
            if self.p(0.6):
                bd["luks"] = {k: v for k, v in [("tpm2", True), ("tang", [{"url": "https://tang.example.com", "thumbprint": "x"}]),
                                                ("threshold", 2)] + ([("discard", True)] if self.has(5) else [])
                              + ([("device", "/dev/sda")] if self.has(6) else []) if self.p(0.5)}
            if self.p(0.5) or not bd:
                bd["mirror"] = {"devices": self.choice([["/dev/vda", "/dev/vdb"]] * 9 + [["/dev/vda"]])}
            c["boot_device"] = bd
        if (self.fcos or self.ocp) and self.has(5) and self.p(0.15):
            c["grub"] = {"users": [{"name": "root", "password_hash": "grub.pbkdf2.sha512.10000.ABCD.EF01"}]}
        if self.ocp and self.p(0.5):
            c["openshift"] = {k: v for k, v in [("kernel_type", self.choice(["default", "realtime"] + (["64k-pages"] if self.p(0.2) else []))),
                                                ("kernel_arguments", ["loglevel=7"]), ("extensions", ["usbguard"]), ("fips", True)] if self.p(0.5)}
        return c


# --- deliberate mistakes, applied to the tree ---

def slots(node, trail=()):
    """Every (container, key) below node, for picking a place to break."""
    if isinstance(node, dict):
        for k, v in node.items():
            if trail == () and k in ("variant", "version"):
                continue
            yield node, k
            yield from slots(v, trail + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield node, i
            yield from slots(v, trail + (i,))


def mutate(rng, cfg):
    places = list(slots(cfg))
    kind = rng.choice(["unknown", "wrong_type", "null", "empty_string", "empty_container", "duplicate", "bad_path",
                       "unknown", "null", "wrong_type"])
    if kind == "bad_path":
        paths = [(c, k) for c, k in places if k in ("path", "target", "device")]
        if paths:
            c, k = rng.choice(paths)
            c[k] = rng.choice(["relative/path", "/etc/trailing/", "/etc/../etc/x", "", "/etc//double", "/"])
            return
        kind = "unknown"
    if kind == "duplicate":
        lists = [(c, k) for c, k in places if isinstance(c[k], list) and c[k]]
        if lists:
            c, k = rng.choice(lists)
            c[k].append(json.loads(json.dumps(c[k][0])) if not isinstance(c[k][0], Raw) else c[k][0])
            return
        kind = "unknown"
    if kind == "unknown":
        maps = [cfg] + [c[k] for c, k in places if isinstance(c[k], dict)]
        rng.choice(maps)[rng.choice(["colour", "contents_inline", "Path", "enable", "sshAuthorizedKeys", "mode_"])] = rng.choice([1, "x", True])
        return
    if not places:
        return
    c, k = rng.choice(places)
    old = c[k]
    if kind == "wrong_type":
        c[k] = (rng.choice(["str", "-1", 1.5, [1], {"a": 1}]) if isinstance(old, (int, bool)) else
                rng.choice([7, True, ["x"], {"a": "b"}]) if isinstance(old, str) else
                rng.choice(["scalar", 3, None]))
    elif kind == "null":
        c[k] = None
    elif kind == "empty_string":
        c[k] = ""
    else:
        c[k] = rng.choice([[], {}])


# --- YAML emitter (enough variety to exercise the parser, always our own choice of style) ---

PLAIN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.-=@+,")
SPECIAL = {"", "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n", "True", "False", "Null", "NULL", "Yes", "No"}


def scalar(rng, v):
    if isinstance(v, Raw):
        return str(v)
    if v is None:
        return rng.choice(["", "null", "~", "null"])
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    plain = v and set(v) <= PLAIN and v not in SPECIAL and not v[0] in "-@," and not _numeric(v)
    if plain and rng.random() < 0.8:
        return v
    if "'" not in v and "\n" not in v and rng.random() < 0.4:
        return f"'{v}'"
    return json.dumps(v, ensure_ascii=rng.random() < 0.2)


def _numeric(v):
    try:
        float(v)
        return True
    except ValueError:
        return v.startswith(("0x", "0o"))


def emit(rng, node, indent=0):
    """Lines of YAML for node as a block value at indent."""
    pad = " " * indent
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_entry(rng, f"{pad}{k}:", v, indent))
    else:
        for v in node:
            sub = emit(rng, v, indent + 2) if isinstance(v, (dict, list)) and v else None
            if sub:
                if isinstance(v, dict) and rng.random() < 0.9:
                    out.append(f"{pad}- " + sub[0].lstrip())  # first key on the dash line
                    out.extend(sub[1:])
                else:
                    out.append(f"{pad}-")
                    out.extend(sub)
            else:
                out.extend(_entry(rng, f"{pad}-", v, indent))
    return out


def _entry(rng, head, v, indent):
    if isinstance(v, (dict, list)):
        if not v:
            return [f"{head} {'{}' if isinstance(v, dict) else '[]'}"]
        if rng.random() < 0.08 and not _has_raw(v) and "\n" not in json.dumps(v):
            return [f"{head} {json.dumps(v, ensure_ascii=False)}"]
        return [head] + emit(rng, v, indent + 2)
    if isinstance(v, str) and "\n" in v.rstrip("\n") and not isinstance(v, Raw) and not v.startswith(" "):
        ind = " " * (indent + 2)
        chomp = "" if v.endswith("\n") and not v.endswith("\n\n") else "-" if not v.endswith("\n") else "+"
        return [f"{head} |{chomp}"] + [ind + l if l else "" for l in v.rstrip("\n").split("\n")] + [""] * (len(v) - len(v.rstrip("\n")) - 1 if chomp == "+" else 0)
    s = scalar(rng, v)
    return [f"{head} {s}".rstrip()]


def _has_raw(v):
    if isinstance(v, Raw):
        return True
    if isinstance(v, dict):
        return any(_has_raw(x) for x in v.values())
    if isinstance(v, list):
        return any(_has_raw(x) for x in v)
    return False


def dup_key(rng, lines):
    """Repeat one "key: scalar" line (a duplicate YAML key)."""
    cands = [i for i, l in enumerate(lines) if ":" in l and not l.rstrip().endswith(":") and not l.lstrip().startswith(("-", "|"))
             and l.lstrip()[:1].isalpha()]
    if cands:
        i = rng.choice(cands)
        lines.insert(i + 1, lines[i])


def generate(seed, i, mistakes=0.35):
    rng = random.Random(f"{seed}-{i}")
    variant, version, base = VERSIONS[i % len(VERSIONS)]
    cfg = Gen(rng, variant, version, base, mistakes).config()
    broken = rng.random() < mistakes
    if broken:
        for _ in range(rng.choice([1, 1, 2])):
            mutate(rng, cfg)
    lines = emit(rng, cfg)
    if broken and rng.random() < 0.1:
        dup_key(rng, lines)
    text = "\n".join(lines) + "\n"
    if rng.random() < 0.05:
        text = "---\n" + text
    if rng.random() < 0.05:
        text = "# generated\n" + text
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--mistakes", type=float, default=0.35, metavar="P")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(args.count):
        (out / f"gen-{args.seed}-{i:05d}.bu").write_text(generate(args.seed, i, args.mistakes), encoding="utf-8")
    print(f"wrote {args.count} configs to {out}")


if __name__ == "__main__":
    main()
