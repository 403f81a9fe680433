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


def sample_style(rng: np.random.Generator) -> dict:
    """Speed (0.7-1.4x), amplitude scale and a small constant pose noise (degrees per joint)."""
    from synapt.sim.actor import JOINTS

    return {
        "speed": round(float(rng.uniform(0.7, 1.4)), 4),
        "amplitude": round(float(rng.uniform(0.85, 1.12)), 4),
        "noise": {j: round(float(rng.normal(0, 3.0)), 3) for j in JOINTS},
    }


def styled(pose_fn: Callable[[float], dict], style: dict, *, mirror: bool = False) -> Callable[[float], dict]:
    """Wrap a pose function with amplitude scaling, pose noise and optional left/right mirroring."""
    amplitude = style["amplitude"]
    noise = style["noise"]

    def pose(t: float) -> dict:
        raw = pose_fn(t)
        if mirror:
            raw = mirror_pose(raw)
        out = {}
        for name, value in raw.items():
            if name.startswith("root_"):
                out[name] = value
            else:
                rest = REST.get(name, 0.0)
                out[name] = rest + (value - rest) * amplitude + noise.get(name, 0.0)
        for name, value in noise.items():
            out.setdefault(name, REST.get(name, 0.0) + value)
        return out

    return pose
