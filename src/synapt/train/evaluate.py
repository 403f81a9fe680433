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
        "confusion": (K, K) list}``.
    """
    _, scores, labels = predict(model, dataset, env=env, batch_size=batch_size, workers=workers,
                                autocast=autocast, progress=progress, desc=f"eval {protocol.get('split', '')}")
    result = {"protocol": dict(protocol), **classification_metrics(scores, labels)}
    result["confusion"] = confusion_matrix(scores.argmax(axis=1), labels, len(class_names)).tolist()
    return result


def write_confusion(path: str | Path, result: dict, class_names: list[str]) -> None:
    """Save a confusion matrix (rows = true class) with its class names and protocol."""
    atomic_write_text(path, json.dumps(
        {"protocol": result["protocol"], "class_names": class_names, "matrix": result["confusion"]}) + "\n")


def without_confusion(result: dict) -> dict:
    """The result minus its (large) matrix, for log lines and ``metrics.json``."""
    return {k: v for k, v in result.items() if k != "confusion"}
