"""Classification metrics as pure functions of scores and labels (numpy in, floats out).

``scores`` is ``(N, K)`` (logits or probabilities: only the ranking matters), ``labels`` is
``(N,)`` ints in ``[0, K)``. Accuracies are fractions in [0, 1].
"""

from __future__ import annotations

import numpy as np


def topk_accuracy(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Fraction of rows whose label is among the ``k`` highest scores (k is capped at K)."""
    scores, labels = np.asarray(scores), np.asarray(labels)
    if len(labels) == 0:
        return float("nan")
    k = min(k, scores.shape[1])
    # argpartition is O(K) per row; ties are broken arbitrarily, as in every top-k metric.
    topk = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return float((topk == labels[:, None]).any(axis=1).mean())


def confusion_matrix(predictions: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """``(K, K)`` int64 counts; row = true class, column = predicted class."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix


def mean_class_accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Recall averaged over the classes PRESENT in ``labels``.

    A class with no ground-truth sample (Diving48's class 30) has no recall; counting it as 0
    or 1 would move the mean, so it is left out.
    """
    scores, labels = np.asarray(scores), np.asarray(labels)
    if len(labels) == 0:
        return float("nan")
    matrix = confusion_matrix(scores.argmax(axis=1), labels, scores.shape[1])
    support = matrix.sum(axis=1)
    present = support > 0
    return float((np.diag(matrix)[present] / support[present]).mean())


def classification_metrics(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Top-1, top-5 and mean class accuracy, plus the number of videos they cover."""
    return {
        "top1": topk_accuracy(scores, labels, 1),
        "top5": topk_accuracy(scores, labels, 5),
        "mean_class_accuracy": mean_class_accuracy(scores, labels),
        "num_videos": int(len(labels)),
    }
