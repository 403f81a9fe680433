"""Fixtures of the mocap reader tests: the folder of real CMU clips, read in place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
# Beside the clone like the other real data; SYNAPT_MOCAP points elsewhere if needed.
CMU_MOCAP = Path(os.environ.get("SYNAPT_MOCAP", REPO.parent / "shared" / "mocap" / "cmu"))


@pytest.fixture(scope="session")
def cmu_mocap() -> Path:
    """The CMU mocap folder (``<subject>/<clip>.bvh|.amc``, ``index.tsv``); skip when absent."""
    if not CMU_MOCAP.is_dir():
        pytest.skip(f"CMU mocap folder {CMU_MOCAP} not found (set SYNAPT_MOCAP)")
    return CMU_MOCAP
