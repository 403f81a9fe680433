"""Motion programs of the object actions (Something-Something style) on a table top.

A free "hand" (a mocap body: palm, fingers and forearm in the actor's skin tone) follows a
smooth path of waypoints; objects are rigid bodies with real contacts. Pushes are contact
pushes, drops and knocks are gravity, carries are attachments (the object follows the palm),
rolls and spins start with an impulse at the touch. Directions are in the camera's frame:
"left to right" means toward the image's right, whatever the camera azimuth.
"""

from __future__ import annotations

import numpy as np

from synapt.sim.actions.motion import ActionContext, Attachment, Impulse, Performance, sample_timing, smoothstep

UP = np.array([0.0, 0.0, 1.0])
PALM_R = 0.035


def waypoints(points: list[tuple[float, np.ndarray]]):
    """A path through ``(time s, position)`` points, eased between neighbours."""
    times = np.array([p[0] for p in points])
    pos = np.array([p[1] for p in points], dtype=float)

    def path(t: float) -> np.ndarray:
        if t <= times[0]:
            return pos[0].copy()
        if t >= times[-1]:
            return pos[-1].copy()
        i = int(np.searchsorted(times, t, side="right") - 1)
        s = smoothstep((t - times[i]) / max(times[i + 1] - times[i], 1e-9))
        return pos[i] + (pos[i + 1] - pos[i]) * s

    return path


def _rgb(rng: np.random.Generator) -> str:
    c = rng.uniform(0.1, 1.0, 3)
    return f"{c[0]:.3f} {c[1]:.3f} {c[2]:.3f} 1"


def hand_xml(name: str, skin: tuple, approach: np.ndarray) -> str:
    """A mocap hand: palm sphere and fingers that touch, forearm toward ``approach`` (no contact)."""
    a = approach / np.linalg.norm(approach)
    arm_end = a * 0.45
    rgba = f"{skin[0]:.3f} {skin[1]:.3f} {skin[2]:.3f} 1"
    finger = -a * 0.05
    return (
        f'<body name="{name}" mocap="true" pos="0 0 3">'
        f'<geom name="{name}_palm" type="sphere" size="{PALM_R}" rgba="{rgba}" contype="1" conaffinity="1" friction="1 0.05 0.01"/>'
        f'<geom name="{name}_fingers" type="capsule" fromto="0 0 0 {finger[0]:.4f} {finger[1]:.4f} {finger[2] - 0.02:.4f}" size="0.016" rgba="{rgba}" contype="0" conaffinity="0"/>'
        f'<geom name="{name}_arm" type="capsule" fromto="{a[0] * 0.04:.4f} {a[1] * 0.04:.4f} {a[2] * 0.04:.4f} {arm_end[0]:.4f} {arm_end[1]:.4f} {arm_end[2]:.4f}" size="0.028" rgba="{rgba}" contype="0" conaffinity="0"/>'
        "</body>"
    )


def table_xml(rng: np.random.Generator, *, yaw: float, top_z: float) -> str:
    """A static table whose long side runs along the image's horizontal."""
    legs = "".join(
        f'<geom type="box" pos="{x} {y} {(top_z - 0.03) / 2:.4f}" size="0.03 0.03 {(top_z - 0.03) / 2:.4f}" rgba="0.25 0.2 0.15 1"/>'
        for x in (-0.55, 0.55)
        for y in (-0.4, 0.4)
    )
    return (
        f'<body name="table" pos="0 0 0" euler="0 0 {yaw:.3f}">'
        f'<geom name="table_top" type="box" pos="0 0 {top_z - 0.015:.4f}" size="0.62 0.45 0.015" material="prop" friction="0.6 0.02 0.001"/>'
        f"{legs}</body>"
    )


def object_xml(name: str, shape: str, half: float, pos: np.ndarray, rgba: str, *, tall: float = 1.0,
               marking: bool = False) -> tuple[str, float]:  # fmt: skip
    """A free rigid object; returns its MJCF and the height of its centre above its base.

    ``marking`` adds a light stripe on the top face (boxes and cylinders): every object class
    draws it at random, so a stripe never names a class (spins need it to show the rotation).
    """
    if shape == "box":
        size, z = f"{half:.4f} {half:.4f} {half * tall:.4f}", half * tall
    elif shape == "cylinder":
        size, z = f"{half:.4f} {half * tall:.4f}", half * tall
    else:  # sphere
        size, z = f"{half:.4f}", half
    stripe = ""
    if marking and shape != "sphere":
        stripe = (f'<geom type="box" pos="{half * 0.6:.4f} 0 {z:.4f}" size="{half * 0.35:.4f} {half * 0.9:.4f} 0.002" '
                  'rgba="0.95 0.95 0.95 1" contype="0" conaffinity="0" mass="0.001"/>')  # fmt: skip
    xml = (
        f'<body name="{name}" pos="{pos[0]:.4f} {pos[1]:.4f} {pos[2] + z:.4f}"><freejoint name="{name}_free"/>'
        f'<geom name="{name}" type="{shape}" size="{size}" rgba="{rgba}" mass="0.3" condim="6" '
        f'friction="0.7 0.01 0.001"/>{stripe}</body>'
    )
    return xml, z


class _Setup:
    """Shared per-clip layout: table, skin, the approach direction and the timing."""

    def __init__(self, ctx: ActionContext, *, nominal: float = 1.5, shapes: tuple[str, ...] = ("box", "cylinder")) -> None:
        rng = ctx.rng
        self.ctx = ctx
        self.speed = round(float(rng.uniform(0.7, 1.4)), 4)
        self.timing = sample_timing(rng, nominal=nominal, seconds=ctx.seconds, speed=self.speed)
        self.top = ctx.surface_z
        self.right = ctx.right
        self.away = ctx.away
        side = float(rng.uniform(-0.4, 0.4))
        # The arm comes from the camera's side and from above, so it never hides the object.
        self.approach = -0.5 * self.away + 0.8 * UP + side * self.right
        self.props = table_xml(rng, yaw=ctx.cam_azimuth + 90.0, top_z=self.top)
        self.skin = ctx.actor.skin_rgb
        self.shape = str(rng.choice(list(shapes)))
        self.half = float(rng.uniform(0.03, 0.055))
        self.marked = bool(rng.uniform() < 0.5)
        self.params = {"speed": self.speed, "start_s": round(self.timing.start, 4), "duration_s": round(self.timing.duration, 4),
                       "shape": self.shape, "half_size_m": round(self.half, 4), "marked": self.marked}  # fmt: skip

    def at(self, fraction: float) -> float:
        """Clip time (s) of a fraction of the action's duration."""
        return self.timing.start + fraction * self.timing.duration

    def point(self, across: float, depth: float = 0.0, height: float = 0.0) -> np.ndarray:
        """A point on the table: ``across`` toward the image right, ``depth`` away (metres)."""
        return across * self.right + depth * self.away + (self.top + height) * UP

    def add_hand(self, name: str = "hand") -> str:
        self.props += hand_xml(name, self.skin, self.approach)
        return name

    def perf(self, *, hands: dict, attachments=(), impulses=(), extra: dict | None = None) -> Performance:
        return Performance(pose=None, physics=True, hands=hands, attachments=list(attachments), impulses=list(impulses),
                           props_xml=self.props, params={**self.params, **(extra or {})})  # fmt: skip


def _hover(p: np.ndarray, h: float = 0.15) -> np.ndarray:
    return p + h * UP


def push(direction: str):
    """Push an object along the table: ``left_to_right``, ``right_to_left``, ``away`` or ``toward``."""

    def program(ctx: ActionContext) -> Performance:
        s = _Setup(ctx, shapes=("box", "cylinder", "sphere"))
        sign, axis = {"left_to_right": (1, s.right), "right_to_left": (-1, s.right), "away": (1, s.away), "toward": (-1, s.away)}[direction]
        d = sign * axis
        distance = float(ctx.rng.uniform(0.22, 0.34))
        start = -d * distance / 2
        xml, zc = object_xml("obj", s.shape, s.half, start + s.top * UP, _rgb(ctx.rng), marking=s.marked)
        s.props += xml
        contact = start + s.top * UP + zc * UP - d * (s.half + PALM_R + 0.005)
        hand = s.add_hand()
        path = waypoints([(0.0, _hover(contact - 0.1 * d)), (s.at(0.25), contact), (s.at(0.85), contact + d * distance),
                          (s.at(1.0), _hover(contact + d * distance, 0.1))])  # fmt: skip
        return s.perf(hands={hand: path}, extra={"direction": direction, "distance_m": round(distance, 4)})

    return program


def carry_pair(closer: bool):
    """Move two objects closer together, or apart, each carried by its own hand."""

    def program(ctx: ActionContext) -> Performance:
        s = _Setup(ctx, nominal=1.6, shapes=("box", "cylinder", "sphere"))
        near, far = (0.08, 0.26)
        a0, a1 = (-far, -near) if closer else (-near, -far)
        rgba = [_rgb(ctx.rng), _rgb(ctx.rng)]
        paths, atts = {}, []
        for i, sign in enumerate((1, -1)):
            p0, p1 = s.point(sign * a0), s.point(sign * a1)
            xml, zc = object_xml(f"obj{i}", s.shape, s.half, p0, rgba[i], marking=s.marked)
            s.props += xml
            hand = s.add_hand(f"hand{i}")
            grip = s.half * 2 + PALM_R if s.shape != "sphere" else zc * 2 + PALM_R
            lift = 0.04
            paths[hand] = waypoints([(0.0, _hover(p0 + grip * UP)), (s.at(0.2), p0 + grip * UP), (s.at(0.3), p0 + (grip + lift) * UP),
                                     (s.at(0.75), p1 + (grip + lift) * UP), (s.at(0.85), p1 + (grip + 0.005) * UP),
                                     (s.at(1.0), _hover(p1 + grip * UP))])  # fmt: skip
            atts.append(Attachment(f"obj{i}", hand, s.at(0.22), s.at(0.85), release_gain=0.0))
        return s.perf(hands=paths, attachments=atts, extra={"closer": closer})

    return program


def drop():
    def program(ctx: ActionContext) -> Performance:
        s = _Setup(ctx, nominal=0.9, shapes=("box", "cylinder", "sphere"))
        height = float(ctx.rng.uniform(0.25, 0.4))
        p = s.point(float(ctx.rng.uniform(-0.1, 0.1)), 0.0, height)
        xml, zc = object_xml("obj", s.shape, s.half, p, _rgb(ctx.rng), marking=s.marked)
        s.props += xml
        hand = s.add_hand()
        grip = p + (2 * zc + PALM_R) * UP
        release = s.at(0.35)
        path = waypoints([(0.0, grip), (release, grip + 0.02 * UP), (s.at(1.0), grip + 0.12 * UP - 0.1 * s.away)])
        return s.perf(hands={hand: path}, attachments=[Attachment("obj", hand, 0.0, release, release_gain=0.0)],
                      extra={"height_m": round(height, 4)})  # fmt: skip

    return program


def lift_or_place(mode: str):
    """``lift``: raise an object; ``put_on_top``: stack it on another; ``take_off_top``: unstack."""

    def program(ctx: ActionContext) -> Performance:
        s = _Setup(ctx, nominal=1.6)
        side = float(ctx.rng.choice([-1.0, 1.0]))
        base_half = float(ctx.rng.uniform(0.05, 0.07))
        a = s.point(-side * 0.12)  # where the moving object starts (on the table)
        b = s.point(side * 0.12)  # the base object's spot
        extra = {"mode": mode}
        if mode == "lift":
            start, end = a, a + float(ctx.rng.uniform(0.18, 0.28)) * UP
            extra["lift_m"] = round(float(end[2] - start[2]), 4)
        else:
            xml, zb = object_xml("base", "box", base_half, b, _rgb(ctx.rng))
            s.props += xml
            on_top = b + 2 * zb * UP
            start, end = (a, on_top) if mode == "put_on_top" else (on_top, a)
        xml, zc = object_xml("obj", s.shape, s.half, start, _rgb(ctx.rng), marking=s.marked)
        s.props += xml
        hand = s.add_hand()
        grip = (2 * zc + PALM_R) * UP
        high = max(start[2], end[2]) + 0.12
        pts = [(0.0, _hover(start + grip)), (s.at(0.2), start + grip), (s.at(0.35), np.r_[start[:2], high] + grip)]
        if mode == "lift":
            pts = [(0.0, _hover(start + grip)), (s.at(0.25), start + grip), (s.at(0.8), end + grip), (s.at(1.0), end + grip)]
            release = 99.0
        else:
            pts += [(s.at(0.65), np.r_[end[:2], high] + grip), (s.at(0.82), end + grip + 0.004 * UP), (s.at(1.0), _hover(end + grip, 0.12))]
            release = s.at(0.84)
        return s.perf(hands={hand: waypoints(pts)}, attachments=[Attachment("obj", hand, s.at(0.22), release, release_gain=0.0)],
                      extra=extra)  # fmt: skip

    return program


def knock_over():
    def program(ctx: ActionContext) -> Performance:
        s = _Setup(ctx, nominal=1.2)
        tall = float(ctx.rng.uniform(2.8, 4.0))
        half = float(ctx.rng.uniform(0.025, 0.04))
        d = s.right * float(ctx.rng.choice([-1.0, 1.0]))
        p = s.point(float(ctx.rng.uniform(-0.08, 0.08)))
        xml, zc = object_xml("obj", s.shape, half, p, _rgb(ctx.rng), tall=tall, marking=s.marked)
        s.props += xml
        hand = s.add_hand()
        touch = p + 1.7 * zc * UP - d * (half + PALM_R + 0.01)
        path = waypoints([(0.0, _hover(touch - 0.12 * d, 0.05)), (s.at(0.3), touch), (s.at(0.6), touch + 0.14 * d), (s.at(1.0), _hover(touch, 0.12))])
        return s.perf(hands={hand: path}, extra={"height_m": round(2 * zc, 4)})

    return program


def roll(direction: str):
    def program(ctx: ActionContext) -> Performance:
        s = _Setup(ctx, nominal=1.0)
        d = s.right * (1 if direction == "left_to_right" else -1)
        radius = float(ctx.rng.uniform(0.03, 0.05))
        p = s.point(0.0) - d * 0.25
        xml, _ = object_xml("ball", "sphere", radius, p, _rgb(ctx.rng))
        s.props += xml
        hand = s.add_hand()
        touch = p + radius * UP - d * (radius + PALM_R + 0.004)
        hit = s.at(0.35)
        v = float(ctx.rng.uniform(0.45, 0.8))
        omega = np.cross(UP, d) * v / radius
        path = waypoints([(0.0, _hover(touch - 0.1 * d, 0.08)), (hit, touch), (s.at(0.5), touch + 0.05 * d), (s.at(1.0), _hover(touch, 0.12))])
        return s.perf(hands={hand: path}, impulses=[Impulse("ball", hit, linear=tuple(d * v), angular=tuple(omega))],
                      extra={"direction": direction, "speed_ms": round(v, 4)})  # fmt: skip

    return program


def spin(clockwise: bool):
    """Spin an object about the vertical; clockwise as seen from above (the camera looks down)."""

    def program(ctx: ActionContext) -> Performance:
        s = _Setup(ctx, nominal=1.0)
        half = float(ctx.rng.uniform(0.035, 0.06))
        p = s.point(float(ctx.rng.uniform(-0.05, 0.05)))
        # A stripe on top makes the rotation visible even on plain colours (other classes draw it at random).
        xml, zc = object_xml("obj", "box", half, p, _rgb(ctx.rng), tall=0.6, marking=True)
        # A slick base (its friction wins by priority): on the table's 0.6 a flicked box stops
        # within a few degrees.
        xml = xml.replace('friction="0.7 0.01 0.001"', 'friction="0.05 0.002 0.0001" priority="1"')
        s.props += xml
        hand = s.add_hand()
        corner = p + zc * UP + (half + PALM_R + 0.01) * (s.right if clockwise else -s.right) - half * s.away * 0.8
        hit = s.at(0.3)
        w = float(ctx.rng.uniform(10.0, 16.0)) * (-1 if clockwise else 1)
        # Touch the corner, then lift straight away so the hand does not brake the spin.
        path = waypoints([(0.0, _hover(corner)), (hit, corner), (hit + 0.08, _hover(corner, 0.1)),
                          (s.at(1.0), _hover(corner, 0.15))])  # fmt: skip
        return s.perf(hands={hand: path}, impulses=[Impulse("obj", hit, angular=(0.0, 0.0, w))],
                      extra={"clockwise": clockwise, "spin_rad_s": round(w, 3)})  # fmt: skip

    return program
