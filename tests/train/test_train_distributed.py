"""Two real processes under torchrun (gloo, CPU) give the same metrics as one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from synapt.train.checkpoint import load_checkpoint
from synapt.train.loop import train

from tinyvideo import tiny_builder, toy_datasets

JOB = Path(__file__).with_name("ddp_job.py")


def _run(command: list[str]) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("RANK", None)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.slow
def test_two_processes_match_one(tmp_path, tiny_config):
    train(tiny_config("schedule.epochs=1"), out_dir=tmp_path / "pre", datasets=toy_datasets(), builder=tiny_builder,
          progress=False)
    weights = str(tmp_path / "pre" / "checkpoints" / "last.pt")
    _run([sys.executable, str(JOB), str(tmp_path / "one"), "8", weights])
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    _run(torchrun + [str(JOB), str(tmp_path / "two"), "4", weights])

    for name in ("loop", "loop_fp16", "cached"):
        one = json.loads((tmp_path / "one" / name / "metrics.json").read_text())
        two = json.loads((tmp_path / "two" / name / "metrics.json").read_text())
        assert two["world_size"] == 2 and one["world_size"] == 1
        for split in ("best", "test"):
            for key in ("top1", "top5", "mean_class_accuracy", "num_videos"):
                assert one[split][key] == pytest.approx(two[split][key]), (name, split, key)
        assert one["test"]["num_videos"] == 11  # padding de-duplicated by video index
    for name, tolerance in (("loop", 1e-5), ("loop_fp16", 1e-3)):
        a = load_checkpoint(tmp_path / "one" / name / "checkpoints" / "last.pt")
        b = load_checkpoint(tmp_path / "two" / name / "checkpoints" / "last.pt")
        assert torch.allclose(a["model"]["fc.weight"], b["model"]["fc.weight"], atol=tolerance), name
        assert a["scaler"] == b["scaler"], name  # the ranks skipped and scaled exactly as one process did
    epochs_one = [json.loads(l) for l in (tmp_path / "one" / "loop" / "log.jsonl").read_text().splitlines()]
    epochs_two = [json.loads(l) for l in (tmp_path / "two" / "loop" / "log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in epochs_one] == [3, 3, 6, 6, 6] == [e["step"] for e in epochs_two]
    assert epochs_two[0]["clips"] == 24


@pytest.mark.slow
def test_torchrun_eval_of_real_clips_matches_one_process(tmp_path):
    from synapt.config import config_to_dict, load_config
    from synapt.models import build_model
    from synapt.speed.train import write_toy_videos
    from synapt.train.checkpoint import make_meta, save_checkpoint

    # 9 test videos over 2 ranks: one rank gets a padding copy that must be counted once.
    root = tmp_path / "data"
    write_toy_videos(root, num_classes=3, per_class=5, frames=8, height=32, width=40, splits=("train", "test", "test"))
    torch.manual_seed(0)
    config = load_config(None, ["model.name=tsn_tiny", "data.num_frames=4", "data.size=32", "data.workers=0"])
    checkpoint = tmp_path / "model.pt"
    save_checkpoint(checkpoint, {"model": build_model("tsn_tiny", 3).state_dict(), "config": config_to_dict(config),
                                 "meta": make_meta(arch="tsn_tiny", num_frames=4, mean=config.data.mean,
                                                   std=config.data.std, class_names=["class_0", "class_1", "class_2"],
                                                   mode="pretrain", size=32)})
    command = ["-m", "synapt.cli", "eval", "--checkpoint", str(checkpoint), "--data", str(root),
               "--clips-per-video", "2", "--crops", "3", "--batch-size", "2", "--workers", "0"]
    _run([sys.executable, *command, "--out", str(tmp_path / "one")])
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", *command,
          "--out", str(tmp_path / "two")])
    one = json.loads((tmp_path / "one" / "eval_test.json").read_text())
    two = json.loads((tmp_path / "two" / "eval_test.json").read_text())
    assert one["num_videos"] == two["num_videos"] == 9
    for key in ("top1", "top5", "mean_class_accuracy"):
        assert one[key] == pytest.approx(two[key]), key
    assert json.loads((tmp_path / "one" / "confusion_test.json").read_text())["matrix"] == \
        json.loads((tmp_path / "two" / "confusion_test.json").read_text())["matrix"]
