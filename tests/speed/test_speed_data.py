"""`synapt speed data` compares like with like (timings themselves are not tested)."""

import numpy as np
import torch

from synapt.speed import data as speed_data


def test_naive_and_fast_paths_produce_the_same_clip(tmp_path):
    (path,) = speed_data.write_test_clips(tmp_path, count=1, frames=16, size=112)
    naive = speed_data.naive_decode_clip(path, np.random.default_rng(4))
    fast = speed_data.fast_clip(path, np.random.default_rng(4))
    assert naive.shape == fast.shape == (3, 16, 112, 112)
    # same frames, crop and flip; the fused path snaps the crop to even pixels and upsamples
    # chroma bilinearly, so sharp block edges move by at most a pixel
    assert torch.corrcoef(torch.stack([naive.flatten(), fast.flatten()]))[0, 1] > 0.9
    assert (naive.mean(dim=(0, 2, 3)) - fast.mean(dim=(0, 2, 3))).abs().max() < 0.05
    assert naive.std() > 0.5  # real picture content


def test_textbook_baseline_gives_a_normalised_clip(tmp_path):
    (path,) = speed_data.write_test_clips(tmp_path, count=1, frames=16, size=112)
    clip = speed_data.naive_clip(path, np.random.default_rng(0))
    assert clip.shape == (3, 16, 112, 112) and -2.2 < clip.min() < clip.max() < 2.7


def test_allocator_tuning_succeeds_on_glibc():
    import platform

    import pytest

    from synapt.data.allocator import keep_freed_buffers

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt tuning is glibc-only")
    assert keep_freed_buffers() is True
