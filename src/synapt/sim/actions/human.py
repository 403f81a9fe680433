"""Motion programs of the human actions (keyframes, gait cycles, attachments, ragdolls).

Each public factory returns a program ``(ctx) -> Performance``. Angles are degrees in the
actor's joint convention (``actor.py``): positive ``*_flex`` swings a limb forward.
Programs are written for the right side; ``side="left"`` mirrors them.
"""

from __future__ import annotations

import math

import numpy as np

from synapt.sim.actions.motion import (
    CONTACT_BIT,
    NOMINAL_SECONDS,
    ActionContext,
    Attachment,
    Keyframes,
    Performance,
    Reach,
    sample_style,
    sample_timing,
    styled,
)
from synapt.sim.mocap.retarget import ActorKinematics, lock_stance_foot

TWO_PI = 2 * math.pi
GAIT_HZ = 30.0  # gaits are tabulated at this rate to lock the stance foot


def _facing(ctx: ActionContext, *, spread: float = 110.0) -> float:
    """A yaw that mostly faces the camera (within ``spread`` degrees) so the action is seen."""
    return float(ctx.cam_azimuth + 180.0 + ctx.rng.uniform(-spread, spread))


def _side(ctx: ActionContext, side: str) -> str:
    """``right`` / ``left`` as given, or drawn for ``random`` (a class whose label has no side)."""
    if side == "random":
        return "right" if ctx.rng.uniform() < 0.5 else "left"
    return side


def _common(ctx: ActionContext, **extra) -> tuple[dict, dict]:
    style = sample_style(ctx.rng)
    params = {"style": style["style"], "speed": style["speed"], "amplitude": style["amplitude"], **extra}
    return style, params


def _prop_box(name: str, pos, half, rgb, *, free: bool = True, mass: float = 0.5) -> str:
    joint = f'<freejoint name="{name}_free"/>' if free else ""
    return (
        f'<body name="{name}" pos="{pos[0]:.4f} {pos[1]:.4f} {pos[2]:.4f}">{joint}'
        f'<geom name="{name}" type="box" size="{half[0]:.4f} {half[1]:.4f} {half[2]:.4f}" '
        f'rgba="{rgb[0]:.3f} {rgb[1]:.3f} {rgb[2]:.3f} 1" mass="{mass}" friction="0.8 0.02 0.001"/></body>'
    )


def _prop_ball(name: str, pos, radius, rgb, mass: float = 0.4, touchable: bool = False) -> str:
    """A free ball; ``touchable``: the actor's contact geoms (``Performance.contacts``) meet it."""
    aff = f' conaffinity="{1 | CONTACT_BIT}"' if touchable else ""
    return (
        f'<body name="{name}" pos="{pos[0]:.4f} {pos[1]:.4f} {pos[2]:.4f}"><freejoint name="{name}_free"/>'
        f'<geom name="{name}" type="sphere" size="{radius:.4f}" rgba="{rgb[0]:.3f} {rgb[1]:.3f} {rgb[2]:.3f} 1" '
        f'mass="{mass}" friction="0.6 0.02 0.002"{aff}/></body>'
    )


def _bright(rng: np.random.Generator) -> list[float]:
    return [round(float(c), 3) for c in rng.uniform(0.1, 1.0, 3)]


def _world(ctx_base: tuple[float, float], yaw_deg: float, forward: float, left: float = 0.0, z: float = 0.0):
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    return (ctx_base[0] + c * forward - s * left, ctx_base[1] + s * forward + c * left, z)


# --- one-shot keyframed actions -------------------------------------------------------------


def keyframed(keys: list[tuple[float, dict]], *, nominal: float = 1.3, side: str = "right", plant: bool = False, hold_props=None):
    """A one-shot action: ``keys`` over phase 0-1, lasting ``nominal`` s at speed 1."""
    frames = Keyframes(keys)

    def program(ctx: ActionContext) -> Performance:
        sd = _side(ctx, side)
        style, params = _common(ctx, side=sd)
        timing = sample_timing(ctx.rng, nominal=nominal, seconds=ctx.seconds, speed=style["speed"])
        params.update(start_s=round(timing.start, 4), duration_s=round(timing.duration, 4))
        facing = _facing(ctx)
        params["facing"] = round(facing, 3)
        pose = styled(lambda t: frames(timing.phase(t)), style, mirror=sd == "left")
        perf = Performance(pose=pose, facing=facing, plant=plant, params=params)
        if hold_props is not None:
            hold_props(ctx, perf, timing)
        return perf

    return program


def cyclic(cycle_pose, *, reps: tuple[float, float] = (1.5, 3.0), side: str = "right", plant: bool = False,
           root_path=None, jump: float = 0.0):  # fmt: skip
    """A repeated action: ``cycle_pose(phi)`` over one cycle ``phi`` in [0, 1)."""

    def program(ctx: ActionContext) -> Performance:
        sd = _side(ctx, side)
        style, params = _common(ctx, side=sd)
        n = float(ctx.rng.uniform(*reps)) * style["speed"]
        start = float(ctx.rng.uniform(0, 1))
        params.update(repetitions=round(n, 4), start_phase=round(start, 4))
        facing = _facing(ctx)
        params["facing"] = round(facing, 3)

        def raw(t: float) -> dict:
            phi = (start + n * t / NOMINAL_SECONDS) % 1.0  # n cycles per nominal clip
            pose = dict(cycle_pose(phi))
            if jump:
                pose["root_z"] = jump * max(0.0, math.sin(TWO_PI * phi)) ** 1.5
            return pose

        return Performance(pose=styled(raw, style, mirror=sd == "left"), facing=facing, plant=plant, params=params)

    return program


def wave(side: str):
    def cycle(phi: float) -> dict:
        swing = math.sin(TWO_PI * phi)
        return {"sh_r_flex": 150, "sh_r_abd": 35 + 22 * swing, "elbow_r": 35 + 20 * swing, "sh_r_twist": 20, "neck_twist": -10}

    return cyclic(cycle, reps=(2.0, 4.0), side=side)


def raise_hand(side: str):
    up = {"sh_r_flex": 172, "sh_r_abd": 12, "elbow_r": 4}
    return keyframed([(0.0, {}), (0.55, up), (1.0, up)], nominal=1.1, side=side)


def raise_both_hands():
    up = {"sh_r_flex": 170, "sh_l_flex": 170, "sh_r_abd": 15, "sh_l_abd": 15, "elbow_r": 5, "elbow_l": 5, "neck_flex": -15}
    return keyframed([(0.0, {}), (0.55, up), (1.0, up)], nominal=1.1)


def clap():
    def cycle(phi: float) -> dict:
        open_ = 0.5 + 0.5 * math.cos(TWO_PI * phi)  # 1 apart, 0 together
        abd = -24 + 58 * open_
        return {"sh_r_flex": 72, "sh_l_flex": 72, "sh_r_abd": abd, "sh_l_abd": abd, "elbow_r": 35, "elbow_l": 35}

    return cyclic(cycle, reps=(3.0, 5.0))


SIT = {"hip_l_flex": 92, "hip_r_flex": 92, "knee_l": 95, "knee_r": 95, "abd_flex": 8, "sh_l_flex": 20,
       "sh_r_flex": 20, "elbow_l": 50, "elbow_r": 50}  # fmt: skip
SIT_LEAN = {"hip_l_flex": 60, "hip_r_flex": 60, "knee_l": 70, "knee_r": 70, "abd_flex": 38, "sh_l_flex": 45,
            "sh_r_flex": 45, "elbow_l": 30, "elbow_r": 30}  # fmt: skip


def _stool(ctx: ActionContext, perf: Performance, timing, *, seated_first: bool) -> None:
    """A stool under the seated pelvis.

    The feet stay planted where they are at t = 0, so the seated pelvis is about a thigh
    length behind its standing place when the actor sits down, and at the root's start when
    it starts seated (stand up).
    """
    d = ctx.dims
    seat = d.shin + d.ankle_h - d.torso_r * 0.75
    back = 0.04 if seated_first else d.thigh + 0.04
    pos = _world(perf.base, perf.facing, -back, 0.0, seat / 2)
    rgb = _bright(ctx.rng)
    perf.props_xml += _prop_box("stool", pos, (0.2, 0.22, seat / 2), rgb, free=False)
    perf.params["stool_height"] = round(seat, 4)


def sit_down():
    return keyframed([(0.0, {}), (0.45, SIT_LEAN), (1.0, SIT)], nominal=1.4, plant=True,
                     hold_props=lambda ctx, perf, timing: _stool(ctx, perf, timing, seated_first=False))


def stand_up():
    return keyframed([(0.0, SIT), (0.55, SIT_LEAN), (1.0, {})], nominal=1.4, plant=True,
                     hold_props=lambda ctx, perf, timing: _stool(ctx, perf, timing, seated_first=True))


def squat():
    def cycle(phi: float) -> dict:
        k = 0.5 - 0.5 * math.cos(TWO_PI * phi)
        return {"hip_l_flex": 100 * k, "hip_r_flex": 100 * k, "knee_l": 125 * k, "knee_r": 125 * k, "ankle_l": 25 * k,
                "ankle_r": 25 * k, "abd_flex": 25 * k, "sh_l_flex": 85 * k, "sh_r_flex": 85 * k}  # fmt: skip

    return cyclic(cycle, reps=(1.2, 2.2), plant=True)


def jump_in_place():
    def cycle(phi: float) -> dict:
        crouch = max(0.0, -math.sin(TWO_PI * phi))  # crouch in the second half, fly in the first
        return {"hip_l_flex": 55 * crouch, "hip_r_flex": 55 * crouch, "knee_l": 75 * crouch, "knee_r": 75 * crouch,
                "abd_flex": 20 * crouch, "sh_l_flex": -30 * crouch + 40 * (1 - crouch),
                "sh_r_flex": -30 * crouch + 40 * (1 - crouch)}  # fmt: skip

    return cyclic(cycle, reps=(1.5, 2.5), jump=0.3)


def jumping_jacks():
    def cycle(phi: float) -> dict:
        k = 0.5 - 0.5 * math.cos(TWO_PI * phi)
        return {"sh_l_abd": 10 + 150 * k, "sh_r_abd": 10 + 150 * k, "hip_l_abd": 22 * k, "hip_r_abd": 22 * k,
                "elbow_l": 10, "elbow_r": 10}  # fmt: skip

    return cyclic(cycle, reps=(2.0, 3.5), jump=0.12)


def gait(phi: float, *, stride: float = 1.0, knee_lift: float = 1.0) -> dict:
    """One walking cycle (phi in [0, 1)): legs in anti-phase, arms against the legs."""
    s = math.sin(TWO_PI * phi)
    c = math.cos(TWO_PI * phi)
    return {
        "hip_l_flex": 28 * stride * s, "hip_r_flex": -28 * stride * s,
        "knee_l": 10 + 45 * knee_lift * max(0.0, c), "knee_r": 10 + 45 * knee_lift * max(0.0, -c),
        "sh_l_flex": -25 * stride * s, "sh_r_flex": 25 * stride * s, "elbow_l": 20, "elbow_r": 20,
        "abd_flex": 4, "abd_twist": 6 * s,
    }  # fmt: skip


def walk(direction: str):
    """Walk across the image (``left_to_right``, ``right_to_left``) or in depth (``toward``/``away``)."""

    def program(ctx: ActionContext) -> Performance:
        style, params = _common(ctx, direction=direction)
        heading = {"left_to_right": ctx.right, "right_to_left": -ctx.right, "toward": -ctx.away, "away": ctx.away}[direction]
        # Up to 25 degrees off the ideal line keeps the label true while varying the path.
        wobble = float(ctx.rng.uniform(-25, 25))
        facing = ctx.yaw_of(heading) + wobble
        steps_per_s = 0.7 * style["speed"]  # gait cycles (two steps) per second
        start = float(ctx.rng.uniform(0, 1))

        def raw(t: float) -> dict:
            return gait((start + steps_per_s * t) % 1.0, stride=0.7, knee_lift=1.3)

        # The stance foot stays put and the body goes as far as its strides carry it (no skating).
        times = np.arange(int(math.ceil(ctx.seconds * GAIT_HZ)) + 1) / GAIT_HZ
        table = lock_stance_foot(styled(raw, style), ActorKinematics(ctx.actor), times)
        length = float(math.hypot(table.channels["root_x"][-1], table.channels["root_y"][-1]))
        base = _world((0.0, 0.0), facing, -length / 2)[:2]
        params.update(facing=round(facing, 3), walk_speed_ms=round(length / max(ctx.seconds, 1e-6), 4), start_phase=round(start, 4))
        return Performance(pose=table.pose, base=base, facing=facing, params=params)

    return program


def jog_in_place():
    return cyclic(lambda phi: {**gait(phi, stride=0.9, knee_lift=1.6), "hip_l_flex": 45 * max(0.0, math.sin(TWO_PI * phi)),
                               "hip_r_flex": 45 * max(0.0, -math.sin(TWO_PI * phi)), "elbow_l": 85, "elbow_r": 85},
                  reps=(3.0, 5.0), jump=0.06)  # fmt: skip


def turn(direction: str):
    """Turn on the spot: ``left`` is counter-clockwise seen from above."""

    def program(ctx: ActionContext) -> Performance:
        style, params = _common(ctx, direction=direction)
        timing = sample_timing(ctx.rng, nominal=1.5, seconds=ctx.seconds, speed=style["speed"])
        total = float(ctx.rng.uniform(120, 200)) * (1 if direction == "left" else -1)
        facing = _facing(ctx, spread=60)
        params.update(facing=round(facing, 3), turn_deg=round(total, 3), start_s=round(timing.start, 4), duration_s=round(timing.duration, 4))
        steps = 3.0

        def raw(t: float) -> dict:
            p = timing.phase(t)
            step = math.sin(math.pi * steps * p) if 0 < p < 1 else 0.0
            return {"root_yaw": total * (p * p * (3 - 2 * p)), "hip_l_flex": 25 * max(0.0, step), "knee_l": 40 * max(0.0, step),
                    "hip_r_flex": 25 * max(0.0, -step), "knee_r": 40 * max(0.0, -step)}  # fmt: skip

        return Performance(pose=styled(raw, style), facing=facing, params=params)

    return program


def bow():
    down = {"abd_flex": 70, "hip_l_flex": 15, "hip_r_flex": 15, "neck_flex": 25, "sh_l_flex": 10, "sh_r_flex": 10}
    return keyframed([(0.0, {}), (0.45, down), (0.6, down), (1.0, {})], nominal=1.5, plant=True)


def touch_toes():
    down = {"abd_flex": 95, "hip_l_flex": 30, "hip_r_flex": 30, "sh_l_flex": 95, "sh_r_flex": 95, "neck_flex": 10}
    return keyframed([(0.0, {}), (0.5, down), (0.65, down), (1.0, {})], nominal=1.6, plant=True)


def punch(side: str):
    def cycle(phi: float) -> dict:
        hit = max(0.0, math.sin(TWO_PI * phi)) ** 2
        return {"sh_r_flex": 55 + 35 * hit, "elbow_r": 120 * (1 - hit), "sh_r_abd": 5, "sh_l_flex": 55, "elbow_l": 120,
                "abd_twist": 20 * hit, "hip_l_flex": 15, "knee_l": 15, "hip_r_flex": -5}  # fmt: skip

    return cyclic(cycle, reps=(2.0, 3.5), side=side)


def arm_circles():
    def cycle(phi: float) -> dict:
        a = TWO_PI * phi
        return {"sh_l_abd": 80 + 25 * math.cos(a), "sh_r_abd": 80 + 25 * math.cos(a), "sh_l_flex": 25 * math.sin(a),
                "sh_r_flex": 25 * math.sin(a), "elbow_l": 5, "elbow_r": 5}  # fmt: skip

    return cyclic(cycle, reps=(2.5, 4.5))


def twist_torso():
    def cycle(phi: float) -> dict:
        return {"abd_twist": 50 * math.sin(TWO_PI * phi), "sh_l_abd": 80, "sh_r_abd": 80, "elbow_l": 10, "elbow_r": 10}

    return cyclic(cycle, reps=(1.5, 3.0))


def hop_on_one_leg():
    def cycle(phi: float) -> dict:
        crouch = max(0.0, -math.sin(TWO_PI * phi))
        return {"hip_l_flex": 55, "knee_l": 95, "hip_r_flex": 25 * crouch, "knee_r": 35 * crouch, "sh_l_abd": 35, "sh_r_abd": 35}

    return cyclic(cycle, reps=(2.0, 3.5), jump=0.18, side="random")


def lunge():
    down = {"hip_r_flex": 80, "knee_r": 90, "hip_l_flex": -25, "knee_l": 70, "abd_flex": 5, "ankle_l": -20}
    return keyframed([(0.0, {}), (0.45, down), (0.6, down), (1.0, {})], nominal=1.5, side="random")


def kneel_down():
    knee = {"hip_r_flex": 85, "knee_r": 90, "hip_l_flex": -5, "knee_l": 92, "ankle_l": -35, "abd_flex": 5}
    mid = {"hip_r_flex": 70, "knee_r": 75, "hip_l_flex": 20, "knee_l": 50, "abd_flex": 15}
    return keyframed([(0.0, {}), (0.5, mid), (1.0, knee)], nominal=1.4, side="random")


def fall(direction: str):
    """Stagger, then go limp: a ragdoll under gravity with a push ``forward`` or ``backward``."""

    def program(ctx: ActionContext) -> Performance:
        style, params = _common(ctx, direction=direction)
        sign = 1.0 if direction == "forward" else -1.0
        # Seen from the side the fall reads best: face across the camera's view.
        facing = float(ctx.cam_azimuth + ctx.rng.choice([90.0, -90.0]) + ctx.rng.uniform(-35, 35))
        trigger = float(ctx.rng.uniform(0.25, 0.7)) / style["speed"]
        stagger = {"abd_flex": 15 * sign, "sh_l_flex": 40 * sign + 20, "sh_r_flex": 40 * sign + 20, "sh_l_abd": 30,
                   "sh_r_abd": 30, "hip_l_flex": 10, "knee_l": 15}  # fmt: skip
        frames = Keyframes([(0.0, {}), (1.0, stagger)])
        push = (sign * float(ctx.rng.uniform(0.4, 0.9)), sign * float(ctx.rng.uniform(1.5, 3.0)))
        params.update(facing=round(facing, 3), trigger_s=round(trigger, 4), push=[round(p, 4) for p in push])
        pose = styled(lambda t: frames(min(t / max(trigger, 1e-3), 1.0)), style)
        return Performance(pose=pose, facing=facing, physics=True, ragdoll_at=trigger, ragdoll_push=push, params=params)

    return program


# --- actions with objects (attachments and impulses) -------------------------------------------


def kick_ball():
    keys = Keyframes([(0.0, {}), (0.35, {"hip_r_flex": -30, "knee_r": 70, "sh_l_flex": 30, "sh_r_flex": -20}),
                      (0.55, {"hip_r_flex": 75, "knee_r": 5, "sh_l_flex": -20, "sh_r_flex": 30, "abd_flex": -10}),
                      (1.0, {})])  # fmt: skip

    def program(ctx: ActionContext) -> Performance:
        style, params = _common(ctx)
        timing = sample_timing(ctx.rng, nominal=1.2, seconds=ctx.seconds, speed=style["speed"])
        facing = float(ctx.cam_azimuth + ctx.rng.choice([90.0, -90.0]) + ctx.rng.uniform(-40, 40))
        side = "right" if ctx.rng.uniform() < 0.5 else "left"  # either leg kicks
        d = ctx.dims
        radius = 0.11
        ball = _world((0.0, 0.0), facing, d.foot_len * 1.9, (-1 if side == "right" else 1) * d.hip_half_width, radius)
        kick_at = timing.start + 0.5 * timing.duration
        heading = np.array([math.cos(math.radians(facing)), math.sin(math.radians(facing)), 0.0])
        params.update(facing=round(facing, 3), kicking_leg=side, launch="foot contact", start_s=round(timing.start, 4),
                      duration_s=round(timing.duration, 4))  # fmt: skip
        # Leg IK brings the foot to the back of the ball at the kick; the ball is launched by the
        # foot's contact (the kinematic leg moves with its pose's velocity while it may touch).
        s_ = side[0]
        contact = np.asarray(ball) - heading * radius * 0.9
        window = (timing.start + 0.25 * timing.duration, timing.start + 0.8 * timing.duration)
        reach = Reach(at=kick_at, targets={f"foot_{s_}": tuple(contact)},
                      joints=(f"hip_{s_}_flex", f"hip_{s_}_abd", f"hip_{s_}_twist", f"knee_{s_}"), window=window)
        return Performance(
            pose=styled(lambda t: keys(timing.phase(t)), style, mirror=side == "left"),
            facing=facing,
            physics=True,
            reaches=[reach],
            contacts=(f"foot_{s_}", f"shin_{s_}"),
            contact_window=window,
            props_xml=_prop_ball("ball", ball, radius, _bright(ctx.rng), touchable=True),
            params=params,
        )

    return program


def throw_ball():
    keys = Keyframes([(0.0, {"sh_r_flex": 30, "elbow_r": 80}),
                      (0.4, {"sh_r_flex": 150, "sh_r_abd": 30, "elbow_r": 110, "abd_twist": -30, "sh_l_flex": 60, "abd_flex": -10}),
                      (0.55, {"sh_r_flex": 120, "sh_r_abd": 20, "elbow_r": 20, "abd_twist": 15, "abd_flex": 15}),
                      (1.0, {"sh_r_flex": 20, "abd_flex": 10})])  # fmt: skip

    def program(ctx: ActionContext) -> Performance:
        style, params = _common(ctx)
        timing = sample_timing(ctx.rng, nominal=1.2, seconds=ctx.seconds, speed=style["speed"])
        facing = float(ctx.cam_azimuth + ctx.rng.choice([90.0, -90.0]) + ctx.rng.uniform(-40, 40))
        side = "right" if ctx.rng.uniform() < 0.85 else "left"
        release = timing.start + 0.52 * timing.duration
        heading = np.array([math.cos(math.radians(facing)), math.sin(math.radians(facing)), 0.0])
        params.update(facing=round(facing, 3), handedness=side, release_s=round(release, 4))
        radius = 0.08
        return Performance(
            pose=styled(lambda t: keys(timing.phase(t)), style, mirror=side == "left"),
            facing=facing,
            physics=True,
            # The ball sits in the hand; it is snapped to the hand when the attachment starts.
            attachments=[Attachment("ball", f"hand_{side[0]}", 0.0, release, release_gain=0.6,
                                    release_boost=tuple(heading * 4.0 + np.array([0, 0, 2.0])), snap=(0.0, 0.0, -0.07))],  # fmt: skip
            props_xml=_prop_ball("ball", (0, 0, 5.0), radius, _bright(ctx.rng), mass=0.2),
            params=params,
        )

    return program


def pick_up(reverse: bool = False):
    """Bend, grasp a box on the floor and stand up with it (``reverse``: put it down).

    The box's spot is sampled; inverse kinematics (``Reach``) brings both hands to its sides
    at the grasp, whatever the body size and the sampled amplitude.
    """
    # A squat lift: knees and hips bend, so the hands get near the floor with a straight back.
    low = {"abd_flex": 45, "hip_l_flex": 95, "hip_r_flex": 95, "knee_l": 115, "knee_r": 115, "ankle_l": 25,
           "ankle_r": 25, "sh_r_flex": 70, "sh_l_flex": 70, "elbow_r": 5, "elbow_l": 5, "neck_flex": -10}  # fmt: skip
    held = {"sh_r_flex": 45, "sh_l_flex": 45, "elbow_r": 60, "elbow_l": 60, "sh_r_abd": 0, "sh_l_abd": 0}
    keys = Keyframes([(0.0, held), (0.5, low), (0.6, low), (1.0, {})] if reverse else [(0.0, {}), (0.4, low), (0.5, low), (1.0, held)])
    arms = ("abd_flex", "sh_l_flex", "sh_l_abd", "elbow_l", "sh_r_flex", "sh_r_abd", "elbow_r")

    def program(ctx: ActionContext) -> Performance:
        style, params = _common(ctx, reverse=reverse)
        timing = sample_timing(ctx.rng, nominal=1.6, seconds=ctx.seconds, speed=style["speed"])
        facing = float(ctx.cam_azimuth + ctx.rng.choice([90.0, -90.0]) + ctx.rng.uniform(-45, 45))
        half = float(ctx.rng.uniform(0.08, 0.14))
        ahead = float(ctx.rng.uniform(0.13, 0.19)) * ctx.actor.height
        grasp = timing.start + (0.55 if reverse else 0.45) * timing.duration
        params.update(facing=round(facing, 3), box_half_m=round(half, 4), box_ahead_m=round(ahead, 4), grasp_s=round(grasp, 4))
        # The bend must bring the hands to a box on the floor: no style makes it shallower.
        style = {**style, "amplitude": max(1.0, style["amplitude"])}
        pose = styled(lambda t: keys(timing.phase(t)), style)
        spot = _world((0.0, 0.0), facing, ahead, 0.0, half)
        grip = half + ctx.dims.hand_r * 0.8
        reach = Reach(
            at=grasp,
            # The hands hold the box by the upper edges of its sides.
            targets={"hand_l": _world(spot[:2], facing, 0.0, grip, half * 1.8), "hand_r": _world(spot[:2], facing, 0.0, -grip, half * 1.8)},
            joints=arms,
            window=(timing.start, timing.start + timing.duration),
        )
        if reverse:
            att = Attachment("box", "hand_r", 0.0, grasp + 0.02)
            box_at = (0.0, 0.0, 5.0)  # moved between the hands at t = 0 by the world
        else:
            att = Attachment("box", "hand_r", grasp, 10.0)
            box_at = spot
        return Performance(pose=pose, facing=facing, physics=True, attachments=[att], reaches=[reach], plant=True,
                           props_xml=_prop_box("box", box_at, (half, half, half), _bright(ctx.rng), mass=0.6),
                           params={**params, "box_starts_in_hands": reverse})  # fmt: skip

    return program


def drink():
    up = {"sh_r_flex": 55, "sh_r_abd": 20, "elbow_r": 135, "sh_r_twist": -25, "neck_flex": -20}
    keys = Keyframes([(0.0, {"sh_r_flex": 30, "elbow_r": 80}), (0.45, up), (0.7, up), (1.0, {"sh_r_flex": 30, "elbow_r": 80})])

    def program(ctx: ActionContext) -> Performance:
        style, params = _common(ctx)
        side = "right" if ctx.rng.uniform() < 0.8 else "left"
        timing = sample_timing(ctx.rng, nominal=1.8, seconds=ctx.seconds, speed=style["speed"])
        facing = _facing(ctx, spread=80)
        params.update(facing=round(facing, 3), handedness=side)
        rgb = _bright(ctx.rng)
        cup = (f'<body name="cup" pos="0 0 5"><freejoint name="cup_free"/><geom name="cup" type="cylinder" size="0.045 0.075" '
               f'rgba="{rgb[0]} {rgb[1]} {rgb[2]} 1" mass="0.2"/></body>')  # fmt: skip
        return Performance(pose=styled(lambda t: keys(timing.phase(t)), style, mirror=side == "left"), facing=facing,
                           physics=True, attachments=[Attachment("cup", f"hand_{side[0]}", 0.0, 10.0, snap=(0.0, 0.0, 0.05))], props_xml=cup,
                           params=params)  # fmt: skip

    return program


def push_box():
    def program(ctx: ActionContext) -> Performance:
        style, params = _common(ctx)
        facing = float(ctx.cam_azimuth + ctx.rng.choice([90.0, -90.0]) + ctx.rng.uniform(-30, 30))
        # A box about hip to chest high whose near face meets the hands of the pushing pose.
        half = (0.25, 0.32, 0.26 * ctx.actor.height)
        push_end = float(ctx.rng.uniform(1.3, 1.8))
        base = _world((0.0, 0.0), facing, -0.5)[:2]
        box = _world(base, facing, 0.36 * ctx.actor.height + half[0], 0.0, half[2])
        params.update(facing=round(facing, 3), push_end_s=round(push_end, 4))
        arms = {"sh_l_flex": 65, "sh_r_flex": 65, "elbow_l": 30, "elbow_r": 30, "abd_flex": 25}
        start = float(ctx.rng.uniform(0, 1))

        def raw(t: float) -> dict:
            walking = t < push_end
            phi = (start + 0.8 * style["speed"] * t) % 1.0
            return {**(gait(phi, stride=0.4) if walking else {}), **arms}

        # Short strides with the stance foot locked: the body moves as its feet push it.
        times = np.arange(int(math.ceil(ctx.seconds * GAIT_HZ)) + 1) / GAIT_HZ
        table = lock_stance_foot(styled(raw, style), ActorKinematics(ctx.actor), times)
        params["push_speed_ms"] = round(float(table.channels["root_x"][min(len(times) - 1, int(push_end * GAIT_HZ))])
                                        / max(min(push_end, ctx.seconds), 1e-6), 4)  # fmt: skip
        return Performance(pose=table.pose, base=base, facing=facing, physics=True,
                           # Carried by the hands while walking, then it slides on by itself.
                           attachments=[Attachment("box", "hand_r", 0.0, push_end)],
                           props_xml=_prop_box("box", box, half, _bright(ctx.rng), mass=3.0).replace('friction="0.8', 'friction="0.3'),
                           params=params)  # fmt: skip

    return program


# --- gestures and exercises without props (classes 67-82) ----------------------------------------


def nod_head():
    return cyclic(lambda phi: {"neck_flex": 12 + 18 * math.sin(TWO_PI * phi)}, reps=(2.0, 4.0))


def shake_head():
    return cyclic(lambda phi: {"neck_twist": 40 * math.sin(TWO_PI * phi)}, reps=(2.0, 4.0))


def look_around():
    def cycle(phi: float) -> dict:
        s = math.sin(TWO_PI * phi)
        return {"neck_twist": 60 * s, "abd_twist": 25 * s, "neck_flex": -5}

    return cyclic(cycle, reps=(0.8, 1.5))


def salute():
    up = {"sh_r_flex": 70, "sh_r_abd": 75, "sh_r_twist": 30, "elbow_r": 140, "neck_flex": -5}
    return keyframed([(0.0, {}), (0.35, up), (0.8, up), (1.0, {})], nominal=1.6)


def point_forward():
    aim = {"sh_r_flex": 88, "sh_r_abd": 8, "elbow_r": 3, "neck_twist": 5}
    return keyframed([(0.0, {}), (0.35, aim), (0.85, aim), (1.0, {})], nominal=1.5, side="random")


def cross_arms():
    folded = {"sh_r_flex": 55, "sh_l_flex": 55, "sh_r_abd": -10, "sh_l_abd": -10, "sh_r_twist": -50, "sh_l_twist": -50,
              "elbow_r": 115, "elbow_l": 115}  # fmt: skip
    return keyframed([(0.0, {}), (0.5, folded), (1.0, folded)], nominal=1.3)


def hands_on_hips():
    akimbo = {"sh_r_abd": 45, "sh_l_abd": 45, "sh_r_flex": -15, "sh_l_flex": -15, "sh_r_twist": -30, "sh_l_twist": -30,
              "elbow_r": 100, "elbow_l": 100}  # fmt: skip
    return keyframed([(0.0, {}), (0.5, akimbo), (1.0, akimbo)], nominal=1.2)


def scratch_head():
    def cycle(phi: float) -> dict:
        rub = math.sin(TWO_PI * phi)
        return {"sh_r_flex": 120, "sh_r_abd": 50, "elbow_r": 125 + 10 * rub, "sh_r_twist": 10 * rub, "neck_flex": 10,
                "neck_twist": -10}  # fmt: skip

    return cyclic(cycle, reps=(3.0, 5.0), side="random")


def phone_call():
    ear = {"sh_r_flex": 40, "sh_r_abd": 30, "sh_r_twist": 20, "elbow_r": 150, "neck_flex": 8, "neck_twist": -10}
    return keyframed([(0.0, {}), (0.35, ear), (1.0, ear)], nominal=1.5, side="random")


def side_bend():
    def cycle(phi: float) -> dict:
        s = math.sin(TWO_PI * phi)
        return {"abd_side": 30 * s, "sh_l_flex": 170, "sh_r_flex": 170, "sh_l_abd": 20, "sh_r_abd": 20, "elbow_l": 10, "elbow_r": 10}

    return cyclic(cycle, reps=(1.0, 2.0))


def march_in_place():
    def cycle(phi: float) -> dict:
        s = math.sin(TWO_PI * phi)
        return {"hip_l_flex": 60 * max(0.0, s), "knee_l": 70 * max(0.0, s), "hip_r_flex": 60 * max(0.0, -s),
                "knee_r": 70 * max(0.0, -s), "sh_l_flex": -30 * s, "sh_r_flex": 30 * s, "elbow_l": 80, "elbow_r": 80}  # fmt: skip

    return cyclic(cycle, reps=(1.5, 2.5))


def stomp():
    lift = {"hip_r_flex": 70, "knee_r": 80, "sh_r_abd": 25, "sh_l_abd": 25, "abd_flex": 5}
    down = {"hip_r_flex": 5, "knee_r": 10, "abd_flex": 12, "knee_l": 20}
    return keyframed([(0.0, {}), (0.4, lift), (0.55, down), (0.75, down), (1.0, {})], nominal=1.2, side="random")


def bicep_curl():
    def cycle(phi: float) -> dict:
        bend = 10 + 120 * (0.5 - 0.5 * math.cos(TWO_PI * phi))
        return {"elbow_l": bend, "elbow_r": bend, "sh_l_flex": 10, "sh_r_flex": 10, "sh_l_twist": 20, "sh_r_twist": 20}

    return cyclic(cycle, reps=(2.0, 3.5))


def calf_raise():
    def cycle(phi: float) -> dict:
        up = 0.5 - 0.5 * math.cos(TWO_PI * phi)
        return {"ankle_l": -30 * up, "ankle_r": -30 * up, "root_z": 0.07 * up, "sh_l_abd": 10, "sh_r_abd": 10}

    return cyclic(cycle, reps=(2.0, 3.5))


def leg_swing():
    def cycle(phi: float) -> dict:
        return {"hip_r_flex": 20 + 45 * math.sin(TWO_PI * phi), "knee_r": 10, "sh_l_abd": 60, "sh_r_abd": 60, "elbow_l": 15,
                "elbow_r": 15}  # fmt: skip

    return cyclic(cycle, reps=(2.0, 3.5), side="random")


def wave_both_hands():
    def cycle(phi: float) -> dict:
        swing = math.sin(TWO_PI * phi)
        return {"sh_r_flex": 150, "sh_l_flex": 150, "sh_r_abd": 35 + 22 * swing, "sh_l_abd": 35 - 22 * swing, "elbow_r": 35 + 20 * swing,
                "elbow_l": 35 - 20 * swing}  # fmt: skip

    return cyclic(cycle, reps=(2.0, 4.0))
