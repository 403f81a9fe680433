"""Starting weights per mode with the real model registry, precision, and label checks."""

from __future__ import annotations

import json

import pytest
import torch

from synapt.config import load_config
from synapt.data.records import VideoRecord
from synapt.errors import UserError
from synapt.models import build_model
from synapt.train.datasets import check_labels
from synapt.train.modes import prepare_model, set_train_mode
from synapt.train.precision import resolve_precision


@pytest.fixture
def imagenet_file(tmp_path):
    """A torchvision-layout 2-D ResNet file (the tiny one: same key names as ResNet-50's)."""
    torch.manual_seed(3)
    path = tmp_path / "resnet_tiny-imagenet.pth"
    torch.save(build_model("resnet_tiny", 1000).state_dict(), path)
    return path


def test_pretrain_tsn_from_imagenet_loads_every_backbone_key(imagenet_file):
    config = load_config(None, ["model.name=tsn_tiny", f"model.weights={imagenet_file}",
                                "model.weights_source=torchvision"])
    model = prepare_model(config.model, mode="pretrain", num_classes=5)
    image = torch.load(imagenet_file, weights_only=True)
    for key, value in model.state_dict().items():
        if not key.startswith("fc."):
            assert torch.equal(value, image[key]), key
    assert model.fc.out_features == 5


def test_pretrain_i3d_from_imagenet_is_inflated(imagenet_file):
    config = load_config(None, ["model.name=i3d_tiny", f"model.weights={imagenet_file}",
                                "model.weights_source=torchvision"])
    model = prepare_model(config.model, mode="pretrain", num_classes=5)
    image = torch.load(imagenet_file, weights_only=True)
    # Inflation spreads each 2-D kernel over time so that a static video gives the 2-D response.
    assert torch.allclose(model.conv1.weight.sum(dim=2), image["conv1.weight"], atol=1e-6)
    assert torch.equal(model.bn1.weight, image["bn1.weight"])


def test_linear_probe_model_from_a_real_checkpoint_has_frozen_bn(tmp_path):
    from synapt.train.checkpoint import make_meta, save_checkpoint

    path = tmp_path / "pre.pt"
    save_checkpoint(path, {"model": build_model("tsn_tiny", 7).state_dict(), "meta": make_meta(
        arch="tsn_tiny", num_frames=8, mean=[0.5] * 3, std=[0.5] * 3, class_names=[str(i) for i in range(7)],
        mode="pretrain", size=112)})
    config = load_config(None, ["mode=linear_probe", "model.name=tsn_tiny", f"model.weights={path}"])
    model = prepare_model(config.model, mode="linear_probe", num_classes=3)
    set_train_mode(model, "linear_probe")
    assert model.fc.out_features == 3 and model.training
    assert [name for name, p in model.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]
    assert all(not m.training for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))


def test_precision_choices():
    assert resolve_precision("fp32", torch.device("cpu")) == "fp32"
    assert resolve_precision("auto", torch.device("cpu")) in ("bf16", "fp32")
    assert resolve_precision("fp16", torch.device("cpu")) == "fp16"  # the GPU's GradScaler path, on the CPU


def test_bf16_training_step_runs_and_stays_finite(tmp_path, tiny_config):
    from synapt.train.checkpoint import load_checkpoint
    from synapt.train.loop import train
    from tinyvideo import tiny_builder, toy_datasets

    train(tiny_config("precision=bf16", "schedule.epochs=1"), out_dir=tmp_path, datasets=toy_datasets(),
          builder=tiny_builder, progress=False)
    state = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert state["model"]["conv1.weight"].dtype == torch.float32  # autocast, not a bf16 model
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())


def test_fp16_steps_that_overflow_are_skipped_and_the_scale_backs_off(tmp_path, tiny_config):
    """The GPU's fp16 recipe (autocast + dynamic GradScaler), run on the CPU: with a starting scale
    of 2^40 every scaled gradient overflows fp16, so no SGD step may touch the weights."""
    from synapt.train.checkpoint import load_checkpoint
    from synapt.train.loop import train
    from tinyvideo import tiny_builder, toy_datasets

    train(tiny_config("precision=fp16", "optim.loss_scale=1099511627776", "schedule.epochs=1"), out_dir=tmp_path,
          datasets=toy_datasets(), builder=tiny_builder, progress=False)
    state = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert state["step"] == 6
    assert state["scaler"]["scale"] == 2.0**40 / 2**6  # halved at each of the 6 overflowing steps
    assert state["optimizer"]["state"] == {}  # SGD never stepped: no momentum buffer exists


def test_fp16_training_with_the_default_scale_learns(tmp_path, tiny_config):
    from synapt.train.checkpoint import load_checkpoint
    from synapt.train.loop import train
    from tinyvideo import tiny_builder, toy_datasets

    train(tiny_config("precision=fp16", "schedule.epochs=3"), out_dir=tmp_path, datasets=toy_datasets(),
          builder=tiny_builder, progress=False)
    state = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert state["scaler"]["scale"] == 2.0**16 and state["scaler"]["_growth_tracker"] == 18  # no overflow
    assert len(state["optimizer"]["state"]) == len(state["model"]) - 3  # every parameter stepped (not BN buffers)
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    losses = [line["loss"] for line in log if line["kind"] == "epoch"]
    assert losses[-1] < losses[0]


def test_label_outside_the_head_names_the_record():
    records = [VideoRecord("a.mp4", 0), VideoRecord("b.mp4", 3)]
    with pytest.raises(UserError, match=r"train record b.mp4 has label 3, outside the 3 classes"):
        check_labels(records, 3, split="train", where="dataset x")
