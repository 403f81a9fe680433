"""Linear probe on cached features: one extraction per (checkpoint, data, view), a grid of heads."""

from __future__ import annotations

import json

import pytest
import torch

from synapt.errors import UserError
from synapt.train.checkpoint import load_checkpoint
from synapt.train.distributed import DistEnv
from synapt.train.loop import train
from synapt.train.probe import extract_features, head_scores, train_head

from tinyvideo import TinyVideoNet, ToyClips, tiny_builder, toy_datasets


def test_features_are_forward_features_per_view():
    torch.manual_seed(0)
    model = TinyVideoNet(3).eval()
    data = ToyClips(5, views=2, train=False, size=8)
    out = extract_features(model, data, env=DistEnv(), batch_size=2, workers=0)
    assert out["features"].shape == (5, 2, 8)
    assert out["indices"].tolist() == [0, 1, 2, 3, 4] and out["labels"].tolist() == [0, 1, 2, 0, 1]
    video, _, _ = data[3]
    with torch.no_grad():
        assert torch.allclose(out["features"][3], model.forward_features(video), atol=1e-6)


def test_head_learns_separable_features_and_is_seeded():
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(60) % 3
    features = torch.randn(60, 4, generator=generator) * 0.1 + torch.nn.functional.one_hot(labels, 4).float()
    kwargs = dict(num_classes=3, lr=0.5, batch_size=8, weight_decay=0.0, epochs=10, seed=1)
    head = train_head(features, labels, **kwargs)
    assert (head_scores(head, features).argmax(1) == labels.numpy()).mean() == 1.0
    again = train_head(features, labels, **kwargs)
    assert torch.equal(head.weight, again.weight)


def test_standardised_probe_is_blind_to_feature_scale_and_folds_into_the_head():
    """A random-init network's features are several times smaller than a trained one's; the
    standardised probe treats both alike, and its saved head takes raw features."""
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(90) % 3
    signal = torch.nn.functional.one_hot(labels, 6).float() + 0.4 * torch.randn(90, 6, generator=generator)
    kwargs = dict(num_classes=3, lr=0.1, batch_size=16, weight_decay=0.0, epochs=15, seed=2)
    accuracy = {}
    for scale in (1.0, 0.01):
        features = scale * signal + 3.0 * scale  # offset and scale as a network's ReLU features have
        for standardize in (True, False):
            head = train_head(features, labels, standardize=standardize, **kwargs)
            accuracy[scale, standardize] = (head_scores(head, features).argmax(1) == labels.numpy()).mean()
        # folded: the layer on raw features equals a head on standardised ones
        head = train_head(features, labels, **kwargs)
        mean, std = features.mean(0), features.std(0, unbiased=False)
        unfolded = torch.nn.Linear(6, 3)
        unfolded.weight.data, unfolded.bias.data = head.weight * std, head.bias + head.weight @ mean
        assert torch.allclose(head(features), unfolded((features - mean) / std), atol=1e-4)
    assert accuracy[1.0, True] == pytest.approx(accuracy[0.01, True], abs=0.02) and accuracy[0.01, True] > 0.8
    assert accuracy[0.01, False] < accuracy[0.01, True] - 0.3  # raw tiny features barely move an SGD head


def _pretrained(tmp_path, tiny_config):
    run = tmp_path / "pre"
    train(tiny_config("schedule.epochs=1"), out_dir=run, datasets=toy_datasets(), builder=tiny_builder, progress=False)
    return run / "checkpoints" / "last.pt"


def test_cached_probe_grid_extracts_once_and_writes_a_usable_checkpoint(tmp_path, tiny_config):
    weights = _pretrained(tmp_path, tiny_config)
    config = tiny_config("mode=linear_probe", f"model.weights={weights}", "probe.lrs=[0.1, 1.0]",
                         "probe.batch_sizes=[4, 8]", "probe.weight_decays=[0.0, 0.001]", "probe.epochs=5",
                         f"probe.cache_dir={tmp_path / 'cache'}")
    datasets = toy_datasets(num_classes=3)
    metrics = train(config, out_dir=tmp_path / "lp", datasets=datasets, builder=tiny_builder, progress=False)
    assert len(metrics["grid"]) == 8
    best_val = max(point["val"]["top1"] for point in metrics["grid"])
    assert metrics["best"]["top1"] == best_val
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "cache").iterdir()) == ["test", "train", "val"]
    # The checkpoint is the frozen backbone plus the chosen head.
    before = load_checkpoint(weights)["model"]
    after = load_checkpoint(tmp_path / "lp" / "checkpoints" / "best.pt")["model"]
    assert all(torch.equal(before[k], after[k]) for k in before if not k.startswith("fc."))

    # A second run over the same checkpoint and data reads the cache: no clip is loaded again.
    fetched = toy_datasets(num_classes=3)
    again = train(config, out_dir=tmp_path / "lp2", datasets=fetched, builder=tiny_builder, progress=False)
    assert fetched.train.fetches == 0 and fetched.val.fetches == 0 and fetched.test.fetches == 0
    assert again["test"]["top1"] == metrics["test"]["top1"]
    lines = [json.loads(line) for line in (tmp_path / "lp" / "log.jsonl").read_text().splitlines()]
    assert [line["kind"] for line in lines].count("probe") == 8


def test_grid_without_val_refuses_to_select_on_test(tmp_path, tiny_config):
    weights = _pretrained(tmp_path, tiny_config)
    config = tiny_config("mode=linear_probe", f"model.weights={weights}", "probe.lrs=[0.1, 1.0]")
    datasets = toy_datasets()
    datasets.val = None
    with pytest.raises(UserError, match="needs a 'val' split to select on"):
        train(config, out_dir=tmp_path / "lp", datasets=datasets, builder=tiny_builder, progress=False)


def test_cache_key_changes_with_checkpoint_data_and_view():
    from synapt.train.probe import cache_key

    base = dict(checkpoint_digest="abc", dataset_id={"root": "/d", "name": "train"},
                protocol={"size": 112, "num_clips": 1}, arch={"name": "tsn_tiny"})
    key = cache_key(**base)
    assert cache_key(**base) == key
    assert cache_key(**{**base, "checkpoint_digest": "abd"}) != key
    assert cache_key(**{**base, "dataset_id": {"root": "/d", "name": "val"}}) != key
    assert cache_key(**{**base, "protocol": {"size": 112, "num_clips": 3}}) != key
