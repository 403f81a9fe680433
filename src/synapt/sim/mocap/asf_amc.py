"""Acclaim ASF skeletons and AMC motions (CMU's original capture format).

The ASF describes each bone at rest in the world frame: a unit ``direction``, a ``length``, an
``axis`` (Euler angles and their order) giving the bone's local frame C, and the ``dof`` the
AMC animates. A bone starts where its parent ends. The AMC gives, per frame, the root's
position and orientation and each bone's dof values.

Rotations follow the Acclaim convention: the Euler angles of ``axis``, of ``dof`` and of the
root ``order`` are applied about fixed axes in the listed order, so ``rx ry rz`` is
Rz @ Ry @ Rx on column vectors (first listed innermost, the reverse of BVH's channels). A
bone's rotation in its parent's world-aligned frame is C @ M @ C^-1, M being its dof rotation
in C's axes. CMU's cgspeed BVH files write exactly these rotations as ``Zrotation Yrotation
Xrotation`` channels, which the BVH/AMC agreement test checks.

In the :class:`Motion` each bone is a joint at the bone's START (its parent's end), like a BVH
joint, rotating the bone's own vector; the bone's end is the site ``<bone>_end``. Lengths are
inches scaled by the ``:units length`` multiplier (0.45 in CMU): metres = value / length *
0.0254.

CMU's bone names give every marker (:func:`synapt.sim.mocap.markers.guess_markers`), each the
START of a bone, which is the anatomical joint: pelvis = root; hip = start of ``lfemur``; knee
= ``ltibia``; ankle = ``lfoot``; toe = ``ltoes`` (the ball of the foot; the toe tip is the site
``ltoes_end``); chest = ``thorax`` (its start, mid-back height); neck = ``lowerneck`` (the
thorax's end, between the shoulders); shoulder = ``lhumerus`` (not ``lclavicle``, which starts
at the base of the neck); elbow = ``lradius``; wrist = ``lwrist``; the head is the one END: the site
``head_end``, the top of the head, as for cgspeed's BVH ``Head_end``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synapt.errors import UserError
from synapt.sim.mocap.bvh import cmu_subject, read_text_lines
from synapt.sim.mocap.markers import guess_markers
from synapt.sim.mocap.skeleton import Motion, euler_to_matrix

CMU_FPS = 120.0  # AMC files do not state their rate; every CMU capture is 120 Hz


@dataclass(frozen=True)
class AsfBone:
    """One ASF bone at rest.

    Attributes:
        name: bone name (``lfemur``).
        direction: unit vector from the bone's start to its end, world frame.
        length: file length units.
        axis: Euler angles of the bone's local frame, degrees.
        axis_order: their order (``"XYZ"``), applied about fixed axes first to last.
        dof: the AMC values of the bone, in order (``("rx", "ry", "rz")``).
    """

    name: str
    direction: tuple[float, float, float]
    length: float
    axis: tuple[float, float, float] = (0.0, 0.0, 0.0)
    axis_order: str = "XYZ"
    dof: tuple[str, ...] = ()


@dataclass(frozen=True)
class AsfSkeleton:
    """An ASF file: units, the root's channels, the bones and their hierarchy.

    Attributes:
        path: the file read.
        length_unit: the ``:units length`` multiplier (lengths are inches times this).
        degrees: whether the ASF's angles are degrees (``angle deg``) rather than radians.
        root_order: the root's AMC values in order (``("tx", "ty", "tz", "rx", "ry", "rz")``).
        root_axis: order of the root's rest ``orientation`` angles.
        root_position: rest position offset, length units (BodyBuilder writes zero).
        root_orientation: rest orientation offset, ASF angle units (BodyBuilder writes zero).
        bones: by name, in file order.
        children: parent name -> child names, from ``:hierarchy`` (the root is ``"root"``).
    """

    path: Path
    length_unit: float = 1.0
    degrees: bool = True
    root_order: tuple[str, ...] = ("tx", "ty", "tz", "rx", "ry", "rz")
    root_axis: str = "XYZ"
    root_position: tuple[float, float, float] = (0.0, 0.0, 0.0)
    root_orientation: tuple[float, float, float] = (0.0, 0.0, 0.0)
    bones: dict[str, AsfBone] = field(default_factory=dict)
    children: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def metres_per_unit(self) -> float:
        return 0.0254 / self.length_unit

    @property
    def units_name(self) -> str:
        """``"cmu"`` for CMU's inches / 0.45 (as :data:`synapt.sim.mocap.bvh.UNITS` names it), else ``in/<length>``."""
        return "cmu" if math.isclose(self.length_unit, 0.45) else "in" if self.length_unit == 1 else f"in/{self.length_unit:g}"

    def order(self) -> list[str]:
        """Bone names parents first (depth first from the root, in hierarchy order)."""
        out: list[str] = []
        stack = list(reversed(self.children.get("root", ())))
        while stack:
            name = stack.pop()
            out.append(name)
            stack.extend(reversed(self.children.get(name, ())))
        return out


def _clean(line: str) -> list[str]:
    # The Acclaim spec: '#' starts a comment; commas and parentheses are whitespace.
    return line.split("#", 1)[0].replace(",", " ").replace("(", " ").replace(")", " ").split()


def read_asf(path: str | Path) -> AsfSkeleton:
    """Read an ASF skeleton.

    Raises:
        UserError: unreadable file, a bone without direction or length, a hierarchy naming an
            unknown bone or leaving a bone unconnected (naming the file and line).
    """
    path = Path(path)
    lines = read_text_lines(path, "ASF")
    section = None
    units: dict[str, str] = {}
    root: dict[str, list[str]] = {}
    root_lines: dict[str, int] = {}
    bones: dict[str, AsfBone] = {}
    children: dict[str, tuple[str, ...]] = {}
    bone: dict[str, list[str]] | None = None
    bone_line = 0

    def number(tokens: list[str], n: int, what: str, line: int) -> tuple[float, ...]:
        try:
            values = tuple(float(t) for t in tokens[:n])
        except ValueError:
            values = ()
        if len(values) != n:
            raise UserError(f"{path}:{line}: {what} needs {n} numbers, found {' '.join(tokens) or 'nothing'}")
        return values

    def finish_bone(fields: dict[str, list[str]], line: int) -> None:
        name = (fields.get("name") or [""])[0]
        if not name:
            raise UserError(f"{path}:{line}: bone without a name (add 'name <bone>' to its begin/end block)")
        if "direction" not in fields or "length" not in fields:
            raise UserError(f"{path}:{line}: bone {name!r} needs a direction and a length")
        axis = fields.get("axis", ["0", "0", "0", "XYZ"])
        bones[name] = AsfBone(
            name=name,
            direction=number(fields["direction"], 3, f"bone {name} direction", line),
            length=number(fields["length"], 1, f"bone {name} length", line)[0],
            axis=number(axis, 3, f"bone {name} axis", line),
            axis_order=(axis[3] if len(axis) > 3 else "XYZ").upper(),
            dof=tuple(d.lower() for d in fields.get("dof", [])),
        )  # fmt: skip

    for n, raw in enumerate(lines, start=1):
        tokens = _clean(raw)
        if not tokens:
            continue
        if tokens[0].startswith(":"):
            section = tokens[0][1:].lower()
            continue
        key = tokens[0].lower()
        if section == "units":
            units[key] = tokens[1] if len(tokens) > 1 else ""
        elif section == "root":
            root[key] = tokens[1:]
            root_lines[key] = n
        elif section == "bonedata":
            if key == "begin":
                bone, bone_line = {}, n
            elif key == "end" and bone is not None:
                finish_bone(bone, bone_line)
                bone = None
            elif bone is not None and not re.fullmatch(r"[-+.\d].*", key):
                bone[key] = tokens[1:]  # limits continue on number-only lines, which are skipped
        elif section == "hierarchy" and key not in ("begin", "end"):
            for name in tokens:
                if name != "root" and name not in bones:
                    raise UserError(f"{path}:{n}: hierarchy names bone {name!r}, which :bonedata does not define")
            children[tokens[0]] = children.get(tokens[0], ()) + tuple(tokens[1:])
    if not bones:
        raise UserError(f"{path}: no :bonedata bones (is this an ASF skeleton file?)")
    try:
        length_unit = float(units.get("length", "1"))
    except ValueError:
        raise UserError(f"{path}: ':units length {units.get('length')}' is not a number") from None
    angle = units.get("angle", "deg").lower()
    if angle not in ("deg", "rad"):
        raise UserError(f"{path}: ':units angle {angle}' must be deg or rad")
    skeleton = AsfSkeleton(
        path=path,
        length_unit=length_unit,
        degrees=angle == "deg",
        root_order=tuple(t.lower() for t in root.get("order", ["tx", "ty", "tz", "rx", "ry", "rz"])),
        root_axis=(root.get("axis") or ["XYZ"])[0].upper(),
        root_position=number(root.get("position", ["0", "0", "0"]), 3, "root position", root_lines.get("position", 0)),
        root_orientation=number(root.get("orientation", ["0", "0", "0"]), 3, "root orientation", root_lines.get("orientation", 0)),
        bones=bones,
        children=children,
    )
    unconnected = sorted(set(bones) - set(skeleton.order()))
    if unconnected:
        raise UserError(f"{path}: bones {', '.join(unconnected)} are not in the :hierarchy below root")
    return skeleton


def fixed_axes_rotation(angles_deg: np.ndarray, order: str) -> np.ndarray:
    """Rotations ``(..., 3, 3)`` of Euler angles applied about fixed axes in ``order``.

    ``order="XYZ"`` with angles (a, b, c) is Rz(c) @ Ry(b) @ Rx(a): the Acclaim convention.
    """
    angles = np.asarray(angles_deg, dtype=float)
    return euler_to_matrix(angles[..., ::-1], order[::-1])


def find_asf(amc: Path) -> Path:
    """The skeleton of an AMC file: ``<clip>.asf``, ``<subject>.asf`` or the only ``.asf`` beside it."""
    subject = cmu_subject(amc.stem)
    for name in (f"{amc.stem}.asf", f"{subject}.asf" if subject else None):
        if name and (amc.parent / name).is_file():
            return amc.parent / name
    found = sorted(amc.parent.glob("*.asf"))
    if len(found) == 1:
        return found[0]
    looked = f"{amc.stem}.asf" + (f", {subject}.asf" if subject else "")
    detail = f"{len(found)} .asf files there, so none is the obvious one" if found else "no .asf file there"
    raise UserError(f"{amc}: no skeleton found beside it (looked for {looked}; {detail}); pass the ASF path")


def read_amc(path: str | Path, asf: AsfSkeleton | str | Path | None = None, *, fps: float = CMU_FPS) -> Motion:
    """Read an AMC motion against its ASF skeleton.

    Args:
        path: the ``.amc`` file.
        asf: the skeleton (read, or its path); default :func:`find_asf`.
        fps: the capture rate, which AMC files do not state (CMU: 120).

    Returns:
        The motion in metres, y up; joints ``root`` and every bone, sites ``<bone>_end``.

    Raises:
        UserError: naming the file and line of a bone the ASF lacks, a wrong number of values,
            or a frame missing a bone.
    """
    path = Path(path)
    skeleton = asf if isinstance(asf, AsfSkeleton) else read_asf(Path(asf) if asf is not None else find_asf(path))
    lines = read_text_lines(path, "AMC")
    degrees = skeleton.degrees
    widths = {name: len(b.dof) for name, b in skeleton.bones.items()} | {"root": len(skeleton.root_order)}
    # Per bone: the text of its values, the frame and the line of each occurrence. One split
    # per line and one float conversion per bone keep a 3000-frame file well under a second.
    found: dict[str, tuple[list[str], list[int], list[int]]] = {name: ([], [], []) for name in widths}
    frame_lines: list[int] = []
    for n, raw in enumerate(lines, start=1):
        head = raw.split(None, 1)
        if not head or head[0][0] == "#":
            continue
        word = head[0]
        if word[0] == ":":
            if word.upper() in (":DEGREES", ":RADIANS"):
                degrees = word.upper() == ":DEGREES"
            continue
        if word.isdigit() and len(head) == 1:
            frame_lines.append(n)
            continue
        entry = found.get(word)
        if entry is None or not frame_lines:
            where = "before the first frame number" if entry is not None else f"is not a bone of {skeleton.path.name} (wrong ASF for this AMC?)"
            raise UserError(f"{path}:{n}: {word!r} {where}")
        entry[0].append(head[1] if len(head) > 1 else "")
        entry[1].append(len(frame_lines) - 1)
        entry[2].append(n)
    T = len(frame_lines)
    if T == 0:
        raise UserError(f"{path}: no frames (an AMC frame is a line with its number, then one line per bone)")

    arrays: dict[str, np.ndarray] = {}
    for name, (texts, frames, line_nos) in found.items():
        width = widths[name]
        if not width:
            continue
        tokens = " ".join(texts).split()
        if len(tokens) != width * len(texts):
            n, count = next((ln, len(t.split())) for t, ln in zip(texts, line_nos) if len(t.split()) != width)
            raise UserError(f"{path}:{n}: bone {name} has {count} values, its dof in {skeleton.path.name} need {width}")
        if frames != list(range(T)):
            k = next((k for k, f in enumerate(frames) if f != k), len(frames))
            n = line_nos[k] if k < len(frames) else frame_lines[k]
            raise UserError(f"{path}:{n}: frame {k + 1} lists bone {name} twice or not at all (every frame needs each bone once)")
        try:
            arrays[name] = np.array(tokens, dtype=float).reshape(T, width)
        except ValueError:
            bad = next(ln for t, ln in zip(texts, line_nos) if not all(_is_number(v) for v in t.split()))
            raise UserError(f"{path}:{bad}: bone {name} has a value that is not a number") from None

    scale = skeleton.metres_per_unit
    asf_deg = 1.0 if skeleton.degrees else 180.0 / math.pi
    amc_deg = 1.0 if degrees else 180.0 / math.pi
    bones = skeleton.order()
    joints = ("root", *bones)
    rotations = np.empty((T, len(joints), 3, 3))

    # Root: translations give the position, rotations the orientation about fixed axes in the
    # listed order; ASF's rest position/orientation offset both (BodyBuilder writes zeros).
    root = arrays["root"] if widths["root"] else np.zeros((T, 0))
    root_pos = np.zeros((T, 3))
    rot_cols, rot_axes = [], ""
    for k, channel in enumerate(skeleton.root_order):
        if channel.startswith("t"):
            root_pos[:, "xyz".index(channel[1])] = root[:, k]
        else:
            rot_cols.append(k)
            rot_axes += channel[1].upper()
    root_pos = (root_pos + np.asarray(skeleton.root_position)) * scale
    orientation = fixed_axes_rotation(np.asarray(skeleton.root_orientation) * asf_deg, skeleton.root_axis)
    rotations[:, 0] = orientation @ fixed_axes_rotation(root[:, rot_cols] * amc_deg, rot_axes) if rot_cols else orientation

    parents = [-1]
    offsets = [np.zeros(3)]
    sites = {}
    parent_of = {child: parent for parent, kids in skeleton.children.items() for child in kids}
    ignored = []
    for j, name in enumerate(bones, start=1):
        bone = skeleton.bones[name]
        parent = parent_of[name]
        parents.append(joints.index(parent))
        # The joint sits at the parent bone's end: the parent's vector in the (world-aligned)
        # rest frame of the parent joint; children of the root start at the root.
        if parent == "root":
            offsets.append(np.zeros(3))
        else:
            pb = skeleton.bones[parent]
            offsets.append(np.asarray(pb.direction) * pb.length * scale)
        sites[f"{name}_end"] = (name, tuple(float(v) for v in np.asarray(bone.direction) * bone.length * scale))
        C = fixed_axes_rotation(np.asarray(bone.axis) * asf_deg, bone.axis_order)
        rot = [(k, d[1].upper()) for k, d in enumerate(bone.dof) if d in ("rx", "ry", "rz")]
        ignored += [f"{name}.{d}" for d in bone.dof if d not in ("rx", "ry", "rz")]
        if rot:
            M = fixed_axes_rotation(arrays[name][:, [k for k, _ in rot]] * amc_deg, "".join(a for _, a in rot))
            rotations[:, j] = C @ M @ C.T
        else:
            rotations[:, j] = np.eye(3)
    parents_arr = np.array(parents)
    return Motion(
        name=path.stem,
        fps=float(fps),
        joints=joints,
        parents=parents_arr,
        offsets=np.stack(offsets),
        rotations=rotations,
        root_pos=root_pos,
        up="y",
        sites=sites,
        markers=guess_markers(joints, parents_arr, sites),
        meta={"file": str(path), "format": "amc", "skeleton": str(skeleton.path), "subject": cmu_subject(path.stem),
              "first_frame": 0, "last_frame": T - 1, "units": skeleton.units_name,
              "metres_per_unit": scale, "ignored_dof": ignored},
    )  # fmt: skip


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def count_amc_frames(path: str | Path) -> int:
    """Frames of an AMC file (its lines holding only a frame number), without parsing bones."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UserError(f"{path}: cannot read the AMC file ({exc.strerror or exc})") from None
    return len(re.findall(r"^[ \t]*\d+[ \t]*\r?$", text, flags=re.M))


__all__ = ["AsfBone", "AsfSkeleton", "CMU_FPS", "count_amc_frames", "find_asf", "fixed_axes_rotation", "read_amc", "read_asf"]
