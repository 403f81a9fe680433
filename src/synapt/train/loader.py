"""Batches whose order and augmentation are functions of (seed, epoch, index), nothing else.

That is what makes a mid-epoch resume exact: the epoch's order is recomputed, the batches a
checkpoint says were consumed are skipped, and every clip is augmented as it would have been
without the interruption, whatever the number of loader workers.

Training does not use ``synapt.data.dataset.make_loader`` because it needs this resumable
order; evaluation uses the same sampler unshuffled so that ranks split videos the same way.
"""

from __future__ import annotations

import itertools
import math
import os
import random
from collections.abc import Iterable

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler


def default_workers() -> int:
    """One loader process per spare core, at most 4 (the training step keeps one core)."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def epoch_order(length: int, *, seed: int, epoch: int, shuffle: bool) -> list[int]:
    """The dataset indices of one epoch: a permutation seeded by (seed, epoch), or 0..N-1."""
    if not shuffle:
        return list(range(length))
    generator = torch.Generator().manual_seed(_mix(seed, epoch))
    return torch.randperm(length, generator=generator).tolist()


def rank_share(order: list[int], *, rank: int, world_size: int) -> list[int]:
    """This rank's part of ``order``: padded (by wrapping around) to a multiple of the world
    size so every rank runs the same number of steps, then every ``world_size``-th item."""
    if not order:
        return []
    total = math.ceil(len(order) / world_size) * world_size
    padded = (order * math.ceil(total / len(order)))[:total]
    return padded[rank::world_size]


def batches_per_epoch(length: int, *, batch_size: int, world_size: int) -> int:
    """Optimizer steps per epoch on each rank (the last batch may be short)."""
    return math.ceil(math.ceil(length / world_size) / batch_size)


class EpochSampler(Sampler[int]):
    """Yields this rank's indices for one epoch, skipping the first ``skip`` of them."""

    def __init__(self, length: int, *, seed: int, epoch: int, shuffle: bool, rank: int = 0,
                 world_size: int = 1, skip: int = 0):
        share = rank_share(epoch_order(length, seed=seed, epoch=epoch, shuffle=shuffle),
                           rank=rank, world_size=world_size)
        self.indices = share[skip:]

    def __iter__(self):
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


class SeededItems(Dataset):
    """A dataset view whose item ``i`` in epoch ``e`` is drawn with every global RNG (torch,
    numpy, python) seeded from (seed, e, i).

    Datasets that augment with the global RNGs thereby become a function of the index, not of
    which worker loaded the item or what was loaded before it. The torch RNG is restored
    afterwards (dropout in the training step draws from it); numpy's and Python's are left
    seeded by the last item, which is just as deterministic and saves 150 us per clip that
    saving and restoring numpy's 2.5 KB state costs.
    """

    def __init__(self, dataset: Dataset, *, seed: int, epoch: int):
        self.dataset, self.seed, self.epoch = dataset, seed, epoch

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int):
        item_seed = _mix(self.seed, self.epoch, int(index))
        random.seed(item_seed)
        np.random.seed(item_seed % 2**32)
        with torch.random.fork_rng(devices=[]):
            # The CPU generator only: torch.manual_seed would also queue a CUDA seeding, which
            # records a stack trace per call (a millisecond per clip).
            torch.default_generator.manual_seed(item_seed)
            return self.dataset[index]


def epoch_loader(dataset: Dataset, *, batch_size: int, seed: int, epoch: int, shuffle: bool, rank: int = 0,
                 world_size: int = 1, skip_batches: int = 0, workers: int | None = None,
                 pin_memory: bool = False) -> Iterable:
    """Batches of this rank's share of one epoch, resuming after ``skip_batches``.

    Args:
        batch_size: clips per batch on this rank.
        seed, epoch: fix the order and the augmentation of every item.
        skip_batches: batches of this epoch already consumed (from a checkpoint).
        workers: loader processes (None: :func:`default_workers`; 0: load in this process).

    Returns:
        A DataLoader, or an iterator over one that drops the first few batches (see below).
    """
    if hasattr(dataset, "set_epoch"):
        dataset.set_epoch(epoch)
    workers = default_workers() if workers is None else workers
    # DataLoader hands batch j to worker j % workers, and a dataset may mix its worker's seed
    # into its augmentation (VideoClipDataset does). So a resume restarts at the last batch
    # that went to worker 0 and drops the few before the checkpoint: every remaining batch is
    # then loaded by the same worker, with the same seed, as without the interruption.
    restart = skip_batches - skip_batches % max(1, workers)
    sampler = EpochSampler(len(dataset), seed=seed, epoch=epoch, shuffle=shuffle, rank=rank,
                           world_size=world_size, skip=restart * batch_size)
    loader = DataLoader(
        SeededItems(dataset, seed=seed, epoch=epoch),
        batch_size=batch_size,
        sampler=sampler,
        num_workers=workers,
        collate_fn=_collate_for(dataset),
        worker_init_fn=_one_thread if workers > 0 else None,
        pin_memory=pin_memory,
        # A private generator: creating the loader's iterator would otherwise draw its worker
        # base seed from the global torch RNG and shift dropout after a resume. Seeded by
        # (seed, epoch, rank), the workers get the same seeds after a resume as before.
        generator=torch.Generator().manual_seed(_mix(seed, epoch, rank)),
        persistent_workers=False,
        prefetch_factor=4 if workers > 0 else None,
    )
    if restart == skip_batches:
        return loader
    return itertools.islice(loader, skip_batches - restart, None)


def _collate_for(dataset: Dataset):
    """The data layer's skipping collate when the dataset skips unreadable videos (items are
    None); a batch whose every item failed comes out as None."""
    if getattr(dataset, "on_error", "raise") == "skip":
        from synapt.data.dataset import collate_skip

        return collate_skip
    return None


def _one_thread(_worker_id: int) -> None:
    # Loader workers share the cores with the training step: one intra-op thread each.
    torch.set_num_threads(1)


def _mix(*numbers: int) -> int:
    """A 63-bit seed from several ints: splitmix64 folded over them (fast, well spread)."""
    state = 0x9E3779B97F4A7C15
    for number in numbers:
        state = (state ^ (int(number) & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        state = (state ^ (state >> 31)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        state ^= state >> 29
    return state >> 1
