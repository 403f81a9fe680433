"""A parametric humanoid built in code: body sizes, skin tone and clothing drawn per clip.

The body is lean on purpose (19 capsules and spheres, 23 hinges plus a free root): it renders at
hundreds of frames per second on a CPU and is still read as a person at 112 px.

Frame of the actor: it faces +x, its left is +y, z is up; the root (pelvis) sits at hip height.
Joint signs are chosen so that a positive angle is the natural motion on either side:
``*_flex`` swings a limb forward, ``*_abd`` lifts it sideways away from the body, ``*_twist``
rotates it outwards, ``knee`` bends the shin back, ``elbow`` bends the forearm forward.
Left and right joints mirror each other, so a pose written for one side is mirrored by swapping
the ``_l``/``_r`` names (:func:`mirror_pose`).

Sensitive attributes (skin tone, body build, presentation cues) come from
:class:`ActorDistribution`, whose weights a study can change, and every draw is recorded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

# Ten skin tones from light to deep, in linear-ish sRGB (a continuous scale in the spirit of
# the Monk skin-tone scale); a clip interpolates between two neighbours so the range is full.
SKIN_TONES = np.array(
    [
        [0.96, 0.85, 0.76],
        [0.93, 0.78, 0.66],
        [0.87, 0.70, 0.56],
        [0.80, 0.62, 0.47],
        [0.71, 0.53, 0.38],
        [0.61, 0.44, 0.30],
        [0.50, 0.35, 0.23],
        [0.40, 0.27, 0.18],
        [0.30, 0.20, 0.14],
        [0.22, 0.15, 0.11],
    ]
)

HAIR_COLOURS = {
    "black": (0.06, 0.05, 0.05),
    "dark_brown": (0.22, 0.13, 0.07),
    "brown": (0.40, 0.26, 0.13),
    "blond": (0.80, 0.66, 0.38),
    "red": (0.55, 0.22, 0.08),
    "grey": (0.62, 0.62, 0.62),
}

PRESENTATIONS = ("masculine", "feminine", "neutral")
PATTERNS = ("solid", "stripes", "checker", "noise", "plaid")

JOINTS = (
    "abd_flex", "abd_side", "abd_twist", "neck_flex", "neck_twist",
    "sh_l_flex", "sh_l_abd", "sh_l_twist", "elbow_l",
    "sh_r_flex", "sh_r_abd", "sh_r_twist", "elbow_r",
    "hip_l_flex", "hip_l_abd", "hip_l_twist", "knee_l", "ankle_l",
    "hip_r_flex", "hip_r_abd", "hip_r_twist", "knee_r", "ankle_r",
)  # fmt: skip

# Joint ranges in degrees: they bound keyframes and keep the ragdoll from folding through itself.
JOINT_RANGE_DEG = {
    "abd_flex": (-30, 100), "abd_side": (-40, 40), "abd_twist": (-60, 60),
    "neck_flex": (-50, 60), "neck_twist": (-80, 80),
    "sh_flex": (-60, 180), "sh_abd": (-30, 180), "sh_twist": (-90, 90), "elbow": (0, 150),
    "hip_flex": (-30, 130), "hip_abd": (-20, 60), "hip_twist": (-45, 45), "knee": (0, 150),
    "ankle": (-40, 40),
}  # fmt: skip


@dataclass(frozen=True)
class ActorDistribution:
    """The distributions sensitive and body attributes are drawn from (all configurable).

    Args:
        skin_tone_weights: relative weight of each of the 10 tones of ``SKIN_TONES`` (light to
            deep); uniform by default.
        presentation_weights: weights of ``PRESENTATIONS`` (cues: shoulder/hip ratio, hair).
        height_mean_m, height_sd_m: body height in metres (normal, clipped to 1.45-2.05).
        girth_range: multiplier of limb and torso radii (uniform).
    """

    skin_tone_weights: tuple[float, ...] = (1.0,) * 10
    presentation_weights: tuple[float, float, float] = (0.45, 0.45, 0.10)
    height_mean_m: float = 1.70
    height_sd_m: float = 0.09
    girth_range: tuple[float, float] = (0.8, 1.35)

    def as_dict(self) -> dict:
        """JSON-able form (lists), as recorded in the manifest."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, row: dict | None) -> ActorDistribution:
        """Inverse of :meth:`as_dict` (None gives the defaults)."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in (row or {}).items()})


@dataclass(frozen=True)
class ActorParams:
    """Everything that defines one actor's look; recorded in the manifest row."""

    height: float  # metres
    girth: float  # radius multiplier
    head_scale: float
    arm_ratio: float
    leg_ratio: float
    presentation: str
    skin_tone: float  # continuous index on SKIN_TONES, 0 (light) to 9 (deep)
    skin_rgb: tuple[float, float, float]
    hair: str
    long_hair: bool
    top_rgb: tuple[float, float, float]
    top_rgb2: tuple[float, float, float]
    top_pattern: str
    top_seed: int
    bottom_rgb: tuple[float, float, float]
    shoe_rgb: tuple[float, float, float]
    long_sleeves: bool
    shorts: bool

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class BodyDims:
    """Segment sizes in metres, derived from :class:`ActorParams`."""

    hip_z: float
    hip_half_width: float
    shoulder_half_width: float
    abdomen: float
    chest: float
    neck: float
    head_r: float
    upper_arm: float
    forearm: float
    hand_r: float
    thigh: float
    shin: float
    foot_len: float
    ankle_h: float
    limb_r: float
    torso_r: float


def _pick(rng: np.random.Generator, weights: tuple[float, ...]) -> int:
    w = np.asarray(weights, dtype=float)
    return int(rng.choice(len(w), p=w / w.sum()))


def random_colour(rng: np.random.Generator, *, saturation: tuple[float, float] = (0.2, 0.9)) -> tuple:
    """A random clothing-like colour (HSV sampled, returned as RGB in 0-1)."""
    h = rng.uniform(0, 1)
    s = rng.uniform(*saturation)
    v = rng.uniform(0.25, 0.95)
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return tuple(round(float(c), 4) for c in rgb)


def sample_actor(rng: np.random.Generator, dist: ActorDistribution = ActorDistribution()) -> ActorParams:
    """Draw one actor from ``dist``."""
    tone_bin = _pick(rng, dist.skin_tone_weights)
    # Spread within the bin so tones cover the continuum, not ten steps.
    tone = float(np.clip(tone_bin + rng.uniform(-0.5, 0.5), 0, len(SKIN_TONES) - 1))
    lo = int(np.floor(tone))
    hi = min(lo + 1, len(SKIN_TONES) - 1)
    skin = SKIN_TONES[lo] * (1 - (tone - lo)) + SKIN_TONES[hi] * (tone - lo)
    presentation = PRESENTATIONS[_pick(rng, dist.presentation_weights)]
    hair = list(HAIR_COLOURS)[int(rng.integers(len(HAIR_COLOURS)))]
    long_hair_p = {"masculine": 0.15, "feminine": 0.75, "neutral": 0.4}[presentation]
    return ActorParams(
        height=round(float(np.clip(rng.normal(dist.height_mean_m, dist.height_sd_m), 1.45, 2.05)), 4),
        girth=round(float(rng.uniform(*dist.girth_range)), 4),
        head_scale=round(float(rng.uniform(0.9, 1.12)), 4),
        arm_ratio=round(float(rng.uniform(0.94, 1.06)), 4),
        leg_ratio=round(float(rng.uniform(0.94, 1.06)), 4),
        presentation=presentation,
        skin_tone=round(tone, 4),
        skin_rgb=tuple(round(float(c), 4) for c in skin),
        hair=hair,
        long_hair=bool(rng.uniform() < long_hair_p),
        top_rgb=random_colour(rng),
        top_rgb2=random_colour(rng),
        top_pattern=PATTERNS[int(rng.integers(len(PATTERNS)))],
        top_seed=int(rng.integers(2**31)),
        bottom_rgb=random_colour(rng, saturation=(0.05, 0.7)),
        shoe_rgb=random_colour(rng, saturation=(0.0, 0.5)),
        long_sleeves=bool(rng.uniform() < 0.5),
        shorts=bool(rng.uniform() < 0.3),
    )


def body_dims(p: ActorParams) -> BodyDims:
    """Segment lengths from height and ratios (anthropometric fractions of height)."""
    h = p.height
    shoulder = {"masculine": 0.130, "feminine": 0.112, "neutral": 0.121}[p.presentation]
    hip = {"masculine": 0.052, "feminine": 0.062, "neutral": 0.057}[p.presentation]
    thigh = 0.245 * h * p.leg_ratio
    shin = 0.235 * h * p.leg_ratio
    ankle_h = 0.04 * h
    return BodyDims(
        hip_z=thigh + shin + ankle_h,
        hip_half_width=hip * h,
        shoulder_half_width=shoulder * h,
        abdomen=0.12 * h,
        chest=0.15 * h,
        neck=0.035 * h,
        head_r=0.066 * h * p.head_scale,
        upper_arm=0.165 * h * p.arm_ratio,
        forearm=0.145 * h * p.arm_ratio,
        hand_r=0.028 * h,
        thigh=thigh,
        shin=shin,
        foot_len=0.13 * h,
        ankle_h=ankle_h,
        limb_r=0.030 * h * p.girth,
        torso_r=0.075 * h * p.girth,
    )


def _f(*values: float) -> str:
    return " ".join(f"{v:.4f}" for v in values)


def _joint(name: str, axis: tuple[float, float, float], key: str) -> str:
    lo, hi = JOINT_RANGE_DEG[key]
    return (
        f'<joint name="{name}" type="hinge" axis="{_f(*axis)}" range="{lo} {hi}" '
        f'damping="2" stiffness="0" armature="0.01" limited="true"/>'
    )


def actor_mjcf(p: ActorParams, *, prefix: str = "", pos: tuple[float, float, float] = (0, 0, 0)) -> str:
    """The actor's ``<body>`` element (free root), to be placed inside ``<worldbody>``.

    Geoms use the materials ``skin``, ``top``, ``bottom``, ``shoe`` and ``hair`` that
    :func:`actor_assets` declares. Geom names start with ``prefix`` + the body part, so the
    segmentation modality can map geoms to parts.
    """
    d = body_dims(p)
    n = prefix
    sleeve_mat = "top" if p.long_sleeves else "skin"
    shin_mat = "skin" if p.shorts else "bottom"
    # contype/conaffinity 0: the actor is posed kinematically; physics classes switch the
    # collision bits on at run time (falls, kicks) so contacts stay real where they matter.
    col = 'contype="0" conaffinity="0" density="985"'

    def arm(side: str, sign: float) -> str:
        return f"""
      <body name="{n}upper_arm_{side}" pos="{_f(0, sign * d.shoulder_half_width, d.chest - 0.2 * d.limb_r)}">
        {_joint(f"sh_{side}_flex", (0, -1, 0), "sh_flex")}
        {_joint(f"sh_{side}_abd", (sign, 0, 0), "sh_abd")}
        {_joint(f"sh_{side}_twist", (0, 0, sign), "sh_twist")}
        <geom name="{n}upper_arm_{side}" type="capsule" fromto="0 0 0 0 0 {-d.upper_arm:.4f}" size="{d.limb_r * 1.05:.4f}" material="top" {col}/>
        <body name="{n}forearm_{side}" pos="{_f(0, 0, -d.upper_arm)}">
          {_joint(f"elbow_{side}", (0, -1, 0), "elbow")}
          <geom name="{n}forearm_{side}" type="capsule" fromto="0 0 0 0 0 {-d.forearm:.4f}" size="{d.limb_r * 0.9:.4f}" material="{sleeve_mat}" {col}/>
          <geom name="{n}hand_{side}" type="sphere" pos="{_f(0, 0, -d.forearm - d.hand_r * 0.6)}" size="{d.hand_r:.4f}" material="skin" {col}/>
          <site name="{n}hand_{side}" pos="{_f(0, 0, -d.forearm - d.hand_r * 0.6)}"/>
        </body>
      </body>"""

    def leg(side: str, sign: float) -> str:
        return f"""
    <body name="{n}thigh_{side}" pos="{_f(0, sign * d.hip_half_width, 0)}">
      {_joint(f"hip_{side}_flex", (0, -1, 0), "hip_flex")}
      {_joint(f"hip_{side}_abd", (sign, 0, 0), "hip_abd")}
      {_joint(f"hip_{side}_twist", (0, 0, sign), "hip_twist")}
      <geom name="{n}thigh_{side}" type="capsule" fromto="0 0 0 0 0 {-d.thigh:.4f}" size="{d.limb_r * 1.45:.4f}" material="bottom" {col}/>
      <body name="{n}shin_{side}" pos="{_f(0, 0, -d.thigh)}">
        {_joint(f"knee_{side}", (0, 1, 0), "knee")}
        <geom name="{n}shin_{side}" type="capsule" fromto="0 0 0 0 0 {-d.shin:.4f}" size="{d.limb_r * 1.15:.4f}" material="{shin_mat}" {col}/>
        <body name="{n}foot_{side}" pos="{_f(0, 0, -d.shin)}">
          {_joint(f"ankle_{side}", (0, -1, 0), "ankle")}
          <geom name="{n}foot_{side}" type="capsule" fromto="{_f(-0.2 * d.foot_len, 0, -d.ankle_h * 0.5, 0.7 * d.foot_len, 0, -d.ankle_h * 0.5)}" size="{d.ankle_h * 0.5:.4f}" material="shoe" {col}/>
          <site name="{n}foot_{side}" pos="{_f(0.25 * d.foot_len, 0, -d.ankle_h)}"/>
        </body>
      </body>
    </body>"""

    hair = ""
    if p.long_hair:
        hair = (
            f'<geom name="{n}hair" type="capsule" fromto="{_f(-0.5 * d.head_r, 0, d.head_r * 1.2, -0.7 * d.head_r, 0, -0.6 * d.head_r)}" '
            f'size="{d.head_r * 0.75:.4f}" material="hair" {col}/>'
        )
    else:
        hair = (
            f'<geom name="{n}hair" type="ellipsoid" pos="{_f(-0.15 * d.head_r, 0, d.head_r * 1.25)}" '
            f'size="{_f(d.head_r * 0.95, d.head_r * 0.95, d.head_r * 0.55)}" material="hair" {col}/>'
        )
    return f"""
<body name="{n}pelvis" pos="{_f(pos[0], pos[1], pos[2] + d.hip_z)}">
  <freejoint name="{n}root"/>
  <geom name="{n}pelvis" type="capsule" fromto="{_f(0, -d.hip_half_width, 0.02 * p.height, 0, d.hip_half_width, 0.02 * p.height)}" size="{d.torso_r * 0.95:.4f}" material="bottom" {col}/>
  <body name="{n}torso" pos="{_f(0, 0, 0.04 * p.height)}">
    {_joint("abd_flex", (0, 1, 0), "abd_flex")}
    {_joint("abd_side", (1, 0, 0), "abd_side")}
    {_joint("abd_twist", (0, 0, 1), "abd_twist")}
    <geom name="{n}torso" type="capsule" fromto="{_f(0, 0, 0.02 * p.height, 0, 0, d.chest - d.torso_r * 0.6)}" size="{d.torso_r:.4f}" material="top" {col}/>
    <geom name="{n}shoulders" type="capsule" fromto="{_f(0, -d.shoulder_half_width * 0.85, d.chest - 0.6 * d.limb_r, 0, d.shoulder_half_width * 0.85, d.chest - 0.6 * d.limb_r)}" size="{d.limb_r * 1.5:.4f}" material="top" {col}/>
    <body name="{n}head" pos="{_f(0, 0, d.chest + d.neck * 0.3)}">
      {_joint("neck_flex", (0, 1, 0), "neck_flex")}
      {_joint("neck_twist", (0, 0, 1), "neck_twist")}
      <geom name="{n}neck" type="capsule" fromto="{_f(0, 0, 0, 0, 0, d.neck)}" size="{d.limb_r * 1.2:.4f}" material="skin" {col}/>
      <geom name="{n}head" type="sphere" pos="{_f(0, 0, d.neck + d.head_r * 0.9)}" size="{d.head_r:.4f}" material="skin" {col}/>
      <geom name="{n}nose" type="sphere" pos="{_f(d.head_r * 0.92, 0, d.neck + d.head_r * 0.85)}" size="{d.head_r * 0.22:.4f}" material="skin" {col}/>
      <body name="{n}hair_body" pos="{_f(0, 0, d.neck)}">{hair}</body>
    </body>
    {arm("l", 1.0)}
    {arm("r", -1.0)}
  </body>
  {leg("l", 1.0)}
  {leg("r", -1.0)}
</body>"""


def actor_assets(p: ActorParams) -> str:
    """Materials the actor's geoms use (the ``top`` material and its texture live in the scene)."""
    hair = HAIR_COLOURS[p.hair]
    return (
        f'<material name="skin" rgba="{_f(*p.skin_rgb, 1)}" specular="0.2" shininess="0.3"/>'
        f'<material name="bottom" rgba="{_f(*p.bottom_rgb, 1)}"/>'
        f'<material name="shoe" rgba="{_f(*p.shoe_rgb, 1)}"/>'
        f'<material name="hair" rgba="{_f(*hair, 1)}"/>'
    )


def top_texture(p: ActorParams) -> dict:
    """The garment texture description of the actor's top (see ``textures.make_texture``)."""
    pattern = {"solid": "solid", "stripes": "stripes", "checker": "checker", "noise": "noise", "plaid": "plaid"}[p.top_pattern]
    return {"pattern": pattern, "rgb1": list(p.top_rgb), "rgb2": list(p.top_rgb2), "scale": 4, "seed": p.top_seed}


def mirror_pose(pose: dict[str, float]) -> dict[str, float]:
    """Swap left and right in a pose; sideways and twist torso angles change sign."""
    out = {}
    for key, value in pose.items():
        if "_l_" in key or key.endswith("_l"):
            out[key.replace("_l_", "_r_") if "_l_" in key else key[:-2] + "_r"] = value
        elif "_r_" in key or key.endswith("_r"):
            out[key.replace("_r_", "_l_") if "_r_" in key else key[:-2] + "_l"] = value
        elif key in ("abd_side", "abd_twist", "neck_twist", "root_y", "root_yaw", "root_roll"):
            out[key] = -value
        else:
            out[key] = value
    return out


# Names of the 3-D joints stored by the pose modality (bodies and sites of the actor).
KEYPOINTS = (
    "pelvis", "torso", "head", "upper_arm_l", "forearm_l", "hand_l", "upper_arm_r", "forearm_r",
    "hand_r", "thigh_l", "shin_l", "foot_l", "thigh_r", "shin_r", "foot_r",
)  # fmt: skip

# Body-part label of each geom name (without prefix) for the part-segmentation modality.
BODY_PARTS = {
    "pelvis": 1, "torso": 2, "shoulders": 2, "neck": 3, "head": 3, "nose": 3, "hair": 3,
    "upper_arm_l": 4, "forearm_l": 5, "hand_l": 6, "upper_arm_r": 7, "forearm_r": 8, "hand_r": 9,
    "thigh_l": 10, "shin_l": 11, "foot_l": 12, "thigh_r": 13, "shin_r": 14, "foot_r": 15,
}  # fmt: skip
PART_NAMES = ("background", "pelvis", "torso", "head", "upper_arm_l", "forearm_l", "hand_l",
              "upper_arm_r", "forearm_r", "hand_r", "thigh_l", "shin_l", "foot_l", "thigh_r",
              "shin_r", "foot_r")  # fmt: skip

__all__ = [
    "ActorDistribution", "ActorParams", "BodyDims", "JOINTS", "KEYPOINTS", "BODY_PARTS",
    "PART_NAMES", "actor_assets", "actor_mjcf", "top_texture", "body_dims", "mirror_pose", "sample_actor", "random_colour",
]  # fmt: skip
