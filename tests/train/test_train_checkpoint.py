"""Checkpoint files: weights_only loading, refusal of pickled code, RNG round trip, atomicity."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

from synapt.errors import UserError
from synapt.train.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state


def test_round_trip(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint(path, {"model": {"w": torch.arange(3.0)}, "epoch": 2, "config": {"a": [1, 2]}})
    state = load_checkpoint(path)
    assert torch.equal(state["model"]["w"], torch.arange(3.0)) and state["epoch"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]  # no temporary file left behind


def test_pickled_callable_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"model": {"w": torch.zeros(1)}, "hook": os.system}, path)
    with pytest.raises(UserError, match=r"evil.pt holds pickled Python objects.*weights_only=True"):
        load_checkpoint(path)


def test_truncated_and_missing_files_are_user_errors(tmp_path):
    path = tmp_path / "cut.pt"
    save_checkpoint(path, {"model": {"w": torch.zeros(1000)}})
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(UserError, match="cannot be read"):
        load_checkpoint(path)
    with pytest.raises(UserError, match="not found"):
        load_checkpoint(tmp_path / "nope.pt")


def test_rng_state_survives_a_file(tmp_path):
    torch.manual_seed(1), np.random.seed(2), random.seed(3)
    save_checkpoint(tmp_path / "r.pt", {"rng": [rng_state()]})
    expected = (torch.rand(3), np.random.rand(3), [random.random() for _ in range(3)])
    set_rng_state(load_checkpoint(tmp_path / "r.pt")["rng"][0])
    again = (torch.rand(3), np.random.rand(3), [random.random() for _ in range(3)])
    assert torch.equal(expected[0], again[0])
    assert np.array_equal(expected[1], again[1]) and expected[2] == again[2]
