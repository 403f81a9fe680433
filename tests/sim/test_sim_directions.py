"""Direction classes really go the way their label says, in the image (labels are never wrong)."""

import numpy as np
import pytest

from synapt.sim.catalog import BY_NAME
from synapt.sim.dataset import ClipTask, clip_seed, make_clip

SIZE = 48


def _clip(name: str, seed: int, modalities=("rgb", "segmentation", "pose"), *, frames: int = 6, fps: int = 3):
    spec = BY_NAME[name]
    task = ClipTask(name, 0, seed, clip_seed(seed, spec.id, seed), frames, fps, SIZE, "fast", 0.0, seed, None, modalities)
    return make_clip(task)[1].extras


def _centroid_x(mask: np.ndarray) -> float:
    ys, xs = np.nonzero(mask)
    return float(xs.mean())


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name, sign", [("walk_left_to_right", 1), ("walk_right_to_left", -1)])
def test_walking_across_moves_the_actor_across_the_image(name, sign, seed):
    pelvis_u = _clip(name, seed)["joints2d"][:, 0, 0]
    # 8% of the image: the slowest walks (0.7 m/s, strides locked to the feet) under a panning camera.
    assert sign * (pelvis_u[-1] - pelvis_u[0]) > 0.08 * SIZE


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name, sign", [("walk_toward_camera", -1), ("walk_away_from_camera", 1)])
def test_walking_in_depth_changes_the_distance_to_the_camera(name, sign, seed):
    extras = _clip(name, seed)
    pelvis = extras["joints3d"][:, 0]
    # Relative to where the camera starts: a dolly may move the camera along with the actor.
    ext = extras["extrinsics"][0]
    depth = pelvis @ ext[:3, :3].T[:, 2] + ext[2, 3]
    assert sign * (depth[-1] - depth[0]) > 0.3  # metres along the view axis (less from above)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name, sign", [("push_left_to_right", 1), ("push_right_to_left", -1),
                                        ("roll_left_to_right", 1), ("roll_right_to_left", -1)])  # fmt: skip
def test_pushed_and_rolled_objects_cross_the_image(name, sign, seed):
    inst = _clip(name, seed, ("rgb", "segmentation"))["instance"]
    thing = inst == 2  # the first moving body of the scene is the object (the hand comes after)
    seen = [f for f in range(len(thing)) if thing[f].any()]
    assert seen and seen[0] == 0
    # A rolled ball may leave the frame: compare with the last frame it is seen in.
    assert sign * (_centroid_x(thing[seen[-1]]) - _centroid_x(thing[0])) > 0.04 * SIZE


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name, sign", [("fall_forward", 1), ("fall_backward", -1)])
def test_falls_end_lying_with_the_head_on_the_labelled_side(name, sign, seed):
    from synapt.sim.actor import KEYPOINTS

    spec = BY_NAME[name]
    task = ClipTask(name, 0, seed, clip_seed(seed, spec.id, seed), 8, 4, 32, "fast", 0.0, seed, None, ("rgb", "pose"))
    plan, clip = make_clip(task)
    joints = clip.extras["joints3d"][-1]
    facing = np.radians(plan.params["action"]["facing"])
    forward = np.array([np.cos(facing), np.sin(facing), 0.0])
    head = joints[KEYPOINTS.index("head")]
    feet = (joints[KEYPOINTS.index("foot_l")] + joints[KEYPOINTS.index("foot_r")]) / 2
    assert head[2] < 0.4  # on the ground (a standing head is above 1.4 m)
    assert sign * float((head - feet) @ forward) > 0.3


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name, sign", [("turn_left", 1), ("turn_right", -1), ("sit_down", 0), ("stand_up", 0)])
def test_turns_and_time_pairs(name, sign, seed):
    from synapt.sim.actor import KEYPOINTS

    # 4 s: a slow performance of a one-shot action (up to 2.6 s) fits in the clip whole.
    joints = _clip(name, seed, ("rgb", "pose"), frames=8, fps=2)["joints3d"]
    if sign:
        across = joints[:, KEYPOINTS.index("upper_arm_l")] - joints[:, KEYPOINTS.index("upper_arm_r")]
        heading = np.unwrap(np.arctan2(across[:, 1], across[:, 0]))
        assert sign * (heading[-1] - heading[0]) > np.radians(90)  # counter-clockwise = to the left
    else:
        pelvis_z = joints[:, KEYPOINTS.index("pelvis"), 2]
        drop = pelvis_z[0] - pelvis_z[-1]
        assert (drop if name == "sit_down" else -drop) > 0.2  # metres (a stiff or small performance sits less deep)
