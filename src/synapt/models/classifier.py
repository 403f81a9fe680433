"""What the 3-D CNNs share: the video-model contract around their maps, and ResNet-style initialisation.

    video (B, C, T, H, W) --forward_maps--> maps --pool_maps--> features (B, D) --dropout--> fc --> logits

A subclass defines ``forward_maps`` and sets ``feature_dim``, ``dropout`` and ``fc``; ``pool_maps`` is a
global average unless the network pools in its own head (X3D's projected pool).
"""

from __future__ import annotations

import torch
from torch import nn


class VideoClassifier(nn.Module):
    """``forward_features`` / ``forward`` / ``reset_classifier`` over a subclass's ``forward_maps``."""

    feature_dim: int
    dropout: nn.Module
    fc: nn.Linear

    def forward_maps(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def pool_maps(self, maps: torch.Tensor) -> torch.Tensor:
        """Last maps ``(B, D, T', H', W')`` -> ``(B, D)``: the mean over time and space."""
        return maps.mean(dim=(2, 3, 4))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Video ``(B, C, T, H, W)`` -> pooled features ``(B, D)`` (before dropout and head)."""
        if x.dim() != 5:
            raise ValueError(f"{type(self).__name__} expects a video batch (B, C, T, H, W), got shape {tuple(x.shape)}")
        return self.pool_maps(self.forward_maps(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(self.forward_features(x)))

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the head by a fresh ``num_classes``-way linear layer."""
        self.fc = nn.Linear(self.feature_dim, num_classes)


def init_resnet_weights(model: nn.Module) -> None:
    """torchvision's and pytorchvideo's ResNet initialisation: He (fan-out) convolutions with zero
    bias, unit-scale zero-shift BatchNorm, and a ``N(0, 0.01)`` linear head with zero bias."""
    for m in model.modules():
        if isinstance(m, nn.Conv3d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm3d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)
