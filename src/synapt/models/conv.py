"""3-D convolution computed as 2-D convolutions: the same numbers, several times faster on CPU.

oneDNN's 3-D convolution backward is slow on CPUs for the small channel counts of CPU-class
video models: in ``r2plus1d_tiny`` at 8 x 64 px the stem's weight gradient alone took 1.9 s of a
2.8 s training step, against 0.1 s for its forward. Every 3-D kernel factors into 2-D ones:

- ``(kt, 1, 1)`` (temporal) and ``(1, 1, 1)`` kernels are 2-D convolutions on a free
  ``(B, C, T, H*W)`` view, with the kernel ``(kt, 1)``;
- ``(1, kh, kw)`` (spatial) kernels are 2-D convolutions of the ``B*T`` frames;
- a full ``(kt, kh, kw)`` kernel is the sum over its ``kt`` temporal taps of 2-D convolutions
  of the frames each tap reads.

:func:`conv3d` gives ``F.conv3d``'s result (to float rounding, about 1e-6 relative) and the
same gradients; :class:`Conv3d` is ``nn.Conv3d`` (same parameters and state-dict keys) using it.
``synapt speed models`` prints the speed-up per model (``conv3d_speedup``);
``SYNAPT_CONV3D=native`` (or :func:`set_backend`) switches back to ``F.conv3d`` everywhere.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import nn

_BACKENDS = ("2d", "native")
_backend = os.environ.get("SYNAPT_CONV3D", "2d")
if _backend not in _BACKENDS:
    raise ValueError(f"SYNAPT_CONV3D={_backend!r}: choose one of {', '.join(_BACKENDS)}")


def set_backend(name: str) -> str:
    """Use ``"2d"`` (default) or ``"native"`` (``F.conv3d``) for every :class:`Conv3d`; returns the old one."""
    global _backend
    if name not in _BACKENDS:
        raise ValueError(f"conv3d backend {name!r}: choose one of {', '.join(_BACKENDS)}")
    old, _backend = _backend, name
    return old


def get_backend() -> str:
    return _backend


def _triple(v) -> tuple[int, int, int]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v, v)


def conv3d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride=1, padding=0,
           groups: int = 1) -> torch.Tensor:
    """``F.conv3d(x, weight, bias, stride, padding, groups=groups)`` (zero padding, no dilation) via 2-D convs."""
    b, c, t, h, w = x.shape
    o, cg, kt, kh, kw = weight.shape
    st, sh, sw = _triple(stride)
    pt, ph, pw = _triple(padding)
    if kh == 1 and kw == 1 and ph == 0 and pw == 0:
        if sh > 1 or sw > 1:
            x = x[:, :, :, ::sh, ::sw]
            h, w = x.shape[-2:]
        y = F.conv2d(x.reshape(b, c, t, h * w), weight.reshape(o, cg, kt, 1), stride=(st, 1), padding=(pt, 0),
                     groups=groups)
        y = y.reshape(b, o, y.shape[2], h, w)
    else:
        if pt:
            x = F.pad(x, (0, 0, 0, 0, pt, pt))
        t_out = (x.shape[2] - kt) // st + 1
        y = None
        for k in range(kt):
            # The frames tap k reads, as a batch of images: (B * T_out, C, H, W).
            frames = x[:, :, k: k + st * (t_out - 1) + 1: st].transpose(1, 2).reshape(b * t_out, c, h, w)
            part = F.conv2d(frames, weight[:, :, k], stride=(sh, sw), padding=(ph, pw), groups=groups)
            y = part if y is None else y + part
        y = y.reshape(b, t_out, o, *y.shape[-2:]).transpose(1, 2).contiguous()
    if bias is not None:
        y = y + bias.view(1, -1, 1, 1, 1)
    return y


def prefers_2d(kernel: tuple[int, int, int], in_channels_per_group: int) -> bool:
    """Whether :func:`conv3d` beats ``F.conv3d`` for this layer on CPU (measured, ``docs/models.md``).

    Factorised kernels (temporal ``kt x 1 x 1``, spatial ``1 x kh x kw``, pointwise) gain or tie at
    every width measured. A full ``kt x kh x kw`` kernel gains only with few input channels (stems,
    the tiny models, X3D's depthwise convolutions); at the 64-512 channels of R3D-18 the oneDNN
    kernel is 7-13% faster.
    """
    kt, kh, kw = kernel
    return kt == 1 or kh * kw == 1 or in_channels_per_group <= 16


class Conv3d(nn.Conv3d):
    """``nn.Conv3d`` computed by :func:`conv3d` where that is faster (:func:`prefers_2d`; zero padding and
    no dilation only); every other layer uses ``F.conv3d``."""

    def _conv_forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        if (_backend == "native" or self.padding_mode != "zeros" or isinstance(self.padding, str)
                or any(d != 1 for d in self.dilation)
                or not prefers_2d(self.kernel_size, self.in_channels // self.groups)):
            return super()._conv_forward(x, weight, bias)
        return conv3d(x, weight, bias, self.stride, self.padding, self.groups)
