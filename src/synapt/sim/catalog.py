"""The catalogue of action classes: id, name, family, one-line description, motion program.

Ids are positions in :data:`CLASSES` and never change meaning: add new classes at the end.
Left/right classes come in pairs that a horizontal flip swaps (:func:`flip_map`); pairs such as
sit down / stand up differ only in the direction of time.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from synapt.sim.actions import human as h
from synapt.sim.actions import objects as o
from synapt.sim.actions.mocap import mocap


@dataclass(frozen=True)
class ClassSpec:
    """One action class."""

    id: int
    name: str
    family: str  # "human" or "object"
    description: str
    program: Callable
    view_scale: float = 1.0  # frame a wider view (walking across the image)
    flip: str | None = None  # the class a horizontal flip turns this one into
    motion: str = "procedural"  # or "mocap:<library>": performed by motion-capture takes

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "family": self.family, "description": self.description,
                "motion": self.motion}

    @property
    def available(self) -> bool:
        """False when the class's motion library is not installed (e.g. no ``pybullet_data``)."""
        if self.motion == "mocap:deepmimic":
            from synapt.sim.mocap.deepmimic import pybullet_data_root

            return pybullet_data_root() is not None
        return True


_H = "human"
_O = "object"
_ENTRIES = [
    ("wave_right_hand", _H, "raises the right arm overhead and waves it side to side", h.wave("right"), 1.0, "wave_left_hand"),
    ("wave_left_hand", _H, "raises the left arm overhead and waves it side to side", h.wave("left"), 1.0, "wave_right_hand"),
    ("raise_right_hand", _H, "lifts the right arm straight up and holds it", h.raise_hand("right"), 1.0, "raise_left_hand"),
    ("raise_left_hand", _H, "lifts the left arm straight up and holds it", h.raise_hand("left"), 1.0, "raise_right_hand"),
    ("raise_both_hands", _H, "lifts both arms overhead and holds them", h.raise_both_hands(), 1.0, None),
    ("clap", _H, "claps the hands repeatedly in front of the chest", h.clap(), 1.0, None),
    ("sit_down", _H, "sits down on a stool from standing", h.sit_down(), 1.0, None),
    ("stand_up", _H, "stands up from a stool", h.stand_up(), 1.0, None),
    ("squat", _H, "bends the knees into a deep squat and rises, repeatedly", h.squat(), 1.0, None),
    ("jump_in_place", _H, "crouches and jumps straight up, repeatedly", h.jump_in_place(), 1.15, None),
    ("jumping_jacks", _H, "jumps while swinging arms overhead and legs apart", h.jumping_jacks(), 1.15, None),
    ("walk_left_to_right", _H, "walks across the image from its left to its right", h.walk("left_to_right"), 1.3, "walk_right_to_left"),
    ("walk_right_to_left", _H, "walks across the image from its right to its left", h.walk("right_to_left"), 1.3, "walk_left_to_right"),
    ("walk_toward_camera", _H, "walks toward the camera", h.walk("toward"), 1.2, None),
    ("walk_away_from_camera", _H, "walks away from the camera", h.walk("away"), 1.2, None),
    ("jog_in_place", _H, "jogs on the spot with high knees", h.jog_in_place(), 1.0, None),
    ("turn_left", _H, "turns on the spot counter-clockwise (to its left)", h.turn("left"), 1.0, "turn_right"),
    ("turn_right", _H, "turns on the spot clockwise (to its right)", h.turn("right"), 1.0, "turn_left"),
    ("bow", _H, "bows from the waist and straightens up", h.bow(), 1.0, None),
    ("touch_toes", _H, "bends down to touch the toes and comes back up", h.touch_toes(), 1.0, None),
    ("kick_ball", _H, "kicks a ball on the ground, which flies off", h.kick_ball(), 1.3, None),
    ("throw_ball", _H, "throws a ball overarm", h.throw_ball(), 1.3, None),
    ("fall_forward", _H, "stumbles and falls forward to the ground", h.fall("forward"), 1.3, None),
    ("fall_backward", _H, "stumbles and falls backward to the ground", h.fall("backward"), 1.3, None),
    ("pick_up_object", _H, "bends down, grasps a box on the floor and stands up holding it", h.pick_up(), 1.0, None),
    ("put_down_object", _H, "bends down and puts a held box on the floor", h.pick_up(reverse=True), 1.0, None),
    ("punch_right", _H, "punches forward with the right fist, repeatedly", h.punch("right"), 1.0, "punch_left"),
    ("punch_left", _H, "punches forward with the left fist, repeatedly", h.punch("left"), 1.0, "punch_right"),
    ("arm_circles", _H, "circles both outstretched arms", h.arm_circles(), 1.0, None),
    ("twist_torso", _H, "twists the torso left and right with arms out", h.twist_torso(), 1.0, None),
    ("drink", _H, "lifts a cup to the mouth and lowers it", h.drink(), 1.0, None),
    ("push_box", _H, "walks forward pushing a large box, which slides on", h.push_box(), 1.4, None),
    ("hop_on_one_leg", _H, "hops on one leg with the other knee raised", h.hop_on_one_leg(), 1.1, None),
    ("lunge", _H, "steps into a forward lunge and back", h.lunge(), 1.0, None),
    ("kneel_down", _H, "goes down on one knee", h.kneel_down(), 1.0, None),
    ("push_left_to_right", _O, "pushes something from left to right", o.push("left_to_right"), 1.0, "push_right_to_left"),
    ("push_right_to_left", _O, "pushes something from right to left", o.push("right_to_left"), 1.0, "push_left_to_right"),
    ("push_away", _O, "pushes something away from the camera", o.push("away"), 1.0, None),
    ("push_toward", _O, "pushes something toward the camera", o.push("toward"), 1.0, None),
    ("move_closer", _O, "moves two things closer to each other", o.carry_pair(closer=True), 1.0, None),
    ("move_apart", _O, "moves two things away from each other", o.carry_pair(closer=False), 1.0, None),
    ("drop_object", _O, "lets go of something held above the table so it falls", o.drop(), 1.0, None),
    ("lift_object", _O, "lifts something up from the table", o.lift_or_place("lift"), 1.0, None),
    ("put_on_top", _O, "puts something on top of something else", o.lift_or_place("put_on_top"), 1.0, None),
    ("take_off_top", _O, "takes something off the top of something else", o.lift_or_place("take_off_top"), 1.0, None),
    ("knock_over", _O, "knocks a standing object over", o.knock_over(), 1.0, None),
    ("roll_left_to_right", _O, "rolls a ball from left to right", o.roll("left_to_right"), 1.0, "roll_right_to_left"),
    ("roll_right_to_left", _O, "rolls a ball from right to left", o.roll("right_to_left"), 1.0, "roll_left_to_right"),
    ("spin_clockwise", _O, "spins something clockwise (seen from above)", o.spin(clockwise=True), 1.0, "spin_counterclockwise"),
    ("spin_counterclockwise", _O, "spins something counter-clockwise (seen from above)", o.spin(clockwise=False), 1.0, "spin_clockwise"),
]

# Classes performed by motion capture: the DeepMimic humanoid clips of the pybullet wheel
# (`pip install 'synapt[mocap]'`; docs/generator.md gives their origin and terms). A query
# names takes by their label words; "across" takes travel across the image.
_DM = "mocap:deepmimic"
_MOCAP_ENTRIES = [
    ("walk", "walks (captured gait), across the image", mocap("walk", travel="across"), 1.5, None),
    ("run", "runs (captured gait), across the image", mocap("run", travel="across", spread=20), 1.9, None),
    ("jump_forward", "swings the arms and jumps forward with both feet", mocap("jump"), 1.4, None),
    ("front_kick", "kicks high to the front with one leg", mocap("kick"), 1.2, None),
    ("step_and_punch", "steps in and punches", mocap("punch"), 1.4, None),
    ("spin_around", "spins around on the feet, arms out", mocap("spin"), 1.3, None),
    ("spin_kick", "spins and kicks with the leg swung round", mocap("spinkick"), 1.3, None),
    ("backflip", "jumps and turns a full somersault backwards", mocap("backflip"), 1.4, None),
    ("cartwheel", "turns a cartwheel sideways over the hands", mocap("cartwheel"), 1.5, None),
    ("crawl", "crawls on hands and knees", mocap("crawl", travel="across", spread=20), 1.3, None),
    ("forward_roll", "rolls forward over the shoulders and comes up", mocap("roll"), 1.4, None),
    ("dance_routine_a", "dances a short routine with arm swings (DeepMimic dance A)", mocap("dance a"), 1.2, None),
    ("dance_routine_b", "dances a longer routine (DeepMimic dance B)", mocap("dance b"), 1.2, None),
    ("get_up_from_front", "gets up from lying face down", mocap("getup facedown"), 1.2, None),
    ("get_up_from_back", "gets up from lying on the back", mocap("getup faceup"), 1.2, None),
    ("walk_turning_left", "walks along a curve to its left", mocap("turn left", mirror=False, travel="across"), 1.5, "walk_turning_right"),
    ("walk_turning_right", "walks along a curve to its right", mocap("turn right", mirror=False, travel="across"), 1.5, "walk_turning_left"),
]

# Gestures and exercises without props (procedural), added after the mocap classes (ids 67-82).
_MORE_ENTRIES = [
    ("nod_head", _H, "nods the head up and down", h.nod_head(), 1.0, None),
    ("shake_head", _H, "shakes the head from side to side", h.shake_head(), 1.0, None),
    ("look_around", _H, "turns the head and torso to look around", h.look_around(), 1.0, None),
    ("salute", _H, "raises the right hand to the forehead in a salute", h.salute(), 1.0, None),
    ("point_forward", _H, "points straight ahead with one arm", h.point_forward(), 1.0, None),
    ("cross_arms", _H, "folds the arms across the chest", h.cross_arms(), 1.0, None),
    ("hands_on_hips", _H, "puts both hands on the hips", h.hands_on_hips(), 1.0, None),
    ("scratch_head", _H, "scratches the head with one hand", h.scratch_head(), 1.0, None),
    ("phone_call", _H, "lifts a hand to the ear as if on the phone", h.phone_call(), 1.0, None),
    ("side_bend", _H, "bends the torso from side to side with the arms up", h.side_bend(), 1.0, None),
    ("march_in_place", _H, "marches on the spot, knees high, arms swinging", h.march_in_place(), 1.0, None),
    ("stomp", _H, "lifts one foot and stamps it down", h.stomp(), 1.0, None),
    ("bicep_curl", _H, "curls both forearms up and down", h.bicep_curl(), 1.0, None),
    ("calf_raise", _H, "rises on the toes and lowers, repeatedly", h.calf_raise(), 1.0, None),
    ("leg_swing", _H, "swings one straight leg forward and back", h.leg_swing(), 1.0, None),
    ("wave_both_hands", _H, "waves both raised arms side to side", h.wave_both_hands(), 1.0, None),
]

CLASSES: list[ClassSpec] = [
    ClassSpec(id=i, name=name, family=family, description=desc, program=prog, view_scale=view, flip=flip)
    for i, (name, family, desc, prog, view, flip) in enumerate(_ENTRIES)
] + [
    ClassSpec(id=len(_ENTRIES) + i, name=name, family=_H, description=desc, program=prog, view_scale=view, flip=flip, motion=_DM)
    for i, (name, desc, prog, view, flip) in enumerate(_MOCAP_ENTRIES)
] + [
    ClassSpec(id=len(_ENTRIES) + len(_MOCAP_ENTRIES) + i, name=name, family=family, description=desc, program=prog,
              view_scale=view, flip=flip)
    for i, (name, family, desc, prog, view, flip) in enumerate(_MORE_ENTRIES)
]
BY_NAME: dict[str, ClassSpec] = {c.name: c for c in CLASSES}
FAMILIES = ("human", "object")


_LIBRARY_CLASSES: dict[str, list[ClassSpec]] = {}


def _slug(text: str) -> str:
    return "_".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split()) or "clip"


def library_classes(folder: str | Path, *, min_takes: int = 1) -> list[ClassSpec]:
    """Classes from a user's motion library (``synapt generate --mocap DIR``), registered by name.

    One class per distinct label text, performed by that label's takes; named
    ``<folder name>_<label slug>`` (``cmu_walk``, ``cmu_run_jog``), family ``human``, motion
    ``mocap:<folder name>``. Their ids are 100000 + a CRC of the name, so seeds are stable and
    never collide with the catalogue's. They join :data:`BY_NAME` (not :data:`CLASSES`, which
    stays the built-in catalogue).
    """
    import zlib

    from synapt.sim.mocap.library import open_library

    key = str(Path(folder).resolve())
    if key not in _LIBRARY_CLASSES:
        lib = open_library(key)
        prefix = _slug(Path(key).name)
        groups: dict[str, set[str]] = {}
        for entry in lib.entries:
            groups.setdefault(" ".join(entry.label.split()) or entry.clip_id, set()).add(entry.clip_id)
        specs = []
        for label, ids in sorted(groups.items()):
            if len(ids) < min_takes:
                continue
            name = f"{prefix}_{_slug(label)}"[:60]
            if name in BY_NAME and BY_NAME[name].motion != f"mocap:{prefix}":
                name = f"{name}_mocap"
            takes = ",".join(sorted(ids))
            specs.append(ClassSpec(id=100000 + zlib.crc32(name.encode()) % 900000, name=name, family=_H,
                                   description=f"{label} ({len(ids)} take{'s' if len(ids) > 1 else ''} from {lib.name})",
                                   program=mocap(f"id:{takes}", library=key), view_scale=1.3, motion=f"mocap:{prefix}"))  # fmt: skip
        for spec in specs:
            BY_NAME.setdefault(spec.name, spec)
        _LIBRARY_CLASSES[key] = specs
    return list(_LIBRARY_CLASSES[key])


def flip_map() -> dict[str, str]:
    """Class name -> the class a horizontal flip of its video shows (left/right pairs only)."""
    return {c.name: c.flip for c in CLASSES if c.flip}


def resolve_classes(selection: str | list[str] | tuple[str, ...]) -> list[ClassSpec]:
    """Classes named by ``"all"``, ``"family:human"``, ``"a,b,c"`` or a list of names.

    Raises:
        ValueError: an unknown name or family (the message lists the close ones).
    """
    if isinstance(selection, str):
        text = selection.strip()
        if text == "all":
            return list(CLASSES)
        if text.startswith("mocap:"):
            prefix = text.split(":", 1)[1]
            hits = [c for c in BY_NAME.values() if c.motion == f"mocap:{prefix}"]
            if not hits:
                raise ValueError(f"no classes from motion library {prefix!r} (add one with --mocap DIR; built in: deepmimic)")
            return hits
        if text.startswith("family:"):
            family = text.split(":", 1)[1]
            if family not in FAMILIES:
                raise ValueError(f"unknown class family {family!r} (families: {', '.join(FAMILIES)})")
            return [c for c in CLASSES if c.family == family]
        names = [n.strip() for n in text.split(",") if n.strip()]
    else:
        names = list(selection)
    if not names:
        raise ValueError("no classes selected (use all, family:human, family:object or a comma list)")
    out = []
    for name in names:
        if name not in BY_NAME:
            close = difflib.get_close_matches(name, list(BY_NAME), n=4, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else "; run `synapt classes` for the list"
            raise ValueError(f"unknown class {name!r}{hint}")
        if BY_NAME[name] not in out:
            out.append(BY_NAME[name])
    return out
