"""Test-local stand-ins that satisfy the model and dataset contracts, small enough for CPU tests.

``TinyVideoNet`` has a BatchNorm so that the linear probe's BN-in-eval check means something;
``ToyClips`` yields ``(video, label, index)`` with a class-dependent pattern that a few SGD steps
can learn, and a random flip drawn from the global torch RNG (as a careless dataset would), which
the training loader must make reproducible.
"""

from __future__ import annotations

import time

import torch
from torch import nn
from torch.utils.data import Dataset, get_worker_info

from synapt.train.datasets import Datasets


class TinyVideoNet(nn.Module):
    """conv3d -> BN -> ReLU -> global pool -> dropout -> fc, with the video-model contract."""

    def __init__(self, num_classes: int, *, width: int = 8, dropout: float = 0.5):
        super().__init__()
        self.conv1 = nn.Conv3d(3, width, kernel_size=3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(width)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(width, num_classes)
        self.feature_dim = width
        self.default_input = {"num_frames": 4, "size": 32}

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn1(self.conv1(x))).mean(dim=(2, 3, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(self.forward_features(x)))

    def reset_classifier(self, num_classes: int) -> None:
        self.fc = nn.Linear(self.feature_dim, num_classes)


def tiny_builder(name: str, num_classes: int, **options) -> nn.Module:
    assert name == "tiny", f"test builder only knows 'tiny', got {name}"
    return TinyVideoNet(num_classes, **options)


class ToyClips(Dataset):
    """``length`` clips of shape (3, frames, size, size); label = index % num_classes.

    Args:
        views: > 1 returns (views, C, T, H, W) per item, each view shifted a little.
        poison_epoch: from this epoch on (``set_epoch``), clips are all-inf (a NaN loss).
        interrupt_after: raise KeyboardInterrupt on the n-th fetch (a crash mid-epoch).
        delay: seconds of sleep per fetch (a slow decoder, to kill a process mid-epoch).
        worker_seeded: add noise seeded by the loader worker's seed, as VideoClipDataset does.
    """

    def __init__(self, length: int, *, num_classes: int = 3, frames: int = 4, size: int = 16, views: int = 1,
                 train: bool = True, poison_epoch: int | None = None, interrupt_after: int | None = None,
                 delay: float = 0.0, worker_seeded: bool = False):
        self.length, self.num_classes, self.frames, self.size = length, num_classes, frames, size
        self.views, self.train = views, train
        self.poison_epoch, self.interrupt_after = poison_epoch, interrupt_after
        self.epoch, self.fetches, self.delay, self.worker_seeded = 0, 0, delay, worker_seeded

    def __len__(self) -> int:
        return self.length

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def clip(self, index: int, view: int = 0) -> torch.Tensor:
        label = index % self.num_classes
        generator = torch.Generator().manual_seed(1000 + index * 7 + view)
        video = 0.5 * torch.randn(3, self.frames, self.size, self.size, generator=generator)
        video[label % 3] += 1.0 + 0.5 * label + 0.1 * view  # the class signal: one brighter channel
        if self.train and torch.rand(1).item() < 0.5:
            video = video.flip(-1)
        if self.worker_seeded:
            # As VideoClipDataset does: the loader worker's seed enters the augmentation.
            worker = get_worker_info()
            noise = torch.Generator().manual_seed((worker.seed if worker else 0) % 2**63 + index)
            video = video + 0.01 * torch.randn(video.shape, generator=noise)
        if self.poison_epoch is not None and self.epoch >= self.poison_epoch:
            video = torch.full_like(video, float("inf"))
        return video

    def __getitem__(self, index: int):
        self.fetches += 1
        if self.delay:
            time.sleep(self.delay)
        if self.interrupt_after is not None and self.fetches > self.interrupt_after:
            raise KeyboardInterrupt("simulated crash")
        if self.views > 1:
            video = torch.stack([self.clip(index, v) for v in range(self.views)])
        else:
            video = self.clip(index)
        return video, index % self.num_classes, index


def toy_datasets(*, train: int = 24, val: int = 9, test: int = 9, num_classes: int = 3, views: int = 2,
                 **train_options) -> Datasets:
    names = [f"class_{k}" for k in range(num_classes)]
    return Datasets(
        class_names=names,
        train=ToyClips(train, num_classes=num_classes, **train_options),
        val=ToyClips(val, num_classes=num_classes, train=False),
        test=ToyClips(test, num_classes=num_classes, train=False, views=views),
    )
