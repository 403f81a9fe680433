"""Measurements of how physically plausible generated motion is, from the ``pose`` modality.

Foot skating is the tell-tale of animated (rather than performed) walking: a foot that is on
the ground should not move. :func:`stance_foot_speed` measures it the way issue 11 states it:
the horizontal speed of a foot joint over the frames it is planted.
"""

from __future__ import annotations

import numpy as np

FEET = ("foot_l", "foot_r")


def stance_mask(height: np.ndarray, *, tolerance: float = 0.03) -> np.ndarray:
    """Frames where a foot is planted: within ``tolerance`` m of its lowest height in the clip."""
    return height <= height.min() + tolerance


def stance_foot_speed(joints3d: np.ndarray, joint_names, fps: float, *, tolerance: float = 0.03) -> np.ndarray:
    """Horizontal speeds (m/s) of each foot between consecutive frames where it stays planted.

    Args:
        joints3d: ``(T, J, 3)`` world positions in metres (z up), as the ``pose`` modality stores.
        joint_names: the ``J`` names (the npz's ``joint_names``); the feet are ``foot_l``/``foot_r``.
        fps: the clip's frame rate.
        tolerance: metres above the foot's lowest height that still count as planted.

    Returns:
        one speed per (foot, frame pair) with the foot planted at both frames.
    """
    names = [str(n) for n in joint_names]
    speeds = []
    for foot in FEET:
        pos = joints3d[:, names.index(foot)]
        planted = stance_mask(pos[:, 2], tolerance=tolerance)
        both = planted[1:] & planted[:-1]
        step = np.linalg.norm(np.diff(pos[:, :2], axis=0), axis=1) * fps
        speeds.append(step[both])
    return np.concatenate(speeds) if speeds else np.zeros(0)


__all__ = ["stance_foot_speed", "stance_mask"]
