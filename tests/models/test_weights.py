"""Weight import: synthetic state_dicts in each foreign layout land on every key; bad files refused."""

import pathlib
import re

import pytest
import torch

from synapt.errors import UserError
from synapt.models import build_model
from synapt.models.inflate import inflate_tensor
from synapt.models.weights import (
    detect_source,
    ibm_to_synapt,
    load_weights,
    mmaction2_to_synapt,
    timesformer_official_to_synapt,
)


def _distinct(state_dict, seed=0):
    """Same keys and shapes, every tensor random, so a misplaced tensor cannot go unnoticed."""
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for key, value in state_dict.items():
        if value.dtype == torch.long:
            out[key] = torch.randint(0, 1000, value.shape, generator=gen)
        else:
            out[key] = torch.rand(value.shape, generator=gen) + 0.1
    return out


def _to_mmaction2(key):
    """synapt key -> mmaction2 key, spelled out the way mmaction2's ConvModules name them."""
    key = re.sub(r"^fc\.", "cls_head.fc_cls.", key)
    if key.startswith("cls_head."):
        return key
    key = re.sub(r"downsample\.0\.", "downsample.conv.", key)
    key = re.sub(r"downsample\.1\.", "downsample.bn.", key)
    key = re.sub(r"(^|\.)conv(\d)\.", r"\1conv\2.conv.", key)
    key = re.sub(r"(^|\.)bn(\d)\.", r"\1conv\2.bn.", key)
    return "backbone." + key


def _assert_every_key_landed(model, foreign, to_foreign, report):
    assert report.missing == [] and report.unexpected == [] and not report.skipped
    for key, value in model.state_dict().items():
        assert torch.equal(value, foreign[to_foreign(key)]), key


def test_mmaction2_key_mapping_examples():
    out = mmaction2_to_synapt({k: torch.zeros(1) for k in [
        "backbone.conv1.conv.weight", "backbone.conv1.bn.running_mean", "backbone.layer1.0.conv3.conv.weight",
        "backbone.layer1.0.conv3.bn.bias", "backbone.layer2.0.downsample.conv.weight",
        "backbone.layer2.0.downsample.bn.weight", "cls_head.fc_cls.weight"]})
    assert list(out) == ["conv1.weight", "bn1.running_mean", "layer1.0.conv3.weight", "layer1.0.bn3.bias",
                         "layer2.0.downsample.0.weight", "layer2.0.downsample.1.weight", "fc.weight"]


@pytest.mark.parametrize("name, options", [("tsn_tiny", {}), ("i3d_tiny", {}), ("i3d_tiny", {"style": "mmaction2"})])
def test_mmaction2_checkpoint_lands_on_every_key(name, options, tmp_path):
    model = build_model(name, 5, **options)
    foreign = {_to_mmaction2(k): v for k, v in _distinct(model.state_dict()).items()}
    path = tmp_path / "tsn_r50_kinetics400.pth"
    torch.save({"meta": {"epoch": 100, "mmaction_version": "1.2.0"}, "state_dict": foreign}, path)
    report = load_weights(model, path)
    assert report.source == "mmaction2"
    _assert_every_key_landed(model, foreign, _to_mmaction2, report)


@pytest.mark.parametrize("name, options", [
    ("tsn_tiny", {}), ("i3d_tiny", {"style": "ibm"}), ("r2plus1d_tiny", {"mid_channels": "planes"})])
def test_ibm_pth_tar_lands_on_every_key(name, options, tmp_path):
    model = build_model(name, 5, **options)
    foreign = {"module." + k: v for k, v in _distinct(model.state_dict()).items()}
    path = tmp_path / "synapt_i3d-resnet-50.pth.tar"
    torch.save({"epoch": 30, "arch": "i3d-resnet-50-ts", "state_dict": foreign, "best_top1": 41.5}, path)
    report = load_weights(model, path, source="ibm")
    _assert_every_key_landed(model, foreign, lambda k: "module." + k, report)
    assert ibm_to_synapt({"module.layer1.0.conv2_t.weight": 1})["layer1.0.conv2_t.weight"] == 1


def _to_official_timesformer(key):
    return "model." + ("head." + key[3:] if key.startswith("fc.") else key)


def test_official_timesformer_lands_on_every_key(tmp_path):
    model = build_model("timesformer_tiny", 5, img_size=32, num_frames=4)
    foreign = {_to_official_timesformer(k): v for k, v in _distinct(model.state_dict()).items()}
    assert "model.blocks.1.temporal_fc.weight" in foreign and "model.head.bias" in foreign
    path = tmp_path / "TimeSformer_divST_8x32_224_K400.pyth"
    torch.save({"epoch": 15, "model_state": foreign, "cfg": "TRAIN:\n  ENABLE: True\n"}, path)
    report = load_weights(model, path)
    assert report.source == "timesformer"
    _assert_every_key_landed(model, foreign, _to_official_timesformer, report)


def test_official_timesformer_with_other_frames_and_size_is_interpolated(tmp_path):
    source = build_model("timesformer_tiny", 5, img_size=32, num_frames=4)
    foreign = {_to_official_timesformer(k): v for k, v in _distinct(source.state_dict()).items()}
    path = tmp_path / "ts.pyth"
    torch.save({"model_state": foreign}, path)
    model = build_model("timesformer_tiny", 5, img_size=64, num_frames=8)
    report = load_weights(model, path)
    assert sorted(report.resized) == ["pos_embed", "time_embed"]
    time = foreign["model.time_embed"]
    torch.testing.assert_close(model.time_embed.data, time.repeat_interleave(2, dim=1))  # nearest, as official
    assert model.pos_embed.shape == (1, 65, 64)
    torch.testing.assert_close(model.pos_embed.data[:, 0], foreign["model.pos_embed"][:, 0])
    assert timesformer_official_to_synapt({"model.head.weight": 1}) == {"fc.weight": 1}


def test_vit_file_initialises_timesformer(tmp_path):
    model = build_model("timesformer_tiny", 10, img_size=32, num_frames=4)
    vit = {k: v for k, v in _distinct(model.state_dict()).items()
           if "temporal" not in k and k != "time_embed"}
    vit["head.weight"], vit["head.bias"] = vit.pop("fc.weight"), vit.pop("fc.bias")
    vit["pos_embed"] = torch.rand(1, 1 + 8 * 8, 64)  # a 64-px ViT: the grid is resized to 4x4
    path = tmp_path / "deit_tiny.pth"
    torch.save({"model": vit}, path)
    report = load_weights(model, path)
    assert report.source == "vit" and report.resized == ["pos_embed"]
    assert report.missing == [] and report.unexpected == []
    assert torch.equal(model.blocks[1].temporal_attn.proj.weight, vit["blocks.1.attn.proj.weight"])
    assert not model.blocks[0].temporal_fc.weight.any()


def test_torchvision_resnet_loads_into_tsn_and_inflates_into_i3d(tmp_path):
    resnet = build_model("resnet_tiny", 1000)
    state = _distinct(resnet.state_dict())
    path = tmp_path / "resnet_tiny.pth"
    torch.save(state, path)
    tsn = build_model("tsn_tiny", 1000)
    report = load_weights(tsn, path)
    assert report.source == "torchvision"
    _assert_every_key_landed(tsn, state, lambda k: k, report)

    i3d = build_model("i3d_tiny", 7)
    with pytest.raises(UserError, match="'fc.weight'.*exclude"):
        load_weights(i3d, path)
    report = load_weights(i3d, path, exclude=("fc.",))
    assert report.source == "torchvision (inflated)"
    assert set(report.skipped) == {"fc.weight", "fc.bias"} and report.missing == []
    torch.testing.assert_close(i3d.conv1.weight.data, inflate_tensor(state["conv1.weight"], i3d.conv1.weight.shape))
    torch.testing.assert_close(i3d.layer2[0].bn2.running_var, state["layer2.0.bn2.running_var"])


def test_strict_load_of_a_torchvision_layout_resnet50(tmp_path):
    # The exact layout of torchvision's resnet50-11ad3fa6.pth (every key, every shape).
    source = build_model("resnet50", 1000)
    path = tmp_path / "resnet50-11ad3fa6.pth"
    torch.save(source.state_dict(), path)
    model = build_model("tsn_r50", 1000)
    report = load_weights(model, path, source="torchvision")
    assert len(report.loaded) == len(model.state_dict()) == 320
    model.load_state_dict(torch.load(path, weights_only=True), strict=True)


def test_shape_mismatch_is_refused_naming_the_key(tmp_path):
    path = tmp_path / "five_way.pth"
    torch.save(build_model("i3d_tiny", 5).state_dict(), path)
    with pytest.raises(UserError, match=r"key 'fc.weight' has shape \(5, 256\) in the file but \(7, 256\).*exclude"):
        load_weights(build_model("i3d_tiny", 7), path)
    report = load_weights(build_model("i3d_tiny", 7), path, exclude=("fc.",))
    assert sorted(report.skipped) == ["fc.bias", "fc.weight"]

    path = tmp_path / "ibm_r2plus1d.pth.tar"
    model = build_model("r2plus1d_tiny", 5, mid_channels="planes")
    torch.save({"state_dict": {"module." + k: v for k, v in model.state_dict().items()}}, path)
    with pytest.raises(UserError, match=r"'layer1.0.conv2.weight' has shape \(8, 8, 1, 3, 3\).*\(18, 8, 1, 3, 3\)"):
        load_weights(build_model("r2plus1d_tiny", 5), path)  # Tran mid-channels: a different network


class _Trap:
    """Unpickling this would run code (create a file); a safe loader must refuse before that."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def test_pickled_callable_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "was_executed"
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": build_model("tsn_tiny", 2).state_dict(), "hook": _Trap(marker)}, path)
    with pytest.raises(UserError, match=r"evil.pth holds pickled Python objects"):
        load_weights(build_model("tsn_tiny", 2), path)
    assert not marker.exists()


def test_unreadable_missing_and_unknown(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_weights(build_model("tsn_tiny", 2), tmp_path / "nope.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(UserError, match="junk.pth cannot be read"):
        load_weights(build_model("tsn_tiny", 2), junk)
    with pytest.raises(UserError, match="unknown weights source 'caffe'"):
        load_weights(build_model("tsn_tiny", 2), junk, source="caffe")
    with pytest.raises(UserError, match="cannot tell which layout"):
        detect_source({"encoder.weight": torch.zeros(1)})


def test_detect_source():
    t = torch.zeros(1)
    assert detect_source({"backbone.conv1.conv.weight": t}) == "mmaction2"
    assert detect_source({"module.conv1.weight": t}) == "ibm"
    assert detect_source({"model.time_embed": t, "model.blocks.0.temporal_attn.qkv.weight": t}) == "timesformer"
    assert detect_source({"blocks.0.attn.qkv.weight": t}) == "vit"
    assert detect_source({"blocks.0.attn.qkv.weight": t, "blocks.0.temporal_attn.qkv.weight": t}) == "synapt"
    assert detect_source({"conv1.weight": torch.zeros(1, 1, 1, 1)}) == "torchvision"
    assert detect_source({"conv1.weight": torch.zeros(1, 1, 1, 1, 1)}) == "synapt"


def test_distilled_deit_position_embedding_is_refused_clearly(tmp_path):
    model = build_model("timesformer_tiny", 10, img_size=32, num_frames=4)
    vit = {k: v for k, v in model.state_dict().items() if "temporal" not in k and k != "time_embed"}
    vit["pos_embed"] = torch.zeros(1, 2 + 16, 64)  # class and distillation tokens, then a 4x4 grid
    vit["dist_token"] = torch.zeros(1, 1, 64)
    path = tmp_path / "deit_distilled.pth"
    torch.save({"model": vit}, path)
    with pytest.raises(UserError, match="key 'pos_embed' of shape \\(1, 18, 64\\) cannot be resized"):
        load_weights(model, path, source="vit")
