"""Video backbones (TSN, I3D, R(2+1)D, TimeSformer), 2-D ResNets, weight import and FLOP counts.

    from synapt.models import build_model, load_weights
    model = build_model("i3d_r50", num_classes=101)
    load_weights(model, "resnet50-11ad3fa6.pth", source="torchvision")   # inflated
"""

from synapt.models.registry import IMAGE_MODELS, MODELS, build_model

__all__ = ["IMAGE_MODELS", "MODELS", "build_model"]
