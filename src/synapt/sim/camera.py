"""The virtual camera: where it looks from, its lens, and how it moves during a clip.

Angles follow MuJoCo's free camera: ``azimuth`` in degrees around +z (0 looks along +x),
``elevation`` in degrees, negative when looking down (-5 is eye level, -85 nearly top-down).
A plan is a JSON-able dict (recorded in the manifest); :func:`camera_pose` is a pure function
of the plan and the clip progress ``u`` in [0, 1].
"""

from __future__ import annotations

import numpy as np

MOTIONS = ("static", "pan", "orbit", "dolly", "shake")
MOTION_WEIGHTS = (0.35, 0.15, 0.2, 0.15, 0.15)
# The least fraction of the frame height an upright actor covers (foreshortening by the camera's
# elevation included). At 64 px an actor 8-15 px tall, as wide and aerial shots drew before
# generator 3, is a few blobs no network can read the motion of; generator 3's floor of 0.3
# (19 px at 64 px) still left a quarter of the clips at 19 px. 0.5 (32 px at 64 px, 56 px at
# 112 px) is nearer how people fill the frame in UCF101, HMDB51 and Kinetics, and took the tiny
# preset's pre-training from 41% to 49% top-1 on 432 held-out clips (docs/training.md).
MIN_ACTOR_FRACTION = 0.5


def forward_vector(azimuth: float, elevation: float) -> np.ndarray:
    """Unit viewing direction of a camera at ``azimuth``/``elevation`` (degrees)."""
    a, e = np.radians(azimuth), np.radians(elevation)
    return np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])


def right_vector(azimuth: float) -> np.ndarray:
    """Unit ground-plane vector pointing to the image's right for a camera at ``azimuth``."""
    a = np.radians(azimuth)
    return np.array([np.sin(a), -np.cos(a), 0.0])


def sample_camera(
    rng: np.random.Generator,
    *,
    kind: str,
    subject_height: float,
    lookat_z: float,
    close_up: bool = False,
    actor_height: float | None = None,
) -> dict:
    """Draw a camera plan for a scene ``kind`` framing a subject ``subject_height`` metres tall.

    Args:
        lookat_z: height of the point the camera aims at (metres).
        close_up: object actions: a table-top view instead of a whole person.
        actor_height: the person's own height (metres; ``subject_height`` may add room for
            travel): the camera comes closer where the person would cover less than
            ``MIN_ACTOR_FRACTION`` of the frame height. The plan records the fraction covered.
    """
    fovy = float(rng.uniform(35, 65))
    if kind == "aerial":
        elevation = float(rng.uniform(-70, -40))
        view = rng.uniform(1.2, 2.0) if close_up else subject_height * rng.uniform(2.2, 3.5)
    elif close_up:
        elevation = float(rng.uniform(-60, -20))
        view = rng.uniform(0.6, 1.0)
    else:
        elevation = float(rng.uniform(-35, -3))
        view = subject_height * rng.uniform(1.25, 1.7)
    fraction = None
    if actor_height is not None and not close_up:
        # An upright person of height h seen from elevation e spans about h cos(e) of the view.
        upright = actor_height * np.cos(np.radians(elevation))
        view = min(view, upright / MIN_ACTOR_FRACTION)
        fraction = round(float(upright / view), 4)
    # Distance at which `view` metres fill the frame height.
    distance = float(view / 2 / np.tan(np.radians(fovy) / 2))
    motion = str(rng.choice(MOTIONS, p=MOTION_WEIGHTS))
    return {
        "azimuth": round(float(rng.uniform(0, 360)), 3),
        "elevation": round(elevation, 3),
        "distance": round(distance, 4),
        "fovy": round(fovy, 3),
        "lookat": [round(float(rng.normal(0, 0.05)), 4), round(float(rng.normal(0, 0.05)), 4), round(lookat_z, 4)],
        "motion": motion,
        "actor_fraction": fraction,
        # Signed extents of the motion: degrees for pan/orbit, a distance factor for dolly.
        "pan_deg": round(float(rng.uniform(-10, 10)), 3),
        "orbit_deg": round(float(rng.choice([-1, 1]) * rng.uniform(6, 20)), 3),
        "dolly": round(float(rng.uniform(0.75, 1.25)), 4),
        "shake_deg": round(float(rng.uniform(0.3, 1.0)), 3),
        "shake_phase": [round(float(x), 4) for x in rng.uniform(0, 2 * np.pi, 4)],
    }


def camera_pose(plan: dict, u: float) -> tuple[np.ndarray, float, float, float]:
    """Camera at clip progress ``u`` in [0, 1]: ``(lookat xyz, distance m, azimuth deg, elevation deg)``."""
    lookat = np.asarray(plan["lookat"], dtype=float)
    azimuth, elevation, distance = plan["azimuth"], plan["elevation"], plan["distance"]
    motion = plan["motion"]
    s = 0.5 - 0.5 * np.cos(np.pi * u)  # ease in and out
    if motion == "orbit":
        azimuth = azimuth + plan["orbit_deg"] * s
    elif motion == "dolly":
        distance = distance * (1 + (plan["dolly"] - 1) * s)
    elif motion == "pan":
        # The camera stays put and turns: move the look-at point along the new view ray.
        position = lookat - distance * forward_vector(azimuth, elevation)
        azimuth = azimuth + plan["pan_deg"] * (s - 0.5)
        lookat = position + distance * forward_vector(azimuth, elevation)
    elif motion == "shake":
        p = plan["shake_phase"]
        amp = plan["shake_deg"]
        azimuth = azimuth + amp * (np.sin(2 * np.pi * 3.1 * u + p[0]) + 0.5 * np.sin(2 * np.pi * 7.3 * u + p[1]))
        elevation = elevation + amp * (np.sin(2 * np.pi * 2.7 * u + p[2]) + 0.5 * np.sin(2 * np.pi * 6.1 * u + p[3]))
    return lookat, float(distance), float(azimuth), float(elevation)


def intrinsics(fovy: float, width: int, height: int) -> np.ndarray:
    """3x3 pinhole matrix (pixels) of a camera with vertical field of view ``fovy`` degrees."""
    f = (height / 2) / np.tan(np.radians(fovy) / 2)
    return np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1.0]])


def world_to_camera(position: np.ndarray, forward: np.ndarray, up: np.ndarray) -> np.ndarray:
    """4x4 extrinsics in the OpenCV convention (x right, y down, z forward), metres."""
    z = forward / np.linalg.norm(forward)
    x = np.cross(z, up)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    rot = np.stack([x, y, z])
    out = np.eye(4)
    out[:3, :3] = rot
    out[:3, 3] = -rot @ position
    return out
