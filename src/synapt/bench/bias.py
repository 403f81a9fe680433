"""Representation bias, after Li et al. (RESOUND, ECCV 2018) as used by SynAPT (eq. 1):

    B(D, phi) = log( M(D, phi) / M_rnd ),   M_rnd = 1 / number of classes,

The paper's Table 2 values are consistent with a base-2 log (UCF101's 6.04 exceeds
ln(101) = 4.62, the largest natural-log value possible with 101 classes), so results also carry
``B_log2`` = B / ln 2 for comparison with it.

M is the accuracy of a linear classifier on frozen *static* features phi (a 2-D image
encoder applied to frames, averaged over time). The log is natural. A dataset whose actions
can be told apart from objects and scenery alone has a high B; one that needs motion, a low B.

This module holds the formula and the class-subset study of the paper's Figure 2; the probe
itself is the training engine's cached linear probe (see ``bench/bias_stage.py``).
"""

from __future__ import annotations

import math



def representation_bias(accuracy: float, num_classes: int) -> float:
    """B = ln(M / M_rnd) with M_rnd = 1 / num_classes.

    Args:
        accuracy: the static probe's accuracy M, a fraction in (0, 1].
        num_classes: classes of the dataset (the head's size, so empty classes count).
    Returns:
        The bias in nats; 0 means chance, ln(num_classes) a perfect static probe.
    """
    if not 0.0 < accuracy <= 1.0:
        raise ValueError(f"accuracy must be in (0, 1], got {accuracy}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    return math.log(accuracy * num_classes)


def bias_or_none(accuracy: float, num_classes: int) -> tuple[float | None, float | None]:
    """(B in nats, B in bits), or (None, None) when no clip was right: B would be minus infinity."""
    if accuracy <= 0.0:
        return None, None
    return representation_bias(accuracy, num_classes), representation_bias_bits(accuracy, num_classes)


def representation_bias_bits(accuracy: float, num_classes: int) -> float:
    """The same bias in bits, log2(M / M_rnd): the unit the paper's Table 2 appears to use."""
    return representation_bias(accuracy, num_classes) / math.log(2)


def bias_ranked_subsets(per_class_accuracy: dict[int, float], *, subset_size: int, num_subsets: int) -> list[list[int]]:
    """Class subsets from low to high static bias (the paper's Figure 2).

    Classes are ranked by their static-probe accuracy; ``num_subsets`` windows of
    ``subset_size`` consecutive classes are placed evenly along that ranking (overlapping
    when the classes do not divide evenly), so subset 0 holds the classes static features
    recognise worst and the last the classes they recognise best.

    Returns:
        Lists of class ids, lowest-bias subset first.
    """
    ranked = sorted(per_class_accuracy, key=lambda c: (per_class_accuracy[c], c))
    if subset_size > len(ranked):
        raise ValueError(f"subset_size={subset_size} exceeds the {len(ranked)} classes available")
    last_start = len(ranked) - subset_size
    if num_subsets == 1:
        starts = [last_start // 2]
    else:
        starts = [int(i * last_start / (num_subsets - 1) + 0.5) for i in range(num_subsets)]
    return [ranked[s : s + subset_size] for s in starts]


def transfer_ratio(real_like: float, synthetic: float) -> float:
    """Accuracy of real-like pre-training over synthetic pre-training (Figure 2's y-axis)."""
    return real_like / synthetic if synthetic > 0 else float("inf")
