"""X3D-XS/S/M: published counts, pytorchvideo's exact weight layout, the contract, reduced widths."""

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from synapt.models import build_model, load_weights
from synapt.models.flops import count_macs
from synapt.models.weights import detect_source, pytorchvideo_to_synapt
from synapt.models.x3d import SqueezeExcitation, round_width


def _pytorchvideo_shapes(bn, *, num_classes: int = 400) -> dict[str, tuple[int, ...]]:
    """The ``model_state`` of pytorchvideo's hub ``x3d_xs`` / ``x3d_s`` / ``x3d_m`` (one network), spelled out
    from pytorchvideo/models/x3d.py ``create_x3d`` with its defaults (width 2.0, depth 2.2, bottleneck 2.25,
    SE 0.0625 on every other block, 2048-d head) and fvcore's ``SqueezeExcitation`` (``block.0``, ``block.2``)."""
    shapes = {"blocks.0.conv.conv_t.weight": (24, 3, 1, 3, 3), "blocks.0.conv.conv_xy.weight": (24, 1, 5, 1, 1)}
    shapes |= bn("blocks.0.norm", 24)
    # (dim_in, dim_out, dim_inner, depth, SE reduced width) per stage
    stages = [(24, 24, 54, 3, 8), (24, 48, 108, 5, 8), (48, 96, 216, 11, 16), (96, 192, 432, 7, 32)]
    for s, (dim_in, dim_out, inner, depth, se) in enumerate(stages, start=1):
        for j in range(depth):
            block = f"blocks.{s}.res_blocks.{j}"
            cin = dim_in if j == 0 else dim_out
            if j == 0:
                shapes[f"{block}.branch1_conv.weight"] = (dim_out, cin, 1, 1, 1)
                if cin != dim_out:  # create_x3d_res_block: a norm only where the width changes
                    shapes |= bn(f"{block}.branch1_norm", dim_out)
            shapes[f"{block}.branch2.conv_a.weight"] = (inner, cin, 1, 1, 1)
            shapes |= bn(f"{block}.branch2.norm_a", inner)
            shapes[f"{block}.branch2.conv_b.weight"] = (inner, 1, 3, 3, 3)
            shapes |= bn(f"{block}.branch2.norm_b.0", inner)
            if j % 2 == 0:
                shapes |= {
                    f"{block}.branch2.norm_b.1.block.0.weight": (se, inner, 1, 1, 1),
                    f"{block}.branch2.norm_b.1.block.0.bias": (se,),
                    f"{block}.branch2.norm_b.1.block.2.weight": (inner, se, 1, 1, 1),
                    f"{block}.branch2.norm_b.1.block.2.bias": (inner,),
                }
            shapes[f"{block}.branch2.conv_c.weight"] = (dim_out, inner, 1, 1, 1)
            shapes |= bn(f"{block}.branch2.norm_c", dim_out)
    shapes["blocks.5.pool.pre_conv.weight"] = (432, 192, 1, 1, 1)
    shapes |= bn("blocks.5.pool.pre_norm", 432)
    shapes["blocks.5.pool.post_conv.weight"] = (2048, 432, 1, 1, 1)
    shapes |= {"blocks.5.proj.weight": (num_classes, 2048), "blocks.5.proj.bias": (num_classes,)}
    return shapes


def _params(shapes):
    return sum(torch.Size(s).numel() for k, s in shapes.items() if "running" not in k and "num_batches" not in k)


@pytest.mark.parametrize("arch", ["x3d_xs", "x3d_s", "x3d_m"])
def test_parameter_count_matches_pytorchvideo_model_zoo(arch, num_params, batchnorm_shapes):
    # pytorchvideo docs/source/model_zoo.md (Kinetics-400): X3D XS, S and M all 3.79 M parameters.
    with torch.device("meta"):
        model = build_model(arch, 400)
    assert round(num_params(model) / 1e6, 2) == 3.79
    assert num_params(model) == _params(_pytorchvideo_shapes(batchnorm_shapes)) == 3_794_274


def _gmacs_and_batchnorm_elements(model, shape):
    elements = 0

    def hook(_module, _inputs, output):
        nonlocal elements
        elements += output.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.BatchNorm3d)]
    try:
        with torch.no_grad():
            model(torch.empty(shape, device="meta"))
    finally:
        for handle in handles:
            handle.remove()
    return count_macs(model, shape) / 1e9, elements / 1e9


@pytest.mark.parametrize(
    "arch, train_view, paper, test_view, zoo",
    [
        # X3D paper (Feichtenhofer 2020) Table 3: 0.60 / 1.96 / 4.73 GFLOPs (multiply-adds) at the training
        # clips 4x160, 13x160, 16x224. pytorchvideo's model zoo prints 0.91 / 2.96 / 6.72 "GFLOPs x 3 x 10":
        # one of its 30 test views, which are 3 square crops of the frame resized to a short side of 182
        # (XS, S) or 256 (M) px, counted by fvcore in training mode, which adds 5 FLOPs per BatchNorm
        # output element to the convolutions' multiply-adds. Both conventions are checked.
        ("x3d_xs", (4, 160), 0.60, (4, 182), 0.91),
        ("x3d_s", (13, 160), 1.96, (13, 182), 2.96),
        ("x3d_m", (16, 224), 4.73, (16, 256), 6.72),
    ],
)
def test_macs_match_the_paper_and_the_pytorchvideo_zoo(arch, train_view, paper, test_view, zoo):
    with torch.device("meta"):
        model = build_model(arch, 400).eval()
    (t, s), (tt, ts) = train_view, test_view
    assert model.default_input == {"num_frames": t, "size": s}
    gmacs, _ = _gmacs_and_batchnorm_elements(model, (1, 3, t, s, s))
    assert abs(gmacs - paper) / paper < 0.02
    gmacs, bn = _gmacs_and_batchnorm_elements(model, (1, 3, tt, ts, ts))
    assert abs(gmacs + 5 * bn - zoo) / zoo < 0.02
    assert gmacs < 0.95 * zoo  # convolutions alone are ~8% under the zoo figure: the BN term is real


def test_hook_count_equals_torch_flop_counter_on_depthwise_convs():
    # Depthwise conv_b (groups = channels) and the stem's depthwise temporal conv cost in/groups = 1 per tap.
    with torch.device("meta"):
        model = build_model("x3d_xs", 10).eval()
        with FlopCounterMode(display=False) as counter:
            model(torch.empty(2, 3, 4, 32, 32))
    assert count_macs(model, (2, 3, 4, 32, 32)) * 2 == counter.get_total_flops() > 0
    conv_b = model.blocks[1].res_blocks[0].branch2.conv_b
    assert conv_b.groups == conv_b.in_channels == 54


def test_pytorchvideo_hub_file_lands_on_every_tensor(batchnorm_shapes, random_state, tmp_path):
    upstream = random_state(_pytorchvideo_shapes(batchnorm_shapes))
    path = tmp_path / "X3D_XS.pyth"
    torch.save({"epoch": 300, "model_state": upstream}, path)
    model = build_model("x3d_xs", 400)
    report = load_weights(model, path)
    assert report.source == "pytorchvideo"
    assert report.missing == [] and report.unexpected == [] and not report.skipped
    assert len(report.loaded) == len(upstream) == len(model.state_dict())
    state = model.state_dict()
    for key, value in upstream.items():
        ours = "fc." + key[len("blocks.5.proj."):] if key.startswith("blocks.5.proj.") else key
        assert torch.equal(state[ours], value), key
    # The one renamed key is the head; with it renamed the file loads strictly.
    build_model("x3d_s", 400).load_state_dict(pytorchvideo_to_synapt(upstream), strict=True)


def test_pytorchvideo_file_into_another_label_set(batchnorm_shapes, random_state, tmp_path):
    path = tmp_path / "X3D_S.pyth"
    torch.save({"model_state": random_state(_pytorchvideo_shapes(batchnorm_shapes))}, path)
    model = build_model("x3d_s", 12)
    report = load_weights(model, path, exclude=("fc.",))  # the head is `fc` after conversion, as everywhere
    assert sorted(report.skipped) == ["fc.bias", "fc.weight"] and report.missing == []


def test_detects_pytorchvideo_and_synapt_x3d_layouts():
    t = torch.zeros(1)
    assert detect_source({"blocks.0.conv.conv_t.weight": t, "blocks.5.proj.weight": t}) == "pytorchvideo"
    assert detect_source({"blocks.0.conv.conv_t.weight": t, "fc.weight": t}) == "synapt"
    assert pytorchvideo_to_synapt({"blocks.5.proj.bias": 1, "blocks.5.pool.post_conv.weight": 2}) == {
        "fc.bias": 1, "blocks.5.pool.post_conv.weight": 2}


@pytest.mark.parametrize("arch", ["x3d_xs", "x3d_s", "x3d_m"])
def test_video_model_contract(arch, seeded):
    model = build_model(arch, 6).eval()
    video = torch.randn(2, 3, 4, 32, 32)
    feats = model.forward_features(video)
    assert feats.shape == (2, model.feature_dim) == (2, 2048)
    assert (feats >= 0).all()  # after post_conv's ReLU, before dropout
    torch.testing.assert_close(model(video), model.fc(feats))
    model.reset_classifier(3)
    assert model(video).shape == (2, 3)
    assert model.arch == arch
    assert model.default_mean == (0.45, 0.45, 0.45) and model.default_std == (0.225, 0.225, 0.225)
    with pytest.raises(ValueError, match=r"\(B, C, T, H, W\)"):
        model.forward_features(torch.randn(1, 3, 32, 32))


def test_linear_probe_freezes_all_but_fc():
    from synapt.train.modes import freeze_backbone

    model = build_model("x3d_xs", 5)
    freeze_backbone(model)
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"]


def test_time_is_never_strided_and_space_by_32():
    with torch.device("meta"):
        model = build_model("x3d_xs", 10)
        assert model.forward_maps(torch.empty(1, 3, 13, 160, 160)).shape == (1, 192, 13, 5, 5)


def test_pytorchvideo_initialisation(seeded):
    model = build_model("x3d_xs", 400)
    block = model.blocks[2].res_blocks[1].branch2
    # Each residual branch starts at zero (its last BN's scale), so every block starts as its shortcut.
    assert not block.norm_c.weight.any() and torch.equal(block.norm_a.weight, torch.ones(108))
    assert abs(model.fc.weight.std().item() - 0.01) < 0.0005
    se = model.blocks[1].res_blocks[0].branch2.norm_b[1].block[0]
    assert not se.bias.any()


def test_round_width_is_x3ds_channel_rule():
    # create_x3d's widths: stem 12 x 2 = 24; stages 24 x 2 ...; SE widths of 54, 108, 216, 432 channels.
    assert [round_width(12, 2.0), round_width(96, 2.0)] == [24, 192]
    assert [round_width(c, 0.0625) for c in (54, 108, 216, 432)] == [8, 8, 16, 32]


def test_squeeze_excitation_gates_channels_by_their_mean(seeded):
    se = SqueezeExcitation(4, 2)
    nn.init.zeros_(se.block[2].weight)
    with torch.no_grad():
        se.block[2].bias.copy_(torch.tensor([0.0, 100.0, -100.0, 0.0]))
    x = torch.randn(2, 4, 3, 5, 5)
    gates = torch.tensor([0.5, 1.0, 0.0, 0.5]).view(1, 4, 1, 1, 1)
    torch.testing.assert_close(se(x), x * gates)


@pytest.mark.parametrize("width_factor, widths", [(1.0, [16, 24, 48, 96]), (0.5, [8, 16, 24, 48])])
def test_reduced_width_trains(width_factor, widths, seeded):
    model = build_model("x3d_xs", 4, width_factor=width_factor)
    assert [stage.res_blocks[0].branch2.norm_c.num_features for stage in model.blocks[1:5]] == widths
    # norm_c starts at zero, which stops every gradient inside the branches at step 0: give it a scale.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm3d):
            nn.init.ones_(m.weight)
    loss = nn.functional.cross_entropy(model(torch.randn(2, 3, 4, 32, 32)), torch.tensor([1, 2]))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name
    with pytest.raises(ValueError, match="width_factor must be positive"):
        build_model("x3d_xs", 4, width_factor=0)
