"""A run killed with SIGKILL mid-epoch and resumed ends with the same weights as one never killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from synapt.errors import UserError
from synapt.train.checkpoint import load_checkpoint

JOB = Path(__file__).with_name("resume_job.py")


def _env():
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("RANK", None)
    return env


def _mid_epoch_checkpoint(path: Path):
    if not path.is_file():
        return None
    try:
        state = load_checkpoint(path)
    except UserError:
        return None
    # Mid-epoch (epoch 2 or 3, after step 9 or 15), not the first epoch: the resume must also
    # skip a whole finished epoch.
    return state if state["epoch"] >= 1 and state["position"]["batch"] > 0 else None


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_is_exact(tmp_path):
    whole = subprocess.run([sys.executable, str(JOB), str(tmp_path / "whole")], env=_env(), capture_output=True,
                           text=True, timeout=120)
    assert whole.returncode == 0, whole.stderr[-2000:]

    cut = tmp_path / "cut"
    process = subprocess.Popen([sys.executable, str(JOB), str(cut), "--slow"], env=_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    state = None
    while state is None and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        state = _mid_epoch_checkpoint(cut / "checkpoints" / "last.pt")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert state is not None, "the job never wrote a mid-epoch checkpoint after epoch 1"
    assert state["position"]["batch"] == 3  # an odd batch with two workers
    assert load_checkpoint(cut / "checkpoints" / "last.pt")["step"] < 18  # killed before the end

    resumed = subprocess.run([sys.executable, str(JOB), str(cut), "--fast", "--resume"], env=_env(),
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a = load_checkpoint(tmp_path / "whole" / "checkpoints" / "last.pt")
    b = load_checkpoint(cut / "checkpoints" / "last.pt")
    assert a["step"] == b["step"] == 18
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    for group_a, group_b in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values()):
        assert torch.equal(group_a["momentum_buffer"], group_b["momentum_buffer"])
