"""Validity gates of a benchmark suite: can its labels be read off one frame?

A "motion" suite is only low-bias if one frame does not name the class. The single-frame probe
is deliberately crude, like the check that found the leak: the middle frame, shrunk to
``size`` x ``size`` grey pixels plus their edge magnitudes and a coarse colour histogram, fed
to an L2-regularised softmax regression scored by stratified k-fold cross-validation. What it
picks up is scene, props, colours and framing, not motion.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def frame_features(frame: np.ndarray, *, size: int = 16) -> np.ndarray:
    """Features of one ``(H, W, 3)`` uint8 frame: grey pixels, edge magnitudes, colour histogram."""
    rgb = frame.astype(np.float32) / 255.0
    h, w = rgb.shape[:2]
    ys = (np.arange(size) * h // size)[:, None]
    xs = (np.arange(size) * w // size)[None, :]
    # Box-average down to size x size (every block has the same number of pixels at our sizes).
    bh, bw = max(h // size, 1), max(w // size, 1)
    small = rgb[: bh * size, : bw * size].reshape(size, bh, size, bw, 3).mean(axis=(1, 3)) if h >= size else rgb[ys, xs]
    grey = small.mean(axis=2)
    gy, gx = np.gradient(grey)
    edges = np.hypot(gx, gy)
    hist = np.histogramdd(rgb.reshape(-1, 3), bins=(4, 4, 4), range=((0, 1),) * 3)[0].ravel() / (h * w)
    return np.concatenate([grey.ravel(), edges.ravel(), hist])


def softmax_fit(x: np.ndarray, y: np.ndarray, classes: int, *, l2: float, steps: int = 300, lr: float = 0.5) -> np.ndarray:
    n, d = x.shape
    w = np.zeros((d + 1, classes))
    xb = np.hstack([x, np.ones((n, 1))])
    onehot = np.eye(classes)[y]
    for _ in range(steps):
        logits = xb @ w
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = xb.T @ (p - onehot) / n
        grad[:-1] += l2 * w[:-1]
        w -= lr * grad
    return w


def softmax_predict(x: np.ndarray, y: np.ndarray, x_test: np.ndarray, classes: int, *, l2: float) -> np.ndarray:
    """Standardise on ``x``, fit :func:`softmax_fit`, and return the predicted class of each ``x_test`` row."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    w = softmax_fit((x - mean) / std, y, classes, l2=l2)
    return (np.hstack([(x_test - mean) / std, np.ones((len(x_test), 1))]) @ w).argmax(axis=1)


def probe_accuracy(features: np.ndarray, labels: np.ndarray, *, folds: int = 5, l2: float = 1e-2, seed: int = 0) -> dict:
    """Stratified k-fold accuracy of a softmax probe: ``{accuracy, balanced_accuracy, chance, n}``."""
    labels = np.asarray(labels)
    classes = int(labels.max()) + 1
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(labels), dtype=int)
    for c in range(classes):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        fold_of[idx] = np.arange(len(idx)) % folds
    pred = np.empty(len(labels), dtype=int)
    for k in range(folds):
        train, test = fold_of != k, fold_of == k
        pred[test] = softmax_predict(features[train], labels[train], features[test], classes, l2=l2)
    per_class = [float((pred[labels == c] == c).mean()) for c in range(classes) if np.any(labels == c)]
    return {"accuracy": float((pred == labels).mean()), "balanced_accuracy": float(np.mean(per_class)),
            "chance": 1.0 / classes, "n": int(len(labels))}  # fmt: skip


def single_frame_probe(root: str | Path, *, size: int = 16, folds: int = 5, seed: int = 0) -> dict:
    """The single-frame probe on every clip of a generated (or curated) dataset folder."""
    from synapt.data.video import open_video
    from synapt.sim.verify import read_manifest

    root = Path(root)
    feats, labels = [], []
    for row in read_manifest(root):
        reader = open_video(root / row["path"])
        middle = max(reader.num_frames // 2, 0)
        frame = reader.get_frames([middle])[0].permute(1, 2, 0).numpy()
        feats.append(frame_features(frame, size=size))
        labels.append(int(row["label"]))
    return probe_accuracy(np.stack(feats), np.array(labels), folds=folds, seed=seed)


# Class pairs one of which is the other played backwards or in the other direction (a flip twin
# is in catalog.flip_map()). A suite class whose twin was pre-trained on is not novel motion.
TIME_AND_DIRECTION_TWINS = (
    ("sit_down", "stand_up"), ("pick_up_object", "put_down_object"), ("put_on_top", "take_off_top"),
    ("move_closer", "move_apart"), ("walk_toward_camera", "walk_away_from_camera"), ("push_away", "push_toward"),
    ("lift_object", "drop_object"),
)  # fmt: skip


def twins_in(classes, pretrain) -> list[tuple[str, str]]:
    """(suite class, pre-training class) pairs that are mirror, time or direction twins."""
    from synapt.sim.catalog import flip_map

    pairs = set(flip_map().items())
    pairs |= set(TIME_AND_DIRECTION_TWINS) | {(b, a) for a, b in TIME_AND_DIRECTION_TWINS}
    pre = set(pretrain)
    return sorted((c, t) for c, t in pairs if c in set(classes) and t in pre)


def suite_gates(root: str | Path, *, classes, pretrain, low_bias: bool, in_domain: bool) -> dict:
    """The validity gates of one suite, as the report prints them."""
    probe = single_frame_probe(root)
    flagged = low_bias and probe["balanced_accuracy"] > probe["chance"] + 0.10
    return {**probe, "low_bias_claimed": low_bias, "not_low_bias": bool(flagged), "in_domain": in_domain,
            "twins": [list(p) for p in twins_in(classes, pretrain)]}  # fmt: skip


__all__ = ["TIME_AND_DIRECTION_TWINS", "frame_features", "probe_accuracy", "softmax_fit", "softmax_predict", "single_frame_probe", "suite_gates", "twins_in"]
