"""Inflate a 2-D ResNet state_dict into a 3-D (I3D, R(2+1)D) model (Carreira & Zisserman 2017).

A k x k kernel becomes t x k x k by repeating it t times along time and dividing by t, so that on
a video whose frames are all the same image every 3-D convolution gives the 2-D response (the
"boring video" argument). BatchNorm statistics and affine parameters, and any tensor whose shape
already matches, are copied. The temporal convolutions of (2+1)-D blocks (``conv2_t``, ``bn2_t``),
which have no 2-D counterpart, start as the identity in time (centre tap = identity matrix, BN
neutral) when their spatial half was inflated, so that R(2+1)D with ``mid_channels="planes"`` also
reproduces the 2-D network on a static video. Nothing is dropped silently: every key is loaded or listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class InflationReport:
    """What ``inflate_2d_to_3d`` did with each key.

    Attributes:
        inflated: 3-D keys built from a 2-D kernel repeated over time.
        copied: keys copied unchanged (BatchNorm, shapes that already match).
        skipped: 2-D keys present in the 3-D model but with an incompatible shape, with the reason.
        identity: (2+1)-D temporal keys set to the identity in time.
        missing: 3-D keys with no 2-D counterpart (left at their initialisation).
        unused: 2-D keys the 3-D model does not have.
    """

    inflated: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    identity: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: counts, then the skipped and missing keys by name."""
        parts = [f"inflated {len(self.inflated)}, copied {len(self.copied)}, identity in time {len(self.identity)}"]
        if self.skipped:
            parts.append("skipped " + ", ".join(f"{k} ({why})" for k, why in self.skipped.items()))
        if self.missing:
            parts.append("missing " + ", ".join(self.missing))
        if self.unused:
            parts.append("unused " + ", ".join(self.unused))
        return "; ".join(parts)


def inflate_tensor(weight_2d: torch.Tensor, shape_3d: torch.Size | tuple[int, ...]) -> torch.Tensor:
    """Kernel ``(O, I, k, k)`` -> ``(O, I, t, k, k)``: repeated over t and divided by t."""
    t = shape_3d[2]
    return weight_2d.unsqueeze(2).repeat(1, 1, t, 1, 1) / t


def identity_in_time(key: str, shape: torch.Size | tuple[int, ...]) -> torch.Tensor | None:
    """The identity value of a (2+1)-D temporal key (``...conv2_t.weight``, ``...bn2_t.*``), else None."""
    if key.endswith("conv2_t.weight") and len(shape) == 5 and shape[0] == shape[1] and shape[3:] == (1, 1):
        weight = torch.zeros(shape)
        weight[:, :, shape[2] // 2, 0, 0] = torch.eye(shape[0])  # centre tap: exact at clip edges too
        return weight
    if ".bn2_t." in key:
        name = key.rsplit(".", 1)[1]
        if name in ("weight", "running_var"):
            return torch.ones(shape)
        if name in ("bias", "running_mean"):
            return torch.zeros(shape)
        if name == "num_batches_tracked":
            return torch.zeros(shape, dtype=torch.long)
    return None


def inflate_state_dict(
    state_dict_2d: dict[str, torch.Tensor], target_shapes: dict[str, torch.Size]
) -> tuple[dict[str, torch.Tensor], InflationReport]:
    """Pure inflation: 2-D tensors and the 3-D model's key -> shape map in, 3-D tensors out.

    Args:
        state_dict_2d: a 2-D ResNet state_dict in torchvision's key layout.
        target_shapes: ``{key: shape}`` of the 3-D model's state_dict.

    Returns:
        The tensors to load (a subset of ``target_shapes``) and the report of every key.
    """
    report = InflationReport()
    out: dict[str, torch.Tensor] = {}
    for key, shape in target_shapes.items():
        if key not in state_dict_2d:
            # Identity in time only where the block's spatial conv came from the 2-D network.
            spatial = re.sub(r"(conv2_t|bn2_t)\..*$", "conv2.weight", key)
            value = identity_in_time(key, tuple(shape)) if spatial in out else None
            if value is None:
                report.missing.append(key)
            else:
                out[key] = value
                report.identity.append(key)
            continue
        value = state_dict_2d[key]
        if tuple(value.shape) == tuple(shape):
            out[key] = value.clone()
            report.copied.append(key)
        elif value.dim() == 4 and len(shape) == 5 and tuple(value.shape) == (shape[0], shape[1], shape[3], shape[4]):
            out[key] = inflate_tensor(value, shape)
            report.inflated.append(key)
        else:
            report.skipped[key] = f"2-D shape {tuple(value.shape)} does not inflate to {tuple(shape)}"
    report.unused = [key for key in state_dict_2d if key not in target_shapes]
    return out, report


def inflate_2d_to_3d(state_dict_2d: dict[str, torch.Tensor], model_3d: nn.Module) -> InflationReport:
    """Load an inflated 2-D ResNet state_dict into ``model_3d`` (in place) and report every key.

    Args:
        state_dict_2d: torchvision-layout 2-D ResNet weights (e.g. ImageNet ResNet-50).
        model_3d: an I3D or R(2+1)D model from ``synapt.models`` with the same widths.

    Returns:
        An ``InflationReport``: inflated, copied, skipped (with reasons), missing, unused keys.
    """
    target = model_3d.state_dict()
    tensors, report = inflate_state_dict(state_dict_2d, {k: v.shape for k, v in target.items()})
    model_3d.load_state_dict(tensors, strict=False)
    return report
