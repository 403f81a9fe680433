"""One clip end to end: sample every parameter, build the MJCF, simulate, render.

A clip is a pure function of its seed and settings: :func:`plan_clip` draws everything from one
``numpy`` generator seeded with the clip seed (derived from the global seed, the class id and
the clip index by ``numpy.random.SeedSequence`` in ``dataset.py``), and :func:`render_clip`
turns the plan into frames without further randomness.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from synapt.sim import actor as actor_mod
from synapt.sim import camera_fx as fx_mod
from synapt.sim.actions.motion import CONTACT_BIT, ActionContext, Performance
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
    measures: dict | None = None  # measured while rendering (e.g. the actor's visible fraction)


def plan_clip(
    spec,
    *,
    seed: int,
    frames: int,
    size: int,
    fps: float = 8.0,
    quality: str = "fast",
    context_bias: float = 0.0,
    global_seed: int = 0,
    scene_kinds: tuple[str, ...] | None = None,
    actor_distribution: actor_mod.ActorDistribution = actor_mod.ActorDistribution(),
    camera_fx: fx_mod.CameraFxRanges = fx_mod.DEFAULT_FX,
) -> ClipPlan:
    """Sample a clip of class ``spec`` (a ``catalog.ClassSpec``) from ``seed``.

    Args:
        seed: the clip seed (all randomness of the clip comes from it).
        frames, size: clip length (frames) and square image size (pixels).
        fps: frames per second: the clip lasts ``frames / fps`` seconds of the action, in real time.
        context_bias: probability that the scene comes from the class's own pool.
        global_seed: seeds the per-class context pools.
        scene_kinds: allowed scene kinds (None: all).
        actor_distribution: distributions of body and sensitive attributes.
        camera_fx: ranges of the camera and codec effects (``camera_fx.NO_FX``: none); drawn
            from a generator of their own, so they never change the scene or the motion.
    """
    rng = np.random.default_rng(seed)
    actor = actor_mod.sample_actor(rng, actor_distribution)
    dims = actor_mod.body_dims(actor)
    context = choose_context(rng, class_id=spec.id, global_seed=global_seed, bias=context_bias, scene_kinds=scene_kinds)
    kind = context["kind"]
    object_action = spec.family == "object"
    surface_z = 0.75 if object_action else 0.0
    # Framing: 30% of human clips draw a wide framing (0.9-1.45, the class's own view_scale, the
    # width its travel needs, as a floor), so a wide shot alone does not name a travelling class;
    # the rest keep the class's framing, since at 64 px every pixel of actor counts.
    wide = not object_action and rng.uniform() < 0.3
    view_scale = max(spec.view_scale, float(rng.uniform(0.9, 1.45))) if wide else spec.view_scale
    cam = sample_camera(
        rng,
        kind=kind,
        subject_height=actor.height * view_scale,
        lookat_z=surface_z + 0.05 if object_action else (0.5 if kind == "aerial" else actor.height * 0.5),
        close_up=object_action,
        actor_height=actor.height,
    )
    scene = sample_scene(
        rng, kind=kind, cam_azimuth=cam["azimuth"], textures=context.get("textures"), distractor_shapes=context.get("distractor_shapes"),
        cam_distance=None if object_action else cam["distance"],
    )
    if kind == "studio":
        # A photographic backdrop reads best over a plain floor of a related colour.
        scene["textures"]["floor"] = {**scene["textures"]["backdrop"], "pattern": "solid"}
    seconds = frames / fps
    ctx = ActionContext(rng=rng, actor=actor, dims=dims, cam_azimuth=cam["azimuth"], seconds=seconds, surface_z=surface_z)
    perf = spec.program(ctx)
    idle = [] if object_action else idle_props(rng, cam_azimuth=cam["azimuth"])
    perf.props_xml += "".join(xml for _, xml in idle)
    frame_dt = 1.0 / fps
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
    textures = {**scene["textures"], "top": actor_mod.top_texture(actor)}
    params = {
        "class_id": spec.id,
        "global_seed": global_seed,
        "context_bias": context_bias,
        "context_from_class": context["from_class"],
        "scene_kinds": list(scene_kinds) if scene_kinds else None,
        "quality": quality,
        "clip_seconds": round(seconds, 6),
        "fps": fps,
        "substeps": substeps,
        "actor": actor.as_dict(),
        "actor_distribution": actor_distribution.as_dict(),
        "camera": cam,
        "scene": scene,
        "action": perf.params,
        "view_scale": round(view_scale, 4),
        "idle_props": [name for name, _ in idle],
        "camera_fx_ranges": camera_fx.as_dict(),
        "camera_fx": fx_mod.sample(seed, camera_fx),
    }
    return ClipPlan(spec.name, seed, frames, size, quality, params, xml, textures, perf)


# Props that some classes use (a stool, a ball, a box, a cup) also stand idle in the scenes of
# every human class, so seeing one does not name the class that uses it.
IDLE_PROPS = ("stool", "ball", "box", "cup")


def idle_props(rng: np.random.Generator, *, cam_azimuth: float, p: float = 0.3) -> list[tuple[str, str]]:
    """Static, collision-free props on the floor around the actor: ``[(kind, mjcf), ...]``.

    Each kind appears with probability ``p``, 1.2-2.2 m from the scene centre and never within
    35 degrees of the line from the camera to the actor (so it does not hide the action).
    Their geoms are named ``distractor_idle_*``: segmentation counts them as distractors.
    """
    out = []
    for kind in IDLE_PROPS:
        if rng.uniform() >= p:
            continue
        side = 1.0 if rng.uniform() < 0.5 else -1.0
        angle = math.radians(cam_azimuth + 180.0 + side * rng.uniform(35.0, 160.0))
        r = rng.uniform(1.2, 2.2)
        x, y = r * math.cos(angle), r * math.sin(angle)
        rgb = rng.uniform(0.1, 1.0, 3)
        col = f'rgba="{rgb[0]:.3f} {rgb[1]:.3f} {rgb[2]:.3f} 1" contype="0" conaffinity="0"'
        yaw = rng.uniform(0, 180)
        if kind == "stool":
            h = rng.uniform(0.4, 0.55)
            geom = f'<geom name="distractor_idle_stool" type="box" size="0.2 0.22 {h / 2:.4f}" pos="0 0 {h / 2:.4f}" {col}/>'
        elif kind == "ball":
            rad = rng.uniform(0.07, 0.12)
            geom = f'<geom name="distractor_idle_ball" type="sphere" size="{rad:.4f}" pos="0 0 {rad:.4f}" {col}/>'
        elif kind == "box":
            half = rng.uniform(0.08, 0.18)
            geom = f'<geom name="distractor_idle_box" type="box" size="{half:.4f} {half:.4f} {half:.4f}" pos="0 0 {half:.4f}" {col}/>'
        else:
            geom = f'<geom name="distractor_idle_cup" type="cylinder" size="0.04 0.05" pos="0 0 0.05" {col}/>'
        out.append((kind, f'<body name="idle_{kind}" pos="{x:.4f} {y:.4f} 0" euler="0 0 {yaw:.2f}">{geom}</body>'))
    return out


def texture_pixels(textures: dict) -> dict[str, np.ndarray]:
    """Synthesise the pixels of every texture slot of ``scenes.TEXTURE_LAYOUT``."""
    return {
        name: sky_texture(textures[name], width) if ttype == "skybox" else make_texture(textures[name], width)
        for name, ttype, width in TEXTURE_LAYOUT
    }


class ClipWorld:
    """Compiled model, data and the name lookups the simulation loop needs."""

    def __init__(self, plan: ClipPlan, *, pixels: dict[str, np.ndarray] | None = None) -> None:
        import mujoco

        self.mj = mujoco
        self.plan = plan
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
        # Contact geoms (Performance.contacts): off outside their window; while on, the actor's
        # dofs move with the pose's finite-difference velocity between substeps.
        self.contact_geoms = [m.geom(ACTOR_PREFIX + g).id for g in perf.contacts]
        for g in self.contact_geoms:
            m.body_contype[m.geom_bodyid[g]] |= CONTACT_BIT  # the broad phase filters on body masks
            m.body_conaffinity[m.geom_bodyid[g]] |= CONTACT_BIT
        self.contacts_on = False
        self._posed: tuple[float, np.ndarray] | None = None  # (time, actor qpos) of the last pose
        self.mocap = {name: m.body_mocapid[m.body(name).id] for name in perf.hands}
        self.ragdolled = False
        self.corrections: list[tuple[dict[str, float], object]] = []
        if perf.pose is not None:
            self.pose_actor(0.0)  # sets the planted-feet anchor from the first pose
            for reach in perf.reaches:
                self.corrections.append((self.solve_reach(reach), reach))
        if perf.params.get("box_starts_in_hands"):
            self._put_box_in_hands()

    def solve_reach(self, reach) -> dict[str, float]:
        """Joint offsets (degrees) that bring ``reach.sites`` to their targets at ``reach.at``.

        Damped least squares on the site Jacobians, restricted to ``reach.joints`` and clipped
        to the joint ranges; about 20 iterations reach millimetres when the target is in reach,
        and the closest pose otherwise.
        """
        mj, m, d = self.mj, self.model, self.data
        self.pose_actor(reach.at)
        qadr = np.array([m.jnt_qposadr[m.joint(j).id] for j in reach.joints])
        dadr = np.array([m.jnt_dofadr[m.joint(j).id] for j in reach.joints])
        ranges = np.array([m.jnt_range[m.joint(j).id] for j in reach.joints])
        sites = [m.site(ACTOR_PREFIX + s).id for s in reach.targets]
        goal = np.concatenate([np.asarray(p, dtype=float) for p in reach.targets.values()])
        start = d.qpos[qadr].copy()
        jac = np.zeros((3, m.nv))

        def error(q: np.ndarray) -> np.ndarray:
            d.qpos[qadr] = q
            mj.mj_kinematics(m, d)
            return goal - np.concatenate([d.site_xpos[s] for s in sites])

        q = start.copy()
        err = error(q)
        for _ in range(40):
            if np.linalg.norm(err) < 1e-3:
                break
            mj.mj_comPos(m, d)
            rows = []
            for s in sites:
                mj.mj_jacSite(m, d, jac, None, s)
                rows.append(jac[:, dadr].copy())
            J = np.concatenate(rows)
            step = J.T @ np.linalg.solve(J @ J.T + 1e-2 * np.eye(len(goal)), err)
            # Backtrack: joint limits make the linearisation lie; only accept improvements.
            for scale in (1.0, 0.5, 0.25, 0.1):
                trial = np.clip(q + np.clip(scale * step, -0.3, 0.3), ranges[:, 0], ranges[:, 1])
                trial_err = error(trial)
                if np.linalg.norm(trial_err) < np.linalg.norm(err):
                    q, err = trial, trial_err
                    break
            else:
                break
        error(q)
        return {j: float(np.degrees(v)) for j, v in zip(reach.joints, q - start)}

    def _put_box_in_hands(self) -> None:
        """A box the actor holds from the start goes between its hands at t = 0."""
        d = self.data
        self.pose_actor(0.0)
        self.mj.mj_kinematics(self.model, d)
        hands = (self.hand_position("hand_l") + self.hand_position("hand_r")) / 2
        qa, _ = self.free_adr("box")
        d.qpos[qa : qa + 3] = hands

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
        for offsets, reach in getattr(self, "corrections", ()):
            w = reach.weight(t)
            for j, delta in offsets.items():
                pose[j] = pose.get(j, 0.0) + w * delta
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
        if self.contact_geoms:
            n = 7 + len(actor_mod.JOINTS)
            if self.contacts_on and self._posed is not None and t > self._posed[0]:
                # The velocity that took the actor from its last pose to this one (free root and hinges).
                before = q.copy()
                before[r : r + n] = self._posed[1]
                vel = np.zeros(self.model.nv)
                mj.mj_differentiatePos(self.model, vel, t - self._posed[0], before, q)
                d.qvel[self.root_dof : self.root_dof + self.actor_nv] = vel[self.root_dof : self.root_dof + self.actor_nv]
            self._posed = (t, q[r : r + n].copy())

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
    def frames(self) -> Iterator[int]:
        """Advance the clip frame by frame; yields each frame index with the state ready to draw.

        Physics clips take ``substeps`` MuJoCo steps per frame with the program driving the
        actor, hands, attachments and impulses before each step; posing-only clips just set
        the pose at the frame's time. The kinematics are current whenever a frame is yielded.
        """
        mj, m, d, perf = self.mj, self.model, self.data, self.perf
        frames = self.plan.frames
        frame_dt = 1.0 / self.plan.params["fps"]
        dt = m.opt.timestep
        self.drive(0.0, dt)
        mj.mj_forward(m, d)
        for f in range(frames):
            t_frame = f * frame_dt
            if f > 0:
                if perf.physics:
                    for s in range(self.plan.params["substeps"]):
                        self.drive((f - 1) * frame_dt + s * dt, dt)
                        mj.mj_step(m, d)
                    # Show the kinematic parts exactly at the frame time (the step integrated them).
                    if perf.pose is not None and not self.ragdolled:
                        self.pose_actor(t_frame)
                    for name, path in perf.hands.items():
                        d.mocap_pos[self.mocap[name]] = path(t_frame)
                else:
                    self.drive(t_frame, frame_dt)
                mj.mj_kinematics(m, d)
            yield f

    def free_bodies(self) -> list[int]:
        """Ids of the bodies with a free joint, except the actor's root."""
        m = self.model
        out = []
        for b in range(1, m.nbody):
            j = m.body_jntadr[b]
            if j >= 0 and m.jnt_type[j] == self.mj.mjtJoint.mjJNT_FREE and not (m.body(b).name or "").startswith(ACTOR_PREFIX):
                out.append(b)
        return out

    def hand_position(self, name: str) -> np.ndarray:
        if name in self.mocap:
            return self.data.mocap_pos[self.mocap[name]].copy()
        return self.data.site_xpos[self.model.site(ACTOR_PREFIX + name).id].copy()

    def free_adr(self, body: str) -> tuple[int, int]:
        m = self.model
        joint = m.body_jntadr[m.body(body).id]
        return m.jnt_qposadr[joint], m.jnt_dofadr[joint]

    def set_contacts(self, on: bool) -> None:
        """Switch the contact geoms' collisions (CONTACT_BIT) on or off."""
        m = self.model
        for g in self.contact_geoms:
            m.geom_contype[g] = m.geom_conaffinity[g] = CONTACT_BIT if on else 0
        self.contacts_on = on

    def drive(self, t: float, dt: float) -> None:
        """Apply everything the program controls at time ``t`` (before a physics step)."""
        perf, d = self.perf, self.data
        if self.contact_geoms:
            a, b = perf.contact_window
            if (a <= t <= b) != self.contacts_on:
                self.set_contacts(a <= t <= b)
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
    """Simulate and render ``plan`` with a :class:`render.FrameRenderer` (bound to this clip)."""
    world = ClipWorld(plan)
    renderer.bind(world.model)
    rgb = np.empty((plan.frames, plan.size, plan.size, 3), dtype=np.uint8)
    extras: dict[str, list] = {}
    want = set(modalities)
    fx = plan.params["camera_fx"]
    offsets = fx_mod.exposure_offsets(fx)
    blurred = np.empty(rgb.shape, dtype=np.float32) if offsets else None
    span = (plan.frames - 1) / plan.params["fps"]  # seconds from the first frame to the last
    probe_frames = {0, (plan.frames - 1) // 2, plan.frames - 1}
    visible: list[float] = []
    for f in world.frames():
        lookat, distance, azimuth, elevation = camera_pose(plan.params["camera"], f / max(plan.frames - 1, 1))
        renderer.update(world.data, lookat=lookat, distance=distance, azimuth=azimuth, elevation=elevation)
        rgb[f] = renderer.rgb()
        if want - {"rgb"}:
            _collect_extras(world, renderer, plan, want, extras)
        if f in probe_frames and world.perf.pose is not None:
            visible.append(actor_visible_fraction(world, renderer.camera_frame()[0]))
        if offsets:
            blurred[f] = _exposure_average(world, renderer, plan, f, offsets, rgb[f], span)
    out = {k: (v[0] if k in ("object_names", "joint_names") else np.stack(v)) for k, v in extras.items()}
    measures = {"actor_visible_fraction": round(float(np.mean(visible)), 4)} if visible else {}
    return ClipFrames(rgb=fx_mod.apply(blurred if offsets else rgb, fx), extras=out, measures=measures)


def actor_visible_fraction(world: ClipWorld, camera: np.ndarray) -> float:
    """Share of the actor's geoms whose centre the camera sees (a ray from the lens meets the
    actor before anything else): 1 unoccluded; the actor hiding its own parts counts as seen."""
    mj, m, d = world.mj, world.model, world.data
    actor = set(world.actor_geoms)
    hit = np.zeros(1, dtype=np.int32)
    seen = 0
    for g in world.actor_geoms:
        ray = d.geom_xpos[g] - camera
        mj.mj_ray(m, d, camera, ray / np.linalg.norm(ray), None, 1, -1, hit)
        seen += int(hit[0]) in actor
    return seen / max(len(world.actor_geoms), 1)


def _exposure_average(world: ClipWorld, renderer, plan: ClipPlan, f: int, offsets: list[float], frame: np.ndarray,
                      span: float) -> np.ndarray:
    """Frame ``f`` averaged over the shutter's open time: renders at ``t - offset`` for each offset.

    The actor, the hands and the camera are posed at each earlier time (they are kinematic);
    free objects are moved back along their velocity. The state is restored afterwards, so the
    simulation never sees the extra renders.
    """
    mj, m, d = world.mj, world.model, world.data
    t_frame = f / plan.params["fps"]
    saved = d.qpos.copy(), d.mocap_pos.copy()
    posed = world._posed
    total = frame.astype(np.float32)
    free = [(m.jnt_qposadr[m.body_jntadr[b]], m.jnt_dofadr[m.body_jntadr[b]]) for b in world.free_bodies()]
    for offset in offsets:
        t = max(t_frame - offset, 0.0)
        back = t_frame - t
        if world.perf.pose is not None and not world.ragdolled:
            world.pose_actor(t)
        for name, path in world.perf.hands.items():
            d.mocap_pos[world.mocap[name]] = path(t)
        for qa, da in free:
            d.qpos[qa : qa + 3] = saved[0][qa : qa + 3] - back * d.qvel[da : da + 3]
        mj.mj_kinematics(m, d)
        lookat, distance, azimuth, elevation = camera_pose(plan.params["camera"], t / span if span > 0 else 0.0)
        renderer.update(d, lookat=lookat, distance=distance, azimuth=azimuth, elevation=elevation)
        total += renderer.rgb()
    d.qpos[:], d.mocap_pos[:] = saved
    world._posed = posed  # the contact velocity is the simulation's, not the extra renders'
    mj.mj_kinematics(m, d)
    return total / (len(offsets) + 1)


def _collect_extras(world: ClipWorld, renderer, plan: ClipPlan, want: set, extras: dict) -> None:
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
    if "pose" in want:
        # Free rigid objects of the action (balls, boxes, cups): position and orientation.
        bodies = world.free_bodies()
        if bodies:
            extras.setdefault("objects3d", []).append(np.array([d.xpos[b] for b in bodies], dtype=np.float32))
            extras.setdefault("objects_quat", []).append(np.array([d.xquat[b] for b in bodies], dtype=np.float32))
            extras["object_names"] = [np.array([m.body(b).name for b in bodies])]
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
        extras["joint_names"] = [np.array(actor_mod.KEYPOINTS)]


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
