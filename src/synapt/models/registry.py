"""The model registry: a plain dict from name to builder, and ``build_model``."""

from __future__ import annotations

import inspect

from torch import nn

from synapt.errors import UserError
from synapt.models import resnet, resnet3d, timesformer, tsn, video_resnet, x3d

MODELS = {
    "tsn_r50": tsn.tsn_r50,
    "tsn_r18": tsn.tsn_r18,
    "i3d_r50": resnet3d.i3d_r50,
    "r2plus1d_r50": resnet3d.r2plus1d_r50,
    "i3d_r50_mmaction2": resnet3d.i3d_r50_mmaction2,
    "i3d_r50_ibm": resnet3d.i3d_r50_ibm,
    "r2plus1d_r50_ibm": resnet3d.r2plus1d_r50_ibm,
    "timesformer_b": timesformer.timesformer_b,
    "tsn_tiny": tsn.tsn_tiny,
    "i3d_tiny": resnet3d.i3d_tiny,
    "r2plus1d_tiny": resnet3d.r2plus1d_tiny,
    "r2plus1d_w16": resnet3d.r2plus1d_w16,
    "timesformer_tiny": timesformer.timesformer_tiny,
    # CPU-class video models: torchvision's video ResNet-18s and pytorchvideo's X3D.
    "r3d_18": video_resnet.r3d_18,
    "mc3_18": video_resnet.mc3_18,
    "r2plus1d_18": video_resnet.r2plus1d_18,
    "x3d_xs": x3d.x3d_xs,
    "x3d_s": x3d.x3d_s,
    "x3d_m": x3d.x3d_m,
    "resnet18": resnet.resnet18,
    "resnet34": resnet.resnet34,
    "resnet50": resnet.resnet50,
    "resnet_tiny": resnet.resnet_tiny,
}

# 2-D image networks take (B, C, H, W); every other entry is a video model on (B, C, T, H, W).
IMAGE_MODELS = ("resnet18", "resnet34", "resnet50", "resnet_tiny")


def build_model(name: str, num_classes: int, **options) -> nn.Module:
    """Build a registered model with a fresh ``num_classes``-way ``fc`` head.

    Args:
        name: a key of ``MODELS`` (e.g. ``"tsn_r50"``, ``"r2plus1d_18"``, ``"x3d_xs"``).
        num_classes: size of the classification head.
        **options: builder-specific keywords (``dropout``, ``style``, ``mid_channels``, ``width``,
            ``width_factor``, ...).

    Returns:
        The model, with ``arch``, ``feature_dim``, ``default_mean``/``default_std`` and, for video
        models, ``default_input``.
    """
    if name not in MODELS:
        raise UserError(f"unknown model {name!r}; choose one of: {', '.join(sorted(MODELS))}")
    builder = MODELS[name]
    try:
        inspect.signature(builder).bind(num_classes=num_classes, **options)
    except TypeError:
        allowed = [p for p in inspect.signature(builder).parameters if p != "num_classes"]
        unknown = sorted(set(options) - set(allowed))
        raise UserError(
            f"model {name!r} does not take option(s) {', '.join(unknown) or options}; its options are: "
            f"{', '.join(allowed) or 'none'}"
        ) from None
    return builder(num_classes=num_classes, **options)
