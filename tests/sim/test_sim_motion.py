"""Motion building blocks: keyframes, mirroring, inverse kinematics on the real model."""

import numpy as np
import pytest

from synapt.sim.actions.motion import Keyframes, Reach
from synapt.sim.actor import mirror_pose
from synapt.sim.catalog import BY_NAME
from synapt.sim.clip import ClipWorld, plan_clip


def test_keyframes_ease_between_keys_and_hold_the_ends():
    k = Keyframes([(0.0, {"knee_l": 0.0}), (0.5, {"knee_l": 90.0}), (1.0, {"knee_l": 90.0})])
    assert k(-1.0)["knee_l"] == 0.0 and k(0.5)["knee_l"] == 90.0 and k(2.0)["knee_l"] == 90.0
    assert k(0.25)["knee_l"] == pytest.approx(45.0)  # smoothstep is symmetric about the middle
    assert k(0.05)["knee_l"] < 0.1 * 90  # eases in
    rest = Keyframes([(0.0, {}), (1.0, {"sh_l_abd": 90.0})])
    assert rest(0.0)["sh_l_abd"] == 6.0  # a joint a key leaves out sits at rest there


def test_mirror_pose_swaps_sides_and_flips_sideways_angles():
    m = mirror_pose({"sh_r_flex": 150.0, "elbow_l": 20.0, "abd_twist": 10.0, "root_yaw": 30.0, "abd_flex": 5.0})
    assert m == {"sh_l_flex": 150.0, "elbow_r": 20.0, "abd_twist": -10.0, "root_yaw": -30.0, "abd_flex": 5.0}


def test_reach_weight_ramps_in_and_out():
    r = Reach(at=1.0, targets={}, joints=(), window=(0.5, 2.0))
    assert r.weight(0.5) == 0.0 and r.weight(1.0) == 1.0 and r.weight(2.0) == 0.0
    assert 0 < r.weight(0.8) < 1 and 0 < r.weight(1.5) < 1


def _posed(world: ClipWorld, t: float) -> ClipWorld:
    """The clip's world with the actor posed (kinematics current) at ``t`` seconds."""
    world.pose_actor(t)
    world.mj.mj_kinematics(world.model, world.data)
    return world


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_inverse_kinematics_puts_both_hands_on_the_box(seed):
    plan = plan_clip(BY_NAME["pick_up_object"], seed=seed, frames=8, size=32, fps=4)
    reach = plan.performance.reaches[0]
    world = _posed(ClipWorld(plan), reach.at)
    for site, target in reach.targets.items():
        assert np.linalg.norm(world.hand_position(site) - np.asarray(target)) < 0.03
    # Without the correction the keyframed pose alone misses the box.
    world.corrections = []
    _posed(world, reach.at)
    misses = [np.linalg.norm(world.hand_position(s) - np.asarray(t)) for s, t in reach.targets.items()]
    assert max(misses) > 0.03


@pytest.mark.parametrize("name, seated_at", [("sit_down", 1e9), ("stand_up", 0.0)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_seated_pelvis_is_over_the_stool(name, seated_at, seed):
    plan = plan_clip(BY_NAME[name], seed=seed, frames=8, size=32, fps=4)
    world = ClipWorld(plan)
    t = min(seated_at, plan.params["action"]["start_s"] + plan.params["action"]["duration_s"])
    world.pose_actor(t)
    world.mj.mj_kinematics(world.model, world.data)
    m, d = world.model, world.data
    pelvis = d.xpos[m.body("actor_pelvis").id]
    stool = d.xpos[m.body("stool").id]
    assert np.linalg.norm(pelvis[:2] - stool[:2]) < 0.2  # the seat is 0.4 m across
    assert pelvis[2] < 2 * stool[2] + 0.25  # sitting on it, not standing over it


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_kicking_foot_meets_the_ball_when_it_leaves(seed):
    plan = plan_clip(BY_NAME["kick_ball"], seed=seed, frames=8, size=32, fps=4)
    world = _posed(ClipWorld(plan), plan.performance.reaches[0].at)
    side = plan.params["action"]["kicking_leg"][0]
    foot = world.data.site_xpos[world.model.site(f"actor_foot_{side}").id]
    qa, _ = world.free_adr("ball")
    gap = np.linalg.norm(foot - world.data.qpos[qa : qa + 3]) - 0.11  # the ball's radius
    assert abs(gap) < 0.03  # metres from the ball's surface


@pytest.mark.parametrize("seed", [0, 5])
def test_the_foot_launches_the_ball_through_contact(seed):
    """No scripted impulse: the ball rests until the kicking foot touches it, then flies off in
    the kick's direction at a human kick's speed."""
    plan = plan_clip(BY_NAME["kick_ball"], seed=seed, frames=16, size=32, fps=8)
    perf = plan.performance
    assert not perf.impulses and perf.contacts
    world = ClipWorld(plan)
    m, d = world.model, world.data
    qa, _ = world.free_adr("ball")
    start = d.qpos[qa : qa + 3].copy()
    feet, ball = {m.geom("actor_" + g).id for g in perf.contacts}, m.geom("ball").id
    dt, touched, moved_before = m.opt.timestep, None, 0.0
    steps = round(1 / 8 / dt)
    for f in range(1, 16):
        for s in range(steps):
            t = (f - 1) / 8 + s * dt
            world.drive(t, dt)
            world.mj.mj_step(m, d)
            hit = any({d.contact[i].geom1, d.contact[i].geom2} & feet and ball in (d.contact[i].geom1, d.contact[i].geom2)
                      for i in range(d.ncon))
            if touched is None and hit:
                touched = t  # this step's contact already moved the ball
            elif touched is None:
                moved_before = max(moved_before, float(np.linalg.norm(d.qpos[qa : qa + 3] - start)))
    assert touched is not None and perf.contact_window[0] <= touched <= perf.contact_window[1]
    assert moved_before < 0.01  # at rest until the foot arrives
    heading = np.array([np.cos(np.radians(perf.facing)), np.sin(np.radians(perf.facing))])
    travel = d.qpos[qa : qa + 2] - start[:2]
    assert np.linalg.norm(travel) > 1.0 and travel @ heading > 0.8 * np.linalg.norm(travel)


def test_a_kick_with_motion_blur_regenerates_bit_identically(tmp_path, tiny):
    # The blur's extra renders pose the actor at earlier times; the contact velocity must not see them.
    from synapt.sim import generate_dataset
    from synapt.sim.verify import read_manifest, regenerate_clip

    out = generate_dataset(tmp_path / "ds", classes="kick_ball", camera_fx={"motion_blur": 1.0}, **tiny)
    row = read_manifest(out)[0]
    sha, identical = regenerate_clip(out, row["clip_id"], tmp_path / "again.mp4")
    assert identical, sha
