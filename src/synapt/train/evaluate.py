"""Evaluation: per-video scores (softmax averaged over views), gathered across ranks by video
index, turned into metrics that carry the protocol that produced them."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import torch
from einops import rearrange
from torch import nn
from torch.utils.data import Dataset
from tqdm import tqdm

from synapt.io import atomic_write_text
from synapt.train.distributed import DistEnv, gather_by_index
from synapt.train.loader import epoch_loader
from synapt.train.metrics import classification_metrics, confusion_matrix


@torch.no_grad()
def predict(model: nn.Module, dataset: Dataset, *, env: DistEnv, batch_size: int, workers: int | None = None,
            autocast: contextlib.AbstractContextManager | None = None, progress: bool = False,
            desc: str = "eval") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class probabilities of every video of ``dataset``.

    A batch of ``(B, V, C, T, H, W)`` holds V views per video: all views go through the model
    at once and their softmax is averaged per video.

    Returns:
        ``(indices (N,), probabilities (N, K) float32, labels (N,))`` sorted by dataset index,
        the same on every rank.
    """
    was_training = model.training
    model.eval()
    loader = epoch_loader(dataset, batch_size=batch_size, seed=0, epoch=0, shuffle=False, rank=env.rank,
                          world_size=env.world_size, workers=workers)
    indices, scores, labels = [], [], []
    bar = tqdm(loader, desc=desc, leave=False, disable=not (progress and env.is_main), dynamic_ncols=True)
    for video, label, index in bar:
        views = 1
        if video.dim() == 6:
            views = video.shape[1]
            video = rearrange(video, "b v c t h w -> (b v) c t h w")
        with autocast or contextlib.nullcontext():
            logits = model(video.to(env.device, non_blocking=True))
        probs = rearrange(logits.float().softmax(dim=-1), "(b v) k -> b v k", v=views).mean(dim=1)
        indices.append(index.numpy())
        scores.append(probs.cpu().numpy())
        labels.append(label.numpy())
    model.train(was_training)
    return gather_by_index(np.concatenate(indices), np.concatenate(scores), np.concatenate(labels), env)


def evaluate(model: nn.Module, dataset: Dataset, *, protocol: dict, class_names: list[str], env: DistEnv,
             batch_size: int, workers: int | None = None, autocast=None, progress: bool = False) -> dict:
    """Top-1/top-5/mean-class accuracy of ``model`` on ``dataset`` under ``protocol``.

    Returns:
        ``{"protocol": {...}, "top1", "top5", "mean_class_accuracy", "num_videos",
        "confusion": (K, K) list, "videos": per-video predictions}`` (see :func:`per_video`).
    """
    _, scores, labels = predict(model, dataset, env=env, batch_size=batch_size, workers=workers,
                                autocast=autocast, progress=progress, desc=f"eval {protocol.get('split', '')}")
    result = {"protocol": dict(protocol), **classification_metrics(scores, labels)}
    result["confusion"] = confusion_matrix(scores.argmax(axis=1), labels, len(class_names)).tolist()
    result["videos"] = per_video(dataset, scores.argmax(axis=1), labels)
    return result


def per_video(dataset: Dataset, predictions: np.ndarray, labels: np.ndarray) -> dict:
    """``{"path": [...], "label": [...], "pred": [...]}`` in dataset order: what paired comparisons
    of two models on the same test clips need (paths join runs whatever their order)."""
    records = getattr(dataset, "records", None)
    paths = [str(r.path) for r in records] if records is not None else [str(i) for i in range(len(labels))]
    return {"path": paths, "label": [int(v) for v in labels], "pred": [int(v) for v in predictions]}


def write_confusion(path: str | Path, result: dict, class_names: list[str]) -> None:
    """Save a confusion matrix (rows = true class) with its class names, protocol and, when the
    result has them, the per-video predictions (``videos``)."""
    content = {"protocol": result["protocol"], "class_names": class_names, "matrix": result["confusion"]}
    if "videos" in result:
        content["videos"] = result["videos"]
    atomic_write_text(path, json.dumps(content) + "\n")


def without_confusion(result: dict) -> dict:
    """The result minus its (large) matrix and per-video lists, for log lines and ``metrics.json``."""
    return {k: v for k, v in result.items() if k not in ("confusion", "videos")}


def evaluate_checkpoint(checkpoint: str | Path, *, root: str, data_format: str | None = None,
                        annotations: str | None = None, split: int = 1, split_name: str = "test",
                        num_clips: int = 1, num_crops: int = 1, batch_size: int = 8, workers: int | None = None,
                        precision: str = "fp32", builder=None, progress: bool = True) -> dict:
    """Evaluate any synapt checkpoint on any dataset split (``synapt eval``).

    The model is rebuilt from the checkpoint's ``meta.arch`` and config, and fed as it was
    trained (frames, crop size, mean/std from ``meta``). The dataset's class list must be the
    checkpoint's: otherwise its head does not speak the dataset's labels.

    Returns:
        The result of :func:`evaluate` (protocol, top1, top5, mean_class_accuracy, confusion).
    """
    from synapt.config import config_from_dict
    from synapt.errors import UserError
    from synapt.train.checkpoint import load_checkpoint, model_state_dict
    from synapt.train.datasets import check_labels, view_protocol
    from synapt.train.distributed import setup_distributed
    from synapt.train.modes import default_builder
    from synapt.train.precision import autocast, resolve_precision

    state = load_checkpoint(checkpoint)
    weights = model_state_dict(state, path=checkpoint)
    meta, config = state.get("meta"), state.get("config")
    if not meta or not config:
        raise UserError(f"checkpoint {checkpoint} has no meta/config: it is not a synapt training checkpoint")
    config = config_from_dict(config, where=f"checkpoint {checkpoint}")
    data = config.data
    data.format = data_format or data.format
    from synapt.data.dataset import VideoClipDataset
    from synapt.data.formats import load_dataset

    index = load_dataset(data.format, root, annotations=annotations, split=split)
    if list(index.class_names) != list(meta["class_names"]):
        raise UserError(
            f"dataset {data.format} at {root} has {len(index.class_names)} classes ({index.class_names[:3]}...), "
            f"checkpoint {checkpoint} was trained on {len(meta['class_names'])} ({meta['class_names'][:3]}...): "
            "fine-tune it on this dataset first (mode=finetune or linear_probe)")
    if split_name not in index.splits:
        raise UserError(f"dataset {data.format} at {root} has no split '{split_name}' "
                        f"(it has {', '.join(index.splits)})")
    records = index.splits[split_name]
    check_labels(records, len(index.class_names), split=split_name, where=f"dataset {data.format} at {root}")
    dataset = VideoClipDataset(records, num_frames=meta["num_frames"], sampling=data.sampling,
                               frame_interval=data.frame_interval, train=False, num_clips=num_clips,
                               num_crops=num_crops, size=meta.get("size", data.size), mean=meta["mean"],
                               std=meta["std"], flip=False, on_error=data.on_error, seed=config.seed)
    builder = builder or default_builder()
    model = builder(meta["arch"], len(meta["class_names"]), **{"dropout": config.model.dropout, **config.model.options})
    model.load_state_dict(weights)
    env = setup_distributed()
    model.to(env.device)
    data.size = meta.get("size", data.size)
    data.num_frames = meta["num_frames"]
    protocol = {**view_protocol(data, split=split_name, num_clips=num_clips, num_crops=num_crops),
                "dataset": data.format, "root": str(root), "checkpoint": str(checkpoint)}
    resolved = resolve_precision(precision, env.device)
    result = evaluate(model, dataset, protocol=protocol, class_names=list(meta["class_names"]), env=env,
                      batch_size=batch_size, workers=workers, autocast=autocast(resolved, env.device),
                      progress=progress)
    result["is_main"] = env.is_main
    return result
