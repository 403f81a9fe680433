"""Occluders stand between the camera and the actor, and the visible fraction each clip records is right."""

import numpy as np
import pytest

from synapt.sim import scenes
from synapt.sim.catalog import BY_NAME
from synapt.sim.dataset import ClipTask, clip_seed, make_clip


def test_occluders_stand_between_camera_and_stage():
    drawn = 0
    for seed in range(200):
        azimuth, distance = 70.0, float(np.random.default_rng(seed).uniform(3, 7))
        scene = scenes.sample_scene(np.random.default_rng(seed), kind="room", cam_azimuth=azimuth, cam_distance=distance)
        forward = np.array([np.cos(np.radians(azimuth)), np.sin(np.radians(azimuth))])
        for o in scene["occluders"]:
            drawn += 1
            along = -np.dot(o["pos"], forward)  # metres from the stage toward the camera
            assert 1.2 - 1e-6 <= along <= max(1.2, distance - 0.8) + 1e-6
        aerial = scenes.sample_scene(np.random.default_rng(seed), kind="aerial", cam_azimuth=azimuth, cam_distance=distance)
        assert aerial["occluders"] == []
        assert scenes.sample_scene(np.random.default_rng(seed), kind="room", cam_azimuth=azimuth)["occluders"] == []
    assert 0.15 < drawn / 200 < 0.35  # OCCLUDER_P = 0.25


def _clap(monkeypatch, occluder):
    monkeypatch.setattr(scenes, "OCCLUDER_P", 1.0 if occluder else 0.0)
    if occluder:  # a wide crate on the camera's line, as tall as a person: hides nearly everything
        monkeypatch.setattr(scenes, "_occluder", lambda rng, cam_azimuth, cam_distance: {
            "shape": "low", "size": [1.2, 0.1, 1.2], "yaw": cam_azimuth + 90.0, "rgb": [0.5, 0.5, 0.5], "textured": False,
            "pos": [float(-np.cos(np.radians(cam_azimuth)) * 1.5), float(-np.sin(np.radians(cam_azimuth)) * 1.5)]})
    spec = BY_NAME["clap"]
    task = ClipTask(spec.name, 0, 0, clip_seed(4, spec.id, 0), 3, 4, 32, "fast", 0.0, 4, ("studio",), ("rgb", "segmentation"))
    return make_clip(task)


def test_visible_fraction_is_measured_and_agrees_with_the_pixels(monkeypatch):
    _, clear = _clap(monkeypatch, occluder=False)
    plan, hidden = _clap(monkeypatch, occluder=True)
    assert plan.params["scene"]["occluders"] and "distractor_occluder0" in plan.xml
    assert clear.measures["actor_visible_fraction"] == 1.0
    assert hidden.measures["actor_visible_fraction"] < 0.3
    actor_pixels = lambda clip: (clip.extras["instance"] == 1).mean()  # noqa: E731
    assert actor_pixels(hidden) < 0.3 * actor_pixels(clear)


def test_the_manifest_row_carries_the_visible_fraction(tmp_path, tiny):
    from synapt.sim import generate_dataset
    from synapt.sim.verify import read_manifest

    out = generate_dataset(tmp_path / "ds", classes="clap,push_left_to_right", **tiny)
    rows = {r["class_name"]: r for r in read_manifest(out)}
    assert 0.0 <= rows["clap"]["actor_visible_fraction"] <= 1.0
    assert "actor_visible_fraction" not in rows["push_left_to_right"]  # a hand, not an actor
    # The CRF the file was written at: the draw, or higher for a clip over its size budget.
    assert all(r["crf"] >= r["params"]["camera_fx"]["crf"] for r in rows.values())
