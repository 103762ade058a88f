"""Test-wide settings: offline, one thread, a private datasets cache; the real-data tier's folder."""

import os
import tempfile
from pathlib import Path

# Before anything imports datasets / huggingface_hub, which read these at import time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ["HF_DATASETS_CACHE"] = tempfile.mkdtemp(prefix="crs_hf-test-cache-")

import pytest  # noqa: E402
from fake_hub import fake_hub  # noqa: E402,F401  (the fixture, for every test module)

REPO_ROOT = Path(__file__).resolve().parents[1]


def real_data_dir() -> Path:
    """`$CRS_HF_REAL_DATA`, else `../shared/crs_data` next to the repository."""
    return Path(os.environ.get("CRS_HF_REAL_DATA", REPO_ROOT.parent / "shared" / "crs_data"))


@pytest.fixture(scope="session")
def real_data() -> Path:
    folder = real_data_dir()
    if not folder.is_dir():
        pytest.skip(f"real data not found at {folder} (set CRS_HF_REAL_DATA to its folder)")
    return folder


def free_port() -> int:
    """A free TCP port on 127.0.0.1, for `accelerate launch --main_process_port` (the default 29500 collides when
    two multi-process launches overlap)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
