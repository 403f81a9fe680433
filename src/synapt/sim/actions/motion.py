"""The vocabulary of motion programs: keyframes, timing, attachments and the performance record.

A motion program is a function ``(ctx: ActionContext) -> Performance``. It samples its own
per-clip variation (speed, amplitude, handedness, repetitions, start phase, facing) from
``ctx.rng``, records it in ``Performance.params``, and describes the clip as

- ``pose(t)``: the actor's joint angles (degrees) and root offsets at time ``t`` (seconds), or
  ``None`` for clips without an actor;
- ``hands(t)``: positions of free "hands" (mocap manipulators) for object actions;
- ``events``: physics hooks, e.g. an object attached to a hand, released with the hand's
  velocity, or a ragdoll trigger;
- ``props_xml``: the extra bodies the action needs (ball, stool, table, objects).

Poses are dicts over ``actor.JOINTS`` plus ``root_x``/``root_y`` (metres, in the actor's facing
frame), ``root_z`` (metres above the grounded height), ``root_yaw``/``root_pitch``/``root_roll``
(degrees). Joints left out take their :data:`REST` value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from synapt.sim.actor import ActorParams, BodyDims, mirror_pose

REST = {"sh_l_abd": 6.0, "sh_r_abd": 6.0, "elbow_l": 8.0, "elbow_r": 8.0}

# A clip lasts frames / fps seconds (``ActionContext.seconds``). Rates of repeated actions are
# written per NOMINAL_SECONDS (the 2-second clip they were tuned on), so a longer clip shows more
# repetitions and a shorter one fewer, never the same ones faster.
NOMINAL_SECONDS = 2.0


@dataclass
class ActionContext:
    """What a motion program may use to sample and lay out its clip."""

    rng: np.random.Generator
    actor: ActorParams
    dims: BodyDims
    cam_azimuth: float  # degrees
    seconds: float = NOMINAL_SECONDS  # the clip's duration: frames / fps
    surface_z: float = 0.0  # height of the surface object actions happen on (metres)

    @property
    def right(self) -> np.ndarray:
        """Ground-plane unit vector toward the image's right."""
        a = np.radians(self.cam_azimuth)
        return np.array([np.sin(a), -np.cos(a), 0.0])

    @property
    def away(self) -> np.ndarray:
        """Ground-plane unit vector away from the camera (into the image)."""
        a = np.radians(self.cam_azimuth)
        return np.array([np.cos(a), np.sin(a), 0.0])

    def yaw_of(self, direction: np.ndarray) -> float:
        """Facing yaw (degrees) that points the actor along a ground-plane ``direction``."""
        return float(np.degrees(np.arctan2(direction[1], direction[0])))


@dataclass
class Attachment:
    """Object ``body`` follows hand ``hand`` (actor site or mocap) between ``start`` and ``end`` s.

    The offset is taken when the attachment starts; on release the object keeps the hand's
    velocity times ``release_gain`` and physics takes over (throws, drops).
    """

    body: str
    hand: str
    start: float
    end: float
    release_gain: float = 1.0
    release_boost: tuple[float, float, float] = (0.0, 0.0, 0.0)  # m/s added at release (world)
    snap: tuple[float, float, float] | None = None  # fixed offset from the hand (object held from the start)
    offset: np.ndarray | None = None
    released: bool = False


@dataclass
class Impulse:
    """At time ``at`` (s) set the velocity of free ``body`` (linear m/s, angular rad/s, world)."""

    body: str
    at: float
    linear: tuple[float, float, float] = (0.0, 0.0, 0.0)
    angular: tuple[float, float, float] = (0.0, 0.0, 0.0)
    done: bool = False


# The collision bit an actor's contact geoms and the props they may touch share; the floor and
# the rest of the scene use bit 1 only, so a kicking foot never scrapes the floor.
CONTACT_BIT = 2


@dataclass
class Reach:
    """Inverse kinematics: at ``at`` s the actor's ``sites`` reach world ``targets`` (metres).

    The clip's model solves for offsets of ``joints`` (damped least squares); the offsets are
    blended into the program's pose by a weight that rises from 0 at ``window[0]`` to 1 at
    ``at`` and falls back to 0 at ``window[1]`` (seconds).
    """

    at: float
    targets: dict[str, tuple[float, float, float]]  # site name (e.g. "hand_r") -> point
    joints: tuple[str, ...]
    window: tuple[float, float]

    def weight(self, t: float) -> float:
        lo, hi = self.window
        if t <= self.at:
            return float(smoothstep((t - lo) / max(self.at - lo, 1e-6)))
        return float(1.0 - smoothstep((t - self.at) / max(hi - self.at, 1e-6)))


@dataclass
class Performance:
    """One clip's action, as produced by a motion program."""

    pose: Callable[[float], dict] | None
    base: tuple[float, float] = (0.0, 0.0)  # actor root ground position (metres, world)
    facing: float = 0.0  # actor yaw (degrees, world)
    ground: bool = True  # keep the lowest leg point on the floor
    plant: bool = False  # keep the feet where they started (sit, squat, bow)
    physics: bool = False  # step MuJoCo physics (objects, falls) instead of posing only
    ragdoll_at: float | None = None  # seconds; the actor goes limp under gravity from then on
    ragdoll_push: tuple[float, float] = (0.0, 0.0)  # (forward m/s, pitch rad/s) at the trigger
    # Actor geoms (names without the prefix) that collide with props whose conaffinity has
    # CONTACT_BIT, during ``contact_window`` (s): the kinematic actor then moves with its pose's
    # velocity, so a contact hands momentum on (a kick launches the ball through the foot).
    contacts: tuple[str, ...] = ()
    contact_window: tuple[float, float] = (0.0, 0.0)
    hands: dict[str, Callable[[float], np.ndarray]] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    impulses: list[Impulse] = field(default_factory=list)
    reaches: list[Reach] = field(default_factory=list)
    props_xml: str = ""
    subject_height: float | None = None  # what the camera frames (metres); None = actor height
    params: dict = field(default_factory=dict)


def smoothstep(x: np.ndarray | float) -> np.ndarray | float:
    """C1 ease from 0 to 1 on [0, 1] (zero velocity at both ends)."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


class Keyframes:
    """Poses at phases in [0, 1], eased between neighbours (missing joints are at rest)."""

    def __init__(self, keys: list[tuple[float, dict]]) -> None:
        self.phases = np.array([k[0] for k in keys], dtype=float)
        names = sorted({name for _, pose in keys for name in pose})
        self.names = names
        self.values = np.array([[pose.get(n, REST.get(n, 0.0)) for n in names] for _, pose in keys], dtype=float)

    def __call__(self, phase: float) -> dict:
        p = float(np.clip(phase, self.phases[0], self.phases[-1]))
        i = int(np.searchsorted(self.phases, p, side="right") - 1)
        i = min(i, len(self.phases) - 2) if len(self.phases) > 1 else 0
        if len(self.phases) == 1:
            return dict(zip(self.names, self.values[0]))
        span = self.phases[i + 1] - self.phases[i]
        s = smoothstep((p - self.phases[i]) / span) if span > 0 else 1.0
        row = self.values[i] + (self.values[i + 1] - self.values[i]) * s
        return dict(zip(self.names, row))


@dataclass(frozen=True)
class Timing:
    """Per-clip tempo of a one-shot action: it starts at ``start`` s and lasts ``duration`` s."""

    start: float
    duration: float

    def phase(self, t: float) -> float:
        return float(np.clip((t - self.start) / self.duration, 0.0, 1.0))


def sample_timing(rng: np.random.Generator, *, nominal: float, seconds: float, speed: float) -> Timing:
    """A one-shot timing: ``nominal`` s at speed 1, scaled by ``speed``, in real time.

    The action keeps its natural duration whatever the clip's: it starts inside a clip longer
    than it, and a clip shorter than it shows a window of it (``start`` < 0: the action began
    before the first frame).
    """
    duration = nominal / speed
    if duration <= seconds:
        start = float(rng.uniform(0.0, (seconds - duration) * 0.8))
    else:
        start = -float(rng.uniform(0.0, duration - seconds))
    return Timing(start=start, duration=duration)


# Performance styles: each clip draws one, which scales the class's speed and amplitude and
# sets how much the body moves on its own (low-frequency sway and idle motion).
STYLES = {
    "brisk": {"speed": 1.15, "amplitude": 1.05, "sway": 0.7},
    "relaxed": {"speed": 0.87, "amplitude": 0.96, "sway": 1.3},
    "stiff": {"speed": 1.0, "amplitude": 0.92, "sway": 0.5},
}
# Joints that sway when a program leaves them alone: weight shift, head and arm idle motion (deg).
IDLE_SWAY_DEG = {"hip_l_abd": 3.0, "hip_r_abd": 3.0, "abd_side": 2.0, "abd_twist": 3.0, "neck_flex": 5.0,
                 "neck_twist": 10.0, "sh_l_flex": 5.0, "sh_r_flex": 5.0, "elbow_l": 6.0, "elbow_r": 6.0}  # fmt: skip


def sample_style(rng: np.random.Generator) -> dict:
    """A clip's performance: a style, speed, amplitude, pose offsets, sway and limb timing lags.

    - ``style``: one of :data:`STYLES`, scaling the speed (0.7-1.4x) and amplitude;
    - ``noise``: a constant offset per joint (degrees);
    - ``sway``: per joint, two slow sinusoids (0.15-0.9 Hz); larger on joints the program
      does not drive (weight shift from hip to hip, head and arm idle motion);
    - ``lag``: seconds by which the arms and the legs trail the torso (0-0.08 s).
    """
    from synapt.sim.actor import JOINTS

    name = list(STYLES)[int(rng.integers(len(STYLES)))]
    st = STYLES[name]
    sway = {}
    for j in JOINTS:
        amp = rng.uniform(0.5, 2.0, 2) * st["sway"]
        freq = rng.uniform(0.15, 0.9, 2)
        phase = rng.uniform(0, 2 * np.pi, 2)
        sway[j] = [[round(float(v), 4) for v in row] for row in (amp, freq, phase)]
    return {
        "style": name,
        "speed": round(float(rng.uniform(0.7, 1.4) * st["speed"]), 4),
        "amplitude": round(float(rng.uniform(0.85, 1.12) * st["amplitude"]), 4),
        "noise": {j: round(float(rng.normal(0, 3.0)), 3) for j in JOINTS},
        "sway": sway,
        "idle_gain": round(float(rng.uniform(0.6, 1.4) * st["sway"]), 4),
        "lag": {"arms": round(float(rng.uniform(0.0, 0.08)), 4), "legs": round(float(rng.uniform(0.0, 0.08)), 4)},
    }


def _sway(spec: list, t: float) -> float:
    amp, freq, phase = spec
    return float(sum(a * np.sin(2 * np.pi * f * t + p) for a, f, p in zip(amp, freq, phase)))


def styled(pose_fn: Callable[[float], dict], style: dict, *, mirror: bool = False) -> Callable[[float], dict]:
    """Wrap a pose function with the clip's style (see :func:`sample_style`) and mirroring.

    Driven joints get amplitude scaling, a constant offset and a little sway; joints the
    program never sets sway more (idle motion); arms and legs trail the torso by ``lag``.
    """
    amplitude = style["amplitude"]
    noise = style["noise"]
    sway = style.get("sway", {})
    idle_gain = style.get("idle_gain", 0.0)
    lag = style.get("lag", {})
    lag_arms, lag_legs = lag.get("arms", 0.0), lag.get("legs", 0.0)
    driven: set[str] | None = None

    def pose(t: float) -> dict:
        nonlocal driven
        raw = pose_fn(t)
        if lag_arms or lag_legs:
            arms, legs = pose_fn(t - lag_arms), pose_fn(t - lag_legs)
            raw = dict(raw)
            for k in raw:
                if k.startswith(("sh_", "elbow")):
                    raw[k] = arms.get(k, raw[k])
                elif k.startswith(("hip_", "knee", "ankle")):
                    raw[k] = legs.get(k, raw[k])
        if mirror:
            raw = mirror_pose(raw)
        if driven is None:
            driven = {k for k in raw if not k.startswith("root_")}
        out = {}
        for name, value in raw.items():
            if name.startswith("root_"):
                out[name] = value
            else:
                rest = REST.get(name, 0.0)
                out[name] = rest + (value - rest) * amplitude + noise.get(name, 0.0)
        for name, value in noise.items():
            out.setdefault(name, REST.get(name, 0.0) + value)
        for name, spec in sway.items():
            gain = 0.5 if name in driven else 1.0 + idle_gain * IDLE_SWAY_DEG.get(name, 0.0) / 2.5
            out[name] = out[name] + gain * _sway(spec, t)
        return out

    return pose
