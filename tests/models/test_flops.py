"""MAC counts: published per-clip figures, and agreement with torch's own FLOP counter."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from synapt.models import build_model
from synapt.models.flops import clip_shape, count_macs, count_parameters


def _gmacs(name, **input_size):
    with torch.device("meta"):
        model = build_model(name, 400)
    return count_macs(model, clip_shape(model, **input_size)) / 1e9


@pytest.mark.parametrize(
    "name, published, size",
    [
        ("tsn_r50", 32.9, 224),  # TSN-R50, 8 segments x 224 px (ResNet-50: 4.1 GMACs per frame)
        ("timesformer_b", 196.0, 224),  # Bertasius et al. 2021, TimeSformer 8x224 (fvcore "GFLOPs")
        ("i3d_r50", 37.5, 256),  # SlowFast model zoo, I3D R50 8x8 (their views are 256 px)
    ],
)
def test_macs_per_clip_match_published_figures(name, published, size):
    assert abs(_gmacs(name, size=size) - published) / published < 0.05


@pytest.mark.parametrize("name", ["tsn_tiny", "i3d_tiny", "r2plus1d_tiny", "timesformer_tiny", "resnet_tiny"])
def test_hook_count_equals_torch_flop_counter(name):
    # FlopCounterMode counts 2 FLOPs per multiply-add on aten ops (conv, addmm, bmm on meta).
    with torch.device("meta"):
        model = build_model(name, 10).eval()
        shape = (2, 3, 4, 32, 32) if name != "resnet_tiny" else (2, 3, 32, 32)
        with FlopCounterMode(display=False) as counter:
            model(torch.empty(shape))
    assert count_macs(model, shape) * 2 == counter.get_total_flops() > 0


def test_counting_leaves_the_model_untouched():
    model = build_model("tsn_tiny", 3)
    before = model.conv1.weight.clone()
    macs = count_macs(model, (1, 3, 2, 32, 32))
    assert not model.conv1.weight.is_meta and torch.equal(model.conv1.weight, before)
    # Two segments cost twice the backbone, but the head runs once per clip: 256 x 3 MACs.
    assert macs == 2 * count_macs(model, (1, 3, 1, 32, 32)) - 256 * 3
    assert count_parameters(model) == sum(p.numel() for p in model.parameters())
