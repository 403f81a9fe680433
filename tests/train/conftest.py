"""Fixtures for the training-engine tests: a tiny config over in-memory toy clips."""

from __future__ import annotations

import pytest

from synapt.config import load_config


@pytest.fixture
def tiny_config():
    """A 2-epoch, workers=0, fp32 run of TinyVideoNet; extra overrides as arguments."""

    def make(*overrides: str):
        return load_config(None, ["model.name=tiny", "data.workers=0", "data.num_frames=4", "data.size=16",
                                  "optim.batch_size=4", "optim.lr=0.05", "schedule.epochs=2",
                                  "eval.batch_size=4", *overrides])

    return make
