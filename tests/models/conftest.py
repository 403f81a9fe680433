"""Shared helpers for the model tests: seeded BatchNorm statistics and parameter counts."""

from __future__ import annotations

import pytest
import torch
from torch import nn


def _randomise_batchnorm(model: nn.Module, *, seed: int = 0) -> None:
    """Give every BatchNorm non-trivial statistics, so that copying them is actually tested."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=gen) * 0.4 - 0.2)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=gen) * 0.4 - 0.2)


@pytest.fixture
def randomise_batchnorm():
    return _randomise_batchnorm


@pytest.fixture
def num_params():
    return lambda model: sum(p.numel() for p in model.parameters())


@pytest.fixture
def seeded():
    torch.manual_seed(0)


def _batchnorm_shapes(prefix: str, channels: int) -> dict[str, tuple[int, ...]]:
    """The five state_dict entries of ``nn.BatchNorm3d(channels)`` at ``prefix``."""
    return {f"{prefix}.{name}": (channels,) for name in ("weight", "bias", "running_mean", "running_var")} | {
        f"{prefix}.num_batches_tracked": ()}


def _random_state(shapes: dict[str, tuple[int, ...]], *, seed: int = 0) -> dict[str, torch.Tensor]:
    """A state_dict with exactly these keys and shapes, every tensor random (so a misplaced one shows)."""
    gen = torch.Generator().manual_seed(seed)
    return {
        key: (torch.randint(0, 1000, shape, generator=gen) if key.endswith("num_batches_tracked")
              else torch.rand(shape, generator=gen) + 0.1)
        for key, shape in shapes.items()
    }


@pytest.fixture
def batchnorm_shapes():
    return _batchnorm_shapes


@pytest.fixture
def random_state():
    return _random_state
