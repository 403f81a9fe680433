"""Parameter and multiply-accumulate (MAC) counts per clip.

Unit: **GMACs**, one multiply-add = 1 MAC, the unit the literature and fvcore print as "GFLOPs"
(ResNet-50 at 224 px: 4.1; TSN-R50 with 8 segments: 32.9; TimeSformer-B 8x224: about 196).
Real floating-point operations are twice that (``2 * MACs``), which is what throughput in GFLOP/s
is computed from (``synapt speed models``).

Counted with forward hooks: every convolution (``out elements x in_channels/groups x kernel``),
every linear layer (``out elements x in_features``) and the two matrix products of each attention
(``Q K^T`` and ``A V``: ``2 x batch x tokens^2 x dim``). Normalisation, activations, pooling and
softmax are left out (under 1% for these networks). The count runs on the ``meta`` device, so
even TimeSformer-B costs no memory and no arithmetic.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from synapt.models.timesformer import Attention


def _conv_macs(module: nn.modules.conv._ConvNd, _inputs, output: torch.Tensor) -> int:
    per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
    return output.numel() * per_output


def _linear_macs(module: nn.Linear, _inputs, output: torch.Tensor) -> int:
    return output.numel() * module.in_features


def _attention_macs(_module: Attention, inputs, _output) -> int:
    batch, tokens, dim = inputs[0].shape
    return 2 * batch * tokens * tokens * dim  # Q K^T and A V, all heads together


COUNTERS = {nn.Conv1d: _conv_macs, nn.Conv2d: _conv_macs, nn.Conv3d: _conv_macs, nn.Linear: _linear_macs,
            Attention: _attention_macs}


def count_macs(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """MACs of one forward pass of ``model`` on an input of ``input_shape`` (batch included).

    The model is copied to the ``meta`` device first (its weights are untouched).
    """
    meta = model if _is_meta(model) else copy.deepcopy(model).to("meta")
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        for kind, counter in COUNTERS.items():
            if isinstance(module, kind):
                total += counter(module, inputs, output)
                return

    handles = [m.register_forward_hook(hook) for m in meta.modules() if isinstance(m, tuple(COUNTERS))]
    try:
        with torch.no_grad():
            meta.eval()(torch.empty(input_shape, device="meta"))
    finally:
        for handle in handles:
            handle.remove()
    return total


def count_parameters(model: nn.Module) -> int:
    """Number of parameters (trainable or not; buffers such as BatchNorm statistics excluded)."""
    return sum(p.numel() for p in model.parameters())


def clip_shape(model: nn.Module, *, num_frames: int | None = None, size: int | None = None) -> tuple[int, ...]:
    """Input shape of one clip ``(1, 3, T, H, W)`` at the model's ``default_input`` (or the given T, size)."""
    default = getattr(model, "default_input", None)
    if default is None:  # 2-D image network
        return (1, 3, size or 224, size or 224)
    t = num_frames or default["num_frames"]
    s = size or default["size"]
    return (1, 3, t, s, s)


def _is_meta(model: nn.Module) -> bool:
    first = next(iter(model.parameters()), None)
    return first is not None and first.is_meta
