"""Representation bias: the formula, the static probe, and the Figure-2 class subsets."""

import math

import numpy as np
import pytest

from synapt.bench.bias import (
    bias_or_none,
    bias_ranked_subsets,
    representation_bias,
    representation_bias_bits,
    transfer_ratio,
)


def test_bias_formula_matches_the_paper():
    # Chance accuracy is zero bias; a perfect probe on 101 classes is ln(101).
    assert representation_bias(1 / 48, 48) == pytest.approx(0.0)
    assert representation_bias(1.0, 101) == pytest.approx(math.log(101))
    assert representation_bias(0.5, 10) == pytest.approx(math.log(5))
    # Table 2's UCF101 B = 6.04 exceeds ln(101) = 4.62, the natural-log maximum; in bits it is a
    # static probe at 65% top-1, which is what an ImageNet ResNet-50 reaches on UCF101.
    assert representation_bias_bits(0.65, 101) == pytest.approx(6.04, abs=0.01)
    assert representation_bias(1.0, 101) < 6.04
    with pytest.raises(ValueError, match="accuracy"):
        representation_bias(0.0, 10)


def test_bias_ranked_subsets_go_from_low_to_high():
    acc = {c: a for c, a in enumerate([0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4])}
    subsets = bias_ranked_subsets(acc, subset_size=3, num_subsets=3)
    assert subsets == [[1, 5, 3], [7, 2, 4], [4, 6, 0]]  # windows start at 0, 2.5 -> 3, 5
    means = [np.mean([acc[c] for c in s]) for s in subsets]
    assert means == sorted(means)
    with pytest.raises(ValueError):
        bias_ranked_subsets(acc, subset_size=9, num_subsets=2)


def test_transfer_ratio():
    assert transfer_ratio(0.6, 0.4) == pytest.approx(1.5)


def test_bias_is_undefined_when_no_clip_is_right():
    assert bias_or_none(0.0, 10) == (None, None)
    assert bias_or_none(0.5, 10) == pytest.approx((math.log(5), math.log2(5)))
