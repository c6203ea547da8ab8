import pytest
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def iso_cache(tmp_path_factory):
    """A session directory holding the decompressed fixture ISOs."""
    return tmp_path_factory.mktemp("isos")
