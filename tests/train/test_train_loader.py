"""Epoch order, rank shares and resumable loaders: functions of (seed, epoch, index) only."""

from __future__ import annotations

import pytest
import torch

from synapt.train.loader import batches_per_epoch, epoch_loader, epoch_order, rank_share

from tinyvideo import ToyClips


def test_epoch_order_is_a_function_of_seed_and_epoch():
    assert epoch_order(10, seed=0, epoch=1, shuffle=True) == epoch_order(10, seed=0, epoch=1, shuffle=True)
    assert epoch_order(10, seed=0, epoch=1, shuffle=True) != epoch_order(10, seed=0, epoch=2, shuffle=True)
    assert sorted(epoch_order(10, seed=3, epoch=0, shuffle=True)) == list(range(10))
    assert epoch_order(4, seed=0, epoch=0, shuffle=False) == [0, 1, 2, 3]


def test_rank_shares_pad_by_wrapping_and_cover_everything():
    order = [4, 0, 3, 1, 2]
    shares = [rank_share(order, rank=r, world_size=2) for r in range(2)]
    assert shares == [[4, 3, 2], [0, 1, 4]]  # padded to 6 with the first item
    assert batches_per_epoch(5, batch_size=2, world_size=2) == 2


def _all_batches(loader):
    return [(video, label, index) for video, label, index in loader]


def test_skipping_batches_gives_the_same_later_batches_whatever_the_workers():
    data = ToyClips(10, size=8)
    whole = _all_batches(epoch_loader(data, batch_size=3, seed=5, epoch=1, shuffle=True, workers=0))
    resumed = _all_batches(epoch_loader(data, batch_size=3, seed=5, epoch=1, shuffle=True, workers=2,
                                        skip_batches=2))
    assert len(resumed) == len(whole) - 2
    for (v1, l1, i1), (v2, l2, i2) in zip(whole[2:], resumed):
        assert torch.equal(i1, i2) and torch.equal(l1, l2)
        assert torch.equal(v1, v2)  # the random flip is re-drawn identically


@pytest.mark.parametrize("skip", [1, 2, 3])
def test_resume_keeps_each_batch_on_its_worker(skip):
    # A dataset that mixes the worker's seed into its augmentation still resumes exactly.
    data = ToyClips(14, size=8, worker_seeded=True)
    options = dict(batch_size=2, seed=5, epoch=1, shuffle=True, workers=2)
    whole = _all_batches(epoch_loader(data, **options))
    resumed = _all_batches(epoch_loader(data, skip_batches=skip, **options))
    assert len(resumed) == len(whole) - skip
    for (v1, _, i1), (v2, _, i2) in zip(whole[skip:], resumed):
        assert torch.equal(i1, i2) and torch.equal(v1, v2)


def test_loading_does_not_touch_the_global_rng():
    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    _all_batches(epoch_loader(ToyClips(6, size=8), batch_size=2, seed=0, epoch=0, shuffle=True, workers=0))
    assert torch.equal(torch.rand(1), expected)
