"""I3D and R(2+1)D: parameter counts against published figures, shapes, temporal strides."""

import pytest
import torch

from synapt.models import build_model
from synapt.models.resnet3d import i3d_r50, r2plus1d_r50, tran_mid_channels


def _count(builder, **options) -> int:
    """Parameters with a 400-way (Kinetics) head, built on the meta device (no memory, no init)."""
    with torch.device("meta"):
        return sum(p.numel() for p in builder(num_classes=400, **options).parameters())


def test_i3d_r50_matches_published_parameter_count():
    # mmaction2 model zoo, i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb: 28.04M params
    # (SlowFast's I3D R50 8x8: 28.1M). Same inflation pattern, 400-way head.
    assert abs(_count(i3d_r50) - 28.04e6) / 28.04e6 < 0.02
    assert _count(i3d_r50, style="mmaction2") == _count(i3d_r50)


def test_i3d_r50_ibm_layout_matches_ibm_benchmark_exactly():
    # IBM/action-recognition-pytorch benchmark_full.md, kinetics400-i3d-resnet-50-tp: 46,980,944 params.
    assert _count(i3d_r50, style="ibm") == 46_980_944


def test_r2plus1d_r50_parameter_counts():
    # IBM benchmark_full.md, kinetics400-s3d-resnet-50-tp (mid = planes): 28,126,416 params.
    assert _count(r2plus1d_r50, mid_channels="planes") == 28_126_416
    # Tran et al. 2018 choose M so that a (2+1)-D block has its 3-D block's parameters: the
    # network must match the 3x3x3 ResNet-50 of the same layout (46,980,944) within 2%.
    assert abs(_count(r2plus1d_r50) - 46_980_944) / 46_980_944 < 0.02


def test_tran_mid_channels_formula():
    assert tran_mid_channels(64, 64) == 144
    # M(3*3*Nin + 3*Nout) <= 27 Nin Nout, the largest such M
    for n in (8, 64, 128, 512):
        m = tran_mid_channels(n, n)
        assert m * (9 * n + 3 * n) <= 27 * n * n < (m + 1) * (9 * n + 3 * n)


@pytest.mark.parametrize("name", ["i3d_tiny", "r2plus1d_tiny"])
def test_video_model_contract(name, seeded):
    model = build_model(name, 6).eval()
    video = torch.randn(2, 3, 4, 32, 32)
    feats = model.forward_features(video)
    assert feats.shape == (2, model.feature_dim)
    logits = model(video)
    assert logits.shape == (2, 6)
    torch.testing.assert_close(logits, model.fc(feats))
    model.reset_classifier(3)
    assert model(video).shape == (2, 3)
    assert model.arch == name
    assert set(model.default_input) == {"num_frames", "size"}


@pytest.mark.parametrize(
    "style, frames, expected_t",
    [("slowfast", 8, 4), ("slowfast", 16, 8), ("mmaction2", 16, 2), ("mmaction2", 32, 4),
     ("ibm", 8, 1), ("ibm", 16, 2)],
)
def test_i3d_temporal_strides_are_as_documented(style, frames, expected_t):
    with torch.device("meta"):
        model = i3d_r50(num_classes=10, style=style)
        maps = model.forward_maps(torch.empty(1, 3, frames, 64, 64))
    assert maps.shape[2] == expected_t


def test_r2plus1d_temporal_strides_are_as_documented():
    with torch.device("meta"):
        model = r2plus1d_r50(num_classes=10)
        assert model.forward_maps(torch.empty(1, 3, 8, 64, 64)).shape[2] == 1
        assert model.forward_maps(torch.empty(1, 3, 16, 64, 64)).shape[2] == 2


def test_video_model_refuses_an_image_batch():
    model = build_model("i3d_tiny", 2)
    with pytest.raises(ValueError, match=r"\(B, C, T, H, W\)"):
        model.forward_features(torch.randn(1, 3, 32, 32))


def test_arch_names_rebuild_the_same_model():
    for name, options in [("i3d_r50", {"style": "ibm"}), ("i3d_r50", {"style": "mmaction2"}),
                          ("r2plus1d_r50", {"mid_channels": "planes"}), ("i3d_r50", {})]:
        with torch.device("meta"):
            model = build_model(name, 10, **options)
            again = build_model(model.arch, 10)
        shapes = {k: v.shape for k, v in model.state_dict().items()}
        assert shapes == {k: v.shape for k, v in again.state_dict().items()}


def test_unknown_model_or_option_is_a_user_error():
    from synapt.errors import UserError

    with pytest.raises(UserError, match="unknown model 'i3d_r51'"):
        build_model("i3d_r51", 10)
    with pytest.raises(UserError, match="does not take option.*stlye.*style"):
        build_model("i3d_tiny", 10, stlye="ibm")


@pytest.mark.parametrize("stride_t", [1, 2])
def test_fast_pools_equal_maxpool3d(stride_t, seeded):
    from synapt.models.resnet3d import SpatialMaxPool, TemporalMaxPool

    x = torch.randn(2, 3, 5, 9, 10)
    expected = torch.nn.MaxPool3d((1, 3, 3), stride=(stride_t, 2, 2), padding=(0, 1, 1))(x)
    assert torch.equal(SpatialMaxPool(stride_t=stride_t)(x), expected)
    expected = torch.nn.MaxPool3d((2, 1, 1), stride=(2, 1, 1))(x)
    assert torch.equal(TemporalMaxPool(2)(x), expected)
    assert torch.equal(TemporalMaxPool(8)(x), x)
