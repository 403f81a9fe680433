"""DeepMimic humanoid clips (the JSON ``{"Loop", "Frames"}`` files the ``pybullet`` wheel ships).

A frame is 44 numbers: the frame's duration (s), the root position (m, y up) and orientation,
then the local rotation of each joint in :data:`FRAME_LAYOUT` order, a quaternion (w, x, y, z)
for spherical joints and one angle (radians, about the joint's z axis) for knees and elbows.
The skeleton's rest offsets come from ``pybullet_data/humanoid/humanoid.urdf``, which pybullet's
DeepMimic environment loads at ``globalScaling=0.25``: the URDF is 4x the size the motion
files' root heights (about 0.85 m) belong to.
"""

from __future__ import annotations

import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from synapt.errors import UserError
from synapt.sim.mocap.skeleton import Motion, axis_rotation, quat_to_matrix

# Joints in the order their values follow the root in a frame: (name, parent, values).
FRAME_LAYOUT = (
    ("chest", "root", 4), ("neck", "chest", 4),
    ("right_hip", "root", 4), ("right_knee", "right_hip", 1), ("right_ankle", "right_knee", 4),
    ("right_shoulder", "chest", 4), ("right_elbow", "right_shoulder", 1),
    ("left_hip", "root", 4), ("left_knee", "left_hip", 1), ("left_ankle", "left_knee", 4),
    ("left_shoulder", "chest", 4), ("left_elbow", "left_shoulder", 1),
)  # fmt: skip
URDF_SCALE = 0.25  # pybullet's DeepMimic environment loads humanoid.urdf at this global scaling

MARKERS = {
    "pelvis": "root", "hip_l": "left_hip", "knee_l": "left_knee", "ankle_l": "left_ankle", "toe_l": "left_toe",
    "hip_r": "right_hip", "knee_r": "right_knee", "ankle_r": "right_ankle", "toe_r": "right_toe",
    "chest": "chest", "neck": "neck", "head": "head", "shoulder_l": "left_shoulder", "elbow_l": "left_elbow",
    "wrist_l": "left_wrist", "shoulder_r": "right_shoulder", "elbow_r": "right_elbow", "wrist_r": "right_wrist",
}  # fmt: skip


def pybullet_data_root() -> Path | None:
    """The installed ``pybullet_data`` folder, or None when pybullet is not installed."""
    spec = importlib.util.find_spec("pybullet_data")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _urdf_skeleton(urdf: Path) -> tuple[dict[str, np.ndarray], dict[str, tuple[str, np.ndarray]]]:
    """Joint origins (metres, parent frame) by child link, and named sites, from the URDF."""
    try:
        # The file pybullet ships ends in a NUL byte, which XML parsers reject.
        root = ET.fromstring(urdf.read_bytes().rstrip(b"\x00\r\n"))
    except (OSError, ET.ParseError) as exc:
        raise UserError(f"{urdf}: cannot read the DeepMimic humanoid URDF ({exc}); reinstall pybullet") from None
    offsets = {}
    for joint in root.iter("joint"):
        child = joint.find("child").get("link")
        origin = joint.find("origin")
        offsets[child] = np.array([float(v) for v in origin.get("xyz").split()]) * URDF_SCALE

    def box(link: str) -> tuple[np.ndarray, np.ndarray]:
        node = root.find(f"./link[@name='{link}']/collision")
        centre = np.array([float(v) for v in node.find("origin").get("xyz").split()]) * URDF_SCALE
        geom = node.find("geometry")[0]
        if geom.tag == "box":
            return centre, np.array([float(v) for v in geom.get("size").split()]) * URDF_SCALE
        return centre, np.full(3, float(geom.get("radius")) * 2 * URDF_SCALE)

    sites = {}
    for side in ("left", "right"):
        centre, size = box(f"{side}_ankle")
        # Toe: the front of the foot box at sole level (the box's +x face, bottom edge).
        sites[f"{side}_toe"] = (f"{side}_ankle", (centre[0] + size[0] / 2, centre[1] - size[1] / 2, 0.0))
        sites[f"{side}_wrist"] = (f"{side}_elbow", tuple(offsets[f"{side}_wrist"]))
    centre, _ = box("neck")
    sites["head"] = ("neck", tuple(centre))  # the head sphere's centre
    return offsets, sites


def read_deepmimic(path: str | Path, *, urdf: str | Path | None = None) -> Motion:
    """Read one DeepMimic humanoid motion file.

    Args:
        path: the JSON motion file.
        urdf: the humanoid URDF (default: the installed ``pybullet_data``'s).

    Raises:
        UserError: unreadable file, wrong frame width, or no URDF.
    """
    path = Path(path)
    if urdf is None:
        data_root = pybullet_data_root()
        if data_root is None:
            raise UserError(f"{path}: DeepMimic clips need the humanoid URDF of pybullet_data; pip install 'synapt[mocap]'")
        urdf = data_root / "humanoid" / "humanoid.urdf"
    try:
        doc = json.loads(path.read_text())
        frames = np.asarray(doc["Frames"], dtype=float)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{path}: not a DeepMimic motion file ({exc.__class__.__name__}: {exc})") from None
    width = 1 + 3 + 4 + sum(n for _, _, n in FRAME_LAYOUT)
    if frames.ndim != 2 or frames.shape[1] != width or len(frames) < 2:
        raise UserError(f"{path}: DeepMimic humanoid frames must have {width} values each (got shape {frames.shape})")
    offsets, sites = _urdf_skeleton(Path(urdf))
    joints = ("root",) + tuple(name for name, _, _ in FRAME_LAYOUT)
    parents = [-1] + [joints.index(parent) for _, parent, _ in FRAME_LAYOUT]
    T = len(frames)
    rotations = np.empty((T, len(joints), 3, 3))
    rotations[:, 0] = quat_to_matrix(frames[:, 4:8])
    col = 8
    for j, (_, _, n) in enumerate(FRAME_LAYOUT, start=1):
        if n == 4:
            rotations[:, j] = quat_to_matrix(frames[:, col : col + 4])
        else:
            rotations[:, j] = axis_rotation("z", frames[:, col])
        col += n
    dt = frames[:-1, 0]
    fps = 1.0 / float(np.median(dt[dt > 0])) if np.any(dt > 0) else 30.0
    return Motion(
        name=path.stem.removeprefix("humanoid3d_"),
        fps=round(fps, 4),
        joints=joints,
        parents=np.array(parents),
        offsets=np.stack([np.zeros(3)] + [offsets[name] for name in joints[1:]]),
        rotations=rotations,
        root_pos=frames[:, 1:4],
        up="y",
        sites=sites,
        markers=dict(MARKERS),
        meta={"file": str(path), "format": "deepmimic", "loop": doc.get("Loop", "none") == "wrap", "first_frame": 0,
              "last_frame": T - 1, "units": "m"},
    )  # fmt: skip


__all__ = ["FRAME_LAYOUT", "pybullet_data_root", "read_deepmimic"]
