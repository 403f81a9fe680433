"""2-D ResNet-18/34/50 with torchvision's exact state_dict keys.

Keys are ``conv1``, ``bn1``, ``layerI.J.convK``, ``layerI.J.bnK``, ``layerI.J.downsample.0/1`` and
``fc``, so an ImageNet file published by torchvision (e.g. ``resnet50-11ad3fa6.pth``) loads with
``strict=True``. The bottleneck puts the stride on the 3x3 convolution (ResNet v1.5), as torchvision
does. TSN reuses this class as its per-segment backbone (``synapt.models.tsn``).
"""

from __future__ import annotations

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with an identity (or 1x1 projection) shortcut (ResNet-18/34)."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, *, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (carries the stride), 1x1 expand by 4, plus the shortcut (ResNet-50)."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, *, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """A 2-D ResNet on images ``(B, C, H, W)``.

    Args:
        block: ``BasicBlock`` or ``Bottleneck``.
        layers: blocks per stage, e.g. ``(3, 4, 6, 3)`` for ResNet-50.
        num_classes: size of the ``fc`` head.
        width: channels of the stem and of the first stage (64 in the paper; 8 for tiny CPU variants).
        in_channels: input channels (3 for RGB).
    """

    arch = "resnet"
    default_mean = IMAGENET_MEAN
    default_std = IMAGENET_STD

    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        layers: tuple[int, int, int, int],
        *,
        num_classes: int = 1000,
        width: int = 64,
        in_channels: int = 3,
    ):
        super().__init__()
        self.block = block
        self.layers = tuple(layers)
        self.width = width
        self.inplanes = width
        self.conv1 = nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(width, layers[0], stride=1)
        self.layer2 = self._make_layer(width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(width * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.feature_dim = width * 8 * block.expansion
        self.fc = nn.Linear(self.feature_dim, num_classes)
        self._init_weights()

    def _make_layer(self, planes: int, blocks: int, *, stride: int) -> nn.Sequential:
        out = planes * self.block.expansion
        downsample = None
        if stride != 1 or self.inplanes != out:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out)
            )
        stage = [self.block(self.inplanes, planes, stride=stride, downsample=downsample)]
        self.inplanes = out
        stage += [self.block(out, planes) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward_maps(self, x: torch.Tensor) -> torch.Tensor:
        """Image batch ``(B, C, H, W)`` -> last feature maps ``(B, D, H/32, W/32)``."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Image batch ``(B, C, H, W)`` -> globally pooled features ``(B, D)``."""
        return self.avgpool(self.forward_maps(x)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.forward_features(x))

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the head by a fresh ``num_classes``-way linear layer."""
        self.fc = nn.Linear(self.feature_dim, num_classes)


def resnet18(*, num_classes: int = 1000) -> ResNet:
    """ResNet-18 (11,689,512 parameters with a 1000-way head)."""
    model = ResNet(BasicBlock, (2, 2, 2, 2), num_classes=num_classes)
    model.arch = "resnet18"
    return model


def resnet34(*, num_classes: int = 1000) -> ResNet:
    """ResNet-34 (21,797,672 parameters with a 1000-way head)."""
    model = ResNet(BasicBlock, (3, 4, 6, 3), num_classes=num_classes)
    model.arch = "resnet34"
    return model


def resnet50(*, num_classes: int = 1000) -> ResNet:
    """ResNet-50 (25,557,032 parameters with a 1000-way head)."""
    model = ResNet(Bottleneck, (3, 4, 6, 3), num_classes=num_classes)
    model.arch = "resnet50"
    return model


def resnet_tiny(*, num_classes: int = 1000) -> ResNet:
    """A ResNet-50-shaped network (bottlenecks) with width 8 and one block per stage, for CPU tests."""
    model = ResNet(Bottleneck, (1, 1, 1, 1), num_classes=num_classes, width=8)
    model.arch = "resnet_tiny"
    return model
