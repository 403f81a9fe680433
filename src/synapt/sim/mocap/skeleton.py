"""A motion clip as a kinematic tree, whatever file it came from (BVH, ASF/AMC, DeepMimic).

Every reader returns a :class:`Motion`: joint names and parents, rest offsets in metres, one
local rotation matrix per joint and frame, the root's position per frame, and the up axis of
the file's world. Forward kinematics (:meth:`Motion.global_pose`) always answers in one frame:
metres, z up, right-handed; the facing direction is whatever the performer did, so retargeting
reads it from the hips, never from a file convention.

Retargeting only needs *where* a few anatomical points are (:data:`MARKERS`); each reader maps
its skeleton's names onto them in ``Motion.markers`` (marker -> joint or site name).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

# The anatomical points retargeting reads ("l" is the performer's own left). A site may
# stand for a point with no joint of its own (a toe tip, the head centre).
MARKERS = (
    "pelvis", "hip_l", "knee_l", "ankle_l", "toe_l", "hip_r", "knee_r", "ankle_r", "toe_r",
    "chest", "neck", "head", "shoulder_l", "elbow_l", "wrist_l", "shoulder_r", "elbow_r", "wrist_r",
)  # fmt: skip

# Source world with y up -> ours with z up (x stays, y becomes z, z becomes -y): a rotation.
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


@dataclass
class Motion:
    """One motion clip.

    Attributes:
        name: clip id (e.g. ``02_01`` or ``walk``).
        fps: frames per second of the capture.
        joints: joint names; ``parents[j] < j`` (-1 for the root, which is joint 0).
        offsets: ``(J, 3)`` metres, each joint's origin in its parent's frame at rest.
        rotations: ``(T, J, 3, 3)`` local rotations (joint frame -> parent frame).
        root_pos: ``(T, 3)`` metres, the root joint's position in the source world.
        up: ``"y"`` or ``"z"``, the up axis of the source world.
        sites: extra named points fixed in a joint's frame: name -> (joint, offset in metres).
        markers: :data:`MARKERS` name -> joint or site name, for the names this skeleton has.
        meta: where it came from (file, format, subject, frame range in the file, units).
    """

    name: str
    fps: float
    joints: tuple[str, ...]
    parents: np.ndarray
    offsets: np.ndarray
    rotations: np.ndarray
    root_pos: np.ndarray
    up: str = "z"
    sites: dict[str, tuple[str, tuple[float, float, float]]] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.parents = np.asarray(self.parents, dtype=int)
        self.offsets = np.asarray(self.offsets, dtype=float)
        self.rotations = np.asarray(self.rotations, dtype=float)
        self.root_pos = np.asarray(self.root_pos, dtype=float)
        J = len(self.joints)
        if self.parents.shape != (J,) or self.offsets.shape != (J, 3):
            raise ValueError(f"motion {self.name}: parents/offsets do not match {J} joints")
        if self.rotations.ndim != 4 or self.rotations.shape[1:] != (J, 3, 3):
            raise ValueError(f"motion {self.name}: rotations must be (T, {J}, 3, 3), got {self.rotations.shape}")
        if self.root_pos.shape != (self.rotations.shape[0], 3):
            raise ValueError(f"motion {self.name}: root_pos must be ({self.rotations.shape[0]}, 3)")
        if any(p >= j for j, p in enumerate(self.parents)) or self.parents[0] != -1:
            raise ValueError(f"motion {self.name}: joints must be ordered parents first, root first")
        if self.up not in ("y", "z"):
            raise ValueError(f"motion {self.name}: up must be 'y' or 'z', got {self.up!r}")

    @property
    def frames(self) -> int:
        return int(self.rotations.shape[0])

    @property
    def seconds(self) -> float:
        """Duration in seconds (frames / fps)."""
        return self.frames / self.fps

    def index(self, name: str) -> int:
        return self.joints.index(name)

    def global_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """Forward kinematics in the z-up world: ``(R (T, J, 3, 3), p (T, J, 3))`` in metres."""
        T, J = self.frames, len(self.joints)
        R = np.empty((T, J, 3, 3))
        p = np.empty((T, J, 3))
        base = Y_UP_TO_Z_UP if self.up == "y" else np.eye(3)
        R[:, 0] = base @ self.rotations[:, 0]
        p[:, 0] = self.root_pos @ base.T
        for j in range(1, J):
            parent = self.parents[j]
            R[:, j] = R[:, parent] @ self.rotations[:, j]
            p[:, j] = p[:, parent] + R[:, parent] @ self.offsets[j]
        return R, p

    def points(self, names: tuple[str, ...] | list[str]) -> np.ndarray:
        """Positions ``(T, len(names), 3)`` (metres, z up) of joints or sites by name."""
        R, p = self.global_pose()
        out = np.empty((self.frames, len(names), 3))
        for k, name in enumerate(names):
            if name in self.sites:
                joint, offset = self.sites[name]
                j = self.index(joint)
                out[:, k] = p[:, j] + R[:, j] @ np.asarray(offset, dtype=float)
            else:
                out[:, k] = p[:, self.index(name)]
        return out

    def marker_positions(self) -> dict[str, np.ndarray]:
        """Each known :data:`MARKERS` point as ``(T, 3)`` metres, z up."""
        names = [m for m in MARKERS if m in self.markers]
        pts = self.points([self.markers[m] for m in names])
        return {m: pts[:, k] for k, m in enumerate(names)}

    def window(self, start: int, stop: int) -> Motion:
        """Frames ``start:stop`` as a new motion (``meta`` records the range in the file)."""
        if not 0 <= start < stop <= self.frames:
            raise ValueError(f"motion {self.name}: window {start}:{stop} outside 0:{self.frames}")
        first = int(self.meta.get("first_frame", 0))
        meta = {**self.meta, "first_frame": first + start, "last_frame": first + stop - 1}
        return replace(self, rotations=self.rotations[start:stop], root_pos=self.root_pos[start:stop], meta=meta)


# --- rotations -------------------------------------------------------------------------------


def axis_rotation(axis: str, radians: np.ndarray | float) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` about ``x``, ``y`` or ``z`` by ``radians``."""
    a = np.asarray(radians, dtype=float)
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    rows = {
        "x": ((o, z, z), (z, c, -s), (z, s, c)),
        "y": ((c, z, s), (z, o, z), (-s, z, c)),
        "z": ((c, -s, z), (s, c, z), (z, z, o)),
    }[axis.lower()]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def euler_to_matrix(angles_deg: np.ndarray, order: str) -> np.ndarray:
    """Intrinsic Euler angles (degrees, ``(..., len(order))``) in the channel order of a file.

    ``order="ZXY"`` means R = Rz(a0) @ Rx(a1) @ Ry(a2), the BVH and ASF convention: the first
    named axis is outermost.
    """
    angles = np.radians(np.asarray(angles_deg, dtype=float))
    out = np.broadcast_to(np.eye(3), angles.shape[:-1] + (3, 3)).copy()
    for k, axis in enumerate(order):
        out = out @ axis_rotation(axis, angles[..., k])
    return out


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """Unit quaternions ``(..., 4)`` as (w, x, y, z) -> rotation matrices ``(..., 3, 3)``."""
    q = np.asarray(q, dtype=float)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
        np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
        np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
    ], -2)  # fmt: skip


__all__ = ["MARKERS", "Motion", "Y_UP_TO_Z_UP", "axis_rotation", "euler_to_matrix", "quat_to_matrix"]
