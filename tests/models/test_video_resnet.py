"""R3D-18, MC3-18, R(2+1)D-18: torchvision's published counts, its exact weight layout, the contract."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from synapt.errors import UserError
from synapt.models import build_model, load_weights
from synapt.models.flops import count_macs
from synapt.models.weights import detect_source

ARCHS = ("r3d_18", "mc3_18", "r2plus1d_18")


def _torchvision_shapes(arch: str, bn, *, num_classes: int = 400) -> dict[str, tuple[int, ...]]:
    """The state_dict of ``torchvision.models.video.<arch>(num_classes=...)``, spelled out from
    torchvision/models/video/resnet.py: ``BasicStem`` / ``R2Plus1dStem``, ``BasicBlock`` with
    ``Conv3DSimple`` (3x3x3), ``Conv3DNoTemporal`` (1x3x3; MC3 after layer1) or ``Conv2Plus1D``."""
    shapes: dict[str, tuple[int, ...]] = {}
    if arch == "r2plus1d_18":
        shapes |= {"stem.0.weight": (45, 3, 1, 7, 7)} | bn("stem.1", 45)
        shapes |= {"stem.3.weight": (64, 45, 3, 1, 1)} | bn("stem.4", 64)
    else:
        shapes |= {"stem.0.weight": (64, 3, 3, 7, 7)} | bn("stem.1", 64)
    kinds = {"r3d_18": ["3d"] * 4, "mc3_18": ["3d", "2d", "2d", "2d"], "r2plus1d_18": ["2plus1d"] * 4}[arch]
    inplanes = 64
    for layer, (planes, kind) in enumerate(zip((64, 128, 256, 512), kinds), start=1):
        for j in range(2):
            block = f"layer{layer}.{j}"
            inp = inplanes if j == 0 else planes
            # torchvision's BasicBlock: midplanes from (inplanes, planes), shared by conv1 and conv2.
            mid = (inp * planes * 3 * 3 * 3) // (inp * 3 * 3 + 3 * planes)
            for conv, cin in (("conv1", inp), ("conv2", planes)):
                if kind == "2plus1d":
                    shapes[f"{block}.{conv}.0.0.weight"] = (mid, cin, 1, 3, 3)
                    shapes |= bn(f"{block}.{conv}.0.1", mid)
                    shapes[f"{block}.{conv}.0.3.weight"] = (planes, mid, 3, 1, 1)
                else:
                    shapes[f"{block}.{conv}.0.weight"] = (planes, cin) + ((3, 3, 3) if kind == "3d" else (1, 3, 3))
                shapes |= bn(f"{block}.{conv}.1", planes)
            if j == 0 and layer > 1:
                shapes[f"{block}.downsample.0.weight"] = (planes, inp, 1, 1, 1)
                shapes |= bn(f"{block}.downsample.1", planes)
        inplanes = planes
    shapes |= {"fc.weight": (num_classes, 512), "fc.bias": (num_classes,)}
    return shapes


def _params(shapes):
    return sum(torch.Size(s).numel() for k, s in shapes.items() if "running" not in k and "num_batches" not in k)


@pytest.mark.parametrize(
    "arch, published",
    # torchvision model docs (R3D_18_Weights, MC3_18_Weights, R2Plus1D_18_Weights.KINETICS400_V1): num_params.
    [("r3d_18", 33_371_472), ("mc3_18", 11_695_440), ("r2plus1d_18", 31_505_325)],
)
def test_parameter_counts_equal_torchvision(arch, published, num_params, batchnorm_shapes):
    with torch.device("meta"):
        model = build_model(arch, 400)
    assert num_params(model) == published
    assert _params(_torchvision_shapes(arch, batchnorm_shapes)) == published  # the spelled-out layout too


@pytest.mark.parametrize(
    "arch, published",
    # torchvision model docs, "GFLOPS" at 16x112x112 (multiply-adds, fvcore's convention): 40.70, 43.34, 40.52.
    [("r3d_18", 40.70), ("mc3_18", 43.34), ("r2plus1d_18", 40.52)],
)
def test_macs_equal_torchvision(arch, published):
    with torch.device("meta"):
        model = build_model(arch, 400)
    gmacs = count_macs(model, (1, 3, 16, 112, 112)) / 1e9
    assert abs(gmacs - published) / published < 0.02
    assert round(gmacs, 2) == published  # in fact to the last digit printed


@pytest.mark.parametrize("arch", ARCHS)
def test_torchvision_kinetics_file_loads_strictly_with_every_tensor_landing(arch, batchnorm_shapes, random_state,
                                                                            tmp_path):
    upstream = random_state(_torchvision_shapes(arch, batchnorm_shapes))
    model = build_model(arch, 400)
    model.load_state_dict(upstream, strict=True)
    for key, value in model.state_dict().items():
        assert torch.equal(value, upstream[key]), key

    # Through the loader, as a published file (a bare state_dict) is read.
    path = tmp_path / f"{arch}-kinetics400.pth"
    torch.save(upstream, path)
    fresh = build_model(arch, 400)
    report = load_weights(fresh, path)
    assert report.source == "torchvision"
    assert report.missing == [] and report.unexpected == [] and not report.skipped
    assert len(report.loaded) == len(upstream)
    assert all(torch.equal(v, upstream[k]) for k, v in fresh.state_dict().items())


def test_torchvision_file_into_another_label_set_keeps_a_fresh_head(batchnorm_shapes, random_state, tmp_path):
    path = tmp_path / "r2plus1d_18-91a641e6.pth"
    torch.save(random_state(_torchvision_shapes("r2plus1d_18", batchnorm_shapes)), path)
    model = build_model("r2plus1d_18", 10)
    with pytest.raises(UserError, match=r"'fc.weight' has shape \(400, 512\).*\(10, 512\).*exclude"):
        load_weights(model, path)
    report = load_weights(model, path, exclude=("fc.",))
    assert sorted(report.skipped) == ["fc.bias", "fc.weight"] and report.missing == []
    assert len(report.loaded) == len(model.state_dict()) - 2


def test_a_file_of_another_family_is_refused_not_silently_ignored(tmp_path):
    # torchvision names the video stem `stem.0` and nests the block convs: a 2-D ResNet-18 file
    # meets r3d_18 only at the shortcuts, whose kernels are 2-D (no inflation for this family).
    path = tmp_path / "resnet18-f37072fd.pth"
    torch.save(build_model("resnet18", 1000).state_dict(), path)
    with pytest.raises(UserError, match=r"'layer2.0.downsample.0.weight' has shape \(128, 64, 1, 1\).*architecture"):
        load_weights(build_model("r3d_18", 10), path)
    # A TimeSformer file shares no key at all once its head is left out: refused rather than a no-op load.
    path = tmp_path / "timesformer.pth"
    torch.save(build_model("timesformer_tiny", 10).state_dict(), path)
    with pytest.raises(UserError, match=r"timesformer.pth: none of its \d+ tensors \(read as synapt; .*key of r3d_18"):
        load_weights(build_model("r3d_18", 10), path, exclude=("fc.",))


def test_detects_torchvision_video_layout():
    assert detect_source({"stem.0.weight": torch.zeros(1, 1, 1, 1, 1), "fc.weight": torch.zeros(1)}) == "torchvision"


@pytest.mark.parametrize(
    "arch, expected",
    # 16x112 -> stem and layer1 16x56x56; R3D / R(2+1)D halve T with space in layer2-4, MC3 never does.
    [("r3d_18", (2, 7, 7)), ("mc3_18", (16, 7, 7)), ("r2plus1d_18", (2, 7, 7))],
)
def test_strides_are_torchvisions(arch, expected):
    with torch.device("meta"):
        model = build_model(arch, 10)
        maps = model.forward_maps(torch.empty(1, 3, 16, 112, 112))
    assert maps.shape == (1, 512, *expected)


@pytest.mark.parametrize("arch", ARCHS)
def test_video_model_contract(arch, seeded):
    model = build_model(arch, 6).eval()
    video = torch.randn(2, 3, 4, 32, 32)
    feats = model.forward_features(video)
    assert feats.shape == (2, model.feature_dim) == (2, 512)
    torch.testing.assert_close(model(video), model.fc(feats))
    model.reset_classifier(3)
    assert model(video).shape == (2, 3)
    assert model.arch == arch
    assert model.default_input == {"num_frames": 16, "size": 112}
    assert model.default_mean == (0.43216, 0.394666, 0.37645)
    assert model.default_std == (0.22803, 0.22145, 0.216989)
    with pytest.raises(ValueError, match=r"\(B, C, T, H, W\)"):
        model.forward_features(torch.randn(1, 3, 32, 32))


def test_dropout_zero_is_torchvisions_network():
    # Dropout has no parameters: the same seed gives the same weights, and in eval mode the same output.
    # With dropout=0.0 the training-mode forward is deterministic too, as torchvision's (no dropout) is.
    torch.manual_seed(0)
    plain = build_model("r2plus1d_18", 5, width=16, dropout=0.0)
    torch.manual_seed(0)
    dropped = build_model("r2plus1d_18", 5, width=16)
    assert dropped.dropout.p == 0.5 and plain.dropout.p == 0.0
    assert all(torch.equal(a, b) for a, b in zip(plain.state_dict().values(), dropped.state_dict().values()))
    video = torch.randn(2, 3, 4, 32, 32)
    torch.testing.assert_close(plain.eval()(video), dropped.eval()(video))
    plain.train()
    torch.testing.assert_close(plain(video), plain(video))


def test_torchvision_initialisation(seeded):
    model = build_model("r3d_18", 400)
    conv = model.layer3[0].conv1[0].weight  # 256 x 128 x 3x3x3: He fan-out std = sqrt(2 / (256 * 27))
    assert abs(conv.std().item() / (2 / (256 * 27)) ** 0.5 - 1) < 0.02
    assert abs(model.fc.weight.std().item() - 0.01) < 0.0005 and not model.fc.bias.any()
    assert torch.equal(model.layer1[0].conv1[1].weight, torch.ones(64))


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("width", [16, 32])
def test_reduced_width_trains(arch, width, seeded):
    model = build_model(arch, 4, width=width)
    assert model.feature_dim == 8 * width
    video, labels = torch.randn(2, 3, 4, 32, 32), torch.tensor([0, 3])
    loss = torch.nn.functional.cross_entropy(model(video), labels)
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


def test_reduced_width_scales_stem_and_midplanes():
    model = build_model("r2plus1d_18", 4, width=16)
    assert model.stem[0].out_channels == 45 * 16 // 64 == 11
    # Tran et al.'s eq. 1 on the scaled widths: (16 -> 16) M = 27*16*16 // (9*16 + 3*16) = 36;
    # layer2.0 (16 -> 32): 27*16*32 // (9*16 + 3*32) = 57, in both of its convolutions.
    assert model.layer1[0].conv1[0][0].out_channels == 36
    assert model.layer2[0].conv1[0][0].out_channels == model.layer2[0].conv2[0][0].out_channels == 57
    with pytest.raises(ValueError, match="width must be at least 2"):
        build_model("r3d_18", 4, width=1)


@pytest.mark.parametrize("arch", ARCHS)
def test_hook_count_equals_torch_flop_counter(arch):
    with torch.device("meta"):
        model = build_model(arch, 10, width=16).eval()
        with FlopCounterMode(display=False) as counter:
            model(torch.empty(2, 3, 4, 32, 32))
    assert count_macs(model, (2, 3, 4, 32, 32)) * 2 == counter.get_total_flops() > 0
