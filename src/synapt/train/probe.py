"""Linear probing on cached features: one backbone pass, then as many heads as the grid asks.

    checkpoint ─► frozen backbone ─► features (N, V, D) ─► cache file (per checkpoint, data, view)
                                                │
                    lr x batch x wd grid ─► head (nn.Linear) per point ─► best on val ─► test

A probe trained end-to-end pays a backbone forward pass for every clip of every epoch of every
grid point; here it pays one per clip and view, once. The price: **caching removes
augmentation from the probe** (every epoch sees the same view of a clip: the centre crop when
the data layer can give one, else one augmented view drawn once). Set ``probe.cache=false`` to
probe with augmentation through the normal loop (frozen backbone, BatchNorm in eval mode).

The cache key is a hash of the checkpoint file's bytes, the dataset (format, root, split,
records) and the view protocol, so a stale cache can never be read for other data.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import yaml
from einops import rearrange
from torch import nn
from torch.utils.data import Dataset
from tqdm import tqdm

from synapt.config import TrainConfig, config_to_dict
from synapt.errors import UserError
from synapt.io import atomic_write_bytes, atomic_write_text, torch_load_safely
from synapt.train.checkpoint import make_meta, save_checkpoint
from synapt.train.datasets import Datasets, view_protocol
from synapt.train.distributed import DistEnv, gather_by_index
from synapt.train.evaluate import per_video
from synapt.train.loader import epoch_loader
from synapt.train.metrics import classification_metrics, confusion_matrix
from synapt.train.modes import ModelBuilder, prepare_model
from synapt.train.precision import autocast, resolve_precision
from synapt.train.schedule import lr_at

CACHE_VERSION = 1


@torch.no_grad()
def extract_features(model: nn.Module, dataset: Dataset, *, env: DistEnv, batch_size: int,
                     workers: int | None = None, precision: str = "fp32", progress: bool = False,
                     desc: str = "features") -> dict[str, torch.Tensor]:
    """``model.forward_features`` of every view of every video, in eval mode.

    Returns:
        ``{"indices": (N,), "features": (N, V, D) float32, "labels": (N,)}`` sorted by dataset
        index, gathered from every rank.
    """
    model.eval()
    loader = epoch_loader(dataset, batch_size=batch_size, seed=0, epoch=0, shuffle=False, rank=env.rank,
                          world_size=env.world_size, workers=workers)
    indices, features, labels = [], [], []
    for video, label, index in tqdm(loader, desc=desc, leave=False, disable=not (progress and env.is_main),
                                    dynamic_ncols=True):
        views = video.shape[1] if video.dim() == 6 else 1
        if video.dim() == 6:
            video = rearrange(video, "b v c t h w -> (b v) c t h w")
        with autocast(precision, env.device):
            pooled = model.forward_features(video.to(env.device, non_blocking=True))
        features.append(rearrange(pooled.float().cpu(), "(b v) d -> b v d", v=views).numpy())
        indices.append(index.numpy())
        labels.append(label.numpy())
    index, feats, labs = gather_by_index(np.concatenate(indices), np.concatenate(features), np.concatenate(labels), env)
    return {"indices": torch.from_numpy(index), "features": torch.from_numpy(feats), "labels": torch.from_numpy(labs)}


def cached_features(model: nn.Module, dataset: Dataset, *, path: Path, env: DistEnv, **extract_options) -> dict:
    """Features from ``path`` when present, else extracted and written there atomically (rank 0)."""
    if path.is_file():
        return torch_load_safely(path, what="feature cache")
    result = extract_features(model, dataset, env=env, **extract_options)
    if env.is_main:
        import io

        buffer = io.BytesIO()
        torch.save(result, buffer)
        atomic_write_bytes(path, buffer.getvalue())
    return result


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (the checkpoint a cache belongs to), read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_key(*, checkpoint_digest: str, dataset_id: dict, protocol: dict, arch: dict) -> str:
    """A hex digest naming one (checkpoint bytes, dataset, view protocol, architecture) combination."""
    text = json.dumps({"v": CACHE_VERSION, "checkpoint": checkpoint_digest, "data": dataset_id, "protocol": protocol,
                       "arch": arch}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def dataset_fingerprint(dataset: Dataset) -> str:
    """The records a dataset reads (path, label, frame range), hashed; its length when it has none."""
    records = getattr(dataset, "records", None)
    if records is None:
        return f"len={len(dataset)}"
    text = "\n".join(f"{r.path}|{r.label}|{r.start_frame}|{r.end_frame}" for r in records)
    return hashlib.sha256(text.encode()).hexdigest()


def train_head(features: torch.Tensor, labels: torch.Tensor, *, num_classes: int, lr: float, batch_size: int,
               weight_decay: float, epochs: int, seed: int, momentum: float = 0.9, dropout: float = 0.0,
               standardize: bool = True) -> nn.Linear:
    """A linear head trained by SGD (momentum, cosine decay) on fixed features.

    Args:
        features: ``(N, D)``, or ``(N, V, D)`` where each view is one training sample.
        labels: ``(N,)`` class indices.
        epochs: passes over the samples; the cosine runs over all their steps.
        dropout: applied to the features, as the model's own head does.
        standardize: train on features standardised with the training set's per-dimension mean
            and std (as MAE's and VideoMAE's linear probes do with a BatchNorm without affine
            parameters), then fold the standardisation into the returned layer, which therefore
            takes raw features. Without it, one learning-rate grid serves networks whose feature
            scales differ several-fold (random-init vs trained) unequally.
    """
    if features.dim() == 3:
        views = features.shape[1]
        features = rearrange(features, "n v d -> (n v) d")
        labels = labels.repeat_interleave(views)
    mean = std = None
    if standardize:
        mean = features.mean(dim=0)
        std = features.std(dim=0, unbiased=False).clamp_min(1e-6)
        features = (features - mean) / std
    generator = torch.Generator().manual_seed(seed)
    head = nn.Linear(features.shape[1], num_classes)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        head.reset_parameters()
    optimizer = torch.optim.SGD(head.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    steps_per_epoch = -(-len(labels) // batch_size)
    total = epochs * steps_per_epoch
    with _one_thread():
        _fit(head, optimizer, features, labels, generator=generator, batch_size=batch_size, epochs=epochs,
             lr=lr, total=total, dropout=dropout)
    if mean is not None:  # W (x - m) / s + b = (W / s) x + (b - (W / s) m)
        with torch.no_grad():
            head.weight.div_(std)
            head.bias.sub_(head.weight @ mean)
    return head


@contextlib.contextmanager
def _one_thread():
    # A linear head's matmuls are microseconds: with several threads each op waits for
    # workers to wake (milliseconds on a busy machine), so one thread is 10-50x faster here.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _fit(head, optimizer, features, labels, *, generator, batch_size, epochs, lr, total, dropout) -> None:
    step = 0
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=generator)
        for start in range(0, len(labels), batch_size):
            batch = order[start:start + batch_size]
            x = features[batch]
            if dropout:
                keep = torch.rand(x.shape, generator=generator) >= dropout
                x = x * keep / (1 - dropout)
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, base_lr=lr, warmup_steps=0, total_steps=total)
            loss = F.cross_entropy(head(x), labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1


@torch.no_grad()
def head_scores(head: nn.Linear, features: torch.Tensor) -> np.ndarray:
    """Per-video probabilities: softmax of every view's logits, averaged over views."""
    if features.dim() == 2:
        features = features[:, None]
    return head(features).softmax(dim=-1).mean(dim=1).numpy()


def probe_grid(train: dict, val: dict | None, *, num_classes: int, lrs: list[float], batch_sizes: list[int],
               weight_decays: list[float], epochs: int, seed: int, dropout: float = 0.0,
               standardize: bool = True) -> list[dict]:
    """Train one head per (lr, batch size, weight decay); score each on ``val`` when given.

    Returns:
        One dict per grid point, in grid order: ``{"lr", "batch_size", "weight_decay", "head",
        "val": metrics or None}``.
    """
    results = []
    for lr, batch_size, weight_decay in itertools.product(lrs, batch_sizes, weight_decays):
        head = train_head(train["features"], train["labels"], num_classes=num_classes, lr=lr, batch_size=batch_size,
                          weight_decay=weight_decay, epochs=epochs, seed=seed, dropout=dropout, standardize=standardize)
        scores = None
        if val is not None:
            scores = classification_metrics(head_scores(head, val["features"]), val["labels"].numpy())
        results.append({"lr": lr, "batch_size": batch_size, "weight_decay": weight_decay, "head": head, "val": scores})
    return results


def run_cached_probe(config: TrainConfig, *, out_dir: Path, datasets: Datasets, env: DistEnv,
                     builder: ModelBuilder | None, progress: bool) -> dict[str, Any]:
    """``mode: linear_probe`` with ``probe.cache: true``: extract, grid, select on val, test.

    Writes the same run folder as the loop: the best head on the frozen backbone is saved as
    ``checkpoints/best.pt`` and ``last.pt`` (a complete model ``synapt eval`` can read).
    """
    probe = config.probe
    grid_size = len(probe.lrs) * len(probe.batch_sizes) * len(probe.weight_decays)
    if grid_size > 1 and datasets.val is None:
        raise UserError(f"probe grid of {grid_size} points needs a '{config.data.val_split}' split to select on "
                        "(selecting on test inflates results): set data.val_split or give one value per probe list")
    num_classes = len(datasets.class_names)
    model = prepare_model(config.model, mode="linear_probe", num_classes=num_classes, builder=builder).to(env.device)
    precision = resolve_precision(config.precision, env.device)
    cache_dir = Path(probe.cache_dir) if probe.cache_dir else out_dir.parent / "feature_cache"
    arch = {"name": config.model.name, "options": config.model.options}
    dataset_id = {"format": config.data.format, "root": config.data.root, "annotations": config.data.annotations,
                  "split": config.data.split}

    checkpoint_digest = file_digest(config.model.weights)

    def features(split: str, dataset: Dataset, protocol: dict) -> dict:
        key = cache_key(checkpoint_digest=checkpoint_digest, arch=arch, protocol=protocol,
                        dataset_id={**dataset_id, "name": split, "records": dataset_fingerprint(dataset)})
        return cached_features(model, dataset, path=cache_dir / f"{split}-{key}.pt", env=env,
                               batch_size=config.eval.batch_size, workers=config.data.workers,
                               precision=precision, progress=progress, desc=f"features {split}")

    protocols = {
        "train": {**view_protocol(config.data, split=config.data.train_split, num_clips=1, num_crops=1),
                  "view": "centre crop" if datasets.train_eval is not None else "one augmented view, drawn once"},
        "val": datasets.protocols.get("val") or view_protocol(config.data, split=config.data.val_split, num_clips=1,
                                                              num_crops=1),
        "test": datasets.protocols.get("test") or view_protocol(config.data, split=config.data.test_split,
                                                                num_clips=config.eval.num_clips,
                                                                num_crops=config.eval.num_crops),
    }
    train_feats = features("train", datasets.train_eval or datasets.train, protocols["train"])
    val_feats = features("val", datasets.val, protocols["val"]) if datasets.val is not None else None
    results = probe_grid(train_feats, val_feats, num_classes=num_classes, lrs=probe.lrs, batch_sizes=probe.batch_sizes,
                         weight_decays=probe.weight_decays, epochs=probe.epochs, seed=config.seed,
                         dropout=config.model.dropout, standardize=probe.standardize)
    best = max(results, key=lambda r: r["val"]["top1"] if r["val"] else 0.0)

    # The frozen backbone plus the chosen head is an ordinary model checkpoint.
    model.fc.load_state_dict(best["head"].state_dict())
    resolved = config_to_dict(config)
    meta = make_meta(arch=config.model.name, num_frames=config.data.num_frames, mean=config.data.mean,
                     std=config.data.std, class_names=datasets.class_names, mode="linear_probe", size=config.data.size)
    chosen = {k: best[k] for k in ("lr", "batch_size", "weight_decay")}
    metrics: dict[str, Any] = {"mode": "linear_probe", "arch": config.model.name, "feature_cache": str(cache_dir),
                               "selected_on": "val top1" if val_feats is not None else "single grid point",
                               "chosen": chosen, "grid": [], "world_size": env.world_size}
    for r in results:
        point = {k: r[k] for k in ("lr", "batch_size", "weight_decay")}
        metrics["grid"].append({**point, "val": r["val"]})
    if val_feats is not None:
        metrics["best"] = {"protocol": protocols["val"], **best["val"], **chosen}
    if config.eval.test and datasets.test is not None:
        test_feats = features("test", datasets.test, protocols["test"])
        scores, labels = head_scores(best["head"], test_feats["features"]), test_feats["labels"].numpy()
        metrics["test"] = {"protocol": protocols["test"], **classification_metrics(scores, labels)}
        if env.is_main:
            atomic_write_text(out_dir / "confusion_test.json", json.dumps({
                "protocol": protocols["test"], "class_names": datasets.class_names,
                "matrix": confusion_matrix(scores.argmax(1), labels, num_classes).tolist(),
                "videos": per_video(datasets.test, scores.argmax(1), labels)}) + "\n")
    if env.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out_dir / "config.yaml", yaml.safe_dump(resolved, sort_keys=False))
        state = {"model": model.state_dict(), "optimizer": {}, "scheduler": {"kind": "probe", **chosen},
                 "epoch": probe.epochs, "step": 0, "rng": [], "config": resolved, "meta": meta,
                 "position": {"batch": 0, "best": metrics.get("best")}}
        save_checkpoint(out_dir / "checkpoints" / "best.pt", state)
        save_checkpoint(out_dir / "checkpoints" / "last.pt", state)
        with open(out_dir / "log.jsonl", "a") as handle:
            for point in metrics["grid"]:
                handle.write(json.dumps({"kind": "probe", "step": 0, **point}) + "\n")
            if "test" in metrics:
                handle.write(json.dumps({"kind": "eval", "step": 0, **metrics["test"]}) + "\n")
        atomic_write_text(out_dir / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    return metrics
