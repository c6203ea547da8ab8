import pytest
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Third-party fixtures the project carries (see fixtures/third_party/README.md).
THIRD_PARTY = ROOT / "fixtures" / "third_party"
# The conformance corpora live only beside a checkout (../shared), never in the project.
SHARED = ROOT.parent / "shared"
CONFORMANCE = SHARED / "conformance"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# Help pages are rendered afresh in every test (and none lands in the user's cache), except in
# tests/test_cli_helpcache.py, which turns the cache on with a directory of its own.
os.environ["BUTANE_PY_HELP_CACHE"] = "0"


def need_conformance() -> None:
    """Skip the calling module or test when ../shared/conformance is absent.

    Every such skip is raised here, so pytest's summary folds them into a single line.
    """
    if not CONFORMANCE.is_dir():
        pytest.skip("../shared/conformance not found: conformance corpora skipped", allow_module_level=True)


@pytest.fixture(scope="session")
def iso_cache(tmp_path_factory):
    """A session directory holding the decompressed fixture ISOs."""
    return tmp_path_factory.mktemp("isos")
