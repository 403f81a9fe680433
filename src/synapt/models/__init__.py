"""Video backbones (TSN, I3D, R(2+1)D, TimeSformer), 2-D ResNets, weight import and MAC counts.

    from synapt.models import build_model, load_weights
    model = build_model("i3d_r50", num_classes=101)
    report = load_weights(model, "resnet50-11ad3fa6.pth", source="torchvision", exclude=("fc.",))  # inflated
    print(report.summary())
"""

from synapt.models.flops import count_macs, count_parameters
from synapt.models.inflate import inflate_2d_to_3d
from synapt.models.registry import IMAGE_MODELS, MODELS, build_model
from synapt.models.weights import LoadReport, load_weights

__all__ = [
    "IMAGE_MODELS",
    "MODELS",
    "LoadReport",
    "build_model",
    "count_macs",
    "count_parameters",
    "inflate_2d_to_3d",
    "load_weights",
]
