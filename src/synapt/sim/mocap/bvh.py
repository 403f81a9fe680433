"""Biovision BVH files: a HIERARCHY of joints with channels, then one line of values per frame.

Each joint's local transform is its OFFSET (parent frame, file units) followed by its rotation
channels in the listed order, degrees, intrinsic with the first listed axis outermost (so
``Zrotation Yrotation Xrotation`` is Rz @ Ry @ Rx). The root's position channels give its
position in the file's world. Files do not say their units or up axis, so both are read off
the rest skeleton (every rotation zero): the up axis is the one along which the head is above
the feet, the unit the one that makes the hip height a human's.

CMU's cgspeed conversions start with a hand-posed T-pose frame that is not part of the capture
(``Frames`` is the AMC's frame count + 1); ``drop_rest_frame="auto"`` recognises and drops it.
Their joints are the ASF's bones at the same place (``LeftUpLeg`` = start of ``lfemur``,
``LeftArm`` = start of ``lhumerus``), except that the thorax bone is dropped: ``Neck`` and the
clavicles start at ``Spine1`` (the thorax's start) with a zero OFFSET, 11.7 cm lower on subject
02 than in the AMC. Markers come from :func:`synapt.sim.mocap.markers.guess_markers`;
:func:`~synapt.sim.mocap.markers.missing_markers` lists those a file's names do not give.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synapt.errors import UserError
from synapt.sim.mocap.markers import guess_markers
from synapt.sim.mocap.skeleton import Motion, axis_rotation, euler_to_matrix

# Metres per file unit. "cmu" is the unit of CMU's ASF skeletons (inches / 0.45), which the
# cgspeed BVH conversions keep: their thigh OFFSETs equal the ASF femur lengths (7.594 for
# subject 02).
UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254, "cmu": 0.0254 / 0.45}
# Standing hip height of an adult (hip centre above the toes, m), what the unit guess aims at.
HIP_HEIGHT = 0.9
CHANNELS = ("Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation")


@dataclass
class BvhHeader:
    """What the HIERARCHY and the MOTION header of a BVH file say (file units).

    Attributes:
        joints: joint names, parents first (the order of the HIERARCHY).
        parents: parent index per joint (-1 for the root).
        offsets: ``(J, 3)`` OFFSET of each joint in its parent's frame, file units.
        channels: per joint, its channel names in file order.
        sites: ``<joint>_end`` -> (joint, OFFSET of the End Site), file units.
        frames: the ``Frames:`` count.
        frame_time: seconds per frame (``Frame Time:``).
        data_line: 0-based index of the first line after ``Frame Time:``.
    """

    joints: list[str] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    offsets: list[tuple[float, float, float]] = field(default_factory=list)
    channels: list[tuple[str, ...]] = field(default_factory=list)
    sites: dict[str, tuple[str, tuple[float, float, float]]] = field(default_factory=dict)
    frames: int = 0
    frame_time: float = 0.0
    data_line: int = 0

    @property
    def fps(self) -> float:
        """Frames per second; files write 1/120 as .0083333, so a near-whole rate is rounded."""
        fps = 1.0 / self.frame_time
        return float(round(fps)) if abs(fps - round(fps)) < 0.01 else round(fps, 4)


def read_text_lines(path: Path, kind: str) -> list[str]:
    """The lines of a text mocap file (any of LF, CRLF, mixed), or a UserError naming it."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the {kind} file ({exc.strerror or exc})") from None


def _tokens(lines: list[str], stop: int) -> list[tuple[str, int]]:
    return [(tok, n) for n, line in enumerate(lines[:stop], start=1) for tok in line.split()]


def parse_header(lines: list[str], path: Path) -> BvhHeader:
    """Parse the HIERARCHY and the ``Frames:`` / ``Frame Time:`` lines of a BVH file.

    Raises:
        UserError: naming the file and line of the first thing that is not BVH.
    """
    motion_line = next((n for n, line in enumerate(lines) if line.strip().upper() == "MOTION"), None)
    if motion_line is None:
        raise UserError(f"{path}: no MOTION line after the HIERARCHY (the file is cut short or is not BVH)")
    toks = _tokens(lines, motion_line)
    head = BvhHeader()
    pos = 0

    def take(what: str) -> tuple[str, int]:
        nonlocal pos
        if pos >= len(toks):
            raise UserError(f"{path}:{motion_line + 1}: the HIERARCHY ends before {what} (unbalanced braces?)")
        pos += 1
        return toks[pos - 1]

    def expect(word: str) -> int:
        tok, line = take(repr(word))
        if tok.upper() != word.upper():
            raise UserError(f"{path}:{line}: expected {word!r}, found {tok!r}")
        return line

    def floats(count: int, what: str) -> tuple[float, ...]:
        out = []
        for _ in range(count):
            tok, line = take(what)
            try:
                out.append(float(tok))
            except ValueError:
                raise UserError(f"{path}:{line}: {what} needs {count} numbers, found {tok!r}") from None
        return tuple(out)

    def node(keyword_line: int, parent: int) -> None:
        nonlocal pos
        # The name is the rest of the keyword's line (names may hold spaces: "Bip01 L Thigh").
        name_toks = []
        while pos < len(toks) and toks[pos][1] == keyword_line and toks[pos][0] != "{":
            name_toks.append(take("a joint name")[0])
        if not name_toks:
            raise UserError(f"{path}:{keyword_line}: ROOT/JOINT without a name")
        name = " ".join(name_toks)
        if name in head.joints:
            raise UserError(f"{path}:{keyword_line}: joint {name!r} is defined twice (joint names must be unique)")
        expect("{")
        j = len(head.joints)
        head.joints.append(name)
        head.parents.append(parent)
        head.offsets.append((0.0, 0.0, 0.0))
        head.channels.append(())
        while True:
            tok, line = take("'}'")
            key = tok.upper()
            if key == "OFFSET":
                head.offsets[j] = floats(3, "OFFSET")
            elif key == "CHANNELS":
                (count,) = floats(1, "CHANNELS")
                names = tuple(tok for tok, n in toks[pos : pos + int(count)] if n == line)
                if len(names) != int(count):
                    raise UserError(f"{path}:{line}: CHANNELS {int(count)} lists {len(names)} channel names (one per channel, on this line)")
                pos += len(names)
                for channel in names:
                    if channel.capitalize() not in CHANNELS:
                        raise UserError(f"{path}:{line}: unknown channel {channel!r} (channels are {', '.join(CHANNELS)})")
                head.channels[j] = tuple(c.capitalize() for c in names)
            elif key == "JOINT":
                node(line, j)
            elif key == "END":
                expect("Site")
                expect("{")
                expect("OFFSET")
                offset = floats(3, "End Site OFFSET")
                expect("}")
                site = f"{name}_end"
                if site in head.sites:
                    site = f"{name}_end{sum(s.startswith(site) for s in head.sites)}"
                head.sites[site] = (name, offset)
            elif key == "}":
                return
            else:
                raise UserError(f"{path}:{line}: unexpected {tok!r} in joint {name!r} (expected OFFSET, CHANNELS, JOINT, End Site or '}}')")

    expect("HIERARCHY")
    node(expect("ROOT"), -1)
    if pos < len(toks):
        tok, line = toks[pos]
        raise UserError(f"{path}:{line}: {tok!r} after the ROOT joint closed (one skeleton per file; check the braces)")

    def header_value(n: int, key: str) -> str:
        if n >= len(lines) or not lines[n].strip().lower().startswith(key.lower()):
            raise UserError(f"{path}:{n + 1}: expected '{key} ...' after MOTION")
        return lines[n].split(":", 1)[1].strip() if ":" in lines[n] else lines[n].strip()[len(key):].strip()

    try:
        head.frames = int(header_value(motion_line + 1, "Frames"))
        head.frame_time = float(header_value(motion_line + 2, "Frame Time"))
    except ValueError:
        raise UserError(f"{path}:{motion_line + 2}: Frames must be a whole number and Frame Time seconds") from None
    if head.frames < 1 or not head.frame_time > 0:
        raise UserError(f"{path}:{motion_line + 2}: Frames ({head.frames}) and Frame Time ({head.frame_time}) must be positive")
    head.data_line = motion_line + 3
    return head


def read_bvh_header(path: str | Path) -> BvhHeader:
    """The hierarchy, frame count and frame time of a BVH file, without reading its frames."""
    path = Path(path)
    lines = []
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                lines.append(line.rstrip("\r\n"))
                if line.strip().lower().startswith("frame time"):
                    break
    except OSError as exc:
        raise UserError(f"{path}: cannot read the BVH file ({exc.strerror or exc})") from None
    return parse_header(lines, path)


def _frame_values(lines: list[str], head: BvhHeader, width: int, path: Path) -> np.ndarray:
    """``(frames, width)`` channel values; every line must hold exactly ``width`` numbers."""
    rows = [(n, line.split()) for n, line in enumerate(lines[head.data_line :], start=head.data_line + 1)]
    rows = [(n, r) for n, r in rows if r]
    for k, (n, r) in enumerate(rows):
        if len(r) != width:
            raise UserError(f"{path}:{n}: frame {k} has {len(r)} values but the CHANNELS add up to {width} (fix or re-export the file)")
    if len(rows) != head.frames:
        raise UserError(f"{path}: 'Frames: {head.frames}' but {len(rows)} frame lines follow (fix the Frames line or the truncated file)")
    try:
        values = np.array([r for _, r in rows], dtype=float).reshape(len(rows), width)
    except ValueError:
        for n, r in rows:
            try:
                [float(v) for v in r]
            except ValueError as exc:
                raise UserError(f"{path}:{n}: not a number ({exc})") from None
        raise
    bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
    if bad.size:
        raise UserError(f"{path}:{rows[bad[0]][0]}: frame {bad[0]} holds nan or inf")
    return values


def is_rest_frame(rotations: np.ndarray) -> bool:
    """Whether frame 0 of ``(T, channels)`` rotation values (degrees) is a hand-posed rest pose.

    cgspeed's rest frame is a T-pose written by hand: every rotation a whole number of degrees
    (mostly 0; thighs and arms turned by 21, 16, 11, 8 to straighten them), while captured
    frames carry four decimals. So frame 0 counts as a rest frame when all its values are whole,
    it differs from frame 1 (a still clip keeps its first frame), and some later frame is not
    whole (the file holds a capture, not hand-keyed whole-degree poses). Frame 1 itself may be
    whole: 07_12's first captured frame is all zeros.
    """
    if rotations.ndim != 2 or rotations.shape[0] < 2 or rotations.shape[1] == 0:
        return False
    whole = np.all(np.abs(rotations - np.round(rotations)) < 1e-6, axis=1)
    return bool(whole[0] and not whole[1:].all() and np.abs(rotations[0] - rotations[1]).max() > 1e-6)


def _rest_positions(head: BvhHeader) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Joint and site positions at rest (every rotation zero), file units, file axes."""
    pos = np.zeros((len(head.joints), 3))
    offsets = np.asarray(head.offsets, dtype=float)
    for j in range(1, len(head.joints)):
        pos[j] = pos[head.parents[j]] + offsets[j]
    sites = {name: pos[head.joints.index(joint)] + np.asarray(off) for name, (joint, off) in head.sites.items()}
    return pos, sites


def _up_axis(rest: dict[str, np.ndarray], markers: dict[str, str]) -> tuple[int, int] | None:
    """(axis 0..2, sign) along which the head is above the feet at rest, or None if unknown."""
    feet = [markers[m] for m in ("ankle_l", "ankle_r", "toe_l", "toe_r") if m in markers]
    if "head" not in markers or not feet:
        return None
    d = rest[markers["head"]] - np.mean([rest[f] for f in feet], axis=0)
    axis = int(np.argmax(np.abs(d)))
    return axis, int(np.sign(d[axis]))


# A rotation taking each signed source up axis to +y, or +z kept as it is (a z-up world).
_UP_FIXES = {
    (1, 1): ("y", np.eye(3)),
    (2, 1): ("z", np.eye(3)),
    (1, -1): ("y", axis_rotation("x", math.pi)),
    (2, -1): ("z", axis_rotation("x", math.pi)),
    (0, 1): ("y", axis_rotation("z", math.pi / 2)),
    (0, -1): ("y", axis_rotation("z", -math.pi / 2)),
}


def cmu_subject(stem: str) -> str:
    """The subject of a CMU-style clip name (``"02_01"`` -> ``"02"``), else ``""``."""
    match = re.match(r"(\d+)_\d+", stem)
    return match.group(1) if match else ""


def guess_units(hip_height: float) -> str:
    """The :data:`UNITS` name that makes ``hip_height`` (file units) closest to a human's 0.9 m."""
    if not hip_height > 0:
        return "m"
    return min(UNITS, key=lambda u: abs(math.log(hip_height * UNITS[u] / HIP_HEIGHT)))


def read_bvh(path: str | Path, *, drop_rest_frame: bool | str = "auto", units: str = "auto") -> Motion:
    """Read one BVH file.

    Args:
        path: the ``.bvh`` file.
        drop_rest_frame: ``"auto"`` drops frame 0 when it is a hand-posed rest pose
            (:func:`is_rest_frame`); True always drops it, False never.
        units: a :data:`UNITS` name, or ``"auto"`` to guess it from the rest hip height.

    Returns:
        The motion in metres; ``meta`` records ``units``, ``up_from`` (``"head above feet"`` or
        ``"assumed"`` when the names give no head or feet), ``rest_frame_dropped`` and the
        range of file frames kept (``first_frame``, ``last_frame``, 0-based).

    Raises:
        UserError: malformed file (naming the file and line) or an unknown ``units``.
    """
    path = Path(path)
    if units != "auto" and units not in UNITS:
        raise UserError(f"{path}: unknown units {units!r} (use one of auto, {', '.join(UNITS)})")
    lines = read_text_lines(path, "BVH")
    head = parse_header(lines, path)
    width = sum(len(c) for c in head.channels)
    values = _frame_values(lines, head, width, path)

    J = len(head.joints)
    parents = np.array(head.parents)
    offsets = np.asarray(head.offsets, dtype=float)
    rest, rest_sites = _rest_positions(head)
    markers = guess_markers(tuple(head.joints), parents, head.sites)
    named = {**{n: rest[j] for j, n in enumerate(head.joints)}, **rest_sites}

    up_found = _up_axis(named, markers)
    up, base = _UP_FIXES[up_found] if up_found else ("y", np.eye(3))
    up_index = up_found[0] if up_found else 1
    if units == "auto":
        points = np.concatenate([rest, np.array(list(rest_sites.values())).reshape(-1, 3)])
        pelvis = named[markers["pelvis"]]
        units = guess_units(float(pelvis[up_index] - points[:, up_index].min()))
    scale = UNITS[units]

    # Column of every channel, then which rotation columns decide about the rest frame.
    columns = np.cumsum([0] + [len(c) for c in head.channels])
    rot_cols = [int(columns[j]) + k for j, chans in enumerate(head.channels) for k, c in enumerate(chans) if c.endswith("rotation")]
    T = len(values)
    dropped = False
    if drop_rest_frame == "auto":
        dropped = is_rest_frame(values[:, rot_cols])
    elif drop_rest_frame:
        if T < 2:
            raise UserError(f"{path}: drop_rest_frame=True needs at least 2 frames, the file has {T}")
        dropped = True
    first = 1 if dropped else 0
    values = values[first:]

    rotations = np.broadcast_to(np.eye(3), (len(values), J, 3, 3)).copy()
    root_pos = np.broadcast_to(offsets[0], (len(values), 3)).copy()
    stray: dict[str, float] = {}
    for j, channels in enumerate(head.channels):
        col = int(columns[j])
        rot = [(col + k, c[0]) for k, c in enumerate(channels) if c.endswith("rotation")]
        for k, c in enumerate(channels):
            if c.endswith("position"):
                axis = "XYZ".index(c[0])
                if j == 0:
                    # Position channels place the root absolutely (Blender, Mixamo, MotionBuilder
                    # write the rest position as OFFSET *and* in the channels).
                    root_pos[:, axis] = values[:, col + k]
                else:
                    # A Motion's bones are rigid: a translating non-root joint keeps its mean,
                    # and meta says how far (metres) it strayed from it.
                    offsets[j, axis] = float(values[:, col + k].mean())
                    spread = float(np.ptp(values[:, col + k]))
                    stray[head.joints[j]] = max(stray.get(head.joints[j], 0.0), spread)
        if rot:
            rotations[:, j] = euler_to_matrix(values[:, [c for c, _ in rot]], "".join(a for _, a in rot))

    # A world with an up axis other than +y or +z is turned onto one at the root.
    rotations[:, 0] = base @ rotations[:, 0]
    root_pos = root_pos @ base.T

    subject = cmu_subject(path.stem)
    return Motion(
        name=path.stem,
        fps=head.fps,
        joints=tuple(head.joints),
        parents=parents,
        offsets=offsets * scale,
        rotations=rotations,
        root_pos=root_pos * scale,
        up=up,
        sites={name: (joint, tuple(float(v) * scale for v in off)) for name, (joint, off) in head.sites.items()},
        markers=markers,
        meta={"file": str(path), "format": "bvh", "subject": subject, "first_frame": first, "last_frame": T - 1,
              "units": units, "metres_per_unit": scale, "rest_frame_dropped": dropped,
              "up_from": "head above feet" if up_found else "assumed",
              "translation_dropped": {name: spread * scale for name, spread in stray.items()},
              "source_up": f"{'+' if up_found[1] > 0 else '-'}{'xyz'[up_found[0]]}" if up_found else "+y"},
    )  # fmt: skip


__all__ = ["BvhHeader", "UNITS", "cmu_subject", "guess_units", "is_rest_frame", "parse_header", "read_bvh", "read_bvh_header"]
