"""Object actions do what their label says (checked on the simulated object trajectories)."""

import numpy as np
import pytest

from synapt.sim.catalog import BY_NAME
from synapt.sim.dataset import ClipTask, clip_seed, make_clip


def _objects(name: str, seed: int) -> tuple[dict, dict]:
    spec = BY_NAME[name]
    task = ClipTask(name, 0, seed, clip_seed(seed, spec.id, seed), 8, 4, 16, "fast", 0.0, seed, None, ("rgb", "pose"))
    plan, clip = make_clip(task)
    names = list(clip.extras["object_names"])
    pos = {n: clip.extras["objects3d"][:, i] for i, n in enumerate(names)}
    quat = {n: clip.extras["objects_quat"][:, i] for i, n in enumerate(names)}
    return pos, quat


def _yaw(q: np.ndarray) -> np.ndarray:
    w, x, y, z = q.T
    return np.unwrap(np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)))


SEEDS = [0, 1]


@pytest.mark.parametrize("seed", SEEDS)
def test_move_closer_and_apart_change_the_gap(seed):
    for name, sign in (("move_closer", -1), ("move_apart", 1)):
        pos, _ = _objects(name, seed)
        gap = np.linalg.norm(pos["obj0"][:, :2] - pos["obj1"][:, :2], axis=1)
        assert sign * (gap[-1] - gap[0]) > 0.15, name


@pytest.mark.parametrize("seed", SEEDS)
def test_drop_lift_stack_unstack_heights(seed):
    pos, _ = _objects("drop_object", seed)
    assert pos["obj"][0, 2] - pos["obj"][-1, 2] > 0.2  # fell onto the table
    pos, _ = _objects("lift_object", seed)
    assert pos["obj"][-1, 2] - pos["obj"][0, 2] > 0.15
    pos, _ = _objects("put_on_top", seed)
    assert pos["obj"][-1, 2] - pos["obj"][0, 2] > 0.08  # ends on the base object
    assert np.linalg.norm(pos["obj"][-1, :2] - pos["base"][-1, :2]) < 0.05
    pos, _ = _objects("take_off_top", seed)
    assert pos["obj"][0, 2] - pos["obj"][-1, 2] > 0.08
    assert np.linalg.norm(pos["obj"][-1, :2] - pos["base"][-1, :2]) > 0.15


@pytest.mark.parametrize("seed", SEEDS)
def test_knock_over_tips_the_object(seed):
    _, quat = _objects("knock_over", seed)
    up = lambda q: 1 - 2 * (q[1] ** 2 + q[2] ** 2)  # noqa: E731  z of the body's z axis
    assert up(quat["obj"][0]) > 0.99 and up(quat["obj"][-1]) < 0.5


@pytest.mark.parametrize("seed", SEEDS)
def test_spin_direction_seen_from_above(seed):
    _, quat = _objects("spin_clockwise", seed)
    assert _yaw(quat["obj"])[-1] - _yaw(quat["obj"])[0] < -0.5  # clockwise from above: yaw falls
    _, quat = _objects("spin_counterclockwise", seed)
    assert _yaw(quat["obj"])[-1] - _yaw(quat["obj"])[0] > 0.5


@pytest.mark.parametrize("seed", SEEDS)
def test_kick_and_throw_send_the_ball_away(seed):
    for name in ("kick_ball", "throw_ball"):
        pos, _ = _objects(name, seed)
        assert np.linalg.norm(pos["ball"][-1, :2] - pos["ball"][0, :2]) > 1.0, name
