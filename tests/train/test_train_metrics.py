"""Metrics as pure functions, on hand-checked values."""

from __future__ import annotations

import numpy as np
import pytest

from synapt.train.metrics import classification_metrics, confusion_matrix, mean_class_accuracy, topk_accuracy

SCORES = np.array([
    [0.7, 0.2, 0.1, 0.0],  # true 0, predicted 0
    [0.1, 0.6, 0.3, 0.0],  # true 2, predicted 1, 2 is second
    [0.2, 0.3, 0.5, 0.0],  # true 2, predicted 2
    [0.5, 0.4, 0.1, 0.0],  # true 1, predicted 0, 1 is second
])
LABELS = np.array([0, 2, 2, 1])


def test_topk():
    assert topk_accuracy(SCORES, LABELS, 1) == 0.5
    assert topk_accuracy(SCORES, LABELS, 2) == 1.0
    assert topk_accuracy(SCORES, LABELS, 5) == 1.0  # k capped at the number of classes


def test_mean_class_accuracy_ignores_absent_classes():
    # Recalls: class 0 = 1, class 1 = 0, class 2 = 1/2; class 3 has no sample and is left out.
    assert mean_class_accuracy(SCORES, LABELS) == pytest.approx((1 + 0 + 0.5) / 3)


def test_confusion_rows_are_true_classes():
    matrix = confusion_matrix(SCORES.argmax(1), LABELS, 4)
    assert matrix.tolist() == [[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]]


def test_summary():
    assert classification_metrics(SCORES, LABELS) == {
        "top1": 0.5, "top5": 1.0, "mean_class_accuracy": pytest.approx(0.5), "num_videos": 4}
