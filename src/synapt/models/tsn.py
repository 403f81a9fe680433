"""TSN: a 2-D ResNet on each of K segments, average consensus, dropout, linear head (Wang et al. 2016).

TSN *is* a ``ResNet`` (subclass, no wrapper), so its keys are torchvision's (``conv1``,
``layer1.0.conv1``, ``fc``...) and a torchvision ImageNet ResNet file loads into it strictly.

    video (B, C, K, H, W) --rearrange--> frames (B*K, C, H, W) --ResNet--> (B*K, D)
        --mean over K--> (B, D) --dropout--> fc --> logits (B, num_classes)

Averaging features before the (linear) head equals averaging the per-segment logits, which is
TSN's average consensus, apart from where dropout sits.
"""

from __future__ import annotations

import torch
from einops import rearrange
from torch import nn

from synapt.models.resnet import BasicBlock, Bottleneck, ResNet


class TSN(ResNet):
    """Temporal Segment Network over a 2-D ResNet.

    Args:
        block, layers, width: as for ``ResNet``.
        num_classes: size of the ``fc`` head.
        num_segments: K, the number of frames sampled per clip by default (input may differ).
        dropout: dropout probability before the head (0.5 in TSN and SynAPT).
    """

    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        layers: tuple[int, int, int, int],
        *,
        num_classes: int,
        num_segments: int = 8,
        dropout: float = 0.5,
        width: int = 64,
    ):
        super().__init__(block, layers, num_classes=num_classes, width=width)
        self.num_segments = num_segments
        self.dropout = nn.Dropout(dropout)
        self.default_input = {"num_frames": num_segments, "size": 224}

    def frame_features(self, frames: torch.Tensor) -> torch.Tensor:
        """Images ``(N, C, H, W)`` -> pooled 2-D features ``(N, D)`` (the backbone alone)."""
        return super().forward_features(frames)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Video ``(B, C, T, H, W)`` -> segment-averaged features ``(B, D)``."""
        if x.dim() != 5:
            raise ValueError(f"TSN expects a video batch (B, C, T, H, W), got shape {tuple(x.shape)}")
        batch = x.shape[0]
        # oneDNN's CPU convolutions run about 15% faster in channels-last (NHWC) layout, forward
        # and backward (measured by `synapt speed models`); the result does not depend on it.
        frames = rearrange(x, "b c t h w -> (b t) c h w").contiguous(memory_format=torch.channels_last)
        per_segment = self.frame_features(frames)
        return rearrange(per_segment, "(b t) d -> b t d", b=batch).mean(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(self.forward_features(x)))


def tsn_r50(*, num_classes: int, num_segments: int = 8, dropout: float = 0.5) -> TSN:
    """TSN on ResNet-50; with a 1000-way head it has exactly ResNet-50's 25,557,032 parameters."""
    model = TSN(Bottleneck, (3, 4, 6, 3), num_classes=num_classes, num_segments=num_segments, dropout=dropout)
    model.arch = "tsn_r50"
    return model


def tsn_r18(*, num_classes: int, num_segments: int = 8, dropout: float = 0.5) -> TSN:
    """TSN on ResNet-18."""
    model = TSN(BasicBlock, (2, 2, 2, 2), num_classes=num_classes, num_segments=num_segments, dropout=dropout)
    model.arch = "tsn_r18"
    return model


def tsn_tiny(*, num_classes: int, num_segments: int = 8, dropout: float = 0.5) -> TSN:
    """TSN on a width-8, one-block-per-stage bottleneck ResNet (for CPU tests and the tiny preset)."""
    model = TSN(
        Bottleneck, (1, 1, 1, 1), num_classes=num_classes, num_segments=num_segments, dropout=dropout, width=8
    )
    model.arch = "tsn_tiny"
    model.default_input = {"num_frames": num_segments, "size": 112}
    return model
