"""Frame-index sampling: pure functions checked by value."""

import numpy as np
import pytest

from synapt.data.sampling import dense_indices, sample_indices, segment_indices, wrap_indices


def test_tsn_test_takes_segment_centres():
    assert segment_indices(80, num_segments=8, train=False).tolist() == [[5, 15, 25, 35, 45, 55, 65, 75]]


def test_tsn_test_views_shift_evenly_inside_segments():
    views = segment_indices(80, num_segments=4, train=False, num_clips=2)
    assert views.tolist() == [[5, 25, 45, 65], [15, 35, 55, 75]]


def test_tsn_train_takes_one_random_frame_per_segment_reproducibly():
    a = segment_indices(100, num_segments=5, train=True, rng=np.random.default_rng(3))
    b = segment_indices(100, num_segments=5, train=True, rng=np.random.default_rng(3))
    assert np.array_equal(a, b) and a.shape == (1, 5)
    for k, index in enumerate(a[0]):
        assert 20 * k <= index < 20 * (k + 1)
    draws = np.concatenate([segment_indices(100, num_segments=5, train=True, rng=np.random.default_rng(s)) for s in range(50)])
    assert len(np.unique(draws[:, 0])) > 10  # offsets really vary


def test_tsn_on_a_video_shorter_than_the_segments_repeats_frames_in_order():
    indices = segment_indices(3, num_segments=8, train=False)[0]
    assert indices.min() == 0 and indices.max() == 2
    assert np.all(np.diff(indices) >= 0)


def test_dense_test_starts_are_evenly_spaced():
    clips = dense_indices(100, clip_len=4, frame_interval=2, train=False, num_clips=3)
    assert clips.tolist() == [[15, 17, 19, 21], [47, 49, 51, 53], [78, 80, 82, 84]]


def test_dense_train_start_is_random_and_clip_fits():
    for seed in range(20):
        clip = dense_indices(30, clip_len=8, frame_interval=3, train=True, rng=np.random.default_rng(seed))[0]
        assert np.all(np.diff(clip) == 3) and clip[-1] < 30


@pytest.mark.parametrize(
    "policy, expected", [("loop", [0, 1, 2, 3, 4, 0, 1, 2]), ("repeat_last", [0, 1, 2, 3, 4, 4, 4, 4])]
)
def test_short_video_policy(policy, expected):
    clip = dense_indices(5, clip_len=8, train=False, short_policy=policy)
    assert clip.tolist() == [expected]


def test_wrap_rejects_unknown_policy():
    with pytest.raises(ValueError, match="short_policy"):
        wrap_indices(np.arange(3), 2, "bounce")


def test_dispatch_and_argument_checks():
    assert sample_indices(16, sampling="tsn", clip_len=4, train=False).tolist() == [[2, 6, 10, 14]]
    with pytest.raises(ValueError, match="frame_interval"):
        sample_indices(16, sampling="tsn", clip_len=4, frame_interval=2, train=False)
    with pytest.raises(ValueError, match="at least one frame"):
        segment_indices(0, num_segments=4, train=False)
