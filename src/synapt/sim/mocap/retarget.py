"""Retargeting a :class:`~synapt.sim.mocap.skeleton.Motion` onto the project's humanoid.

The source skeleton and ours share no joint layout, rest pose or rotation convention, so the
transfer goes through *where* anatomical points are (``Motion.marker_positions``), which every
skeleton can answer, and solves our hinge chains in closed form:

1. the pelvis frame is the source root's rotation, calibrated once per clip against the hip
   line and the spine (so a bow bends the spine, not the pelvis);
2. the torso frame comes from the spine (pelvis -> neck) and the shoulder line; its rotation
   in the pelvis frame is split into ``abd_flex``, ``abd_side`` and ``abd_twist``;
3. each limb's upper bone direction gives flexion and abduction, the lower bone's direction in
   that frame gives the elbow/knee angle and the twist that puts the bend in the right plane;
   feet give the ankle angle (relative to the source's rest foot pitch);
4. the root path is scaled by our leg length over the source's, so strides fit our legs.

Grounding and stance-foot pinning need our body's own kinematics; :class:`ActorKinematics`
does them with MuJoCo on the actor alone (see :func:`ground_and_pin`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synapt.sim.actor import JOINT_RANGE_DEG, JOINTS, ActorParams, BodyDims, actor_assets, actor_mjcf, body_dims
from synapt.sim.mocap.markers import leg_length
from synapt.sim.mocap.skeleton import Motion, axis_rotation

# Channels of a retargeted pose besides the joints: root offsets (m) and angles (degrees).
ROOT_CHANNELS = ("root_x", "root_y", "root_z", "root_yaw", "root_pitch", "root_roll")
_REQUIRED = ("pelvis", "hip_l", "knee_l", "ankle_l", "toe_l", "hip_r", "knee_r", "ankle_r", "toe_r",
             "neck", "head", "shoulder_l", "elbow_l", "wrist_l", "shoulder_r", "elbow_r", "wrist_r")  # fmt: skip
_MIRROR = np.diag([1.0, -1.0, 1.0])


@dataclass
class Retargeted:
    """A motion on our humanoid, sampled at ``times`` (seconds from the clip's start).

    ``channels`` maps every name of ``actor.JOINTS`` (degrees) and :data:`ROOT_CHANNELS` to an
    array over ``times``. Root x/y are metres in the actor's facing frame, relative to where the
    motion starts; ``root_z`` is metres above the standing hip height; ``root_yaw`` is relative
    to the facing the clip draws.
    """

    times: np.ndarray
    channels: dict[str, np.ndarray]

    def pose(self, t: float) -> dict[str, float]:
        """The pose at ``t`` seconds, linearly interpolated (held before and after)."""
        return {name: float(np.interp(t, self.times, values)) for name, values in self.channels.items()}

    def frame(self, i: int) -> dict[str, float]:
        return {name: float(values[i]) for name, values in self.channels.items()}


def _missing_required(motion: Motion) -> list[str]:
    """Markers retargeting needs that ``motion`` does not map (``chest`` is optional)."""
    return [m for m in _REQUIRED if m not in motion.markers]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _frame_from(primary: np.ndarray, secondary: np.ndarray, *, primary_axis: str) -> np.ndarray:
    """Rotation matrices (columns forward, left, up) from two directions (Gram-Schmidt).

    ``primary_axis="left"``: ``primary`` is exact (the hip line), ``secondary`` is roughly up.
    ``primary_axis="up"``: ``primary`` is exact (the spine), ``secondary`` is roughly left.
    """
    a = _unit(primary)
    b = _unit(secondary - np.sum(secondary * a, axis=-1, keepdims=True) * a)
    if primary_axis == "left":
        left, up = a, b
    else:
        up, left = a, b
    forward = np.cross(left, up)
    return np.stack([forward, left, up], axis=-1)


def _nearest_rotation(m: np.ndarray) -> np.ndarray:
    u, _, vt = np.linalg.svd(m)
    r = u @ vt
    if np.linalg.det(r) < 0:
        u[:, -1] *= -1
        r = u @ vt
    return r


def _calibrated(joint_rot: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``joint_rot @ A`` with the constant A that best matches ``reference`` over the clip."""
    a = _nearest_rotation(np.einsum("tji,tjk->ik", joint_rot, reference))
    return joint_rot @ a


def _local(frame: np.ndarray, v: np.ndarray) -> np.ndarray:
    """World vectors ``v (T, 3)`` in the coordinates of rotation ``frame (T, 3, 3)``."""
    return np.einsum("tji,tj->ti", frame, v)


def _limb(parent: np.ndarray, root: np.ndarray, mid: np.ndarray, end: np.ndarray, side: float, *, leg: bool,
          tip: np.ndarray | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """Closed-form angles (radians) of a 3-hinge shoulder/hip plus elbow/knee.

    Our chain: flexion about -y, abduction about (side, 0, 0), twist about (0, 0, side), then
    the elbow about -y (bends forward) or the knee about +y (bends back); the bone hangs along
    -z at zero. ``tip`` (the toe, legs only) decides the twist when the knee is straight.
    """
    u = _unit(_local(parent, mid - root))
    theta = np.arcsin(np.clip(u[:, 1], -1, 1))
    flex = np.arctan2(u[:, 0], -u[:, 2])
    flex = np.where(flex < -math.pi / 2, flex + 2 * math.pi, flex)  # overhead-behind wraps to > 180
    upper = axis_rotation("y", -flex) @ axis_rotation("x", theta)
    v = _unit(_local(parent @ upper, end - mid))
    bend = np.arccos(np.clip(-v[:, 2], -1, 1))
    if leg:
        psi = np.arctan2(-v[:, 1], -v[:, 0])
    else:
        psi = np.arctan2(v[:, 1], v[:, 0])
    # A straight limb has no bending plane: its twist fades out (or follows the foot).
    weight = np.clip(np.sin(bend) / math.sin(math.radians(30 if leg else 25)), 0, 1)
    other = np.zeros_like(psi)
    if tip is not None:
        w = _local(parent @ upper, tip - end)
        other = np.arctan2(w[:, 1], w[:, 0])
    psi = np.arctan2(weight * np.sin(psi) + (1 - weight) * np.sin(other), weight * np.cos(psi) + (1 - weight) * np.cos(other))
    return {"flex": flex, "abd": side * theta, "twist": side * psi, "bend": bend, "upper": upper, "psi": psi}


def _rest_foot_pitch(motion: Motion) -> dict[str, float]:
    """Pitch (radians) of ankle -> toe in the source's rest pose (all local rotations zero)."""
    rest = Motion(
        name="rest", fps=motion.fps, joints=motion.joints, parents=motion.parents, offsets=motion.offsets,
        rotations=np.broadcast_to(np.eye(3), (1, len(motion.joints), 3, 3)).copy(), root_pos=np.zeros((1, 3)),
        up=motion.up, sites=motion.sites, markers=motion.markers,
    )  # fmt: skip
    m = rest.marker_positions()
    left = _unit(m["hip_l"][0] - m["hip_r"][0])
    up = _unit(m["neck"][0] - m["pelvis"][0])
    forward = _unit(np.cross(left, up))
    out = {}
    for s in ("l", "r"):
        d = m[f"toe_{s}"][0] - m[f"ankle_{s}"][0]
        shin = _unit(m[f"knee_{s}"][0] - m[f"ankle_{s}"][0])
        out[s] = float(math.atan2(d @ shin, d @ forward))
    return out


def retarget(motion: Motion, dims: BodyDims, *, mirror: bool = False) -> Retargeted:
    """Joint angles (degrees) and root path of ``motion`` on a body of size ``dims``.

    Returns one sample per source frame (``times = frame / fps``); root x/y/yaw start at 0.

    Raises:
        ValueError: the motion lacks markers retargeting needs (the message lists them).
    """
    if missing := _missing_required(motion):
        raise ValueError(f"motion {motion.name}: no {', '.join(missing)} markers; map them in Motion.markers")
    m = motion.marker_positions()
    R, _ = motion.global_pose()
    root_joint = motion.markers["pelvis"]
    root_joint = motion.sites[root_joint][0] if root_joint in motion.sites else root_joint
    root_rot = R[:, motion.index(root_joint)]
    head_joint = motion.markers["head"]
    head_joint = motion.sites[head_joint][0] if head_joint in motion.sites else head_joint
    head_rot = R[:, motion.index(head_joint)]
    if mirror:
        m = {(k[:-1] + {"l": "r", "r": "l"}[k[-1]] if k[-2:] in ("_l", "_r") else k): v * _MIRROR.diagonal() for k, v in m.items()}
        root_rot = _MIRROR @ root_rot @ _MIRROR
        head_rot = _MIRROR @ head_rot @ _MIRROR
    mid_hip = (m["hip_l"] + m["hip_r"]) / 2
    spine = m["neck"] - mid_hip
    pelvis = _calibrated(root_rot, _frame_from(m["hip_l"] - m["hip_r"], spine, primary_axis="left"))
    torso = _frame_from(spine, m["shoulder_l"] - m["shoulder_r"], primary_axis="up")
    local = np.einsum("tji,tjk->tik", pelvis, torso)  # torso in the pelvis frame = Ry Rx Rz
    ch: dict[str, np.ndarray] = {}
    ch["abd_side"] = np.arcsin(np.clip(-local[:, 1, 2], -1, 1))
    ch["abd_flex"] = np.arctan2(local[:, 0, 2], local[:, 2, 2])
    ch["abd_twist"] = np.arctan2(local[:, 1, 0], local[:, 1, 1])
    head_dir = _local(torso, m["head"] - m["neck"])
    ch["neck_flex"] = np.arctan2(head_dir[:, 0], head_dir[:, 2])
    head = np.einsum("tji,tjk->tik", torso, _calibrated(head_rot, torso))
    ch["neck_twist"] = np.arctan2(head[:, 1, 0], head[:, 0, 0])
    rest_pitch = _rest_foot_pitch(motion)
    if mirror:
        rest_pitch = {"l": rest_pitch["r"], "r": rest_pitch["l"]}
    for s, sign in (("l", 1.0), ("r", -1.0)):
        arm = _limb(torso, m[f"shoulder_{s}"], m[f"elbow_{s}"], m[f"wrist_{s}"], sign, leg=False)
        ch[f"sh_{s}_flex"], ch[f"sh_{s}_abd"], ch[f"sh_{s}_twist"] = arm["flex"], arm["abd"], arm["twist"]
        ch[f"elbow_{s}"] = arm["bend"]
        leg = _limb(pelvis, m[f"hip_{s}"], m[f"knee_{s}"], m[f"ankle_{s}"], sign, leg=True, tip=m[f"toe_{s}"])
        ch[f"hip_{s}_flex"], ch[f"hip_{s}_abd"], ch[f"hip_{s}_twist"] = leg["flex"], leg["abd"], leg["twist"]
        ch[f"knee_{s}"] = leg["bend"]
        shin = pelvis @ leg["upper"] @ axis_rotation("z", leg["psi"]) @ axis_rotation("y", leg["bend"])
        foot = _local(shin, m[f"toe_{s}"] - m[f"ankle_{s}"])
        ch[f"ankle_{s}"] = np.arctan2(foot[:, 2], foot[:, 0]) - rest_pitch[s]
    out = {}
    for name in JOINTS:
        lo, hi = _joint_range(name)
        out[name] = np.clip(np.degrees(ch[name]), lo, hi)
    # Root: yaw, pitch, roll of the pelvis frame (Rz Ry Rx), relative to the first frame's yaw.
    yaw = np.unwrap(np.arctan2(pelvis[:, 1, 0], pelvis[:, 0, 0]))
    out["root_pitch"] = np.degrees(np.arcsin(np.clip(-pelvis[:, 2, 0], -1, 1)))
    out["root_roll"] = np.degrees(np.arctan2(pelvis[:, 2, 1], pelvis[:, 2, 2]))
    yaw0 = yaw[0]
    out["root_yaw"] = np.degrees(yaw - yaw0)
    scale = (dims.thigh + dims.shin) / leg_length(motion)
    c, s = math.cos(-yaw0), math.sin(-yaw0)
    xy = (mid_hip[:, :2] - mid_hip[0, :2]) * scale
    out["root_x"] = c * xy[:, 0] - s * xy[:, 1]
    out["root_y"] = s * xy[:, 0] + c * xy[:, 1]
    out["root_z"] = mid_hip[:, 2] * scale - dims.hip_z  # grounded later on our own feet
    times = np.arange(motion.frames) / motion.fps
    return Retargeted(times=times, channels=out)


def _joint_range(name: str) -> tuple[float, float]:
    key = name.replace("_l_", "_").replace("_r_", "_")
    if key.endswith(("_l", "_r")):
        key = key[:-2]
    return JOINT_RANGE_DEG[key]


# --- our body's kinematics: grounding and stance-foot pinning --------------------------------


class ActorKinematics:
    """The actor alone as a MuJoCo model, for forward kinematics and leg IK (no rendering)."""

    def __init__(self, actor: ActorParams) -> None:
        import mujoco

        self.mj = mujoco
        xml = (
            f'<mujoco><asset>{actor_assets(actor)}<material name="top"/></asset>'
            f"<worldbody>{actor_mjcf(actor, prefix='k_')}</worldbody></mujoco>"
        )
        self.model = mujoco.MjModel.from_xml_string(xml)
        self.data = mujoco.MjData(self.model)
        m = self.model
        self.dims = body_dims(actor)
        self.qadr = {j: int(m.jnt_qposadr[m.joint(j).id]) for j in JOINTS}
        self.dadr = {j: int(m.jnt_dofadr[m.joint(j).id]) for j in JOINTS}
        self.range = {j: m.jnt_range[m.joint(j).id].copy() for j in JOINTS}
        self.root = int(m.jnt_qposadr[m.joint("k_root").id])
        self.foot_body = {s: m.body(f"k_foot_{s}").id for s in ("l", "r")}
        self.geoms = [g for g in range(m.ngeom)]

    def set_pose(self, pose: dict[str, float]) -> None:
        from synapt.sim.clip import yaw_pitch_roll_quat

        q = self.data.qpos
        for j, adr in self.qadr.items():
            q[adr] = math.radians(pose.get(j, 0.0))
        r = self.root
        q[r : r + 3] = (pose.get("root_x", 0.0), pose.get("root_y", 0.0), self.dims.hip_z + pose.get("root_z", 0.0))
        q[r + 3 : r + 7] = yaw_pitch_roll_quat(*(math.radians(pose.get(k, 0.0)) for k in ("root_yaw", "root_pitch", "root_roll")))
        self.mj.mj_kinematics(self.model, self.data)

    def lowest_point(self) -> float:
        """Height (m) of the lowest point of any of the actor's geoms (capsules, spheres, ellipsoids)."""
        m, d = self.model, self.data
        lowest = np.inf
        for g in self.geoms:
            size = m.geom_size[g]
            if m.geom_type[g] == self.mj.mjtGeom.mjGEOM_CAPSULE:
                axis = d.geom_xmat[g].reshape(3, 3)[:, 2]
                low = d.geom_xpos[g][2] - abs(axis[2]) * size[1] - size[0]
            elif m.geom_type[g] == self.mj.mjtGeom.mjGEOM_ELLIPSOID:
                mat = d.geom_xmat[g].reshape(3, 3)
                low = d.geom_xpos[g][2] - float(np.linalg.norm(mat[2] * size))
            else:
                low = d.geom_xpos[g][2] - size[0]
            lowest = min(lowest, low)
        return float(lowest)

    def foot(self, side: str) -> np.ndarray:
        """World position (m) of the ankle (the foot body's origin)."""
        return self.data.xpos[self.foot_body[side]].copy()

    def pin_foot(self, side: str, target: np.ndarray, pose: dict[str, float], *, iterations: int = 12) -> dict[str, float]:
        """Leg joints of ``side`` changed so the ankle reaches ``target`` (damped least squares)."""
        mj, m, d = self.mj, self.model, self.data
        joints = (f"hip_{side}_flex", f"hip_{side}_abd", f"hip_{side}_twist", f"knee_{side}")
        qadr = [self.qadr[j] for j in joints]
        dadr = [self.dadr[j] for j in joints]
        lo = np.array([self.range[j][0] for j in joints])
        hi = np.array([self.range[j][1] for j in joints])
        self.set_pose(pose)
        jacp = np.zeros((3, m.nv))
        body = self.foot_body[side]
        q = d.qpos[qadr].copy()
        for _ in range(iterations):
            err = target - d.xpos[body]
            if float(np.linalg.norm(err)) < 5e-4:
                break
            mj.mj_comPos(m, d)
            mj.mj_jacBody(m, d, jacp, None, body)
            J = jacp[:, dadr]
            step = J.T @ np.linalg.solve(J @ J.T + 1e-3 * np.eye(3), err)
            q = np.clip(q + np.clip(step, -0.25, 0.25), lo, hi)
            d.qpos[qadr] = q
            mj.mj_kinematics(m, d)
        out = dict(pose)
        for j, v in zip(joints, q):
            out[j] = math.degrees(float(v))
        return out


def ground_and_pin(motion: Retargeted, kin: ActorKinematics, *, contact_height: float = 0.045,
                   contact_speed: float = 0.35, blend_frames: int = 2) -> tuple[Retargeted, dict]:  # fmt: skip
    """Put the lowest point of the clip on the floor, then pin each stance foot where it lands.

    A foot is in contact where its ankle is within ``contact_height`` m of its lowest height in
    the clip and moves slower than ``contact_speed`` m/s; each contact segment's ankle is held at
    the segment's mean position by leg IK, blended in and out over ``blend_frames`` samples.

    Returns:
        the corrected motion and a report: ground shift (m), contact frames per foot, the median
        stance-ankle speed (m/s) before and after.
    """
    n = len(motion.times)
    poses = [motion.frame(i) for i in range(n)]
    lowest = []
    for p in poses:
        kin.set_pose(p)
        lowest.append(kin.lowest_point())
    shift = -float(np.min(lowest))
    for p in poses:
        p["root_z"] += shift
    ankles = {s: np.empty((n, 3)) for s in ("l", "r")}
    for i, p in enumerate(poses):
        kin.set_pose(p)
        for s in ankles:
            ankles[s][i] = kin.foot(s)
    dt = float(np.median(np.diff(motion.times))) if n > 1 else 1.0
    report = {"ground_shift_m": round(shift, 4)}
    before, after = [], []
    for s, pos in ankles.items():
        speed = np.zeros(n)
        if n > 1:
            v = np.linalg.norm(np.diff(pos[:, :2], axis=0), axis=1) / dt
            speed[1:] = v
            speed[0] = v[0]
        contact = (pos[:, 2] < pos[:, 2].min() + contact_height) & (speed < contact_speed)
        report[f"contact_frames_{s}"] = int(contact.sum())
        before.extend(speed[contact].tolist())
        weight = _segment_weights(contact, blend_frames)
        for a, b in _segments(contact):
            target = pos[a:b].mean(axis=0)
            for i in range(max(0, a - blend_frames), min(n, b + blend_frames)):
                w = weight[i]
                if w <= 0:
                    continue
                goal = w * target + (1 - w) * pos[i]
                poses[i] = kin.pin_foot(s, goal, poses[i])
    pinned = {s: np.empty((n, 3)) for s in ankles}
    for i, p in enumerate(poses):
        kin.set_pose(p)
        for s in pinned:
            pinned[s][i] = kin.foot(s)
    for s, pos in pinned.items():
        if n > 1:
            v = np.linalg.norm(np.diff(pos[:, :2], axis=0), axis=1) / dt
            speed = np.concatenate([[v[0]], v])
            contact = (ankles[s][:, 2] < ankles[s][:, 2].min() + contact_height)
            contact &= np.concatenate([[True], np.linalg.norm(np.diff(ankles[s][:, :2], axis=0), axis=1) / dt < contact_speed])
            after.extend(speed[contact].tolist())
    report["stance_speed_before_ms"] = round(float(np.median(before)), 4) if before else None
    report["stance_speed_after_ms"] = round(float(np.median(after)), 4) if after else None
    channels = {name: np.array([p[name] for p in poses]) for name in motion.channels}
    return Retargeted(times=motion.times, channels=channels), report


def _segments(mask: np.ndarray) -> list[tuple[int, int]]:
    out, start = [], None
    for i, v in enumerate(mask):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append((start, i))
            start = None
    if start is not None:
        out.append((start, len(mask)))
    return [(a, b) for a, b in out if b - a >= 2]


def _segment_weights(mask: np.ndarray, blend: int) -> np.ndarray:
    """1 inside contact segments, ramping to 0 over ``blend`` samples outside them."""
    n = len(mask)
    w = np.zeros(n)
    for a, b in _segments(mask):
        w[a:b] = 1.0
        for k in range(1, blend + 1):
            ramp = 1.0 - k / (blend + 1)
            if a - k >= 0:
                w[a - k] = max(w[a - k], ramp)
            if b - 1 + k < n:
                w[b - 1 + k] = max(w[b - 1 + k], ramp)
    return w




def lock_stance_foot(pose_fn, kin: ActorKinematics, times: np.ndarray, *, hysteresis: float = 0.005) -> Retargeted:
    """Tabulate a procedural gait with its root moved so the stance foot does not slide.

    ``pose_fn(t)`` is a motion program's pose (its own ``root_x``/``root_y`` ignored). The
    stance foot is the one moving backward relative to the body (what a foot on the ground does
    when the body walks forward), switching only when the other one moves back ``hysteresis`` m
    faster per sample; the root advances by exactly what keeps that ankle where it was, so the
    body travels as far as its strides carry it.
    """
    poses = [dict(pose_fn(float(t))) for t in times]
    local = []
    for p in poses:
        p["root_x"], p["root_y"] = 0.0, 0.0
        kin.set_pose(p)
        local.append({s: kin.foot(s)[:2] for s in ("l", "r")})
    offset = np.zeros(2)
    stance = None
    for i, p in enumerate(poses):
        if i > 0:
            back = {s: local[i][s][0] - local[i - 1][s][0] for s in ("l", "r")}  # forward motion per sample
            if stance is None or back[_other(stance)] < back[stance] - hysteresis:
                stance = min(back, key=back.get) if stance is None else _other(stance)
            offset = offset + (local[i - 1][stance] - local[i][stance])
        p["root_x"], p["root_y"] = float(offset[0]), float(offset[1])
    channels = {name: np.array([p.get(name, 0.0) for p in poses]) for name in sorted(set().union(*poses))}
    return Retargeted(times=np.asarray(times, dtype=float), channels=channels)


def _other(side: str) -> str:
    return "r" if side == "l" else "l"


__all__ = ["ActorKinematics", "ROOT_CHANNELS", "Retargeted", "ground_and_pin", "lock_stance_foot", "retarget"]
