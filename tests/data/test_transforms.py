"""Spatial transforms on uint8 clips, checked by value."""

import numpy as np
import pytest
import torch

from synapt.data import transforms as T


def ramp_clip(t=2, h=24, w=32):
    """Each pixel's red value is its column: crops and flips are readable from the values."""
    cols = torch.arange(w, dtype=torch.uint8).view(1, 1, 1, w).expand(t, 1, h, w)
    return torch.cat([cols, torch.zeros(t, 2, h, w, dtype=torch.uint8)], dim=1).contiguous()


def test_resize_short_side_keeps_aspect():
    clip = ramp_clip(h=24, w=32)
    assert T.resize_short_side(clip, 12).shape == (2, 3, 12, 16)
    assert T.resize_short_side(clip.transpose(-1, -2), 12).shape == (2, 3, 16, 12)
    assert T.resize_short_side(clip, 12).dtype == torch.uint8


def test_center_and_three_crop_boxes():
    assert T.center_crop_box(24, 32, 10, 10) == (7, 11, 10, 10)
    assert T.center_box(256, 340) == (16, 58, 224, 224)
    assert T.three_crop_boxes(24, 32) == [(0, 0, 24, 24), (0, 4, 24, 24), (0, 8, 24, 24)]
    assert T.three_crop_boxes(32, 24) == [(0, 0, 24, 24), (4, 0, 24, 24), (8, 0, 24, 24)]


def test_crop_resize_cuts_the_box():
    clip = ramp_clip()
    out = T.crop_resize(clip, (0, 10, 24, 8), (24, 8))
    assert out.shape == (2, 3, 24, 8)
    assert out[0, 0, 0].tolist() == list(range(10, 18))


def test_multi_scale_crop_sizes_come_from_the_scales():
    allowed = {int(240 * s) for s in T.MULTI_SCALES}
    rng = np.random.default_rng(0)
    for _ in range(50):
        top, left, h, w = T.multi_scale_crop_box(240, 320, rng=rng)
        assert h in allowed and w in allowed
        assert abs(sorted(allowed, reverse=True).index(h) - sorted(allowed, reverse=True).index(w)) <= 1
        assert 0 <= top <= 240 - h and 0 <= left <= 320 - w
        # fixed crops sit at corners or the centre
        assert left in (0, (320 - w) // 2, 2 * ((320 - w) // 2))


def test_random_resized_crop_stays_inside_and_respects_area():
    rng = np.random.default_rng(1)
    for _ in range(50):
        top, left, h, w = T.random_resized_crop_box(100, 150, rng=rng, area=(0.25, 0.5))
        assert top + h <= 100 and left + w <= 150
        assert 0.2 * 15000 <= h * w <= 0.55 * 15000 or (h, w) == (100, 133)


def test_flip_mirrors_and_maps_labels():
    clip = ramp_clip()
    assert T.hflip(clip)[0, 0, 0, 0] == 31
    flip_map = T.resolve_flip_map({"push left": "push right", "push right": "push left", "turn": None}, ["push left", "push right", "jump", "turn"])
    assert flip_map == {0: 1, 1: 0, 3: None}
    assert T.flipped_label(0, flip_map) == 1
    assert T.flipped_label(2, flip_map) == 2
    assert T.flipped_label(3, flip_map) is None
    with pytest.raises(ValueError, match="unknown class"):
        T.resolve_flip_map({"nope": "jump"}, ["jump"])


def test_normalize_and_layouts():
    clip = torch.full((4, 3, 2, 2), 255, dtype=torch.uint8)
    out = T.normalize(clip, T.HALF_MEAN, T.HALF_STD)
    assert out.dtype == torch.float32 and torch.allclose(out, torch.ones_like(out))
    imagenet = T.normalize(torch.zeros_like(clip), T.IMAGENET_MEAN, T.IMAGENET_STD)
    assert imagenet[0, :, 0, 0].tolist() == pytest.approx([-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225], rel=1e-5)
    cthw = T.to_layout(torch.arange(4 * 3).view(4, 3, 1, 1), "CTHW")
    assert cthw.shape == (3, 4, 1, 1) and cthw[1, 2, 0, 0] == 2 * 3 + 1


def test_fused_yuv_path_matches_convert_then_crop():
    from synapt.data.video import yuv420_to_rgb

    # smooth content: a luma ramp and slowly varying chroma, 4 frames of 24x32
    t, h, w = 4, 24, 32
    luma = (torch.arange(w).view(1, 1, w) * 6 + torch.arange(h).view(1, h, 1) * 2 + 20).expand(t, h, w).to(torch.uint8)
    cb = (torch.arange(w // 2).view(1, 1, -1) * 4 + 90).expand(t, h // 2, w // 2).to(torch.uint8)
    cr = (torch.arange(h // 2).view(1, -1, 1) * 5 + 110).expand(t, h // 2, w // 2).to(torch.uint8)
    box = T.even_box((3, 5, 17, 19))
    assert box == (2, 4, 16, 18)
    fused = T.yuv_crop_resize_normalize(
        luma, torch.stack((cb, cr), dim=1), box, 16, matrix="bt601", full_range=False, mean=T.HALF_MEAN, std=T.HALF_STD
    )
    rgb = yuv420_to_rgb(luma, cb, cr)
    reference = T.to_layout(T.normalize(T.crop_resize(rgb, box, 16), T.HALF_MEAN, T.HALF_STD), "CTHW")
    assert fused.shape == reference.shape == (3, 4, 16, 16)
    # within a few levels of 255 (chroma: bilinear here, nearest there)
    assert (fused - reference).abs().mean() < 4 / 127.5


def test_yuv_affine_maps_known_colours():
    m, offset = T.yuv_to_rgb_affine("bt601", False)
    white = m @ torch.tensor([235.0, 128.0, 128.0]) + offset
    red = m @ torch.tensor([81.0, 90.0, 240.0]) + offset
    assert white.tolist() == pytest.approx([255, 255, 255], abs=0.5)
    assert red.tolist() == pytest.approx([255, 0, 0], abs=2)
    full_m, full_offset = T.yuv_to_rgb_affine("bt709", True)
    assert (full_m @ torch.tensor([0.0, 128.0, 128.0]) + full_offset).tolist() == pytest.approx([0, 0, 0], abs=1e-4)


def test_fused_flip_mirrors_the_output():
    luma = torch.arange(16, dtype=torch.uint8).repeat(2, 8, 1) * 10 + 16  # (2, 8, 16) ramp left -> right
    chroma = torch.full((2, 2, 4, 8), 128, dtype=torch.uint8)
    args = {"matrix": "bt601", "full_range": False, "mean": T.HALF_MEAN, "std": T.HALF_STD}
    plain = T.yuv_crop_resize_normalize(luma, chroma, (0, 0, 8, 16), 8, **args)
    mirrored = T.yuv_crop_resize_normalize(luma, chroma, (0, 0, 8, 16), 8, flip=True, **args)
    assert torch.allclose(mirrored, plain.flip(-1))
    assert plain[0, 0, 0, 0] < plain[0, 0, 0, -1]


@pytest.mark.parametrize("frames, channels", [(16, 1), (5, 2), (3, 3)])
def test_grouped_plane_resize_equals_plain_interpolation(frames, channels):
    import torch.nn.functional as F

    clip = torch.randint(0, 256, (frames, channels, 30, 26), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    crop = clip[..., 2:22, 3:25]  # a non-contiguous view, as crops are
    expected = F.interpolate(crop, size=(17, 33), mode="bilinear", antialias=True, align_corners=False)
    assert torch.equal(T.resize(crop, (17, 33)), expected)


def test_light_crop_keeps_most_of_the_frame_anywhere():
    rng = np.random.default_rng(0)
    boxes = [T.light_crop_box(64, 80, rng=rng) for _ in range(300)]
    sides = [b[2] for b in boxes]
    assert all(b[2] == b[3] for b in boxes)  # squares
    assert min(sides) >= round(64 * 0.8) and max(sides) <= 64
    assert all(0 <= top <= 64 - h and 0 <= left <= 80 - w for top, left, h, w in boxes)
    # placed anywhere, not only at TSN's five corner/centre positions
    assert len({(top, left) for top, left, _, _ in boxes}) > 50


@pytest.mark.parametrize("size, expected", [(32, "none"), (112, "none"), (160, "multiscale"), (224, "multiscale")])
def test_auto_crop_policy_is_scale_aware(size, expected):
    assert T.resolve_crop_policy("auto", size=size).name == expected
    assert T.resolve_crop_policy("none", size=size).train_box(24, 32, np.random.default_rng(0)) == (0, 4, 24, 24)
    with pytest.raises(ValueError, match="train_crop must be auto or one of"):
        T.resolve_crop_policy("corners", size=size)


def test_each_policy_sets_the_matching_test_crop():
    assert T.CROP_POLICIES["multiscale"].center_fraction == pytest.approx(224 / 256)
    assert T.CROP_POLICIES["light"].center_fraction == pytest.approx(0.9)
    assert T.CROP_POLICIES["none"].center_fraction == 1.0
