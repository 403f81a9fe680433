"""Retargeting real DeepMimic captures onto our humanoid, grounding, stance-foot pinning."""

from __future__ import annotations

import numpy as np
import pytest

from synapt.sim.actor import body_dims, sample_actor
from synapt.sim.mocap.deepmimic import pybullet_data_root

pytestmark = pytest.mark.skipif(pybullet_data_root() is None, reason="pybullet_data (pip install 'synapt[mocap]') not installed")


def _motion(name: str):
    from synapt.sim.mocap.deepmimic import read_deepmimic

    return read_deepmimic(pybullet_data_root() / "data" / "motions" / f"humanoid3d_{name}.txt")


def _nearest_rotation(h):
    u, _, vt = np.linalg.svd(h)
    r = u @ vt
    return r if np.linalg.det(r) > 0 else u @ np.diag([1, 1, -1]) @ vt


@pytest.mark.parametrize("name", ["walk", "kick"])
def test_our_bones_point_where_the_captured_bones_point(name):
    from synapt.sim.mocap.retarget import ActorKinematics, retarget

    motion = _motion(name)
    actor = sample_actor(np.random.default_rng(0))
    rt = retarget(motion, body_dims(actor))
    kin = ActorKinematics(actor)
    src = motion.marker_positions()
    bones = {  # (source from, source to) -> our (body, body or site)
        ("hip_l", "knee_l"): ("thigh_l", "shin_l"), ("knee_r", "ankle_r"): ("shin_r", "foot_r"),
        ("shoulder_r", "elbow_r"): ("upper_arm_r", "forearm_r"), ("shoulder_l", "elbow_l"): ("upper_arm_l", "forearm_l"),
        ("pelvis", "neck"): ("pelvis", "head"),
    }  # fmt: skip
    ours = {k: [] for k in bones}
    for i in range(motion.frames):
        kin.set_pose(rt.frame(i))
        for k, (a, b) in bones.items():
            pa = kin.data.xpos[kin.model.body(f"k_{a}").id]
            pb = kin.data.xpos[kin.model.body(f"k_{b}").id]
            ours[k].append(pb - pa)
    # Our root starts at yaw 0: one global rotation maps the capture's world onto ours.
    theirs = {k: src[b] - src[a] for (a, b) in bones for k in [(a, b)]}
    h = sum(np.einsum("ti,tj->ij", np.array(ours[k]), theirs[k]) for k in bones)
    rot = _nearest_rotation(h)
    for k in bones:
        o, t = np.array(ours[k]), theirs[k] @ rot.T
        cos = np.sum(o * t, axis=1) / np.linalg.norm(o, axis=1) / np.linalg.norm(t, axis=1)
        angle = np.degrees(np.arccos(np.clip(cos, -1, 1)))
        assert np.median(angle) < 3.0 and np.percentile(angle, 95) < 8.0, (k, np.median(angle), np.percentile(angle, 95))


def test_grounding_puts_the_lowest_point_on_the_floor_and_pins_stance_feet():
    from synapt.sim.mocap.retarget import ActorKinematics, ground_and_pin, retarget

    actor = sample_actor(np.random.default_rng(1))
    kin = ActorKinematics(actor)
    fixed, report = ground_and_pin(retarget(_motion("walk"), body_dims(actor)), kin)
    lowest = []
    for i in range(len(fixed.times)):
        kin.set_pose(fixed.frame(i))
        lowest.append(kin.lowest_point())
    # Metres: nothing sinks into the floor and something touches it (pinning moves feet by millimetres).
    assert -2e-3 < min(lowest) < 5e-3
    assert report["contact_frames_l"] >= 10 and report["contact_frames_r"] >= 10
    assert report["stance_speed_after_ms"] < 0.01 <= report["stance_speed_before_ms"]


def test_mirroring_swaps_the_sides():
    from synapt.sim.mocap.retarget import retarget

    motion = _motion("kick")
    dims = body_dims(sample_actor(np.random.default_rng(2)))
    plain, mirrored = retarget(motion, dims), retarget(motion, dims, mirror=True)
    # The kicking leg of the capture is the other leg after the mirror.
    kick = "l" if plain.channels["hip_l_flex"].max() > plain.channels["hip_r_flex"].max() else "r"
    other = "r" if kick == "l" else "l"
    np.testing.assert_allclose(mirrored.channels[f"hip_{other}_flex"], plain.channels[f"hip_{kick}_flex"], atol=0.5)
    np.testing.assert_allclose(mirrored.channels["root_yaw"], -plain.channels["root_yaw"], atol=0.5)


def test_a_mocap_class_records_its_take_and_keeps_planted_feet_still():
    from synapt.sim.catalog import BY_NAME
    from synapt.sim.dataset import ClipTask, clip_seed, make_clip
    from synapt.sim.motion_quality import stance_foot_speed

    spec = BY_NAME["walk"]
    assert spec.motion == "mocap:deepmimic"
    speeds = []
    for i in range(2):
        task = ClipTask("walk", 0, i, clip_seed(5, spec.id, i), 60, 30, 16, "fast", 0.0, 5, None, ("pose",))
        plan, frames = make_clip(task)
        action = plan.params["action"]
        assert action["library"] == "deepmimic" and action["clip_id"] in ("walk", "0walk_forward")
        assert action["file"].endswith(".txt") and len(action["source_frames"]) == 2
        assert plan.params["clip_seconds"] == pytest.approx(2.0)
        assert list(frames.extras["joint_names"])[:3] == ["pelvis", "torso", "head"]
        speeds.append(stance_foot_speed(frames.extras["joints3d"], frames.extras["joint_names"], 30))
    assert np.median(np.concatenate(speeds)) <= 0.08  # m/s: issue 11's bar for walking clips


def test_procedural_walks_lock_the_stance_foot():
    from synapt.sim.catalog import BY_NAME
    from synapt.sim.dataset import ClipTask, clip_seed, make_clip
    from synapt.sim.motion_quality import stance_foot_speed

    spec = BY_NAME["walk_left_to_right"]
    task = ClipTask(spec.name, 0, 0, clip_seed(5, spec.id, 0), 60, 30, 16, "fast", 0.0, 5, None, ("pose",))
    plan, frames = make_clip(task)
    pelvis = frames.extras["joints3d"][:, 0, :2]
    assert np.linalg.norm(pelvis[-1] - pelvis[0]) > 1.0  # metres in 2 s: it really walks
    assert np.median(stance_foot_speed(frames.extras["joints3d"], frames.extras["joint_names"], 30)) <= 0.08


@pytest.mark.parametrize("height, girth, legs", [(1.45, 0.8, 0.94), (2.05, 1.35, 1.06)])
def test_every_body_of_the_actor_distribution_is_drivable(height, girth, legs):
    """The extremes of ActorDistribution (height 1.45-2.05 m, girth 0.8-1.35, leg ratio +-6%)."""
    from dataclasses import replace

    from synapt.sim.mocap.retarget import ActorKinematics, ground_and_pin, retarget

    actor = replace(sample_actor(np.random.default_rng(3)), height=height, girth=girth, leg_ratio=legs)
    dims = body_dims(actor)
    kin = ActorKinematics(actor)
    fixed, report = ground_and_pin(retarget(_motion("walk"), dims), kin)
    assert report["stance_speed_after_ms"] < 0.01
    # The stride scales with the legs: a cycle covers the capture's 1.24 m times our leg length over its.
    travelled = float(np.hypot(fixed.channels["root_x"][-1], fixed.channels["root_y"][-1]))
    from synapt.sim.mocap.markers import leg_length

    expected = 1.24 * (dims.thigh + dims.shin) / leg_length(_motion("walk"))
    assert abs(travelled - expected) < 0.08 * expected
