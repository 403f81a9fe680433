"""Pure parts of the world: textures, colour temperature, camera paths and projections."""

import numpy as np
import pytest

from synapt.sim.camera import camera_pose, forward_vector, intrinsics, right_vector, world_to_camera
from synapt.sim.scenes import kelvin_to_rgb
from synapt.sim.textures import PATTERNS, make_texture, random_texture


@pytest.mark.parametrize("pattern", PATTERNS)
def test_texture_is_a_pure_function_of_its_description(pattern):
    spec = {"pattern": pattern, "rgb1": [1.0, 0.0, 0.0], "rgb2": [0.0, 0.0, 1.0], "scale": 4, "seed": 3}
    a, b = make_texture(spec, 32), make_texture(dict(spec), 32)
    assert a.shape == (32, 32, 3) and a.dtype == np.uint8 and np.array_equal(a, b)
    assert a[..., 1].max() == 0  # only mixes of the two colours
    if pattern != "solid":
        assert a[..., 0].max() - a[..., 0].min() > 40  # a visible pattern


def test_random_textures_differ():
    rng = np.random.default_rng(0)
    imgs = [make_texture(random_texture(rng), 16) for _ in range(5)]
    assert len({img.tobytes() for img in imgs}) == 5


def test_colour_temperature_warm_to_cool():
    warm, cool = kelvin_to_rgb(2700), kelvin_to_rgb(9000)
    assert warm[0] == 1.0 and warm[2] < 0.7
    assert cool[2] == 1.0 and cool[0] < 0.9


def test_right_vector_is_the_image_right():
    for az in (0, 37, 190):
        f = forward_vector(az, 0)
        # right x forward points up for a camera looking along forward
        assert np.cross(right_vector(az), f)[2] == pytest.approx(1.0)


def test_camera_motions_start_at_the_plan_and_move():
    base = {"azimuth": 30.0, "elevation": -20.0, "distance": 4.0, "lookat": [0, 0, 1], "pan_deg": 10.0,
            "orbit_deg": 20.0, "dolly": 0.8, "shake_deg": 1.0, "shake_phase": [0, 0, 0, 0]}  # fmt: skip
    for motion, moved in (("orbit", 2), ("dolly", 1), ("pan", 2)):
        plan = {**base, "motion": motion}
        start, end = camera_pose(plan, 0.0), camera_pose(plan, 1.0)
        assert start[1:] == pytest.approx((4.0, 30.0, -20.0), abs=1e-6) or motion == "pan"
        assert end[moved] != pytest.approx(start[moved])
    assert camera_pose({**base, "motion": "static"}, 1.0)[1:] == (4.0, 30.0, -20.0)
    # a pan keeps the camera where it is
    plan = {**base, "motion": "pan"}
    positions = [c[0] - c[1] * forward_vector(c[2], c[3]) for c in (camera_pose(plan, u) for u in (0, 0.5, 1))]
    assert np.allclose(positions[0], positions[2]) and np.allclose(positions[0], positions[1])


def test_projection_puts_the_look_at_point_at_the_image_centre():
    lookat = np.array([0.5, -0.2, 1.0])
    f = forward_vector(60, -30)
    position = lookat - 3.0 * f
    up = np.cross(np.cross(f, [0, 0, 1.0]), f)
    ext = world_to_camera(position, f, up)
    k = intrinsics(45, 64, 64)
    cam = ext[:3, :3] @ lookat + ext[:3, 3]
    uv = k @ cam
    assert uv[:2] / uv[2] == pytest.approx([32, 32]) and cam[2] == pytest.approx(3.0)
    above = ext[:3, :3] @ (lookat + [0, 0, 0.5]) + ext[:3, 3]
    assert (k @ above)[1] / (k @ above)[2] < 32  # higher in the world is higher in the image (y down)
