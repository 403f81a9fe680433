"""Statistics for reported numbers: bootstrap intervals over test clips, t intervals over folds."""

from __future__ import annotations

import numpy as np


def bootstrap_ci(
    correct: np.ndarray, *, confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of an accuracy.

    Args:
        correct: one 0/1 entry per test clip (1 = top-1 correct).
        confidence: the interval's coverage, e.g. 0.95.
        resamples: bootstrap resamples (clips drawn with replacement).
        seed: fixes the resamples so the report is reproducible.
    Returns:
        (low, high) as fractions.
    """
    correct = np.asarray(correct, dtype=np.float64)
    if correct.size == 0:
        raise ValueError("bootstrap_ci needs at least one clip")
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, correct.size, size=(resamples, correct.size))
    means = correct[draws].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def paired_bootstrap_ci(
    correct_a: np.ndarray, correct_b: np.ndarray, *, confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Difference of two accuracies on the same clips, with its paired percentile bootstrap interval.

    Clips are drawn with replacement and both models' results on a drawn clip move together, so
    clip difficulty, shared by both, cancels: the interval is much narrower than the unpaired one.

    Args:
        correct_a, correct_b: one 0/1 entry per test clip, in the same clip order.
    Returns:
        (accuracy A - accuracy B, low, high) as fractions.
    """
    a = np.asarray(correct_a, dtype=np.float64)
    b = np.asarray(correct_b, dtype=np.float64)
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"paired_bootstrap_ci needs two equal, non-empty lists of clips ({a.size} vs {b.size})")
    diff = a - b
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, diff.size, size=(resamples, diff.size))].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(diff.mean()), float(low), float(high)


def fold_mean_ci(values, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of per-fold accuracies with a t-based interval over folds.

    ``mean +- t(confidence, k - 1) * s / sqrt(k)``, s the folds' sample standard deviation, clipped
    to [0, 1]. The training sets of different folds overlap, so the folds are not independent
    draws and the interval is the customary k-fold summary rather than an exact one (it tends to
    be too narrow; Bengio and Grandvalet, 2004).

    Args:
        values: one accuracy per fold (fractions), at least two.
    Returns:
        (mean, low, high) as fractions.
    """
    from scipy.stats import t

    x = np.asarray(values, dtype=np.float64)
    if x.size < 2:
        raise ValueError(f"fold_mean_ci needs at least two folds, got {x.size}")
    mean = float(x.mean())
    half = float(t.ppf(0.5 + confidence / 2.0, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return mean, max(0.0, mean - half), min(1.0, mean + half)
