"""Camera and codec effects: each does what it says, none changes the scene, all regenerate exactly."""

from dataclasses import replace

import numpy as np
import pytest

from synapt.errors import UserError
from synapt.sim import camera_fx as fx
from synapt.sim.catalog import BY_NAME
from synapt.sim.clip import plan_clip
from synapt.sim.dataset import ClipTask, clip_seed, make_clip

ONLY = fx.NO_FX  # start from no effects and switch one on


def _flat(value: int = 128, shape=(4, 32, 32, 3)) -> np.ndarray:
    return np.full(shape, value, dtype=np.uint8)


def _draw(ranges, seed=5) -> dict:
    return fx.sample(seed, ranges)


def test_no_effects_leave_the_pixels_and_the_default_crf():
    rgb = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    draw = _draw(fx.NO_FX)
    assert fx.is_identity(draw) and draw["crf"] == 23 and fx.exposure_offsets(draw) == []
    assert np.array_equal(fx.apply(rgb, draw), rgb)
    # the tables alone are exact: every code survives display -> linear -> display
    unit = replace(fx.NO_FX, gain=(1.0, 1.0), vignette=(0.0, 0.0))
    d = _draw(unit) | {"vignette": 1e-9}  # forces the full path with no visible change
    assert np.array_equal(fx.apply(np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1).repeat(3, -1), d),
                          np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1).repeat(3, -1))


def test_each_effect_changes_the_image_the_way_it_says():
    rng = np.random.default_rng(1)
    edges = np.zeros((2, 32, 32, 3), dtype=np.uint8)
    edges[:, :, ::4] = 220  # vertical stripes: high frequencies

    defocus = fx.apply(edges, _draw(replace(ONLY, defocus=(1.5, 1.5))))
    # light spreads from each stripe to its neighbours (in linear light, so the dark side rises most)
    assert defocus[:, 4:28, 4].max() < 215 and defocus[:, 4:28, 5].min() > 40 and defocus[:, 4:28, 6].min() > 0

    brighter = fx.apply(_flat(100), _draw(replace(ONLY, gain=(1.5, 1.5))))
    assert brighter.mean() > 115  # x1.5 in linear light is x1.2 in display units
    drift = fx.apply(_flat(100), _draw(replace(ONLY, gain=(1.0, 1.0), gain_drift=(0.5, 0.5))))
    assert drift[0].mean() == 100 and drift[-1].mean() > 115  # the exposure drifts over the clip

    vignette = fx.apply(_flat(180), _draw(replace(ONLY, vignette=(0.3, 0.3))))
    assert vignette[0, 0, 0].mean() < vignette[0, 16, 16].mean() - 20

    draw = _draw(replace(ONLY, white_balance=(0.2, 0.2)), seed=int(rng.integers(1000)))
    cast = fx.apply(_flat(128), draw)
    assert np.ptp(cast[0, 0, 0].astype(int)) > 4  # the channels no longer agree: a colour cast

    noisy = fx.apply(_flat(128), _draw(replace(ONLY, read_noise=(0.02, 0.02))))
    more = fx.apply(_flat(128), _draw(replace(ONLY, read_noise=(0.02, 0.02), shot_noise=(0.05, 0.05))))
    assert 1.0 < noisy.astype(float).std() < more.astype(float).std()


def test_draws_are_seeded_and_within_their_ranges():
    a, b = fx.sample(11, fx.DEFAULT_FX), fx.sample(11, fx.DEFAULT_FX)
    assert a == b and fx.sample(12, fx.DEFAULT_FX) != a
    draws = [fx.sample(s, fx.DEFAULT_FX) for s in range(200)]
    blurred = [d for d in draws if d["exposure_s"] > 0]
    assert 0.08 < len(blurred) / len(draws) < 0.22  # motion_blur = 0.15
    assert all(1 / 120 <= d["exposure_s"] <= 1 / 30 for d in blurred)
    assert all(18 <= d["crf"] <= 28 and 0 <= d["defocus_px"] <= 0.8 for d in draws)


def test_ranges_reject_bad_input_naming_the_key(tmp_path):
    with pytest.raises(UserError, match="unknown key 'blurr'"):
        fx.CameraFxRanges.from_dict({"blurr": [0, 1]})
    with pytest.raises(UserError, match="camera_fx.crf"):
        fx.CameraFxRanges.from_dict({"crf": [20, 60]})
    with pytest.raises(UserError, match="defocus: low 2.0 is above high 1.0"):
        fx.CameraFxRanges.from_dict({"defocus": [2, 1]})
    path = tmp_path / "fx.yaml"
    path.write_text("crf: [18, 18]\nmotion_blur: 0\n")
    ranges = fx.resolve(str(path))
    assert ranges.crf == (18, 18) and ranges.motion_blur == 0.0 and ranges.defocus == fx.DEFAULT_FX.defocus
    with pytest.raises(UserError, match="not 'default', 'none' or a YAML file"):
        fx.resolve("sharp")
    assert fx.CameraFxRanges.from_dict(fx.DEFAULT_FX.as_dict()) == fx.DEFAULT_FX
    assert fx.CameraFxRanges.from_dict(None) == fx.NO_FX  # manifests from before camera effects


def test_effects_never_change_the_scene_or_the_motion():
    spec = BY_NAME["walk"]
    plain = plan_clip(spec, seed=9, frames=4, size=32, fps=4, camera_fx=fx.NO_FX)
    real = plan_clip(spec, seed=9, frames=4, size=32, fps=4, camera_fx=fx.DEFAULT_FX)
    strip = ("camera_fx", "camera_fx_ranges")
    assert {k: v for k, v in plain.params.items() if k not in strip} == {k: v for k, v in real.params.items() if k not in strip}
    assert plain.xml == real.xml


def test_motion_blur_averages_the_exposure_and_keeps_the_other_modalities():
    spec = BY_NAME["walk"]
    blur = replace(ONLY, motion_blur=1.0, exposure=(1 / 15, 1 / 15))
    out = {}
    for name, ranges in (("sharp", ONLY), ("blur", blur)):
        task = ClipTask(spec.name, 0, 0, clip_seed(2, spec.id, 0), 4, 4, 32, "fast", 0.0, 2, ("room",),
                        ("rgb", "segmentation"), camera_fx=ranges)
        out[name] = make_clip(task)[1]
    sharp, blurred = out["sharp"].rgb.astype(float), out["blur"].rgb.astype(float)
    assert np.array_equal(out["sharp"].extras["instance"], out["blur"].extras["instance"])
    assert np.abs(sharp[0] - blurred[0]).max() <= 1  # at t = 0 the shutter has no past to see
    # later frames: the walker's pixels smear, the rest of the picture stays put
    moving = out["sharp"].extras["instance"][1:] == 1
    diff = np.abs(sharp[1:] - blurred[1:]).mean(axis=-1)
    assert diff[moving].mean() > 3.0 * max(diff[~moving].mean(), 0.3)


def test_a_clip_with_effects_regenerates_bit_identically(tmp_path, tiny):
    from synapt.sim import generate_dataset
    from synapt.sim.verify import read_manifest, regenerate_clip

    out = generate_dataset(tmp_path / "ds", classes="clap", camera_fx={"motion_blur": 1.0}, **tiny)
    row = read_manifest(out)[0]
    assert row["params"]["camera_fx"]["exposure_s"] > 0 and row["params"]["camera_fx_ranges"]["motion_blur"] == 1.0
    sha, identical = regenerate_clip(out, row["clip_id"], tmp_path / "again.mp4")
    assert identical, sha
    with pytest.raises(UserError, match="camera_fx differ"):
        generate_dataset(tmp_path / "ds", classes="clap", camera_fx="none", **tiny)
