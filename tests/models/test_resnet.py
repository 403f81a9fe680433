"""2-D ResNets and TSN: exact torchvision parameter counts and keys, shapes, TSN consensus."""

import pytest
import torch

from synapt.models import build_model
from synapt.models.resnet import resnet18, resnet34, resnet50, resnet_tiny
from synapt.models.tsn import tsn_r50, tsn_tiny


@pytest.mark.parametrize(
    "builder, expected",
    # torchvision's published counts for its ImageNet ResNets.
    [(resnet18, 11_689_512), (resnet34, 21_797_672), (resnet50, 25_557_032)],
)
def test_resnet_parameter_counts_match_torchvision(builder, expected, num_params):
    with torch.device("meta"):
        assert num_params(builder(num_classes=1000)) == expected


def test_tsn_r50_has_resnet50_parameters_and_keys(num_params):
    with torch.device("meta"):
        tsn = tsn_r50(num_classes=1000)
        ref = resnet50(num_classes=1000)
    assert num_params(tsn) == 25_557_032
    # Same keys in the same order: a torchvision file loads into TSN without renaming.
    assert list(tsn.state_dict()) == list(ref.state_dict())
    keys = set(tsn.state_dict())
    for key in ("conv1.weight", "bn1.running_var", "layer1.0.conv3.weight", "layer1.0.downsample.0.weight",
                "layer1.0.downsample.1.weight", "layer4.2.bn3.bias", "fc.weight", "fc.bias"):
        assert key in keys


def test_torchvision_layout_state_dict_loads_strictly(seeded):
    # A state_dict with torchvision's exact keys and shapes (as in resnet50-11ad3fa6.pth).
    source = resnet50(num_classes=1000)
    target = tsn_r50(num_classes=1000)
    target.load_state_dict(source.state_dict(), strict=True)
    assert torch.equal(target.layer3[4].conv2.weight,
                       source.layer3[4].conv2.weight)


def test_tsn_averages_per_segment_features(seeded):
    model = tsn_tiny(num_classes=7).eval()
    video = torch.randn(2, 3, 4, 32, 32)
    feats = model.forward_features(video)
    per_frame = torch.stack([model.frame_features(video[:, :, t]) for t in range(4)], dim=1)
    torch.testing.assert_close(feats, per_frame.mean(dim=1))
    assert feats.shape == (2, model.feature_dim) == (2, 256)
    logits = model(video)
    assert logits.shape == (2, 7)
    torch.testing.assert_close(logits, model.fc(feats))  # eval: dropout is the identity


def test_tsn_frame_order_does_not_matter(seeded):
    model = tsn_tiny(num_classes=3).eval()
    video = torch.randn(1, 3, 4, 32, 32)
    torch.testing.assert_close(model(video), model(video.flip(2)))


def test_reset_classifier_and_metadata():
    model = build_model("tsn_tiny", 5)
    model.reset_classifier(11)
    assert isinstance(model.fc, torch.nn.Linear) and model.fc.out_features == 11
    assert model.fc.in_features == model.feature_dim
    assert model.arch == "tsn_tiny"
    assert model.default_mean == (0.485, 0.456, 0.406) and model.default_std == (0.229, 0.224, 0.225)
    assert model.default_input["num_frames"] == 8


def test_resnet_forward_features_on_images(seeded):
    model = resnet_tiny(num_classes=4).eval()
    feats = model.forward_features(torch.randn(3, 3, 32, 32))
    assert feats.shape == (3, 256)
    assert (feats >= 0).all()  # pooled after a ReLU
