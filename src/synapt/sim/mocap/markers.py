"""Which joint or site of a skeleton stands for each anatomical marker, guessed from its names.

Rigs name the same body parts differently: CMU's cgspeed BVH (``LeftUpLeg``, ``LeftArm``),
its 3dsMax release (``LeftHip``, ``LeftShoulder``), CMU's ASF (``lfemur``, ``lhumerus``), Mixamo
(``mixamorig:LeftUpLeg``), SMPL (``L_Hip``), Blender's rigify (``thigh.L``). A name is split into
lower-case words (camel case, ``_``, ``.``, spaces, digits), a rig prefix (``mixamorig:``,
``Bip01``) and the side word (``Left``, ``L``, ``_l``, a glued ``l`` as in ``lfemur``) are taken
off, and what is left (the *base*, e.g. ``upleg``) is looked up in a short list of synonyms per
marker. One word means different bones in different rigs (``LeftShoulder`` is the clavicle in
the MotionBuilder naming and the glenohumeral joint in the 3dsMax one), so each limb is read as
a chain: the synonyms are tried in order of how specific they are, and a joint only counts when
it lies below the joint found for the marker before it (hip -> knee -> ankle -> toe).
"""

from __future__ import annotations

import re

import numpy as np

from synapt.sim.mocap.skeleton import MARKERS, Motion

# Synonyms per marker, most specific first. "leg" is the knee in MotionBuilder's naming
# (LeftUpLeg, LeftLeg), "arm" the shoulder (LeftArm, LeftForeArm), "foot" the ankle or, below
# an "ankle" (SMPL), the ball of the foot.
LEG_CHAIN = (
    ("hip", ("upleg", "upperleg", "thigh", "femur", "hip")),
    ("knee", ("knee", "lowerleg", "shin", "calf", "tibia", "leg")),
    ("ankle", ("ankle", "foot")),
    ("toe", ("toebase", "ball", "toe", "toes", "foot")),
)
ARM_CHAIN = (
    ("shoulder", ("upperarm", "arm", "humerus", "shoulder")),
    ("elbow", ("elbow", "forearm", "lowerarm", "radius")),
    ("wrist", ("wrist", "hand")),
)
PELVIS_NAMES = ("hips", "pelvis")
SPINE = re.compile(r"(spine|chest|upperchest|thorax|upperback)\d*")
NECK = re.compile(r"(lowerneck|neck)\d*")
HEAD_TOP_NAMES = ("headtopend", "headtop", "headend", "headtip")
RIG_PREFIXES = {"mixamorig", "bip", "def", "cc", "base"}
_KNOWN_BASES = {base for _, names in LEG_CHAIN + ARM_CHAIN for base in names} | {"clavicle", "collar"}
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def name_parts(name: str) -> tuple[str | None, str]:
    """The side (``"l"``, ``"r"`` or None) and the lower-case base of a joint name.

    ``"mixamorig:LeftUpLeg"`` -> ``("l", "upleg")``; ``"lhumerus"`` -> ``("l", "humerus")``;
    ``"Spine1"`` -> ``(None, "spine1")``; ``"upper_arm.R"`` -> ``("r", "upperarm")``.
    """
    words = [w.lower() for w in _WORDS.findall(name.rsplit(":", 1)[-1])]
    while words and (words[0] in RIG_PREFIXES or (words[0].isdigit() and len(words) > 1)):
        words.pop(0)
    side = None
    for k, word in enumerate(words):
        if word in ("l", "left", "r", "right"):
            side = word[0]
            del words[k]
            break
    base = "".join(words)
    # CMU's ASF glues the side on: lfemur, rhumerus. Only split it off a known base, so that
    # "lowerback" stays whole.
    if side is None and base[:1] in ("l", "r") and base[1:] in _KNOWN_BASES:
        side, base = base[0], base[1:]
    return side, base


def guess_markers(joints: tuple[str, ...], parents: np.ndarray, sites: dict[str, tuple]) -> dict[str, str]:
    """:data:`MARKERS` name -> joint or site name, for the markers this skeleton's names give.

    Args:
        joints: joint names, parents first.
        parents: ``(J,)`` parent index of each joint (-1 for the root).
        sites: site name -> (joint, offset); a joint's end site is ``<joint>_end``.

    Returns:
        Only the markers found; ``pelvis`` always (the root when no joint is named for it).
    """
    parts = [name_parts(name) for name in joints]
    parents = [int(p) for p in parents]

    def below(j: int, ancestor: int | None) -> bool:
        if ancestor is None:
            return True
        while j != -1:
            j = parents[j]
            if j == ancestor:
                return True
        return False

    def first(side: str | None, bases: tuple[str, ...], under: int | None) -> int | None:
        for base in bases:
            for j, (s, b) in enumerate(parts):
                if s == side and b == base and below(j, under):
                    return j
        return None

    found: dict[str, int] = {}
    pelvis = first(None, PELVIS_NAMES, None)
    found["pelvis"] = 0 if pelvis is None else pelvis
    for side in ("l", "r"):
        for chain in (LEG_CHAIN, ARM_CHAIN):
            previous = None
            for marker, bases in chain:
                j = first(side, bases, previous)
                if j is not None:
                    found[f"{marker}_{side}"] = j
                    previous = j
    neck = next((j for j, (s, b) in enumerate(parts) if s is None and NECK.fullmatch(b)), None)
    if neck is not None:
        found["neck"] = neck
    # The chest is the spine joint nearest the neck: Spine1 (cgspeed), Spine2 (Mixamo), thorax.
    spine = [j for j, (s, b) in enumerate(parts) if s is None and SPINE.fullmatch(b) and (neck is None or below(neck, j))]
    if spine:
        found["chest"] = max(spine, key=lambda j: _depth(j, parents))
    names: dict[str, str] = {m: joints[j] for m, j in found.items()}
    head = first(None, ("head",), None)
    if head is not None:
        top = first(None, HEAD_TOP_NAMES, head)
        if top is not None:
            names["head"] = joints[top]
        else:
            names["head"] = f"{joints[head]}_end" if f"{joints[head]}_end" in sites else joints[head]
    for side in ("l", "r"):
        # A foot with no toe joint: its end site is the toe tip.
        ankle = names.get(f"ankle_{side}")
        if f"toe_{side}" not in names and ankle is not None and f"{ankle}_end" in sites:
            names[f"toe_{side}"] = f"{ankle}_end"
    return {m: names[m] for m in MARKERS if m in names}


def _depth(j: int, parents: list[int]) -> int:
    depth = 0
    while parents[j] != -1:
        j = parents[j]
        depth += 1
    return depth


def missing_markers(motion: Motion) -> list[str]:
    """The :data:`MARKERS` this motion's skeleton has no joint or site for, in MARKERS order."""
    return [m for m in MARKERS if m not in motion.markers]


def leg_length(motion: Motion) -> float | None:
    """Hip -> knee -> ankle length in metres (mean of both sides, first frame), or None.

    None when the skeleton lacks the hip, knee and ankle markers of both legs.
    """
    names = [f"{m}_{s}" for s in ("l", "r") for m in ("hip", "knee", "ankle")]
    if any(n not in motion.markers for n in names):
        return None
    p = motion.window(0, 1).points([motion.markers[n] for n in names])[0]
    thigh = np.linalg.norm(p[[0, 3]] - p[[1, 4]], axis=-1)
    shank = np.linalg.norm(p[[1, 4]] - p[[2, 5]], axis=-1)
    return float(np.mean(thigh + shank))


__all__ = ["guess_markers", "leg_length", "missing_markers", "name_parts"]
