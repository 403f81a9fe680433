"""End to end on real parts: H.264 clips written with PyAV, the ``synapt`` format loader,
``VideoClipDataset``, ``tsn_tiny`` from the model registry, and the ``synapt`` command."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from synapt.cli import main
from synapt.speed.train import write_toy_videos
from synapt.train.checkpoint import load_checkpoint


@pytest.fixture(scope="module")
def video_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    write_toy_videos(root, num_classes=3, per_class=6, frames=12, height=40, width=48,
                     splits=("train", "train", "val", "train", "test", "train"))
    return root


def _config(tmp_path, video_root) -> str:
    path = tmp_path / "tsn_tiny_1x1x4_toy.yaml"
    path.write_text(yaml.safe_dump({
        "mode": "pretrain",
        "data": {"format": "synapt", "root": str(video_root), "num_frames": 4, "size": 32, "workers": 0},
        "model": {"name": "tsn_tiny"},
        "optim": {"lr": 0.02, "batch_size": 4},
        "schedule": {"epochs": 2, "warmup_epochs": 0.5},
        "eval": {"batch_size": 4, "num_clips": 2, "num_crops": 3},
    }))
    return str(path)


@pytest.mark.slow
def test_train_then_eval_then_probe_through_the_cli(tmp_path, video_root, capsys):
    config = _config(tmp_path, video_root)
    run = tmp_path / "runs" / "pre"
    assert main(["train", "--config", config, "--out", str(run), "--no-progress", "seed=1"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["num_videos"] == 3 and metrics["best"]["num_videos"] == 3
    protocol = metrics["test"]["protocol"]
    assert (protocol["num_clips"], protocol["num_crops"], protocol["crop"]) == (2, 3, "three-crop")
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["seed"] == 1 and saved["data"]["root"] == str(video_root)
    state = load_checkpoint(run / "checkpoints" / "best.pt")
    assert state["meta"]["arch"] == "tsn_tiny" and state["meta"]["class_names"] == ["class_0", "class_1", "class_2"]
    assert state["model"]["fc.weight"].shape[0] == 3

    # The test number again, from the checkpoint alone, through `synapt eval`.
    out = tmp_path / "eval"
    assert main(["eval", "--checkpoint", str(run / "checkpoints" / "best.pt"), "--data", str(video_root),
                 "--clips-per-video", "2", "--crops", "3", "--out", str(out)]) == 0
    evaluated = json.loads((out / "eval_test.json").read_text())
    for key in ("top1", "top5", "mean_class_accuracy", "num_videos"):
        assert evaluated[key] == pytest.approx(metrics["test"][key]), key
    assert json.loads((out / "confusion_test.json").read_text())["class_names"] == ["class_0", "class_1", "class_2"]

    # Another label set, or a split the data does not have: one line each, before any decoding.
    other = tmp_path / "other"
    write_toy_videos(other, num_classes=2, per_class=1, frames=4, height=16, width=16)
    assert main(["eval", "--checkpoint", str(run / "checkpoints" / "best.pt"), "--data", str(other)]) == 2
    assert "fine-tune it on this dataset first" in capsys.readouterr().err
    assert main(["eval", "--checkpoint", str(run / "checkpoints" / "best.pt"), "--data", str(video_root),
                 "--split-name", "holdout"]) == 2
    assert "has no split 'holdout' (it has train, val, test)" in capsys.readouterr().err

    # A cached linear probe of that checkpoint: backbone untouched, a grid selected on val.
    probe = tmp_path / "runs" / "probe"
    assert main(["train", "--config", config, "--out", str(probe), "--no-progress", "mode=linear_probe",
                 f"model.weights={run / 'checkpoints' / 'best.pt'}", "probe.lrs=[0.1, 1.0]", "probe.epochs=3"]) == 0
    probed = load_checkpoint(probe / "checkpoints" / "best.pt")["model"]
    assert all(torch.equal(state["model"][k], probed[k]) for k in probed if not k.startswith("fc."))
    assert (tmp_path / "runs" / "feature_cache").is_dir()

    # --resume of a finished run with another learning rate names the key.
    assert main(["train", "--config", config, "--out", str(run), "--resume", "seed=1", "optim.lr=0.5"]) == 2
    assert "optim.lr differ" in capsys.readouterr().err


def test_missing_video_is_one_clear_error(tmp_path, video_root, capsys):
    root = tmp_path / "broken"
    write_toy_videos(root, num_classes=2, per_class=2, frames=4, height=16, width=16)
    next((root / "videos" / "class_1").iterdir()).unlink()
    config = _config(tmp_path, root)
    assert main(["train", "--config", config, "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("synapt: error: dataset synapt at") and "1 listed videos are missing" in err
    assert "data.on_error=skip" in err
