"""Shared test setup: offscreen rendering, single-threaded math, the real-data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("LP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
# CI clones main with ../shared beside it; SYNAPT_REALDATA points elsewhere if needed.
REALDATA = Path(os.environ.get("SYNAPT_REALDATA", REPO.parent / "shared" / "realdata"))


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The folder of real annotation files and videos, read in place; skip when absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real-data folder {REALDATA} not found (set SYNAPT_REALDATA)")
    return REALDATA


@pytest.fixture(autouse=True)
def _torch_threads():
    # Two test workers on two cores: one intra-op thread each keeps them from fighting.
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
