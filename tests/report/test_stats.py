import numpy as np
import pytest

from synapt.report.stats import bootstrap_ci


def test_bootstrap_ci_brackets_the_accuracy_and_shrinks_with_clips():
    small = np.array([1] * 6 + [0] * 4)
    large = np.tile(small, 40)
    lo_s, hi_s = bootstrap_ci(small, seed=1)
    lo_l, hi_l = bootstrap_ci(large, seed=1)
    assert lo_s < 0.6 < hi_s and lo_l < 0.6 < hi_l
    assert (hi_l - lo_l) < (hi_s - lo_s) / 4
    # Normal approximation for 400 clips: 1.96 * sqrt(.24 / 400) = 0.048.
    assert (hi_l - lo_l) / 2 == pytest.approx(0.048, abs=0.006)
    assert bootstrap_ci(small, seed=1) == (lo_s, hi_s)
    assert bootstrap_ci(np.ones(5)) == (1.0, 1.0)


def test_paired_interval_is_narrower_than_unpaired_and_centred_on_the_difference():
    from synapt.report.stats import paired_bootstrap_ci

    rng = np.random.default_rng(0)
    easy = rng.uniform(size=200) < 0.5  # clips both models get right or wrong together
    a = easy | (rng.uniform(size=200) < 0.2)  # A also gets some hard clips right
    b = easy.copy()
    diff, low, high = paired_bootstrap_ci(a, b)
    assert diff == pytest.approx(a.mean() - b.mean())
    assert 0 < low < diff < high
    ua, ub = bootstrap_ci(a), bootstrap_ci(b)
    assert high - low < (ua[1] - ua[0]) + (ub[1] - ub[0])
    same = paired_bootstrap_ci(b, b)
    assert same == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="equal"):
        paired_bootstrap_ci(a[:10], b)


def test_fold_interval_is_t_based_over_folds_and_clipped():
    from synapt.report.stats import fold_mean_ci

    mean, low, high = fold_mean_ci([0.6, 0.7, 0.8, 0.5, 0.9])
    # s = 0.158, t(0.975, 4) = 2.776: half-width 2.776 * 0.158 / sqrt(5) = 0.196.
    assert mean == pytest.approx(0.7) and (high - low) / 2 == pytest.approx(0.1963, abs=1e-4)
    assert fold_mean_ci([0.5, 0.5, 0.5]) == (0.5, 0.5, 0.5)
    assert fold_mean_ci([1.0, 0.9]) == pytest.approx((0.95, 0.3147, 1.0), abs=1e-4)  # 12.7 * 0.05 below, clipped above
    with pytest.raises(ValueError, match="at least two folds"):
        fold_mean_ci([0.5])
