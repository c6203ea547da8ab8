"""The public API is small and pinned: adding or removing a name is a deliberate change."""

from __future__ import annotations

import pytest

import butane_py
import butane_py.errors
from butane_py import ignition


def test_top_level_names() -> None:
    assert sorted(butane_py.__all__) == [
        "ButanePyError",
        "ConfigError",
        "Entry",
        "InputError",
        "Kind",
        "ParseError",
        "Report",
        "UsageError",
        "ValidationError",
        "__version__",
        "butane",
        "decompile",
        "ignition",
        "translate",
        "translate_many",
    ]
    for name in butane_py.__all__:
        assert getattr(butane_py, name) is not None


def test_ignition_names() -> None:
    assert sorted(ignition.__all__) == [
        "LATEST_STABLE",
        "Merged",
        "Override",
        "ParseResult",
        "Spec",
        "Transcript",
        "VERSIONS",
        "merge",
        "merge_configs",
        "overrides",
        "parse_config",
        "spec",
        "to_json",
        "translate",
        "validate",
    ]


def test_versions() -> None:
    assert ignition.VERSIONS == (
        "3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "3.6.0", "3.7.0-experimental",
    )


def test_exit_codes() -> None:
    assert butane_py.UsageError.exit_code == 2
    assert butane_py.InputError.exit_code == 1
    assert butane_py.ValidationError("x").exit_code == 1


def test_validate_accepts_str_and_bytes() -> None:
    text = '{"ignition": {"version": "3.2.0"}, "storage": {"files": [{"path": "rel"}]}}'
    for source in (text, text.encode()):
        report = ignition.validate(source)
        assert report.is_fatal
        [entry] = report.entries
        assert (entry.kind, entry.json_path, entry.line, entry.column) == ("error", "$.storage.files.0.path", 1, 67)
        assert entry.message == "path not absolute"


def test_unparseable_is_fatal_entry() -> None:
    report = ignition.validate(b'{"ignition": {"version": "2.2.0"}}')
    assert report.is_fatal
    assert str(report) == "error: couldn't parse config: unsupported config version\n"


def test_butane_names() -> None:
    from butane_py import butane

    assert sorted(butane.__all__) == ["DecompileResult", "FragmentsResult", "Result", "decompile", "translate",
                                      "translate_many"]
    for name in butane.__all__:
        assert getattr(butane, name) is not None


def test_models_names() -> None:
    from butane_py import models

    assert sorted(models.__all__) == ["butane_config", "butane_paths", "format_errors", "ignition_config"]
    from butane_py.models import fcos_1_6, ignition_3_5, openshift_4_14

    assert models.butane_config("fcos", "1.6.0") is fcos_1_6.Config
    assert models.butane_config("openshift", "4.14.0") is openshift_4_14.Config
    assert models.ignition_config("3.5.0") is ignition_3_5.Config
    for cls in (fcos_1_6.Config, openshift_4_14.Config):
        assert callable(cls.to_butane) and callable(cls.translate) and callable(cls.to_dict)
    assert callable(ignition_3_5.Config.to_json)


def test_translate_api_never_prints(capsys) -> None:
    import butane_py

    result = butane_py.translate("variant: fcos\nversion: 1.5.0\nstorage: {files: [{path: x}]}\n")
    assert not result.ok
    assert result.error == "config generated was invalid"
    assert [(e.kind, e.json_path, e.line, e.column) for e in result.report] == [
        ("error", "$.storage.files.0.path", 3, 26)
    ]
    ok = butane_py.translate(b"variant: fcos\nversion: 1.5.0\n", pretty=True)
    assert ok.output == '{\n  "ignition": {\n    "version": "3.4.0"\n  }\n}'
    strict = butane_py.translate("variant: fcos\nversion: 1.5.0\nx: 1\n", strict=True)
    assert strict.error == "Config produced warnings and --strict was specified"
    assert capsys.readouterr() == ("", "")


def test_embed_names() -> None:
    from butane_py import embed

    assert sorted(embed.__all__) == [
        "AlreadyCustomizedError", "AreaFullError", "Customization", "EmbedError", "FLATCAR_KARGS",
        "FLATCAR_OEM_CONFIG", "IGNITION_PATH", "ImageFormatError", "IncompleteImageError", "InitrdError", "LiveIso",
        "NETWORK_DIR", "NoEmbedAreaError", "NothingEmbeddedError", "OutputError", "PXE_KARGS", "UnsafePathError",
        "UnsupportedError", "cpio_bytes", "customize", "describe", "edit_kargs", "extract_files", "extract_pxe",
        "flatcar_oem_initrd", "ignition_embed", "ignition_remove", "ignition_show", "installer_yaml",
        "kargs_modify", "kargs_reset", "kargs_show", "network_embed", "network_files", "network_remove",
        "pxe_network_files", "pxe_network_wrap", "pxe_unwrap", "pxe_wrap", "read_members", "reset", "safe_member_path", "to_bytes",
        "write_image",
    ]
    for name in embed.__all__:
        assert getattr(embed, name) is not None
    assert issubclass(embed.EmbedError, butane_py.errors.ButanePyError)
    assert embed.AreaFullError.exit_code == 1


def test_fetch_names() -> None:
    from butane_py import fetch

    assert sorted(fetch.__all__) == [
        "BadSignatureError", "CacheEntry", "CacheError", "Cleaned", "DecompressionError", "DigestMismatchError",
        "DownloadError", "FetchError", "FetchResult", "Keyring", "KeyringError",
        "MalformedSignatureError", "MissingSignatureError", "SignatureError", "SignatureInfo", "UnknownKeyError",
        "VerificationError", "cache_path", "clean_cache", "decompress_file", "default_cache_dir", "fetch",
        "filename_from_url", "get_metadata", "list_cache", "metadata_fetcher", "metadata_timeout", "parse_retries",
        "verify_cleartext", "verify_file",
    ]
    for name in fetch.__all__:
        assert getattr(fetch, name) is not None
    for error in (fetch.FetchError, fetch.VerificationError, fetch.KeyringError):
        assert issubclass(error, butane_py.errors.ButanePyError) and error.exit_code == 1
    assert issubclass(fetch.MissingSignatureError, fetch.SignatureError)
    assert issubclass(fetch.SignatureError, fetch.VerificationError)


def test_images_names() -> None:
    from butane_py import fetch, images

    assert sorted(images.__all__) == [
        "ARCHITECTURES", "Artifact", "BootConfigError", "CatalogEntry", "CatalogFile", "CloudImage",
        "DEFAULT_FORMAT", "DEFAULT_PLATFORM", "DEFAULT_STREAM", "DEFAULT_STREAM_BASE", "DestinationError",
        "DiskError", "EnsureResult", "FilesystemError", "FlatcarVersion", "GetBytes", "GptError", "ImageError",
        "InstallError", "InstallResult", "Item", "MetadataError", "NotPinnedError", "Qcow2Error", "Stream",
        "StreamRow", "UnknownChoiceError", "UnsafeNameError", "UnsupportedImageError", "catalog",
        "clearsigned_text", "copy_disk", "ensure", "fetch_flatcar", "fetch_latest", "fetch_product",
        "fetch_stream", "flatcar_artifacts", "flatten_products", "install", "latest_item", "load_catalog",
        "load_document", "load_stream", "lock", "normalize_arch", "parse_digests", "parse_size",
        "parse_version_txt", "printable", "resolve", "resolve_live", "safe_name", "sha512_for", "stream_url",
        "validate_catalog",
    ]
    for name in images.__all__:
        assert getattr(images, name) is not None
    # fetch refuses unsafe names with the images layer's error: one class, wherever it is caught.
    assert issubclass(images.UnsafeNameError, images.MetadataError)
    assert issubclass(images.MetadataError, images.ImageError)
    assert issubclass(images.ImageError, butane_py.errors.ButanePyError)
    assert images.UnsafeNameError.exit_code == 1
    # The disk errors: each an ImageError, so exit code 1; every install failure an InstallError.
    for error in (images.DiskError, images.Qcow2Error, images.InstallError):
        assert issubclass(error, images.ImageError) and error.exit_code == 1
    for error in (images.BootConfigError, images.DestinationError, images.FilesystemError, images.GptError,
                  images.UnsupportedImageError):
        assert issubclass(error, images.InstallError)
    with pytest.raises(images.UnsafeNameError):
        fetch.filename_from_url("https://example.com/a%2Fb")


def test_images_disk_names_load_on_first_use() -> None:
    """``import butane_py.images`` loads none of its modules (the disk code least of all): each
    name loads its own on first use, and is that module's."""
    import os
    import subprocess
    import sys

    from butane_py import images
    from butane_py.images import _ensure, _install, _sparse

    from .conftest import ROOT

    code = "import sys, butane_py.images; print(sorted(m for m in sys.modules if m.startswith('butane_py.images.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT))).stdout
    assert loaded == "[]\n"
    assert (images.ensure, images.copy_disk, images.install) == (_ensure.ensure, _sparse.copy_disk, _install.install)
    with pytest.raises(AttributeError):
        images.no_such_name  # noqa: B018


def test_mirror_names() -> None:
    from butane_py import fetch, mirror

    assert sorted(mirror.__all__) == [
        "ImageFile", "MirrorError", "MirrorProgress", "MirrorResult", "Published", "SigningKey", "UpstreamFile",
        "merge_simplestreams", "upstream_files", "write_flatcar", "write_simplestreams", "write_stream",
    ]
    for name in mirror.__all__:
        assert getattr(mirror, name) is not None
    assert issubclass(mirror.MirrorError, butane_py.errors.ButanePyError) and mirror.MirrorError.exit_code == 1
    assert "SigningKey" not in fetch.__all__, "signing is publishing: mirror's, not fetch's"


def test_edit_kargs_order() -> None:
    """Deletions, then appends, then replacements; whole arguments only."""
    from butane_py.embed import edit_kargs

    assert edit_kargs("a b=1 c", append=["d"], delete=["c"], replace=["b=1=2"]) == "a b=2 d"
    assert edit_kargs("ab=1 b=1", replace=["b=1=3"]) == "ab=1 b=3"
    assert edit_kargs("x", append=["y"], delete=["y"]) == "x y", "delete runs before append"
    with pytest.raises(butane_py.errors.UsageError, match="KEY=OLD=NEW"):
        edit_kargs("x", replace=["nope"])
