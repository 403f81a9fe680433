"""One clip end to end: sample every parameter, build the MJCF, simulate, render.

A clip is a pure function of its seed and settings: :func:`plan_clip` draws everything from one
``numpy`` generator seeded with the clip seed (derived from the global seed, the class id and
the clip index by ``numpy.random.SeedSequence`` in ``dataset.py``), and :func:`render_clip`
turns the plan into frames without further randomness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synapt.sim import actor as actor_mod
from synapt.sim.actions.motion import CLIP_SECONDS, ActionContext, Performance
from synapt.sim.camera import camera_pose, intrinsics, sample_camera, world_to_camera
from synapt.sim.context import choose_context
from synapt.sim.scenes import TEXTURE_LAYOUT, scene_mjcf, sample_scene
from synapt.sim.textures import make_texture, sky_texture

ACTOR_PREFIX = "actor_"
# Physics substep ceiling (seconds): stable contacts for 5-10 cm objects.
MAX_TIMESTEP = 0.004


@dataclass
class ClipPlan:
    """Everything sampled for one clip, plus the compiled-model inputs."""

    class_name: str
    seed: int
    frames: int
    size: int
    quality: str
    params: dict  # JSON-able, recorded in the manifest
    xml: str
    textures: dict  # texture name -> description
    performance: Performance


@dataclass
class ClipFrames:
    """Rendered output: RGB frames and, if asked, the extra modalities."""

    rgb: np.ndarray  # (T, H, W, 3) uint8
    extras: dict[str, np.ndarray]


def plan_clip(
    spec,
    *,
    seed: int,
    frames: int,
    size: int,
    quality: str = "fast",
    context_bias: float = 0.0,
    global_seed: int = 0,
    scene_kinds: tuple[str, ...] | None = None,
) -> ClipPlan:
    """Sample a clip of class ``spec`` (a ``catalog.ClassSpec``) from ``seed``.

    Args:
        seed: the clip seed (all randomness of the clip comes from it).
        frames, size: clip length (frames) and square image size (pixels).
        context_bias: probability that the scene comes from the class's own pool.
        global_seed: seeds the per-class context pools.
        scene_kinds: allowed scene kinds (None: all).
    """
    rng = np.random.default_rng(seed)
    actor = actor_mod.sample_actor(rng)
    dims = actor_mod.body_dims(actor)
    context = choose_context(rng, class_id=spec.id, global_seed=global_seed, bias=context_bias, scene_kinds=scene_kinds)
    kind = context["kind"]
    object_action = spec.family == "object"
    surface_z = 0.75 if object_action else 0.0
    cam = sample_camera(
        rng,
        kind=kind,
        subject_height=actor.height * spec.view_scale,
        lookat_z=surface_z + 0.05 if object_action else (0.5 if kind == "aerial" else actor.height * 0.5),
        close_up=object_action,
    )
    scene = sample_scene(
        rng, kind=kind, cam_azimuth=cam["azimuth"], textures=context.get("textures"), distractor_shapes=context.get("distractor_shapes")
    )
    if kind == "studio":
        # A photographic backdrop reads best over a plain floor of a related colour.
        scene["textures"]["floor"] = {**scene["textures"]["backdrop"], "pattern": "solid"}
    ctx = ActionContext(rng=rng, actor=actor, dims=dims, cam_azimuth=cam["azimuth"], seconds=CLIP_SECONDS, surface_z=surface_z)
    perf = spec.program(ctx)
    frame_dt = CLIP_SECONDS / max(frames - 1, 1)
    substeps = max(1, math.ceil(frame_dt / MAX_TIMESTEP - 1e-9))
    actor_xml = ""
    if perf.pose is not None:
        actor_xml = actor_mod.actor_mjcf(actor, prefix=ACTOR_PREFIX, pos=(*perf.base, 0.0))
    xml = scene_mjcf(
        scene,
        actor_xml=actor_xml,
        actor_materials=actor_mod.actor_assets(actor),
        props_xml=perf.props_xml,
        fovy=cam["fovy"],
        size=size,
        quality=quality,
        timestep=frame_dt / substeps,
        cam_azimuth=cam["azimuth"],
    )
    textures = {**{k: v for k, v in scene["textures"].items()}, "top": actor_mod.top_texture(actor)}
    params = {
        "class_id": spec.id,
        "global_seed": global_seed,
        "context_bias": context_bias,
        "context_from_class": context["from_class"],
        "scene_kinds": list(scene_kinds) if scene_kinds else None,
        "quality": quality,
        "clip_seconds": CLIP_SECONDS,
        "substeps": substeps,
        "actor": actor.as_dict(),
        "camera": cam,
        "scene": scene,
        "action": perf.params,
    }
    return ClipPlan(spec.name, seed, frames, size, quality, params, xml, textures, perf)


def texture_pixels(textures: dict) -> dict[str, np.ndarray]:
    """Synthesise the pixels of every texture slot of ``scenes.TEXTURE_LAYOUT``."""
    return {
        name: sky_texture(textures[name], width) if ttype == "skybox" else make_texture(textures[name], width)
        for name, ttype, width in TEXTURE_LAYOUT
    }


class _World:
    """Compiled model, data and the name lookups the simulation loop needs."""

    def __init__(self, plan: ClipPlan, *, pixels: dict[str, np.ndarray] | None = None) -> None:
        import mujoco

        self.mj = mujoco
        self.model = mujoco.MjModel.from_xml_string(plan.xml)
        self.data = mujoco.MjData(self.model)
        self._set_textures(pixels if pixels is not None else texture_pixels(plan.textures))
        perf = plan.performance
        m = self.model
        self.perf = perf
        self.joint_adr = {}
        self.root_adr = None
        if perf.pose is not None:
            self.joint_adr = {j: m.jnt_qposadr[m.joint(j).id] for j in actor_mod.JOINTS}
            self.root_adr = m.jnt_qposadr[m.joint(ACTOR_PREFIX + "root").id]
            self.root_dof = m.jnt_dofadr[m.joint(ACTOR_PREFIX + "root").id]
            self.actor_nv = 6 + len(actor_mod.JOINTS)
            self.actor_geoms = [g for g in range(m.ngeom) if (m.geom(g).name or "").startswith(ACTOR_PREFIX)]
            legs = ("thigh_l", "shin_l", "foot_l", "thigh_r", "shin_r", "foot_r")
            self.leg_geoms = [m.geom(ACTOR_PREFIX + p).id for p in legs]
            self.foot_geoms = [m.geom(ACTOR_PREFIX + p).id for p in ("foot_l", "foot_r")]
            self.hip_z = actor_mod.body_dims(actor_from_params(plan.params["actor"])).hip_z
            self.anchor = None
        self.mocap = {name: m.body_mocapid[m.body(name).id] for name in perf.hands}
        self.ragdolled = False
        if "place_box_at_s" in perf.params:
            self._place_box_under_hands()

    def _place_box_under_hands(self) -> None:
        """Put the box where the actor's hands are at the grasp (or, if it starts held, at t=0).

        The motion decides where the hands reach; the object goes there, so the grasp is exact
        whatever the body size and the sampled amplitude.
        """
        perf, d, m = self.perf, self.data, self.model
        held = perf.params.get("reverse", False)
        self.pose_actor(0.0 if held else perf.params["place_box_at_s"])
        self.mj.mj_kinematics(m, d)
        hands = (self.hand_position("hand_l") + self.hand_position("hand_r")) / 2
        half = perf.params["box_half"]
        qa, _ = self.free_adr("box")
        d.qpos[qa : qa + 3] = (hands[0], hands[1], hands[2] - half - 0.03) if held else (hands[0], hands[1], half)
        self.anchor = None

    def _set_textures(self, pixels: dict[str, np.ndarray]) -> None:
        m = self.model
        for texid, (name, _, _) in enumerate(TEXTURE_LAYOUT):
            adr = m.tex_adr[texid]
            m.tex_data[adr : adr + pixels[name].size] = pixels[name].reshape(-1)

    # --- actor -------------------------------------------------------------------------
    def _lowest_leg_z(self, geoms) -> float:
        d, m = self.data, self.model
        lowest = np.inf
        for g in geoms:
            axis = d.geom_xmat[g].reshape(3, 3)[:, 2]
            radius, half = m.geom_size[g][0], m.geom_size[g][1]
            lowest = min(lowest, d.geom_xpos[g][2] - abs(axis[2]) * half - radius)
        return float(lowest)

    def pose_actor(self, t: float) -> None:
        """Set the actor's joints and root from the program at time ``t`` (kinematic)."""
        mj, d, perf = self.mj, self.data, self.perf
        pose = perf.pose(t)
        q = d.qpos
        for j, adr in self.joint_adr.items():
            q[adr] = math.radians(pose.get(j, 0.0))
        yaw = math.radians(perf.facing + pose.get("root_yaw", 0.0))
        pitch = math.radians(pose.get("root_pitch", 0.0))
        roll = math.radians(pose.get("root_roll", 0.0))
        c, s = math.cos(math.radians(perf.facing)), math.sin(math.radians(perf.facing))
        rx, ry = pose.get("root_x", 0.0), pose.get("root_y", 0.0)
        r = self.root_adr
        q[r : r + 3] = (perf.base[0] + c * rx - s * ry, perf.base[1] + s * rx + c * ry, self.hip_z)
        q[r + 3 : r + 7] = yaw_pitch_roll_quat(yaw, pitch, roll)
        # Kinematic: no velocity may build up in the actor's dofs between posed substeps.
        d.qvel[self.root_dof : self.root_dof + self.actor_nv] = 0.0
        if perf.ground or perf.plant:
            mj.mj_kinematics(self.model, d)
            if perf.plant:
                feet = np.mean([d.geom_xpos[g][:2] for g in self.foot_geoms], axis=0)
                if self.anchor is None:
                    self.anchor = feet.copy()
                q[r : r + 2] += self.anchor - feet
            if perf.ground:
                q[r + 2] -= self._lowest_leg_z(self.leg_geoms)
        q[r + 2] += pose.get("root_z", 0.0)

    def go_limp(self) -> None:
        """Ragdoll trigger: contacts on, the root keeps the program's push, gravity does the rest."""
        m, d, perf = self.model, self.data, self.perf
        for g in self.actor_geoms:
            m.geom_contype[g] = 1
            m.geom_conaffinity[g] = 1
            # The broad phase filters on per-body masks that the compiler aggregated.
            m.body_contype[m.geom_bodyid[g]] |= 1
            m.body_conaffinity[m.geom_bodyid[g]] |= 1
        forward, pitch_rate = perf.ragdoll_push
        yaw = math.radians(perf.facing)
        dof = self.root_dof
        d.qvel[dof : dof + 3] = (forward * math.cos(yaw), forward * math.sin(yaw), 0.0)
        # Free-joint angular velocity is in the body frame: pitch about the pelvis y axis.
        d.qvel[dof + 3 : dof + 6] = (0.0, pitch_rate, 0.0)
        self.ragdolled = True

    # --- hands, attached objects, impulses -----------------------------------------------
    def hand_position(self, name: str) -> np.ndarray:
        if name in self.mocap:
            return self.data.mocap_pos[self.mocap[name]].copy()
        return self.data.site_xpos[self.model.site(ACTOR_PREFIX + name).id].copy()

    def free_adr(self, body: str) -> tuple[int, int]:
        m = self.model
        joint = m.body_jntadr[m.body(body).id]
        return m.jnt_qposadr[joint], m.jnt_dofadr[joint]

    def drive(self, t: float, dt: float) -> None:
        """Apply everything the program controls at time ``t`` (before a physics step)."""
        perf, d = self.perf, self.data
        if perf.pose is not None and not self.ragdolled:
            if perf.ragdoll_at is not None and t >= perf.ragdoll_at:
                self.go_limp()
            else:
                self.pose_actor(t)
        for name, path in perf.hands.items():
            d.mocap_pos[self.mocap[name]] = path(t)
        if perf.attachments:
            self.mj.mj_kinematics(self.model, d)
        for att in perf.attachments:
            qa, va = self.free_adr(att.body)
            hand = self.hand_position(att.hand)
            if att.start <= t <= att.end:
                if att.offset is None:
                    att.offset = np.asarray(att.snap) if att.snap is not None else d.qpos[qa : qa + 3] - hand
                target = hand + att.offset
                d.qvel[va : va + 3] = (target - d.qpos[qa : qa + 3]) / dt if t > att.start else 0.0
                d.qvel[va + 3 : va + 6] = 0.0
                d.qpos[qa : qa + 3] = target
            elif t > att.end and att.offset is not None and not att.released:
                d.qvel[va : va + 3] = d.qvel[va : va + 3] * att.release_gain + np.asarray(att.release_boost)
                att.released = True
        for imp in perf.impulses:
            if not imp.done and t >= imp.at:
                _, va = self.free_adr(imp.body)
                d.qvel[va : va + 3] = imp.linear
                d.qvel[va + 3 : va + 6] = imp.angular
                imp.done = True


def yaw_pitch_roll_quat(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Quaternion (w, x, y, z) of yaw about z, then pitch about the new y, then roll (radians)."""
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    return np.array([
        cy * cp * cr + sy * sp * sr,
        cy * cp * sr - sy * sp * cr,
        cy * sp * cr + sy * cp * sr,
        sy * cp * cr - cy * sp * sr,
    ])  # fmt: skip


def actor_from_params(row: dict) -> actor_mod.ActorParams:
    """Rebuild :class:`ActorParams` from its recorded dict."""
    return actor_mod.ActorParams(**{k: tuple(v) if isinstance(v, list) else v for k, v in row.items()})


def render_clip(plan: ClipPlan, renderer, *, modalities: tuple[str, ...] = ("rgb",)) -> ClipFrames:
    """Simulate and render ``plan`` with a bound-per-clip :class:`render.FrameRenderer`."""
    world = _World(plan)
    mj, m, d = world.mj, world.model, world.data
    renderer.bind(m)
    frames, size = plan.frames, plan.size
    frame_dt = CLIP_SECONDS / max(frames - 1, 1)
    substeps = plan.params["substeps"]
    dt = m.opt.timestep
    perf = plan.performance
    rgb = np.empty((frames, size, size, 3), dtype=np.uint8)
    extras: dict[str, list] = {}
    want = set(modalities)
    world.drive(0.0, dt)
    mj.mj_forward(m, d)
    for f in range(frames):
        t_frame = f * frame_dt
        if f > 0:
            if perf.physics:
                for s in range(substeps):
                    t = (f - 1) * frame_dt + s * dt
                    world.drive(t, dt)
                    mj.mj_step(m, d)
                if perf.pose is not None and not world.ragdolled:
                    world.pose_actor(t_frame)
                for name, path in perf.hands.items():
                    d.mocap_pos[world.mocap[name]] = path(t_frame)
                mj.mj_kinematics(m, d)
            else:
                world.drive(t_frame, frame_dt)
                mj.mj_kinematics(m, d)
        lookat, distance, azimuth, elevation = camera_pose(plan.params["camera"], f / max(frames - 1, 1))
        renderer.update(d, lookat=lookat, distance=distance, azimuth=azimuth, elevation=elevation)
        rgb[f] = renderer.rgb()
        if want - {"rgb"}:
            _collect_extras(world, renderer, plan, want, extras)
    out = {k: np.stack(v) for k, v in extras.items()}
    return ClipFrames(rgb=rgb, extras=out)


def _collect_extras(world: _World, renderer, plan: ClipPlan, want: set, extras: dict) -> None:
    m, d = world.model, world.data
    position, forward, up = renderer.camera_frame()
    k = intrinsics(plan.params["camera"]["fovy"], plan.size, plan.size)
    ext = world_to_camera(position, forward, up)
    extras.setdefault("intrinsics", []).append(k.astype(np.float32))
    extras.setdefault("extrinsics", []).append(ext.astype(np.float32))
    if "depth" in want:
        extras.setdefault("depth", []).append(renderer.depth().astype(np.float16))
    if "segmentation" in want:
        ids = renderer.geom_ids()
        inst, part = _geom_tables(m)
        safe = np.where(ids >= 0, ids, m.ngeom)
        extras.setdefault("instance", []).append(inst[safe])
        extras.setdefault("body_part", []).append(part[safe])
    if "pose" in want and plan.performance.pose is not None:
        pts = []
        for name in actor_mod.KEYPOINTS:
            if name.startswith("hand"):
                pts.append(d.site_xpos[m.site(ACTOR_PREFIX + name).id])
            else:
                pts.append(d.xpos[m.body(ACTOR_PREFIX + name).id])
        joints3d = np.array(pts)
        cam = (ext[:3, :3] @ joints3d.T).T + ext[:3, 3]
        uv = (k @ cam.T).T
        joints2d = uv[:, :2] / np.maximum(uv[:, 2:3], 1e-6)
        extras.setdefault("joints3d", []).append(joints3d.astype(np.float32))
        extras.setdefault("joints2d", []).append(joints2d.astype(np.float32))


def _geom_tables(m) -> tuple[np.ndarray, np.ndarray]:
    """Per geom: instance id and body-part id (last entry: no geom).

    Instance ids: 0 background (floor, walls, table, furniture), 1 the actor, 2-99 the moving
    things of the action (objects, hands, balls), 100+ distractors.
    """
    inst = np.zeros(m.ngeom + 1, dtype=np.uint8)
    part = np.zeros(m.ngeom + 1, dtype=np.uint8)
    next_id, next_distractor = 2, 100
    body_ids: dict[int, int] = {}
    for g in range(m.ngeom):
        name = m.geom(g).name or ""
        if name.startswith(ACTOR_PREFIX):
            inst[g] = 1
            part[g] = actor_mod.BODY_PARTS.get(name[len(ACTOR_PREFIX) :], 0)
            continue
        body = m.geom_bodyid[g]
        body_name = m.body(body).name or ""
        if name.startswith("distractor"):
            inst[g] = next_distractor
            next_distractor += 1
        elif body != 0 and body_name != "table" and not body_name.startswith("furniture"):
            root = m.body_rootid[body]
            if root not in body_ids:
                body_ids[root] = next_id
                next_id += 1
            inst[g] = body_ids[root]
    return inst, part
