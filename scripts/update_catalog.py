#!/usr/bin/env python3
"""Refresh butane_py/images/catalog.json from the distributions' own metadata.

Run on a machine with internet access:

    python3 scripts/update_catalog.py                 # fetch everything, rewrite the catalog
    python3 scripts/update_catalog.py --check         # only validate the current catalog

Offline, Fedora CoreOS entries can be built from saved stream documents:

    python3 scripts/update_catalog.py --offline --stream-file stable=fixtures/third_party/stream-metadata/fcos-stream.json

Entries whose metadata cannot be read are written as absent (with the reason), never with
guessed digests. Flatcar publishes no SHA-256, so its entries carry the SHA-512 from .DIGESTS.
Ubuntu entries are pinned only from signed simplestreams metadata verified with
--ubuntu-keyring (their SHA-256 is then the proof: Ubuntu publishes no per-image signature).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CATALOG = ROOT / "butane_py" / "images" / "catalog.json"

# alias suffix → (platform, format) for Fedora CoreOS streams
FCOS_VARIANTS = {
    "": ("metal", "raw.xz"),
    "-iso": ("metal", "iso"),
    "-pxe": ("metal", "pxe"),
    "-qemu": ("qemu", "qcow2.xz"),
}
FCOS_STREAMS = ("stable", "testing", "next")
FLATCAR_CHANNELS = ("stable", "beta", "alpha", "lts")
FLATCAR_VARIANTS = {"": "image", "-iso": "iso", "-pxe": "pxe", "-qemu": "qemu"}
UBUNTU_RELEASES = ("24.04", "22.04")


def build(args: argparse.Namespace) -> dict:
    from butane_py import images
    from butane_py.images import _catalog, _flatcar, _simplestreams

    out: dict = {}
    stream_files = dict(s.split("=", 1) for s in args.stream_file)
    today = _dt.datetime.now(_dt.UTC).date().isoformat()

    for stream in FCOS_STREAMS:
        source = images.stream_url(stream, args.fcos_base)
        try:
            if stream in stream_files:
                doc = images.load_stream(
                    pathlib.Path(stream_files[stream]).read_bytes(), name=stream
                )
            elif args.offline:
                raise images.ImageError("offline and no --stream-file given")
            else:
                doc = images.fetch_stream(stream, base_url=args.fcos_base)
            snapshot = (doc.last_modified or today)[:10]
        except images.ImageError as exc:
            for suffix, (platform, fmt) in FCOS_VARIANTS.items():
                out[f"fcos-{stream}{suffix}"] = _catalog.absent_entry(
                    "fcos", stream, source, platform, fmt, str(exc)
                )
            continue
        for suffix, (platform, fmt) in FCOS_VARIANTS.items():
            per_arch = {}
            for arch in images.ARCHITECTURES:
                try:
                    per_arch[arch] = doc.artifacts(arch, platform, fmt)
                except images.UnknownChoiceError:
                    continue
            alias = f"fcos-{stream}{suffix}"
            versions = {a.release for arts in per_arch.values() for a in arts}
            if not per_arch:
                out[alias] = _catalog.absent_entry(
                    "fcos", stream, source, platform, fmt, "not in the stream"
                )
                continue
            out[alias] = _catalog.entry_from_artifacts(
                "fcos", stream, max(versions), snapshot, source, platform, fmt, per_arch
            )

    for channel in FLATCAR_CHANNELS:
        source = _flatcar.channel_base_url(channel, "x86_64")
        for suffix, fmt in FLATCAR_VARIANTS.items():
            alias = f"flatcar-{channel}{suffix}"
            if args.offline:
                out[alias] = _catalog.absent_entry(
                    "flatcar", channel, source, "metal", fmt, "not verified (offline)"
                )
                continue
            try:
                per_arch = {
                    arch: images.fetch_flatcar(channel, arch, fmt)
                    for arch in _flatcar.BOARDS
                }
                version = per_arch["x86_64"][0].release
                out[alias] = _catalog.entry_from_artifacts(
                    "flatcar", channel, version, today, source, "metal", fmt, per_arch
                )
            except images.ImageError as exc:
                out[alias] = _catalog.absent_entry(
                    "flatcar", channel, source, "metal", fmt, str(exc)
                )

    for release in UBUNTU_RELEASES:
        alias = f"ubuntu-{release}"
        source = _simplestreams.DEFAULT_MIRROR + _simplestreams.INDEX_PATH
        if args.offline or not args.ubuntu_keyring:
            out[alias] = _catalog.absent_entry(
                "ubuntu",
                release,
                source,
                "cloud",
                "disk1.img",
                "not verified (offline)" if args.offline else "not verified (no --ubuntu-keyring)",
            )
            continue
        try:
            from butane_py.fetch import Keyring, verify_cleartext

            ring = Keyring.from_files(args.ubuntu_keyring)
            per_arch = {}
            for arch in ("x86_64", "aarch64"):
                art, verified = images.fetch_latest(
                    release, arch, signed=True, verify=lambda data: verify_cleartext(data, ring)
                )
                if not verified:
                    raise images.ImageError("simplestreams metadata not verified")
                per_arch[arch] = [art]
            version = per_arch["x86_64"][0].release
            out[alias] = _catalog.entry_from_artifacts(
                "ubuntu",
                release,
                version,
                today,
                source,
                "cloud",
                "disk1.img",
                per_arch,
            )
        except images.ImageError as exc:
            out[alias] = _catalog.absent_entry(
                "ubuntu", release, source, "cloud", "disk1.img", str(exc)
            )

    return {"format": _catalog.CATALOG_FORMAT, "images": out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument(
        "--output",
        type=pathlib.Path,
        default=CATALOG,
        help="where to write (default: %(default)s)",
    )
    parser.add_argument(
        "--check", action="store_true", help="validate the existing catalog and exit"
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="fetch nothing; unreadable entries become absent",
    )
    parser.add_argument(
        "--stream-file",
        action="append",
        default=[],
        metavar="STREAM=FILE",
        help="read a Fedora CoreOS stream document from FILE instead of the network",
    )
    parser.add_argument(
        "--fcos-base",
        default="https://builds.coreos.fedoraproject.org/streams/",
        help="Fedora CoreOS stream base URL",
    )
    parser.add_argument(
        "--ubuntu-keyring",
        action="append",
        default=[],
        metavar="FILE",
        help="the Ubuntu cloud image signing key(s); without it Ubuntu entries stay unpinned",
    )
    args = parser.parse_args(argv)

    from butane_py.images import _catalog

    if args.check:
        problems = _catalog.validate_catalog(
            json.loads(args.output.read_text(encoding="utf-8"))
        )
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    for spec in args.stream_file:
        if "=" not in spec:
            parser.error(f"--stream-file wants STREAM=FILE, got {spec!r}")
    doc = build(args)
    problems = _catalog.validate_catalog(doc)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    tmp = args.output.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(args.output)
    pinned = sum(1 for e in doc["images"].values() if e["absent"] is None)
    print(
        f"wrote {args.output}: {pinned} pinned, {len(doc['images']) - pinned} absent",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
