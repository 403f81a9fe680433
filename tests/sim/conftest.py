"""Fixtures of the generator tests: one tiny dataset shared by the module that asks for it."""

from __future__ import annotations

import pytest

# 4 frames at 2 fps: the 2 seconds of action the motion programs were tuned on.
TINY = dict(per_class=1, frames=4, fps=2, size=32, seed=3, progress=False)


@pytest.fixture
def tiny():
    """Keyword arguments of a tiny, quiet generation run."""
    return dict(TINY)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """Two clips each of three classes (human, time-pair, object), 4 frames at 32 px."""
    from synapt.sim import generate_dataset

    out = tmp_path_factory.mktemp("tiny") / "ds"
    generate_dataset(out, classes="sit_down,stand_up,push_left_to_right", **{**TINY, "per_class": 2})
    return out
