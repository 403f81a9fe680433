"""X3D-XS, X3D-S and X3D-M (Feichtenhofer 2020) in pytorchvideo's ``create_x3d`` layout.

The three are one network (3.79 M parameters); they differ only in the clip they were trained on
and that pytorchvideo sizes its head pool for: XS 4x160, S 13x160, M 16x224 (frames x pixels).

    blocks.0  stem: conv.conv_t 1x3x3 (3 -> 24, spatial stride 2), conv.conv_xy 5x1x1 depthwise,
              norm, ReLU
    blocks.1-4  stages of 3, 5, 11, 7 residual blocks, 24 / 48 / 96 / 192 channels, spatial stride 2
              in each stage's first block (time is never strided):
                  branch2: conv_a 1x1x1 (-> 2.25 C), norm_a, ReLU,
                           conv_b 3x3x3 depthwise, norm_b = [BN, squeeze-excitation on blocks 0, 2, 4, ...],
                           swish, conv_c 1x1x1 (-> C), norm_c
                  branch1_conv 1x1x1 (strided) on the first block, branch1_norm where C changes
                  -> branch1 + branch2 -> ReLU
    blocks.5  head: pool.pre_conv 1x1x1 (192 -> 432), pre_norm, ReLU, global average,
              pool.post_conv 1x1x1 (432 -> 2048), ReLU  => forward_features (B, 2048)
    dropout, fc (B, num_classes)

**Keys.** Every key is pytorchvideo's except the head: pytorchvideo's ``blocks.5.proj`` is
``fc`` here, the project's contract for every model (``reset_classifier``, linear probing and
checkpoints find the head there). ``synapt.models.weights.pytorchvideo_to_synapt`` renames it, so
a hub file (``X3D_XS.pyth``, ``{"model_state": ...}``) loads through ``load_weights`` with every
tensor landing. Two names are pytorchvideo's own oddities, kept for the keys: the stem's
``conv_t`` is its *spatial* convolution and ``conv_xy`` its *temporal* one, and the first block
of stage 1 has a ``branch1_conv`` but no ``branch1_norm`` (pytorchvideo adds the norm only where
the channel count changes, and 24 -> 24 does not).

**Head pool.** pytorchvideo averages with a fixed ``AvgPool3d`` the size of the last maps at the
training clip (XS 4x5x5), then averages again after the projection; synapt pools globally once.
At the training clip the two are the same; at another size synapt's head still sees every position.
pytorchvideo's hub model also ends in a softmax; synapt returns logits, as all its models do.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from synapt.models.classifier import VideoClassifier, init_resnet_weights
from synapt.models.conv import Conv3d

# PySlowFast / pytorchvideo Kinetics normalisation: the same values TimeSformer's official configs use.
from synapt.models.timesformer import TIMESFORMER_MEAN as X3D_MEAN
from synapt.models.timesformer import TIMESFORMER_STD as X3D_STD

STAGE_DEPTHS = (1, 2, 5, 3)  # before the depth factor (X3D-XS/S/M: x 2.2 -> 3, 5, 11, 7)
DEPTH_FACTOR = 2.2
BOTTLENECK_FACTOR = 2.25
SE_RATIO = 0.0625
HEAD_DIM = 2048


def round_width(width: float, multiplier: float, *, min_width: int = 8, divisor: int = 8) -> int:
    """``width x multiplier`` rounded to the nearest multiple of ``divisor`` (never below ``min_width``,
    never more than 10% under the exact product): X3D's channel rule, e.g. 12 x 2 -> 24, 432 x 0.0625 -> 32."""
    exact = width * multiplier
    out = max(min_width, int(exact + divisor / 2) // divisor * divisor)
    return out + divisor if out < 0.9 * exact else out


class StemConv(nn.Module):
    """The stem's (2+1)-D convolution: a 1x3x3 spatial conv, then a depthwise 5x1x1 temporal conv.

    The names are pytorchvideo's, swapped as in its code: ``conv_t`` is the spatial conv.
    """

    def __init__(self, in_channels: int, out_channels: int, *, kernel_t: int = 5):
        super().__init__()
        self.conv_t = Conv3d(in_channels, out_channels, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), bias=False)
        self.conv_xy = Conv3d(
            out_channels, out_channels, (kernel_t, 1, 1), padding=(kernel_t // 2, 0, 0), groups=out_channels, bias=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_xy(self.conv_t(x))


class Stem(nn.Module):
    """``StemConv``, BN, ReLU: ``(B, 3, T, H, W)`` -> ``(B, C, T, H/2, W/2)``."""

    def __init__(self, out_channels: int):
        super().__init__()
        self.conv = StemConv(3, out_channels)
        self.norm = nn.BatchNorm3d(out_channels)
        self.activation = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.norm(self.conv(x)))


class SqueezeExcitation(nn.Module):
    """Channel gates from the clip's mean: ``x * sigmoid(W2 relu(W1 mean(x)))`` (Hu et al. 2018).

    ``block.0`` and ``block.2`` are 1x1x1 convolutions with bias, as fvcore's ``SqueezeExcitation``.
    """

    def __init__(self, channels: int, reduced: int):
        super().__init__()
        self.block = nn.Sequential(
            Conv3d(channels, reduced, 1), nn.ReLU(), Conv3d(reduced, channels, 1), nn.Sigmoid()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.block(x.mean(dim=(2, 3, 4), keepdim=True))


class Bottleneck(nn.Module):
    """X3D's inverted bottleneck: 1x1x1 expand, 3x3x3 depthwise (strided), [SE], swish, 1x1x1 project.

    ``norm_b`` is ``[BN, SE]`` (or ``[BN, Identity]``), pytorchvideo's grouping, which puts the SE
    weights at ``norm_b.1.block.{0,2}``.
    """

    def __init__(self, dim_in: int, dim_inner: int, dim_out: int, *, stride: int, se: bool):
        super().__init__()
        self.conv_a = Conv3d(dim_in, dim_inner, 1, bias=False)
        self.norm_a = nn.BatchNorm3d(dim_inner)
        self.act_a = nn.ReLU()
        self.conv_b = Conv3d(
            dim_inner, dim_inner, 3, stride=(1, stride, stride), padding=1, groups=dim_inner, bias=False
        )
        gate = SqueezeExcitation(dim_inner, round_width(dim_inner, SE_RATIO)) if se else nn.Identity()
        self.norm_b = nn.Sequential(nn.BatchNorm3d(dim_inner), gate)
        self.act_b = nn.SiLU()  # swish: x * sigmoid(x)
        self.conv_c = Conv3d(dim_inner, dim_out, 1, bias=False)
        self.norm_c = nn.BatchNorm3d(dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act_a(self.norm_a(self.conv_a(x)))
        x = self.act_b(self.norm_b(self.conv_b(x)))
        return self.norm_c(self.conv_c(x))


class ResBlock(nn.Module):
    """``relu(shortcut(x) + branch2(x))``; the shortcut is a strided 1x1x1 conv (``branch1_conv``)
    where the block strides or changes width, with a BN (``branch1_norm``) only where it changes width."""

    def __init__(self, dim_in: int, dim_inner: int, dim_out: int, *, stride: int, se: bool):
        super().__init__()
        project = dim_in != dim_out or stride > 1
        self.branch1_conv = Conv3d(dim_in, dim_out, 1, stride=(1, stride, stride), bias=False) if project else None
        self.branch1_norm = nn.BatchNorm3d(dim_out) if dim_in != dim_out else None
        self.branch2 = Bottleneck(dim_in, dim_inner, dim_out, stride=stride, se=se)
        self.activation = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        if self.branch1_conv is not None:
            shortcut = self.branch1_conv(x)
        if self.branch1_norm is not None:
            shortcut = self.branch1_norm(shortcut)
        return self.activation(shortcut + self.branch2(x))


class Stage(nn.Module):
    """``depth`` residual blocks; the first strides space by 2; SE on blocks 0, 2, 4, ..."""

    def __init__(self, dim_in: int, dim_inner: int, dim_out: int, *, depth: int):
        super().__init__()
        self.res_blocks = nn.ModuleList(
            ResBlock(dim_in if j == 0 else dim_out, dim_inner, dim_out, stride=2 if j == 0 else 1, se=j % 2 == 0)
            for j in range(depth)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.res_blocks:
            x = block(x)
        return x


class ProjectedPool(nn.Module):
    """1x1x1 conv, BN, ReLU, global average, 1x1x1 conv (no bias), ReLU: maps -> ``(B, dim_out, 1, 1, 1)``."""

    def __init__(self, dim_in: int, dim_inner: int, dim_out: int):
        super().__init__()
        self.pre_conv = Conv3d(dim_in, dim_inner, 1, bias=False)
        self.pre_norm = nn.BatchNorm3d(dim_inner)
        self.pre_act = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.post_conv = Conv3d(dim_inner, dim_out, 1, bias=False)
        self.post_act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.pre_act(self.pre_norm(self.pre_conv(x))))
        return self.post_act(self.post_conv(x))


class Head(nn.Module):
    """``blocks.5`` without pytorchvideo's dropout and ``proj`` (those are the model's ``dropout`` and
    ``fc``): last maps -> pooled features ``(B, dim_out)``."""

    def __init__(self, dim_in: int, dim_inner: int, dim_out: int):
        super().__init__()
        self.pool = ProjectedPool(dim_in, dim_inner, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x).flatten(1)


class X3D(VideoClassifier):
    """X3D: stem, four stages, projected-pool head (``blocks.0`` .. ``blocks.5``), dropout, ``fc``.

    Args:
        num_classes: size of the ``fc`` head.
        width_factor: X3D's channel multiplier: 2.0 for XS/S/M (stages of 24, 48, 96, 192 channels),
            1.0 gives 16, 24, 48, 96 and 0.5 gives 8, 16, 24, 48 (``round_width`` keeps multiples of 8).
            The 2048-d head is kept at every width.
        dropout: before ``fc`` (0.5, as pytorchvideo).
    """

    default_mean = X3D_MEAN
    default_std = X3D_STD

    def __init__(self, *, num_classes: int, width_factor: float = 2.0, dropout: float = 0.5):
        super().__init__()
        if width_factor <= 0:
            raise ValueError(f"X3D width_factor must be positive, got {width_factor}")
        self.width_factor = width_factor
        stem_dim = round_width(12, width_factor)
        base = [12]
        for _ in range(3):
            base.append(round_width(base[-1], 2.0))  # 12, 24, 48, 96 before the width factor
        blocks: list[nn.Module] = [Stem(stem_dim)]
        dim_in = stem_dim
        for width, depth in zip(base, STAGE_DEPTHS):
            dim_out = round_width(width, width_factor)
            dim_inner = int(BOTTLENECK_FACTOR * dim_out)
            blocks.append(Stage(dim_in, dim_inner, dim_out, depth=math.ceil(DEPTH_FACTOR * depth)))
            dim_in = dim_out
        # The head widens the last stage's inner width (432 at width_factor 2) to 2048 after pooling.
        blocks.append(Head(dim_in, dim_inner, HEAD_DIM))
        self.blocks = nn.ModuleList(blocks)
        self.dropout = nn.Dropout(dropout)
        self.feature_dim = HEAD_DIM
        self.fc = nn.Linear(HEAD_DIM, num_classes)
        self.default_input = {"num_frames": 4, "size": 160}
        self._init_weights()

    def _init_weights(self) -> None:
        # pytorchvideo's ResNet init, with the last BN of each bottleneck at zero scale, so that every
        # residual block starts as its shortcut.
        init_resnet_weights(self)
        for m in self.modules():
            if isinstance(m, Bottleneck):
                nn.init.zeros_(m.norm_c.weight)

    def forward_maps(self, x: torch.Tensor) -> torch.Tensor:
        """Video ``(B, C, T, H, W)`` -> last stage maps ``(B, C4, T, H/32, W/32)`` (192 channels at width 2)."""
        for block in self.blocks[:-1]:
            x = block(x)
        return x

    def pool_maps(self, maps: torch.Tensor) -> torch.Tensor:
        """Last stage maps -> the head's pooled 2048-d features ``(B, D)`` (before dropout and ``fc``)."""
        return self.blocks[-1](maps)


def _x3d(arch: str, *, num_classes: int, width_factor: float, dropout: float, frames: int, size: int) -> X3D:
    model = X3D(num_classes=num_classes, width_factor=width_factor, dropout=dropout)
    model.arch = arch
    model.default_input = {"num_frames": frames, "size": size}
    return model


def x3d_xs(*, num_classes: int, width_factor: float = 2.0, dropout: float = 0.5) -> X3D:
    """X3D-XS: trained on 4 frames at 160 px (3,794,274 parameters with a 400-way head).

    Args:
        num_classes: size of the head.
        width_factor: channel multiplier (2.0 as published; 1.0 or 0.5 for smaller CPU variants).
        dropout: before ``fc``.
    """
    return _x3d("x3d_xs", num_classes=num_classes, width_factor=width_factor, dropout=dropout, frames=4, size=160)


def x3d_s(*, num_classes: int, width_factor: float = 2.0, dropout: float = 0.5) -> X3D:
    """X3D-S: the X3D-XS network, trained on 13 frames at 160 px. Args: as ``x3d_xs``."""
    return _x3d("x3d_s", num_classes=num_classes, width_factor=width_factor, dropout=dropout, frames=13, size=160)


def x3d_m(*, num_classes: int, width_factor: float = 2.0, dropout: float = 0.5) -> X3D:
    """X3D-M: the X3D-XS network, trained on 16 frames at 224 px. Args: as ``x3d_xs``."""
    return _x3d("x3d_m", num_classes=num_classes, width_factor=width_factor, dropout=dropout, frames=16, size=224)
