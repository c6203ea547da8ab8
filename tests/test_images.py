"""butane_py.images: FCOS streams, Flatcar channels, Ubuntu simplestreams, the pinned catalog."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
from pathlib import Path

import dataclasses

import pytest

from butane_py import images
from butane_py.errors import ButanePyError
from butane_py.images import _catalog, _simplestreams

from .conftest import THIRD_PARTY

FIXTURE = THIRD_PARTY / "stream-metadata" / "fcos-stream.json"
REL = "33.20201201.3.0"
PREFIX = (
    f"https://builds.coreos.fedoraproject.org/prod/streams/stable/builds/{REL}/x86_64/"
)


@pytest.fixture(scope="module")
def stream() -> images.Stream:
    return images.load_stream(FIXTURE.read_bytes())


# --- Fedora CoreOS streams ------------------------------------------------------------------


def test_stream_header(stream):
    assert stream.name == "stable"
    assert stream.last_modified == "2020-12-17T14:18:43Z"
    assert stream.architectures() == ["x86_64"]
    assert stream.release("x86_64", "metal") == REL


def test_metal_raw_xz(stream):
    [disk] = stream.artifacts("x86_64")  # defaults: metal, raw.xz
    assert disk.name == "disk"
    assert disk.url == PREFIX + f"fedora-coreos-{REL}-metal.x86_64.raw.xz"
    assert disk.signature_url == disk.url + ".sig"
    assert (
        disk.sha256
        == "2848b111a6917455686f38a3ce64d2321c33809b9cf796c5f6804b1c02d79d9d"
    )
    assert disk.filename == f"fedora-coreos-{REL}-metal.x86_64.raw.xz"
    assert disk.release == REL
    assert disk.cache_key == f"fcos/stable/{REL}/x86_64/{disk.filename}"
    assert disk.uncompressed_sha256 is None


def test_metal_pxe_gives_kernel_initramfs_rootfs(stream):
    arts = stream.artifacts("amd64", "metal", "pxe")
    assert [a.name for a in arts] == ["kernel", "initramfs", "rootfs"]
    kernel, initramfs, rootfs = arts
    assert kernel.filename == f"fedora-coreos-{REL}-live-kernel-x86_64"
    assert (
        kernel.sha256
        == "d6bddcc1cc8f2642b11f38ca4602573211171814a53ab57c2655853008167407"
    )
    assert (
        initramfs.sha256
        == "0872233b1af67b728201b121434e8f990e339cebb85a19b4011b7a94fc83f8c3"
    )
    assert rootfs.url == PREFIX + f"fedora-coreos-{REL}-live-rootfs.x86_64.img"
    assert (
        rootfs.sha256
        == "64306ff0a5f20f4c897a2c20dbbe6764b300df85fa90f3b3f400dc8d80b11495"
    )


@pytest.mark.parametrize(
    ("platform", "fmt", "suffix", "sha256"),
    [
        (
            "metal",
            "iso",
            "live.x86_64.iso",
            "2f62f8f4813bbf584945052d54746cb83101b2c643705a33711ae26fce15fcba",
        ),
        (
            "metal",
            "4k.raw.xz",
            "metal4k.x86_64.raw.xz",
            "45621b66ee3db98e3515d334f70e095ef58e03d20d77ae5b55668b421372b6ae",
        ),
        (
            "qemu",
            "qcow2.xz",
            "qemu.x86_64.qcow2.xz",
            "a7e93e32665086d4a07a14dbe6c125177402f04603fc5bb575035028701afa5b",
        ),
        (
            "aliyun",
            "qcow2.xz",
            "aliyun.x86_64.qcow2.xz",
            "34f3bfd55b0c29804dc2dcace9a671c28b976b62e82e5c42651fd50cf5be4920",
        ),
    ],
)
def test_other_combinations(stream, platform, fmt, suffix, sha256):
    [disk] = stream.artifacts("x86_64", platform, fmt)
    assert disk.url == PREFIX + f"fedora-coreos-{REL}-{suffix}"
    assert disk.sha256 == sha256


def test_table_and_cloud_images(stream):
    rows = stream.table()
    keys = [(r.arch, r.platform, r.format) for r in rows]
    assert keys == sorted(keys)
    assert ("x86_64", "metal", "pxe") in keys and ("x86_64", "vmware", "ova") in keys
    assert len(rows) == 16
    pxe = next(r for r in rows if r.format == "pxe")
    assert pxe.artifacts == ("kernel", "initramfs", "rootfs") and pxe.release == REL
    imgs = stream.cloud_images("x86_64")
    aws = {r.region: r.image for r in imgs if r.platform == "aws"}
    assert aws["af-south-1"] == "ami-0bd959051ff340868"
    gcp = [r for r in imgs if r.platform == "gcp"]
    assert gcp == [
        images.CloudImage(
            "gcp",
            None,
            "fedora-coreos-cloud/fedora-coreos-33-20201201-3-0-gcp-x86-64",
            REL,
        )
    ]


@pytest.mark.parametrize(
    ("args", "kind", "value", "offered"),
    [
        (("s390x", "metal", "raw.xz"), "architecture", "s390x", "x86_64"),
        (("x86_64", "nosuchcloud", "raw.xz"), "platform", "nosuchcloud", "metal"),
        (("x86_64", "metal", "vhd"), "format", "vhd", "pxe"),
        (("sparc", "metal", "raw.xz"), "architecture", "sparc", "ppc64le"),
    ],
)
def test_unknown_choices_list_what_exists(stream, args, kind, value, offered):
    with pytest.raises(images.UnknownChoiceError) as info:
        stream.artifacts(*args)
    assert isinstance(info.value, ButanePyError)
    assert info.value.kind == kind and info.value.value == value
    assert offered in info.value.available
    assert offered in str(info.value)


def test_malformed_stream_documents():
    with pytest.raises(images.MetadataError):
        images.load_stream(b"{not json")
    with pytest.raises(images.MetadataError, match="architectures"):
        images.load_stream(b'{"stream": "stable"}')
    doc = json.loads(FIXTURE.read_text())
    with pytest.raises(images.MetadataError, match="document is for stream 'stable'"):
        images.load_stream(doc, name="next")
    doc["architectures"]["x86_64"]["artifacts"]["metal"]["formats"]["iso"]["disk"][
        "sha256"
    ] = "abc"
    with pytest.raises(images.MetadataError, match="64 hex"):
        images.load_stream(doc).artifacts("x86_64", "metal", "iso")


def test_normalize_arch():
    assert images.normalize_arch("AMD64") == "x86_64"
    assert images.normalize_arch("arm64") == "aarch64"
    assert images.normalize_arch("ppc64el") == "ppc64le"
    assert images.normalize_arch(None) in images.ARCHITECTURES or pytest.skip(
        "exotic build machine"
    )


# --- Flatcar --------------------------------------------------------------------------------

VERSION_TXT = b"""FLATCAR_BUILD=4081
FLATCAR_BRANCH=2
FLATCAR_PATCH=0
FLATCAR_VERSION=4081.2.0
FLATCAR_VERSION_ID=4081.2.0
FLATCAR_BUILD_ID="2024-10-23-1807"
FLATCAR_SDK_VERSION='4081.1.0'
"""

SHA512_ISO = hashlib.sha512(b"iso").hexdigest()
SHA512_ISO_VERITY = hashlib.sha512(b"other").hexdigest()
DIGESTS = f"""# MD5 HASH
{hashlib.md5(b"iso").hexdigest()}  flatcar_production_iso_image.iso
# SHA1 HASH
{hashlib.sha1(b"iso").hexdigest()}  flatcar_production_iso_image.iso
# SHA512 HASH
{SHA512_ISO}  flatcar_production_iso_image.iso
{SHA512_ISO_VERITY}  *build/images/flatcar_production_iso_verity.txt
""".encode()


def test_version_txt_quoted_values():
    v = images.parse_version_txt(VERSION_TXT)
    assert v.version == "4081.2.0"
    assert v.version_id == "4081.2.0"
    assert v.build_id == "2024-10-23-1807"
    assert v.values["FLATCAR_SDK_VERSION"] == "4081.1.0"


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"FLATCAR_BUILD_ID=x\n",
        b"this is not shell\n",
        b"FLATCAR_VERSION=../../x\n",
        b'FLATCAR_VERSION="unterminated\n',
    ],
)
def test_version_txt_rejects(text):
    with pytest.raises(images.MetadataError):
        images.parse_version_txt(text)


def test_flatcar_versioned_urls():
    arts = images.flatcar_artifacts("stable", "4081.2.0", "x86_64", "pxe")
    assert [(a.name, a.filename) for a in arts] == [
        ("kernel", "flatcar_production_pxe.vmlinuz"),
        ("initramfs", "flatcar_production_pxe_image.cpio.gz"),
    ]
    k = arts[0]
    assert (
        k.url
        == "https://stable.release.flatcar-linux.net/amd64-usr/4081.2.0/flatcar_production_pxe.vmlinuz"
    )
    assert "/current/" not in k.url
    assert k.signature_url == k.url + ".sig" and k.digests_url == k.url + ".DIGESTS"
    assert (
        k.cache_key == "flatcar/stable/4081.2.0/x86_64/flatcar_production_pxe.vmlinuz"
    )
    [iso] = images.flatcar_artifacts("lts", "3510.3.5", "aarch64", "iso")
    assert (
        iso.url
        == "https://lts.release.flatcar-linux.net/arm64-usr/3510.3.5/flatcar_production_iso_image.iso"
    )
    [qemu] = images.flatcar_artifacts("beta", "4116.1.0", "x86_64", "qemu")
    assert qemu.filename == "flatcar_production_qemu_image.img"
    [ova] = images.flatcar_artifacts(
        "beta", "4116.1.0", "x86_64", "flatcar_production_vmware_ova.ova"
    )
    assert ova.url.endswith("/4116.1.0/flatcar_production_vmware_ova.ova")


def test_flatcar_errors():
    with pytest.raises(
        images.UnknownChoiceError, match="available: alpha, beta, lts, stable"
    ):
        images.flatcar_artifacts("edge", "1.0.0", "x86_64", "iso")
    with pytest.raises(images.UnknownChoiceError, match="for Flatcar"):
        images.flatcar_artifacts("stable", "1.0.0", "s390x", "iso")
    with pytest.raises(images.UnknownChoiceError, match="format"):
        images.flatcar_artifacts("stable", "1.0.0", "x86_64", "raw.xz")
    with pytest.raises(images.MetadataError, match="concrete version"):
        images.flatcar_artifacts("stable", "current", "x86_64", "iso")


def test_digests_parser():
    table = images.parse_digests(DIGESTS)
    assert set(table) == {"md5", "sha1", "sha512"}
    assert (
        table["md5"]["flatcar_production_iso_image.iso"]
        == hashlib.md5(b"iso").hexdigest()
    )
    assert images.sha512_for(DIGESTS, "flatcar_production_iso_image.iso") == SHA512_ISO
    assert table["sha512"]["flatcar_production_iso_verity.txt"] == SHA512_ISO_VERITY
    with pytest.raises(images.MetadataError, match="no SHA512 for missing.bin"):
        images.sha512_for(table, "missing.bin")


def test_digests_parser_is_tolerant():
    # CRLF, no section headers, upper-case hex, junk lines: classified by digest length.
    text = (
        f"garbage line\r\n{SHA512_ISO.upper()} flatcar_production_iso_image.iso\r\n"
        f"#  sha512  hash\r\n{'0' * 32}  small.bin\r\n"
    ).encode()
    table = images.parse_digests(text)
    assert table["sha512"] == {"flatcar_production_iso_image.iso": SHA512_ISO}
    assert table["md5"] == {"small.bin": "0" * 32}


# --- Ubuntu simplestreams -------------------------------------------------------------------

UBUNTU_INDEX = {
    "format": "index:1.0",
    "updated": "Tue, 05 Nov 2024 10:00:00 +0000",
    "index": {
        "com.ubuntu.cloud:released:download": {
            "datatype": "image-downloads",
            "format": "products:1.0",
            "path": "streams/v1/com.ubuntu.cloud:released:download.json",
            "products": [
                "com.ubuntu.cloud:server:24.04:amd64",
                "com.ubuntu.cloud:server:24.04:arm64",
            ],
        },
        "com.ubuntu.cloud:released:aws": {
            "datatype": "image-ids",
            "format": "products:1.0",
            "path": "streams/v1/com.ubuntu.cloud:released:aws.json",
            "products": [],
        },
    },
}


def _ubuntu_item(name: str, ftype: str, ver: str, arch: str) -> dict:
    path = f"server/releases/noble/release-{ver}/ubuntu-24.04-server-cloudimg-{arch}{'.img' if ftype == 'disk1.img' else '.tar.gz'}"
    return {
        "ftype": ftype,
        "path": path,
        "sha256": hashlib.sha256(path.encode()).hexdigest(),
        "size": 1,
    }


UBUNTU_PRODUCTS = {
    "content_id": "com.ubuntu.cloud:released:download",
    "datatype": "image-downloads",
    "format": "products:1.0",
    "os": "ubuntu",
    "_aliases": {
        "rel": {
            "noble": {
                "release": "noble",
                "version": "24.04",
                "release_title": "24.04 LTS",
            }
        }
    },
    "products": {
        f"com.ubuntu.cloud:server:24.04:{arch}": {
            "arch": arch,
            "rel": "noble",
            "versions": {
                # lexical order: 20241004 < 20241004.1 < 20241106
                "20241004": {
                    "items": {
                        "disk1.img": _ubuntu_item(
                            "disk1.img", "disk1.img", "20241004", arch
                        )
                    }
                },
                "20241106": {
                    "label": "release",
                    "items": {
                        "disk1.img": _ubuntu_item(
                            "disk1.img", "disk1.img", "20241106", arch
                        ),
                        "tar.gz": _ubuntu_item("tar.gz", "tar.gz", "20241106", arch),
                    },
                },
                "20241004.1": {
                    "items": {
                        "disk1.img": _ubuntu_item(
                            "disk1.img", "disk1.img", "20241004.1", arch
                        )
                    }
                },
                # the newest version only has a tarball: not a candidate for disk1.img
                "20241201": {
                    "items": {
                        "tar.gz": _ubuntu_item("tar.gz", "tar.gz", "20241201", arch)
                    }
                },
            },
        }
        for arch in ("amd64", "arm64")
    },
}


def test_simplestreams_inheritance_and_aliases():
    items = images.flatten_products(UBUNTU_PRODUCTS)
    assert len(items) == 2 * 5
    one = next(
        i
        for i in items
        if i.version == "20241106"
        and i.name == "disk1.img"
        and i.get("arch") == "amd64"
    )
    assert one.get("os") == "ubuntu"  # top level
    assert (
        one.get("release") == "noble" and one.get("version") == "24.04"
    )  # product, through _aliases
    assert one.get("label") == "release"  # version level
    assert one.get("ftype") == "disk1.img"  # item level
    assert "products" not in one.attrs and "versions" not in one.attrs


def test_simplestreams_latest_version_selection():
    items = images.flatten_products(UBUNTU_PRODUCTS)
    latest = images.latest_item(items, "24.04", "x86_64")
    assert latest.version == "20241106" and latest.get("arch") == "amd64"
    assert images.latest_item(items, "noble", "aarch64", "tar.gz").version == "20241201"
    art = _simplestreams.item_artifact(latest, "https://mirror.example/releases")
    assert art.url == (
        "https://mirror.example/releases/server/releases/noble/release-20241106/"
        "ubuntu-24.04-server-cloudimg-amd64.img"
    )
    assert art.sha256 == hashlib.sha256(latest.path.encode()).hexdigest()
    assert (
        art.cache_key
        == "ubuntu/noble/20241106/amd64/ubuntu-24.04-server-cloudimg-amd64.img"
    )
    with pytest.raises(images.UnknownChoiceError, match="release '20.04'"):
        images.latest_item(items, "20.04", "x86_64")
    with pytest.raises(images.UnknownChoiceError, match="architecture 's390x'"):
        images.latest_item(items, "24.04", "s390x")
    with pytest.raises(images.UnknownChoiceError, match="ftype 'vmdk'"):
        images.latest_item(items, "24.04", "x86_64", "vmdk")


def test_simplestreams_alias_does_not_override_explicit_value():
    doc = json.loads(json.dumps(UBUNTU_PRODUCTS))
    doc["products"]["com.ubuntu.cloud:server:24.04:amd64"]["release_title"] = (
        "Noble Numbat"
    )
    items = images.flatten_products(doc)
    titles = {i.get("arch"): i.get("release_title") for i in items}
    assert titles == {"amd64": "Noble Numbat", "arm64": "24.04 LTS"}


def test_clearsigned_sjson_is_unverified_without_hook():
    body = json.dumps(UBUNTU_INDEX, indent=1)
    signed = (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
        + body.replace("\n-", "\n- -")
        + "\n-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCgAdFiEE\n-----END PGP SIGNATURE-----\n"
    ).encode()
    doc = images.load_document(signed)
    assert doc.signed and not doc.verified and doc.content == UBUNTU_INDEX
    seen = []
    verified = images.load_document(
        signed, verify=lambda b: seen.append(b) or body.encode()
    )
    assert verified.verified and seen == [signed]
    plain = images.load_document(body.encode())
    assert not plain.signed and not plain.verified
    with pytest.raises(images.MetadataError):
        images.clearsigned_text(b"{}")


# --- the catalog ----------------------------------------------------------------------------

CATALOG_FILE = Path(_catalog.__file__).with_name("catalog.json")


def test_catalog_is_well_formed():
    doc = json.loads(CATALOG_FILE.read_text())
    assert _catalog.validate_catalog(doc) == []
    entries = images.catalog()
    assert {
        "fcos-stable",
        "fcos-stable-iso",
        "fcos-stable-pxe",
        "flatcar-stable",
        "ubuntu-24.04",
    } <= set(entries)
    pinned = [e for e in entries.values() if e.absent is None]
    assert pinned, "at least the Fedora CoreOS entries are pinned"
    for e in pinned:
        for files in e.architectures.values():
            for f in files:
                assert f.url.startswith("https://")
                assert (
                    f.sha256 is not None
                    and len(f.sha256) == 64
                    and int(f.sha256, 16) >= 0
                )
    assert (
        entries["flatcar-stable"].absent and not entries["flatcar-stable"].architectures
    )


def test_catalog_fcos_entries_match_the_real_stream(stream):
    for alias, (platform, fmt) in {
        "fcos-stable": ("metal", "raw.xz"),
        "fcos-stable-pxe": ("metal", "pxe"),
        "fcos-stable-iso": ("metal", "iso"),
        "fcos-stable-qemu": ("qemu", "qcow2.xz"),
    }.items():
        entry = images.catalog()[alias]
        assert entry.version == REL and entry.snapshot == "2020-12-17"
        assert images.resolve(alias, "x86_64") == stream.artifacts(
            "x86_64", platform, fmt
        )


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (
            lambda e: e["architectures"]["x86_64"][0].update(sha256="ab" * 31),
            "sha256: must be 64",
        ),
        (
            lambda e: e["architectures"]["x86_64"][0].update(url="file:///etc/passwd"),
            "url: must be an http(s) URL",
        ),
        (
            lambda e: e["architectures"]["x86_64"][0].update(url="https://x/\u202eosi.exe"),
            "url: must be an http(s) URL",
        ),
        (
            lambda e: e["architectures"]["x86_64"][0].pop("signature"),
            "signature: required for fcos",
        ),
        (lambda e: e.pop("snapshot"), "missing snapshot"),
        (lambda e: e["architectures"]["x86_64"][0].pop("sha256"), "needs sha256"),
        (lambda e: e.update(absent="offline"), "absent entry must not list"),
        (lambda e: e["architectures"].update(sparc=[]), "unknown architecture"),
    ],
)
def test_catalog_validator_catches(mutate, problem):
    doc = json.loads(CATALOG_FILE.read_text())
    mutate(doc["images"]["fcos-stable"])
    problems = _catalog.validate_catalog(doc)
    assert any(problem in p for p in problems), problems


def test_resolve_alias_errors():
    with pytest.raises(images.NotPinnedError, match="nothing pinned for aarch64"):
        images.resolve("fcos-stable", "aarch64")
    with pytest.raises(images.ImageError, match="format 'raw.xz', not 'iso'"):
        images.resolve("fcos-stable", "x86_64", format="iso")
    with pytest.raises(images.UnknownChoiceError, match="fcos-stable-pxe"):
        images.resolve("fcos-stabel", "x86_64")


def test_update_catalog_script_rebuilds_the_same_fcos_entries(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "catalog.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(root / "scripts" / "update_catalog.py"),
            "--offline",
            "--output",
            str(out),
            "--stream-file",
            f"stable={FIXTURE}",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    rebuilt = json.loads(out.read_text())["images"]
    shipped = json.loads(CATALOG_FILE.read_text())["images"]
    assert rebuilt == shipped


# --- metadata over a real loopback HTTP server ----------------------------------------------


@pytest.fixture
def http_root(tmp_path):
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.timeout = 5
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        assert not thread.is_alive()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


def _get(url: str) -> bytes:
    from butane_py.fetch import get_metadata

    return get_metadata(url, timeout=5, fetch_retries=0)


def test_http_fcos_stream(http_root):
    root, base = http_root
    (root / "streams").mkdir()
    (root / "streams" / "stable.json").write_bytes(FIXTURE.read_bytes())
    arts = images.resolve(
        "fcos",
        "x86_64",
        stream="stable",
        format="pxe",
        base_url=base + "/streams/",
        get_bytes=_get,
    )
    assert [a.name for a in arts] == ["kernel", "initramfs", "rootfs"]
    assert (
        arts[0].sha256
        == "d6bddcc1cc8f2642b11f38ca4602573211171814a53ab57c2655853008167407"
    )
    with pytest.raises(ButanePyError, match=".*/streams/next.json: HTTP 404"):
        images.fetch_stream("next", base_url=base + "/streams/", get_bytes=_get)


def test_http_flatcar_channel(http_root):
    root, base = http_root
    board = root / "amd64-usr"
    (board / "current").mkdir(parents=True)
    (board / "4081.2.0").mkdir()
    (board / "current" / "version.txt").write_bytes(VERSION_TXT)
    (board / "4081.2.0" / "flatcar_production_iso_image.iso.DIGESTS").write_bytes(
        DIGESTS
    )
    # a stale digest under current/ must never be used
    (board / "current" / "flatcar_production_iso_image.iso.DIGESTS").write_bytes(
        DIGESTS.replace(b"0", b"1")
    )
    [iso] = images.resolve(
        "flatcar",
        "x86_64",
        stream="stable",
        format="iso",
        base_url=base + "/amd64-usr/",
        get_bytes=_get,
    )
    assert iso.url == base + "/amd64-usr/4081.2.0/flatcar_production_iso_image.iso"
    assert iso.sha512 == SHA512_ISO and iso.sha256 is None
    assert iso.release == "4081.2.0"


def test_http_ubuntu_simplestreams(http_root):
    root, base = http_root
    (root / "streams" / "v1").mkdir(parents=True)
    (root / "streams" / "v1" / "index.json").write_text(json.dumps(UBUNTU_INDEX))
    (root / "streams" / "v1" / "com.ubuntu.cloud:released:download.json").write_text(
        json.dumps(UBUNTU_PRODUCTS)
    )
    [art] = images.resolve(
        "ubuntu", "aarch64", stream="24.04", base_url=base + "/", get_bytes=_get
    )
    assert (
        art.url
        == base
        + "/server/releases/noble/release-20241106/ubuntu-24.04-server-cloudimg-arm64.img"
    )
    assert art.release == "20241106"
    assert len(art.sha256) == 64


def test_dict_fetcher_and_fetcher_failures():
    served = {
        "https://builds.coreos.fedoraproject.org/streams/stable.json": FIXTURE.read_bytes()
    }
    s = images.fetch_stream("stable", get_bytes=served.__getitem__)
    assert s.release("x86_64", "metal") == REL
    with pytest.raises(
        images.MetadataError, match="cannot fetch https://.*/testing.json"
    ):
        images.fetch_stream("testing", get_bytes=served.__getitem__)
    with pytest.raises(images.MetadataError, match="returned str"):
        images.fetch_stream("stable", get_bytes=lambda url: "text")
    from butane_py.fetch import DownloadError, get_metadata

    with pytest.raises(DownloadError, match="non-HTTP"):
        get_metadata("file:///etc/passwd")


def test_http_ubuntu_signed_index_is_reported_unverified(http_root):
    root, base = http_root
    (root / "streams" / "v1").mkdir(parents=True)

    def clearsign(doc: dict) -> bytes:
        body = json.dumps(doc, indent=1)
        return (
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
            + body
            + "\n-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n"
        ).encode()

    (root / "streams" / "v1" / "index.sjson").write_bytes(clearsign(UBUNTU_INDEX))
    (root / "streams" / "v1" / "com.ubuntu.cloud:released:download.sjson").write_bytes(
        clearsign(UBUNTU_PRODUCTS)
    )
    art, verified = images.fetch_latest(
        "noble", "x86_64", mirror=base, get_bytes=_get, signed=True
    )
    assert verified is False
    assert art.release == "20241106"
    calls: list[bytes] = []

    def verify(data: bytes) -> bytes:
        calls.append(data)
        return _simplestreams.clearsigned_text(data)

    art2, verified2 = images.fetch_latest(
        "noble", "x86_64", mirror=base, get_bytes=_get, signed=True, verify=verify
    )
    assert verified2 is True and len(calls) == 2
    assert art.signed_digest is False and art2.signed_digest is True, "a verified digest is the proof"
    assert dataclasses.replace(art2, signed_digest=False) == art
    # with a verifier, a plain (unsigned) document is refused, not read unverified
    (root / "streams" / "v1" / "index.sjson").write_text(json.dumps(UBUNTU_INDEX))
    with pytest.raises(images.MetadataError, match="not clearsigned"):
        images.fetch_latest("noble", "x86_64", mirror=base, get_bytes=_get, signed=True, verify=verify)


@pytest.mark.parametrize(
    "data",
    [
        b"-----BEGIN PGP SIGNED MESSAGE-----\n\xff\xfe\n-----BEGIN PGP SIGNATURE-----\n",
        b"[" * 100_000,
        b'{"format": "index:1.0", "index": {"a": {"path": "p", "products": 5}}}',
    ],
)
def test_simplestreams_hostile_documents_are_metadata_errors(data):
    """Not UTF-8, nested too deeply, or the wrong shape: a MetadataError (or a clean
    result), never another exception."""
    try:
        doc = _simplestreams.load_document(data)
        _simplestreams.parse_index(doc.content)
    except images.MetadataError:
        pass


@pytest.mark.parametrize("name", ["..", ".", "a/b", "a\\b", "a\x00b", "a\nb", "\u202egpj", "x" * 256, "é" * 128, ""])
def test_safe_name_refuses(name):
    with pytest.raises(images.UnsafeNameError):
        images.safe_name(name)


def test_safe_name_accepts_plain_names():
    for name in ("fedora-coreos-41.20241109.3.0-live.x86_64.iso", "x" * 255, "é" * 127, "a b", "4152.2.3+1"):
        assert images.safe_name(name) == name
