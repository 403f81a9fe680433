"""3-D ResNets: I3D (inflated) and R(2+1)D (factorised), as small builders over shared blocks.

Both families keep torchvision's ResNet key names (``conv1``, ``bn1``, ``layerI.J.convK``,
``bnK``, ``downsample.0/1``, ``fc``), so a 2-D ImageNet ResNet inflates into them key by key
(``synapt.models.inflate``) and the checkpoints of mmaction2 and IBM/action-recognition-pytorch
map onto them by renaming only (``synapt.models.weights``). The (2+1)-D block adds ``conv2_t`` and
``bn2_t``, the names IBM's code uses.

Input and output: ``forward(x)`` takes ``(B, C, T, H, W)`` and returns ``(B, num_classes)``;
``forward_features`` returns the globally pooled ``(B, D)`` features before dropout and head.

Temporal padding: the ecosystem pads time with zeros (``temporal_padding="zeros"``, the default,
so imported weights reproduce their training). ``"replicate"`` pads time by repeating the edge
frame; with it a network inflated from a 2-D ResNet is *exactly* the 2-D network on a static
video, at every temporal position, which the tests check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from synapt.models import conv
from synapt.models.classifier import VideoClassifier
from synapt.models.resnet import IMAGENET_MEAN, IMAGENET_STD

TemporalPadding = Literal["zeros", "replicate"]


class Conv3d(conv.Conv3d):
    """``nn.Conv3d`` (same keys; computed by ``models.conv``) whose temporal padding may repeat the edge frame."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: tuple[int, int, int],
        *,
        stride: tuple[int, int, int] = (1, 1, 1),
        temporal_padding: TemporalPadding = "zeros",
        groups: int = 1,
    ):
        kt, kh, kw = kernel
        self.time_pad = kt // 2
        self.replicate_time = temporal_padding == "replicate" and self.time_pad > 0
        padding = (0 if self.replicate_time else self.time_pad, kh // 2, kw // 2)
        super().__init__(in_channels, out_channels, kernel, stride=stride, padding=padding, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.replicate_time:
            x = F.pad(x, (0, 0, 0, 0, self.time_pad, self.time_pad), mode="replicate")
        return super().forward(x)


class SpatialMaxPool(nn.Module):
    """3x3, stride-2 spatial max-pool of every ``stride_t``-th frame.

    Equals ``nn.MaxPool3d((1, 3, 3), stride=(stride_t, 2, 2), padding=(0, 1, 1))``, but runs the 2-D
    kernel on a free ``(B, C*T, H, W)`` view: about 1.7x faster forward and backward on CPU.
    """

    def __init__(self, *, stride_t: int = 1):
        super().__init__()
        self.stride_t = stride_t

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride_t]
        b, c, t, h, w = x.shape
        y = F.max_pool2d(x.reshape(b, c * t, h, w), 3, stride=2, padding=1)
        return y.reshape(b, c, t, *y.shape[-2:])


class TemporalMaxPool(nn.Module):
    """Max over non-overlapping windows of ``k`` frames: ``nn.MaxPool3d((k, 1, 1), stride=(k, 1, 1))``,
    run as the 2-D kernel on a free ``(B, C, T, H*W)`` view. A clip shorter than ``k`` is returned as is.
    """

    def __init__(self, k: int):
        super().__init__()
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, t, h, w = x.shape
        if t < self.k:
            return x
        y = F.max_pool2d(x.reshape(b, c, t, h * w), (self.k, 1), stride=(self.k, 1))
        return y.reshape(b, c, y.shape[2], h, w)


class Bottleneck3d(nn.Module):
    """Inflated bottleneck: 1x1 (or 3x1x1), then 3x3 (or 3x3x3), then 1x1, plus the shortcut.

    ``conv1_kt=3, conv2_kt=1`` is the mmaction2/SlowFast I3D block ("3x1x1" inflation);
    ``conv1_kt=1, conv2_kt=3`` is IBM's I3D block (a full 3x3x3 middle convolution).
    The stride ``(t, s)`` sits on ``conv2`` (ResNet v1.5) and on the shortcut.
    """

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        *,
        stride: tuple[int, int] = (1, 1),
        conv1_kt: int = 1,
        conv2_kt: int = 1,
        downsample: nn.Module | None = None,
        temporal_padding: TemporalPadding = "zeros",
    ):
        super().__init__()
        st, ss = stride
        self.conv1 = Conv3d(inplanes, planes, (conv1_kt, 1, 1), temporal_padding=temporal_padding)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = Conv3d(planes, planes, (conv2_kt, 3, 3), stride=(st, ss, ss), temporal_padding=temporal_padding)
        self.bn2 = nn.BatchNorm3d(planes)
        self.conv3 = Conv3d(planes, planes * self.expansion, (1, 1, 1))
        self.bn3 = nn.BatchNorm3d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


def tran_mid_channels(in_channels: int, out_channels: int, *, kt: int = 3, k: int = 3) -> int:
    """Mid-channels M of a (2+1)-D factorisation with the parameters of the full kt x k x k conv.

    Tran et al. 2018, eq. (1): ``M = floor(t d^2 N_in N_out / (d^2 N_in + t N_out))``.
    For a bottleneck's 3x3x3 conv with N_in = N_out = 64 this gives M = 144.
    """
    return (kt * k * k * in_channels * out_channels) // (k * k * in_channels + kt * out_channels)


class Bottleneck2Plus1d(nn.Module):
    """Bottleneck whose 3x3 conv is factorised into a spatial 1x3x3 and a temporal 3x1x1 conv.

        x -> conv1 1x1x1 -> bn1 -> relu
          -> conv2 1x3x3 (planes -> mid, spatial stride) -> bn2 -> relu
          -> conv2_t 3x1x1 (mid -> planes, temporal stride) -> bn2_t -> relu
          -> conv3 1x1x1 (x4) -> bn3 -> (+ shortcut) -> relu

    ``mid`` follows Tran et al. (same parameters as the 3x3x3 conv it replaces) or equals
    ``planes`` (IBM's "S3D-ResNet", the code SynAPT's README says its R(2+1)D was trained with).
    """

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        *,
        stride: tuple[int, int] = (1, 1),
        mid_channels: Literal["tran", "planes"] = "tran",
        downsample: nn.Module | None = None,
        temporal_padding: TemporalPadding = "zeros",
    ):
        super().__init__()
        st, ss = stride
        mid = tran_mid_channels(planes, planes) if mid_channels == "tran" else planes
        self.conv1 = Conv3d(inplanes, planes, (1, 1, 1))
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = Conv3d(planes, mid, (1, 3, 3), stride=(1, ss, ss))
        self.bn2 = nn.BatchNorm3d(mid)
        self.conv2_t = Conv3d(mid, planes, (3, 1, 1), stride=(st, 1, 1), temporal_padding=temporal_padding)
        self.bn2_t = nn.BatchNorm3d(planes)
        self.conv3 = Conv3d(planes, planes * self.expansion, (1, 1, 1))
        self.bn3 = nn.BatchNorm3d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.relu(self.bn2_t(self.conv2_t(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet3d(VideoClassifier):
    """A video ResNet: 3-D stem, four stages of 3-D blocks, global average pool, dropout, ``fc``.

    Args:
        make_block: ``make_block(inplanes, planes, stride=(t, s), layer=i, index=j, downsample=...)``
            returns the j-th block of stage i (0-based); builders close over their block options.
        layers: blocks per stage, ``(3, 4, 6, 3)`` for 50 layers.
        num_classes: size of the ``fc`` head.
        width: channels of the stem and first stage (64; 8 for tiny CPU variants).
        stem_kt: temporal kernel of the 7x7 stem.
        stem_stride_t, pool1_stride_t: temporal strides of the stem conv and its max-pool.
        pool2_stride_t: temporal stride of a max-pool after stage 1 (1 = no pool).
        stage_strides_t: temporal stride of each stage's first block.
        dropout: before the head.
        temporal_padding: ``"zeros"`` or ``"replicate"`` (see the module docstring).
    """

    default_mean = IMAGENET_MEAN
    default_std = IMAGENET_STD
    expansion = 4

    def __init__(
        self,
        make_block: Callable[..., nn.Module],
        layers: tuple[int, int, int, int],
        *,
        num_classes: int,
        width: int = 64,
        stem_kt: int = 5,
        stem_stride_t: int = 1,
        pool1_stride_t: int = 1,
        pool2_stride_t: int = 1,
        stage_strides_t: tuple[int, int, int, int] = (1, 1, 1, 1),
        dropout: float = 0.5,
        temporal_padding: TemporalPadding = "zeros",
    ):
        super().__init__()
        self.layers = tuple(layers)
        self.inplanes = width
        self.temporal_padding = temporal_padding
        self.conv1 = Conv3d(3, width, (stem_kt, 7, 7), stride=(stem_stride_t, 2, 2), temporal_padding=temporal_padding)
        self.bn1 = nn.BatchNorm3d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = SpatialMaxPool(stride_t=pool1_stride_t)
        # SlowFast's I3D halves time once, after res2, with a 2x1x1 max-pool.
        self.pool2 = TemporalMaxPool(pool2_stride_t) if pool2_stride_t > 1 else None
        stages = []
        for i, (blocks, stride_t) in enumerate(zip(layers, stage_strides_t)):
            stride_s = 1 if i == 0 else 2
            stages.append(self._make_layer(make_block, width * 2**i, blocks, stride=(stride_t, stride_s), layer=i))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.dropout = nn.Dropout(dropout)
        self.feature_dim = width * 8 * self.expansion
        self.fc = nn.Linear(self.feature_dim, num_classes)
        self.default_input = {"num_frames": 8, "size": 224}
        self._init_weights()

    def _make_layer(
        self, make_block: Callable[..., nn.Module], planes: int, blocks: int, *, stride: tuple[int, int], layer: int
    ) -> nn.Sequential:
        out = planes * self.expansion
        downsample = None
        if stride != (1, 1) or self.inplanes != out:
            st, ss = stride
            downsample = nn.Sequential(Conv3d(self.inplanes, out, (1, 1, 1), stride=(st, ss, ss)), nn.BatchNorm3d(out))
        stage = [make_block(self.inplanes, planes, stride=stride, layer=layer, index=0, downsample=downsample)]
        self.inplanes = out
        stage += [
            make_block(out, planes, stride=(1, 1), layer=layer, index=j, downsample=None) for j in range(1, blocks)
        ]
        return nn.Sequential(*stage)

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward_maps(self, x: torch.Tensor) -> torch.Tensor:
        """Video ``(B, C, T, H, W)`` -> last feature maps ``(B, D, T', H/32, W/32)``."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        if self.pool2 is not None:  # a clip already shorter than the pool (mmaction2 style, 8 frames) stays
            x = self.pool2(x)
        return self.layer4(self.layer3(self.layer2(x)))


# Which blocks get a 3x1x1 conv1, per stage: mmaction2's ``inflate`` and SlowFast's I3D
# temporal-kernel basis ([[3]], [[3, 1]], [[3, 1]], [[1, 3]]) describe the same pattern.
I3D_R50_INFLATE = ((1, 1, 1), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 1, 0))

I3D_STYLES = {
    # T per stage for 8 frames: stem 8, res2 8, res3-5 4.  For 16 frames: 16, 16, 8.
    "slowfast": dict(stem_kt=5, stem_stride_t=1, pool1_stride_t=1, pool2_stride_t=2, stage_strides_t=(1, 1, 1, 1)),
    # mmaction2's i3d_r50 (32x2x1 clips): stem and pool1 halve time, then pool2 again.
    # T per stage for 8 frames: 4, 2, 1; for 16 frames: 8, 4, 2; for 32 frames: 16, 8, 4.
    "mmaction2": dict(stem_kt=5, stem_stride_t=2, pool1_stride_t=2, pool2_stride_t=2, stage_strides_t=(1, 1, 1, 1)),
    # IBM/action-recognition-pytorch i3d-resnet-50-ts: 3x3x3 middle convs, time halved by res3-5.
    # T per stage for 8 frames: 8, 8, 4, 2, 1; for 16 frames: 16, 16, 8, 4, 2.
    "ibm": dict(stem_kt=3, stem_stride_t=1, pool1_stride_t=1, pool2_stride_t=1, stage_strides_t=(1, 2, 2, 2)),
}


def _i3d(
    layers: tuple[int, int, int, int],
    inflate: tuple[tuple[int, ...], ...],
    *,
    num_classes: int,
    width: int,
    style: str,
    dropout: float,
    temporal_padding: TemporalPadding,
) -> ResNet3d:
    if style not in I3D_STYLES:
        raise ValueError(f"unknown I3D style {style!r}; choose one of {sorted(I3D_STYLES)}")
    ibm = style == "ibm"

    def make_block(inplanes, planes, *, stride, layer, index, downsample):
        conv1_kt = 1 if ibm else (3 if inflate[layer][index] else 1)
        return Bottleneck3d(
            inplanes,
            planes,
            stride=stride,
            conv1_kt=conv1_kt,
            conv2_kt=3 if ibm else 1,
            downsample=downsample,
            temporal_padding=temporal_padding,
        )

    return ResNet3d(
        make_block,
        layers,
        num_classes=num_classes,
        width=width,
        dropout=dropout,
        temporal_padding=temporal_padding,
        **I3D_STYLES[style],
    )


def i3d_r50(
    *,
    num_classes: int,
    style: str = "slowfast",
    dropout: float = 0.5,
    temporal_padding: TemporalPadding = "zeros",
) -> ResNet3d:
    """I3D-ResNet-50 with 3x1x1 inflation (mmaction2 / SlowFast pattern ``I3D_R50_INFLATE``).

    Stem 5x7x7; the temporal kernels sit on the first 1x1 of alternate bottlenecks. Temporal
    strides by ``style``: ``"slowfast"`` (default) keeps T through the stem and res2, then a
    2x1x1 max-pool halves it: 8 input frames -> T = 8, 8, 4, 4, 4 after stem, res2..res5
    (16 frames -> 16, 16, 8, 8, 8). ``"mmaction2"`` halves T in the stem conv, its max-pool and
    after res2 (8 -> 4, 2, 1; 16 -> 8, 4, 2; designed for 32-frame clips -> 4).
    ``"ibm"`` is IBM's i3d-resnet-50 (3x3x3 middle convs, 3x7x7 stem, T halved by res3-5).
    Parameters with a 400-way head: 28,043,472 (slowfast/mmaction2), 46,980,944 (ibm).
    """
    inflate = I3D_R50_INFLATE
    model = _i3d(
        (3, 4, 6, 3), inflate, num_classes=num_classes, width=64, style=style, dropout=dropout,
        temporal_padding=temporal_padding,
    )
    model.arch = "i3d_r50" if style == "slowfast" else f"i3d_r50_{style}"  # registry names
    return model


def i3d_r50_mmaction2(
    *, num_classes: int, dropout: float = 0.5, temporal_padding: TemporalPadding = "zeros"
) -> ResNet3d:
    """``i3d_r50(style="mmaction2")``, registered under its own name so that ``arch`` rebuilds it."""
    return i3d_r50(num_classes=num_classes, style="mmaction2", dropout=dropout, temporal_padding=temporal_padding)


def i3d_r50_ibm(*, num_classes: int, dropout: float = 0.5, temporal_padding: TemporalPadding = "zeros") -> ResNet3d:
    """``i3d_r50(style="ibm")``: IBM's i3d-resnet-50 (46,980,944 parameters with a 400-way head)."""
    return i3d_r50(num_classes=num_classes, style="ibm", dropout=dropout, temporal_padding=temporal_padding)


def i3d_tiny(
    *,
    num_classes: int,
    style: str = "slowfast",
    dropout: float = 0.5,
    temporal_padding: TemporalPadding = "zeros",
) -> ResNet3d:
    """I3D with width 8 and one (inflated) bottleneck per stage, for CPU tests and the tiny preset."""
    model = _i3d(
        (1, 1, 1, 1), ((1,), (1,), (1,), (1,)), num_classes=num_classes, width=8, style=style, dropout=dropout,
        temporal_padding=temporal_padding,
    )
    model.arch = "i3d_tiny"
    model.default_input = {"num_frames": 8, "size": 112}
    return model


def _r2plus1d(
    layers: tuple[int, int, int, int],
    *,
    num_classes: int,
    width: int,
    mid_channels: Literal["tran", "planes"],
    dropout: float,
    temporal_padding: TemporalPadding,
) -> ResNet3d:
    if mid_channels not in ("tran", "planes"):
        raise ValueError(f"mid_channels must be 'tran' or 'planes', got {mid_channels!r}")

    def make_block(inplanes, planes, *, stride, layer, index, downsample):
        return Bottleneck2Plus1d(
            inplanes, planes, stride=stride, mid_channels=mid_channels, downsample=downsample,
            temporal_padding=temporal_padding,
        )

    # IBM's layout (SynAPT trained with IBM's code): a full 3x7x7 stem, time halved by res3, res4, res5.
    return ResNet3d(
        make_block,
        layers,
        num_classes=num_classes,
        width=width,
        stem_kt=3,
        stage_strides_t=(1, 2, 2, 2),
        dropout=dropout,
        temporal_padding=temporal_padding,
    )


def r2plus1d_r50(
    *,
    num_classes: int,
    mid_channels: Literal["tran", "planes"] = "tran",
    dropout: float = 0.5,
    temporal_padding: TemporalPadding = "zeros",
) -> ResNet3d:
    """R(2+1)D-50: bottlenecks whose 3x3x3 conv is factorised into 1x3x3 then 3x1x1.

    ``mid_channels="tran"`` (default) follows Tran et al. 2018 (M = 2.25 x planes, so each block has
    the parameters of its 3x3x3 counterpart: 46,997,936 with a 400-way head vs 46,980,944 for R3D-50);
    ``"planes"`` is IBM's s3d-resnet-50 (28,126,416 with a 400-way head), IBM's layout, which SynAPT used.
    Stem 3x7x7. Temporal strides: 8 frames -> T = 8, 8, 4, 2, 1 after stem, res2..res5
    (16 frames -> 16, 16, 8, 4, 2).
    """
    model = _r2plus1d(
        (3, 4, 6, 3), num_classes=num_classes, width=64, mid_channels=mid_channels, dropout=dropout,
        temporal_padding=temporal_padding,
    )
    model.arch = "r2plus1d_r50" if mid_channels == "tran" else "r2plus1d_r50_ibm"  # registry names
    return model


def r2plus1d_r50_ibm(
    *, num_classes: int, dropout: float = 0.5, temporal_padding: TemporalPadding = "zeros"
) -> ResNet3d:
    """``r2plus1d_r50(mid_channels="planes")``: IBM's s3d-resnet-50 (SynAPT's R(2+1)D code)."""
    return r2plus1d_r50(num_classes=num_classes, mid_channels="planes", dropout=dropout,
                        temporal_padding=temporal_padding)


def r2plus1d_tiny(
    *,
    num_classes: int,
    mid_channels: Literal["tran", "planes"] = "tran",
    dropout: float = 0.5,
    temporal_padding: TemporalPadding = "zeros",
    width: int = 8,
) -> ResNet3d:
    """R(2+1)D with width 8 (or ``width``) and one bottleneck per stage, for CPU tests."""
    model = _r2plus1d(
        (1, 1, 1, 1), num_classes=num_classes, width=width, mid_channels=mid_channels, dropout=dropout,
        temporal_padding=temporal_padding,
    )
    model.arch = "r2plus1d_tiny" if width == 8 else f"r2plus1d_w{width}"
    model.default_input = {"num_frames": 8, "size": 112}
    return model


def r2plus1d_w16(
    *,
    num_classes: int,
    mid_channels: Literal["tran", "planes"] = "tran",
    dropout: float = 0.5,
    temporal_padding: TemporalPadding = "zeros",
) -> ResNet3d:
    """``r2plus1d_tiny`` at width 16 (0.91 M parameters with a 12-way head): the tiny preset's model.

    At 8 x 64 px on 12 generated classes x 110 clips it reached 53.8% val top-1 in 8 epochs where
    width 8 reached 43.2%, for 1.8x the training time (docs/training.md).
    """
    return r2plus1d_tiny(num_classes=num_classes, mid_channels=mid_channels, dropout=dropout,
                         temporal_padding=temporal_padding, width=16)
