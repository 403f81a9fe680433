"""torchvision's video ResNet-18 family: R3D-18, MC3-18 and R(2+1)D-18 (Tran et al. 2018).

The three networks differ only in which convolution fills each stage (``STAGE_CONVS``) and in
the stem; every block is the same two-convolution ``BasicBlock3d``. The ``state_dict`` keys are
torchvision's, to the letter, so a Kinetics-400 file such as ``r2plus1d_18-91a641e6.pth`` loads
with ``strict=True`` into ``build_model("r2plus1d_18", 400)``:

    stem.0 conv, stem.1 BN              (R(2+1)D: stem.0/1 spatial, stem.3/4 temporal)
    layerI.J.conv1.0 conv, conv1.1 BN   (R(2+1)D: conv1.0.0 spatial, conv1.0.1 BN, conv1.0.3 temporal)
    layerI.J.conv2.0 conv, conv2.1 BN
    layerI.0.downsample.0 conv, downsample.1 BN
    fc

Those nested ``nn.Sequential`` indices are what torchvision publishes; the classes below give each
level a name and a docstring so the keys can at least be read off the code.

Input ``(B, C, T, H, W)``; no max-pool anywhere (the stem's stride is spatial only). R3D and
R(2+1)D halve time and space in layer2-4; MC3 keeps 3x3x3 convolutions in layer1 only and 1x3x3
(and no temporal stride) after it. 16 frames at 112 px -> T x H x W = 16x56x56 after stem and
layer1, then 8x28x28, 4x14x14, 2x7x7 (MC3: 16x28x28, 16x14x14, 16x7x7).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from synapt.models.classifier import VideoClassifier, init_resnet_weights
from synapt.models.conv import Conv3d
from synapt.models.resnet3d import tran_mid_channels

# torchvision's Kinetics-400 video weights were trained on inputs normalised with these.
TORCHVISION_VIDEO_MEAN = (0.43216, 0.394666, 0.37645)
TORCHVISION_VIDEO_STD = (0.22803, 0.22145, 0.216989)

ConvKind = Literal["3d", "2d", "2plus1d"]

# Which convolution fills layer1..layer4 of each network.
STAGE_CONVS: dict[str, tuple[ConvKind, ConvKind, ConvKind, ConvKind]] = {
    "r3d_18": ("3d", "3d", "3d", "3d"),
    "mc3_18": ("3d", "2d", "2d", "2d"),  # "mixed convolutions": 3-D early, 2-D (1x3x3) late
    "r2plus1d_18": ("2plus1d", "2plus1d", "2plus1d", "2plus1d"),
}


class Conv2Plus1d(nn.Sequential):
    """A 3x3x3 conv factorised: 1x3x3 spatial (in -> mid), BN, ReLU, 3x1x1 temporal (mid -> out).

    Keys ``0`` (spatial), ``1`` (BN), ``3`` (temporal), as torchvision's ``Conv2Plus1D``. The spatial
    conv takes the spatial stride, the temporal conv the temporal one.
    """

    def __init__(self, in_planes: int, out_planes: int, midplanes: int, *, stride: int = 1):
        super().__init__(
            Conv3d(in_planes, midplanes, (1, 3, 3), stride=(1, stride, stride), padding=(0, 1, 1), bias=False),
            nn.BatchNorm3d(midplanes),
            nn.ReLU(inplace=True),
            Conv3d(midplanes, out_planes, (3, 1, 1), stride=(stride, 1, 1), padding=(1, 0, 0), bias=False),
        )


def make_conv(kind: ConvKind, in_planes: int, out_planes: int, *, midplanes: int, stride: int) -> nn.Module:
    """The block convolution of ``kind``: ``"3d"`` 3x3x3, ``"2d"`` 1x3x3, ``"2plus1d"`` ``Conv2Plus1d``.

    ``stride`` is applied to time and space, except by ``"2d"``, which never strides time.
    ``midplanes`` is used by ``"2plus1d"`` only.
    """
    if kind == "3d":
        return Conv3d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)
    if kind == "2d":
        return Conv3d(in_planes, out_planes, (1, 3, 3), stride=(1, stride, stride), padding=(0, 1, 1), bias=False)
    if kind == "2plus1d":
        return Conv2Plus1d(in_planes, out_planes, midplanes, stride=stride)
    raise ValueError(f"unknown convolution kind {kind!r}; choose '3d', '2d' or '2plus1d'")


def downsample_stride(kind: ConvKind, stride: int) -> tuple[int, int, int]:
    """Stride ``(t, h, w)`` of the 1x1x1 shortcut, matching what the block's convolution does."""
    return (1, stride, stride) if kind == "2d" else (stride, stride, stride)


class BasicBlock3d(nn.Module):
    """Two convolutions of one kind, with the shortcut (ResNet-18's block in 3-D).

        x -> conv1 = [conv (stride), BN, ReLU] -> conv2 = [conv, BN] -> (+ shortcut) -> ReLU

    Both (2+1)-D convolutions of a block use the mid-channels of ``(inplanes, planes)`` (Tran et al.'s
    eq. 1 on the block's first conv), as torchvision does: 230 in both convs of layer2.0, not 288.
    """

    def __init__(
        self,
        inplanes: int,
        planes: int,
        *,
        kind: ConvKind,
        stride: int = 1,
        downsample: nn.Module | None = None,
    ):
        super().__init__()
        mid = tran_mid_channels(inplanes, planes)
        self.conv1 = nn.Sequential(
            make_conv(kind, inplanes, planes, midplanes=mid, stride=stride),
            nn.BatchNorm3d(planes),
            nn.ReLU(inplace=True),
        )
        self.conv2 = nn.Sequential(make_conv(kind, planes, planes, midplanes=mid, stride=1), nn.BatchNorm3d(planes))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv2(self.conv1(x)) + identity)


def basic_stem(width: int) -> nn.Sequential:
    """R3D / MC3 stem: 3x7x7 conv, spatial stride 2, BN, ReLU (keys ``stem.0``, ``stem.1``)."""
    return nn.Sequential(
        Conv3d(3, width, (3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False),
        nn.BatchNorm3d(width),
        nn.ReLU(inplace=True),
    )


def r2plus1d_stem(width: int) -> nn.Sequential:
    """R(2+1)D stem: 1x7x7 (3 -> 45, spatial stride 2), BN, ReLU, 3x1x1 (45 -> 64), BN, ReLU.

    45 is torchvision's fixed choice at width 64 (not eq. 1, which would give 83); a reduced width
    scales it in proportion, ``45 * width // 64``.
    """
    mid = 45 * width // 64
    return nn.Sequential(
        Conv3d(3, mid, (1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3), bias=False),
        nn.BatchNorm3d(mid),
        nn.ReLU(inplace=True),
        Conv3d(mid, width, (3, 1, 1), padding=(1, 0, 0), bias=False),
        nn.BatchNorm3d(width),
        nn.ReLU(inplace=True),
    )


class VideoResNet(VideoClassifier):
    """Stem, four stages of ``BasicBlock3d`` (widths ``w, 2w, 4w, 8w``), global average pool, dropout, ``fc``.

    Args:
        stem: ``basic_stem(width)`` or ``r2plus1d_stem(width)``.
        convs: the convolution kind of layer1..layer4 (a value of ``STAGE_CONVS``).
        layers: blocks per stage, ``(2, 2, 2, 2)`` for 18 layers.
        num_classes: size of the ``fc`` head.
        width: channels of the stem and layer1 (64 as published; 16 or 32 for CPU variants).
        dropout: before ``fc`` (torchvision has none: 0.0 reproduces it exactly).
    """

    default_mean = TORCHVISION_VIDEO_MEAN
    default_std = TORCHVISION_VIDEO_STD

    def __init__(
        self,
        stem: nn.Sequential,
        convs: tuple[ConvKind, ConvKind, ConvKind, ConvKind],
        layers: tuple[int, int, int, int] = (2, 2, 2, 2),
        *,
        num_classes: int,
        width: int = 64,
        dropout: float = 0.5,
    ):
        super().__init__()
        self.width = width
        self.inplanes = width
        self.stem = stem
        stages = [
            self._make_layer(kind, width * 2**i, blocks, stride=1 if i == 0 else 2)
            for i, (kind, blocks) in enumerate(zip(convs, layers))
        ]
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.dropout = nn.Dropout(dropout)
        self.feature_dim = width * 8
        self.fc = nn.Linear(self.feature_dim, num_classes)
        self.default_input = {"num_frames": 16, "size": 112}
        init_resnet_weights(self)  # torchvision's

    def _make_layer(self, kind: ConvKind, planes: int, blocks: int, *, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                Conv3d(self.inplanes, planes, 1, stride=downsample_stride(kind, stride), bias=False),
                nn.BatchNorm3d(planes),
            )
        stage = [BasicBlock3d(self.inplanes, planes, kind=kind, stride=stride, downsample=downsample)]
        self.inplanes = planes
        stage += [BasicBlock3d(planes, planes, kind=kind) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def forward_maps(self, x: torch.Tensor) -> torch.Tensor:
        """Video ``(B, C, T, H, W)`` -> last feature maps ``(B, 8 x width, T', H/16, W/16)``."""
        x = self.layer1(self.stem(x))
        return self.layer4(self.layer3(self.layer2(x)))


def _video_resnet(arch: str, *, num_classes: int, width: int, dropout: float) -> VideoResNet:
    if width < 2:
        raise ValueError(f"{arch}: width must be at least 2 channels, got {width}")
    stem = r2plus1d_stem(width) if arch == "r2plus1d_18" else basic_stem(width)
    model = VideoResNet(stem, STAGE_CONVS[arch], num_classes=num_classes, width=width, dropout=dropout)
    model.arch = arch  # the registry name, for checkpoint meta
    return model


def r3d_18(*, num_classes: int, width: int = 64, dropout: float = 0.5) -> VideoResNet:
    """R3D-18: 3x3x3 convolutions throughout (33,371,472 parameters with a 400-way head).

    Args:
        num_classes: size of the head.
        width: base channels (64 as torchvision; every stage scales with it).
        dropout: before ``fc``; 0.0 is torchvision's network exactly.
    """
    return _video_resnet("r3d_18", num_classes=num_classes, width=width, dropout=dropout)


def mc3_18(*, num_classes: int, width: int = 64, dropout: float = 0.5) -> VideoResNet:
    """MC3-18: 3x3x3 convolutions in layer1, 1x3x3 after it (11,695,440 parameters with a 400-way head).

    Args: as ``r3d_18``.
    """
    return _video_resnet("mc3_18", num_classes=num_classes, width=width, dropout=dropout)


def r2plus1d_18(*, num_classes: int, width: int = 64, dropout: float = 0.5) -> VideoResNet:
    """R(2+1)D-18: every 3x3x3 conv factorised into 1x3x3 + 3x1x1 (31,505,325 parameters, 400-way head).

    Args: as ``r3d_18``; the mid-channels follow Tran et al.'s eq. 1 on the scaled widths.
    """
    return _video_resnet("r2plus1d_18", num_classes=num_classes, width=width, dropout=dropout)
