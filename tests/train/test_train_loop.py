"""The training loop on TinyVideoNet and toy clips: run folder, modes, resume, failure paths."""

from __future__ import annotations

import json

import pytest
import torch

from synapt.errors import UserError
from synapt.train.checkpoint import load_checkpoint
from synapt.train.loop import TrainingDiverged, lr_at, train

from tinyvideo import tiny_builder, toy_datasets


def test_lr_at_warms_up_linearly_then_decays_by_cosine():
    kwargs = dict(base_lr=1.0, warmup_steps=4, total_steps=14, min_lr=0.0)
    assert [lr_at(s, **kwargs) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert lr_at(4, **kwargs) == pytest.approx(1.0)
    assert lr_at(9, **kwargs) == pytest.approx(0.5)  # half-way through the cosine
    assert lr_at(14, **kwargs) == 0.0
    assert lr_at(5, base_lr=0.1, warmup_steps=0, total_steps=10, min_lr=0.01) == pytest.approx(0.055)


def test_pretrain_writes_the_run_folder(tmp_path, tiny_config):
    metrics = train(tiny_config(), out_dir=tmp_path, datasets=toy_datasets(), builder=tiny_builder, progress=False)
    assert {p.name for p in tmp_path.iterdir()} >= {"config.yaml", "log.jsonl", "checkpoints", "metrics.json",
                                                     "confusion_val.json", "confusion_test.json"}
    lines = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["epoch", "eval", "epoch", "eval", "eval"]
    assert lines[0]["step"] == 6 and lines[2]["step"] == 12  # 24 clips / batch 4
    assert lines[0]["clips"] == 24
    test = metrics["test"]
    assert test["protocol"]["num_clips"] * test["protocol"]["num_crops"] == 1  # defaults: 1x1
    assert test["protocol"]["split"] == "test" and test["num_videos"] == 9
    # The toy classes are easy: the model must have learned something.
    assert metrics["best"]["top1"] > 0.5
    confusion = json.loads((tmp_path / "confusion_test.json").read_text())
    matrix = torch.tensor(confusion["matrix"])
    assert matrix.sum() == 9 and matrix.trace() / 9 == pytest.approx(test["top1"])
    state = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert set(state) >= {"model", "optimizer", "scheduler", "epoch", "step", "rng", "config", "meta"}
    assert state["epoch"] == 2 and state["step"] == 12 and state["position"]["batch"] == 0
    assert state["meta"]["class_names"] == ["class_0", "class_1", "class_2"]
    assert state["meta"]["arch"] == "tiny" and state["meta"]["num_frames"] == 4
    assert state["scheduler"]["total_steps"] == 12
    best = load_checkpoint(tmp_path / "checkpoints" / "best.pt")
    assert best["epoch"] == metrics["best"]["epoch"]


def test_multi_view_test_protocol_is_recorded(tmp_path, tiny_config):
    config = tiny_config("eval.num_clips=2", "schedule.epochs=1")
    metrics = train(config, out_dir=tmp_path, datasets=toy_datasets(views=2), builder=tiny_builder, progress=False)
    assert metrics["test"]["protocol"]["num_clips"] == 2
    assert metrics["test"]["protocol"]["aggregate"] == "mean softmax over views"


def _pretrained(tmp_path, tiny_config):
    run = tmp_path / "pre"
    train(tiny_config("schedule.epochs=1"), out_dir=run, datasets=toy_datasets(), builder=tiny_builder, progress=False)
    return run / "checkpoints" / "last.pt"


def test_linear_probe_freezes_backbone_and_batchnorm(tmp_path, tiny_config):
    weights = _pretrained(tmp_path, tiny_config)
    before = load_checkpoint(weights)["model"]
    config = tiny_config("mode=linear_probe", f"model.weights={weights}", "probe.cache=false", "optim.lr=0.5")
    train(config, out_dir=tmp_path / "lp", datasets=toy_datasets(num_classes=4), builder=tiny_builder,
          progress=False)
    after = load_checkpoint(tmp_path / "lp" / "checkpoints" / "last.pt")["model"]
    for key, value in before.items():
        if key.startswith("fc."):
            continue
        # Weights AND running statistics, bit for bit (num_batches_tracked too).
        assert torch.equal(value, after[key]), key
    assert after["fc.weight"].shape == (4, 8)


def test_finetune_loads_everything_but_the_head_and_trains_it_all(tmp_path, tiny_config):
    weights = _pretrained(tmp_path, tiny_config)
    before = load_checkpoint(weights)["model"]
    from synapt.train.modes import prepare_model

    config = tiny_config("mode=finetune", f"model.weights={weights}")
    model = prepare_model(config.model, mode="finetune", num_classes=5, builder=tiny_builder)
    assert model.fc.out_features == 5
    assert torch.equal(model.conv1.weight, before["conv1.weight"])
    assert all(p.requires_grad for p in model.parameters())
    train(config, out_dir=tmp_path / "ft", datasets=toy_datasets(num_classes=5), builder=tiny_builder,
          progress=False)
    after = load_checkpoint(tmp_path / "ft" / "checkpoints" / "last.pt")["model"]
    assert not torch.equal(after["conv1.weight"], before["conv1.weight"])


def test_finetune_refuses_a_checkpoint_of_another_architecture(tmp_path, tiny_config):
    weights = _pretrained(tmp_path, tiny_config)
    config = tiny_config("mode=finetune", f"model.weights={weights}", "model.name=tsn_tiny")
    with pytest.raises(UserError, match="is a tiny, but model.name is tsn_tiny"):
        train(config, out_dir=tmp_path / "ft", datasets=toy_datasets(), builder=tiny_builder, progress=False)


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, tiny_config):
    datasets = toy_datasets(poison_epoch=1)
    with pytest.raises(TrainingDiverged, match="loss is (nan|inf) at epoch 2"):
        train(tiny_config(), out_dir=tmp_path, datasets=datasets, builder=tiny_builder, progress=False)
    state = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert state["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())


@pytest.mark.parametrize("precision", ["fp32", "fp16"])  # fp16: the GradScaler's state must resume too
def test_resume_continues_exactly(tmp_path, tiny_config, precision):
    config = tiny_config("checkpoint_every=2", "model.dropout=0.5", f"precision={precision}", "optim.loss_scale=4096")
    train(config, out_dir=tmp_path / "whole", datasets=toy_datasets(), builder=tiny_builder, progress=False)
    # Crash in epoch 2 while fetching its 3rd batch (step 9): the last checkpoint is at step 8.
    crashing = toy_datasets(interrupt_after=24 + 2 * 4)
    with pytest.raises(KeyboardInterrupt):
        train(config, out_dir=tmp_path / "cut", datasets=crashing, builder=tiny_builder, progress=False)
    state = load_checkpoint(tmp_path / "cut" / "checkpoints" / "last.pt")
    assert (state["epoch"], state["position"]["batch"], state["step"]) == (1, 2, 8)
    train(config, out_dir=tmp_path / "cut", resume=True, datasets=toy_datasets(), builder=tiny_builder,
          progress=False)
    whole = load_checkpoint(tmp_path / "whole" / "checkpoints" / "last.pt")
    resumed = load_checkpoint(tmp_path / "cut" / "checkpoints" / "last.pt")
    for key in whole["model"]:
        assert torch.equal(whole["model"][key], resumed["model"][key]), key
    assert whole["scaler"] == resumed["scaler"]
    steps = [json.loads(line)["step"] for line in (tmp_path / "cut" / "log.jsonl").read_text().splitlines()]
    assert steps == [6, 6, 12, 12, 12]  # no line repeated or lost


def test_resume_with_another_config_names_the_keys(tmp_path, tiny_config):
    train(tiny_config("schedule.epochs=1"), out_dir=tmp_path, datasets=toy_datasets(), builder=tiny_builder,
          progress=False)
    with pytest.raises(UserError, match=r"optim.lr, schedule.epochs differ from"):
        train(tiny_config("schedule.epochs=3", "optim.lr=0.1"), out_dir=tmp_path, resume=True,
              datasets=toy_datasets(), builder=tiny_builder, progress=False)


def test_existing_run_needs_resume(tmp_path, tiny_config):
    train(tiny_config("schedule.epochs=1"), out_dir=tmp_path, datasets=toy_datasets(), builder=tiny_builder,
          progress=False)
    with pytest.raises(UserError, match="add --resume"):
        train(tiny_config("schedule.epochs=1"), out_dir=tmp_path, datasets=toy_datasets(), builder=tiny_builder,
              progress=False)


def test_out_of_range_label_is_an_error(tmp_path, tiny_config):
    datasets = toy_datasets(num_classes=3)
    datasets.class_names = datasets.class_names[:2]  # labels go to 2, the head is 2-way
    with pytest.raises(UserError, match="outside the 2-way head"):
        train(tiny_config(), out_dir=tmp_path, datasets=datasets, builder=tiny_builder, progress=False)


def test_tensorboard_mirrors_the_log_when_installed(tmp_path, tiny_config):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    train(tiny_config(), out_dir=tmp_path, datasets=toy_datasets(), builder=tiny_builder, progress=False)
    events = EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    scalars = events.Tags()["scalars"]
    assert {"epoch/loss", "epoch/train_top1", "eval_val/top1", "eval_test/top1"} <= set(scalars)
    lines = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    losses = [line["loss"] for line in lines if line["kind"] == "epoch"]
    logged = [event.value for event in events.Scalars("epoch/loss")]
    assert logged == pytest.approx(losses) and [e.step for e in events.Scalars("epoch/loss")] == [6, 12]
