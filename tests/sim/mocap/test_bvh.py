"""BVH reading: tiny hand-written files with known poses, then the real CMU cgspeed files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synapt.errors import UserError
from synapt.sim.mocap.bvh import guess_units, is_rest_frame, read_bvh, read_bvh_header
from synapt.sim.mocap.markers import guess_markers, leg_length, missing_markers, name_parts
from synapt.sim.mocap.skeleton import MARKERS, axis_rotation

CHAIN = """HIERARCHY
ROOT root
{{
  OFFSET 0 0 0
  CHANNELS 6 {root_channels}
  JOINT arm
  {{
    OFFSET 0 1 0
    CHANNELS 3 {arm_channels}
    End Site
    {{
      OFFSET 0 2 0
    }}
  }}
}}
MOTION
Frames: {frames}
Frame Time: 0.04
{lines}
"""


def write(tmp_path: Path, text: str, name: str = "clip.bvh", crlf: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n" if crlf else "\n").encode())
    return path


def chain(tmp_path: Path, lines: list[str], root="Xposition Yposition Zposition Zrotation Xrotation Yrotation",
          arm="Zrotation Xrotation Yrotation", **kw) -> Path:  # fmt: skip
    text = CHAIN.format(root_channels=root, arm_channels=arm, frames=len(lines), lines="\n".join(lines))
    return write(tmp_path, text, **kw)


def y_up_to_z_up(p) -> np.ndarray:
    x, y, z = np.asarray(p, dtype=float)
    return np.array([x, -z, y])


def test_chain_with_a_90_degree_turn_lands_where_computed_by_hand(tmp_path):
    path = chain(tmp_path, ["1 2 3 0 0 0 0 0 0", "1 2 3 0 0 0 90 0 0"], crlf=True)
    m = read_bvh(path, units="m", drop_rest_frame=False)
    assert m.joints == ("root", "arm") and m.frames == 2 and m.fps == 25.0
    assert m.up == "y" and m.sites == {"arm_end": ("arm", (0.0, 2.0, 0.0))}
    p = m.points(["root", "arm", "arm_end"])
    # Frame 0: straight up the y axis from the root at (1, 2, 3).
    np.testing.assert_allclose(p[0], [y_up_to_z_up(v) for v in ([1, 2, 3], [1, 3, 3], [1, 5, 3])], atol=1e-12)
    # Frame 1: the arm turns 90 degrees about z, so its end points along -x.
    np.testing.assert_allclose(p[1, 2], y_up_to_z_up([-1, 3, 3]), atol=1e-12)


@pytest.mark.parametrize("order", ["XYZ", "ZXY", "YZX", "ZYX"])
def test_rotation_channels_compose_in_listed_order_first_outermost(tmp_path, order):
    angles = {"X": 30.0, "Y": -50.0, "Z": 70.0}
    arm = " ".join(f"{a}rotation" for a in order)
    values = " ".join(str(angles[a]) for a in order)
    m = read_bvh(chain(tmp_path, [f"0 0 0 0 0 0 {values}"], arm=arm), units="m", drop_rest_frame=False)
    expected = np.eye(3)
    for a in order:
        expected = expected @ axis_rotation(a.lower(), np.radians(angles[a]))
    np.testing.assert_allclose(m.rotations[0, 1], expected, atol=1e-12)
    end = m.points(["arm_end"])[0, 0]
    np.testing.assert_allclose(end, y_up_to_z_up(np.array([0, 1, 0]) + expected @ [0, 2, 0]), atol=1e-12)


def test_position_channels_in_any_order_place_the_root(tmp_path):
    m = read_bvh(chain(tmp_path, ["3 1 2 0 0 0 0 0 0"], root="Zposition Xposition Yposition Xrotation Yrotation Zrotation"),
                 units="cm", drop_rest_frame=False)  # fmt: skip
    np.testing.assert_allclose(m.root_pos[0], [0.01, 0.02, 0.03])
    assert m.meta["units"] == "cm" and m.offsets[1, 1] == pytest.approx(0.01)


def test_a_translating_non_root_joint_keeps_its_mean_offset(tmp_path):
    text = CHAIN.replace("CHANNELS 3 {arm_channels}", "CHANNELS 6 Xposition Yposition Zposition {arm_channels}")
    lines = ["0 0 0 0 0 0 0 1.0 0 0 0 0", "0 0 0 0 0 0 0 1.5 0 0 0 0"]
    text = text.format(root_channels="Xposition Yposition Zposition Zrotation Xrotation Yrotation",
                       arm_channels="Zrotation Xrotation Yrotation", frames=2, lines="\n".join(lines))  # fmt: skip
    m = read_bvh(write(tmp_path, text), units="m")
    np.testing.assert_allclose(m.offsets[1], [0.0, 1.25, 0.0])
    assert m.meta["translation_dropped"] == {"arm": pytest.approx(0.5)}


# A standing humanoid with MotionBuilder names, rest pose in file units; {s} scales it.
HUMANOID = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  JOINT LeftUpLeg
  { OFFSET 10 -5 0
    CHANNELS 3 Zrotation Yrotation Xrotation
    JOINT LeftLeg
    { OFFSET 0 -42 0
      CHANNELS 3 Zrotation Yrotation Xrotation
      JOINT LeftFoot
      { OFFSET 0 -40 0
        CHANNELS 3 Zrotation Yrotation Xrotation
        JOINT LeftToeBase
        { OFFSET 0 -5 12
          CHANNELS 3 Zrotation Yrotation Xrotation
          End Site
          { OFFSET 0 0 5 }
        }
      }
    }
  }
  JOINT RightUpLeg
  { OFFSET -10 -5 0
    CHANNELS 3 Zrotation Yrotation Xrotation
    JOINT RightLeg
    { OFFSET 0 -42 0
      CHANNELS 3 Zrotation Yrotation Xrotation
      JOINT RightFoot
      { OFFSET 0 -40 0
        CHANNELS 3 Zrotation Yrotation Xrotation
        End Site
        { OFFSET 0 -5 15 }
      }
    }
  }
  JOINT Spine
  { OFFSET 0 10 0
    CHANNELS 3 Zrotation Yrotation Xrotation
    JOINT Spine1
    { OFFSET 0 25 0
      CHANNELS 3 Zrotation Yrotation Xrotation
      JOINT Neck
      { OFFSET 0 20 0
        CHANNELS 3 Zrotation Yrotation Xrotation
        JOINT Head
        { OFFSET 0 10 0
          CHANNELS 3 Zrotation Yrotation Xrotation
          End Site
          { OFFSET 0 20 0 }
        }
      }
      JOINT LeftArm
      { OFFSET 18 15 0
        CHANNELS 3 Zrotation Yrotation Xrotation
        JOINT LeftForeArm
        { OFFSET 28 0 0
          CHANNELS 3 Zrotation Yrotation Xrotation
          JOINT LeftHand
          { OFFSET 25 0 0
            CHANNELS 3 Zrotation Yrotation Xrotation
          }
        }
      }
    }
  }
}
MOTION
"""
HUMANOID_JOINTS = 15


def humanoid(tmp_path: Path, frames: list[list[float]], scale: float = 1.0, name: str = "h.bvh", up: str = "y") -> Path:
    """HUMANOID with its OFFSETs scaled (cm at scale 1) and turned so that the body's up is ``up``."""

    def offset(line: str) -> str:
        head, _, rest = line.partition("OFFSET ")
        x, y, z, *tail = rest.split()
        x, y, z = (float(v) * scale for v in (x, y, z))
        if up == "z":
            y, z = -z, y  # a quarter turn about x: the body's up becomes +z
        elif up == "-y":
            y, z = -y, -z  # a half turn about x: upside down
        return f"{head}OFFSET {x:g} {y:g} {z:g} {' '.join(tail)}"

    text = "\n".join(offset(ln) if "OFFSET" in ln else ln for ln in HUMANOID.splitlines())
    body = "\n".join(" ".join(f"{v:g}" for v in f) for f in frames)
    return write(tmp_path, f"{text}\nFrames: {len(frames)}\nFrame Time: .0083333\n{body}\n", name)


def still(n: int, value: float = 0.0) -> list[list[float]]:
    return [[0.0, 92.0, 0.0] + [value] * (3 * HUMANOID_JOINTS) for _ in range(n)]


@pytest.mark.parametrize(("scale", "units"), [(1.0, "cm"), (0.01, "m"), (10.0, "mm"), (1 / 2.54, "in"), (0.45 / 2.54, "cmu")])
def test_units_are_guessed_from_the_rest_hip_height(tmp_path, scale, units):
    m = read_bvh(humanoid(tmp_path, still(2), scale=scale))
    assert m.meta["units"] == units
    # Hips to knee to ankle is 42 + 40 cm whatever the file's unit.
    assert leg_length(m) == pytest.approx(0.82, rel=1e-5)  # offsets are written to 6 digits


def test_guess_units_picks_the_human_scale():
    assert guess_units(17.0) == "cmu" and guess_units(36.0) == "in" and guess_units(95.0) == "cm"
    assert guess_units(0.0) == "m"


@pytest.mark.parametrize("up", ["y", "z"])
def test_up_axis_is_where_the_head_is_above_the_feet(tmp_path, up):
    m = read_bvh(humanoid(tmp_path, still(1), up=up))
    assert m.up == up and m.meta["up_from"] == "head above feet"
    head, toe = m.points([m.markers["head"], m.markers["toe_l"]])[0]
    # In our z-up world the head top is 1.77 m above the ball of the foot (92 cm below the hips, 85 above).
    assert head[2] - toe[2] == pytest.approx(1.77, abs=1e-9)


def test_head_below_the_feet_is_turned_upright(tmp_path):
    m = read_bvh(humanoid(tmp_path, still(1), up="-y"))
    assert m.up == "y" and m.meta["source_up"] == "-y"
    head, toe = m.points([m.markers["head"], m.markers["toe_l"]])[0]
    assert head[2] - toe[2] == pytest.approx(1.77, abs=1e-9)


def test_markers_of_motionbuilder_names_and_what_is_missing(tmp_path):
    m = read_bvh(humanoid(tmp_path, still(1)))
    assert m.markers == {
        "pelvis": "Hips", "hip_l": "LeftUpLeg", "knee_l": "LeftLeg", "ankle_l": "LeftFoot", "toe_l": "LeftToeBase",
        "hip_r": "RightUpLeg", "knee_r": "RightLeg", "ankle_r": "RightFoot", "toe_r": "RightFoot_end",
        "chest": "Spine1", "neck": "Neck", "head": "Head_end", "shoulder_l": "LeftArm", "elbow_l": "LeftForeArm",
        "wrist_l": "LeftHand",
    }  # fmt: skip
    assert missing_markers(m) == ["shoulder_r", "elbow_r", "wrist_r"]


def test_unmappable_names_still_load_with_fewer_markers(tmp_path):
    m = read_bvh(chain(tmp_path, ["0 0 0 0 0 0 0 0 0"]))
    assert m.markers == {"pelvis": "root"} and m.meta["up_from"] == "assumed"
    assert missing_markers(m) == list(MARKERS[1:])
    assert leg_length(m) is None


@pytest.mark.parametrize(("name", "parts"), [
    ("mixamorig:LeftUpLeg", ("l", "upleg")), ("LeftUpLeg", ("l", "upleg")), ("L_Hip", ("l", "hip")),
    ("hip_l", ("l", "hip")), ("thigh.L", ("l", "thigh")), ("upper_arm.R", ("r", "upperarm")),
    ("Bip01 R Forearm", ("r", "forearm")), ("lhumerus", ("l", "humerus")), ("lowerback", (None, "lowerback")),
    ("LHipJoint", ("l", "hipjoint")), ("Spine1", (None, "spine1")), ("HeadTop_End", (None, "headtopend")),
])  # fmt: skip
def test_name_parts(name, parts):
    assert name_parts(name) == parts


def test_mixamo_and_smpl_rigs_map_onto_every_marker():
    mixamo = ["Hips", "Spine", "Spine1", "Spine2", "Neck", "Head", "HeadTop_End"]
    parents = [-1, 0, 1, 2, 3, 4, 5]
    for side in ("Left", "Right"):
        base = len(mixamo)
        mixamo += [f"{side}UpLeg", f"{side}Leg", f"{side}Foot", f"{side}ToeBase"]
        parents += [0, base, base + 1, base + 2]
        base = len(mixamo)
        mixamo += [f"{side}Shoulder", f"{side}Arm", f"{side}ForeArm", f"{side}Hand"]
        parents += [3, base, base + 1, base + 2]
    names = tuple(f"mixamorig:{n}" for n in mixamo)
    markers = guess_markers(names, np.array(parents), {})
    assert missing_markers_of(markers) == []
    assert markers["chest"] == "mixamorig:Spine2" and markers["head"] == "mixamorig:HeadTop_End"
    assert markers["shoulder_l"] == "mixamorig:LeftArm" and markers["ankle_r"] == "mixamorig:RightFoot"

    smpl = ["Pelvis", "L_Hip", "R_Hip", "Spine1", "L_Knee", "R_Knee", "Spine2", "L_Ankle", "R_Ankle", "Spine3",
            "L_Foot", "R_Foot", "Neck", "L_Collar", "R_Collar", "Head", "L_Shoulder", "R_Shoulder", "L_Elbow",
            "R_Elbow", "L_Wrist", "R_Wrist"]  # fmt: skip
    smpl_parents = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19]
    markers = guess_markers(tuple(smpl), np.array(smpl_parents), {})
    assert missing_markers_of(markers) == []
    # SMPL's "Shoulder" is the glenohumeral joint (no "Arm" joint), its "Foot" the ball of the foot.
    assert markers["shoulder_l"] == "L_Shoulder" and markers["toe_l"] == "L_Foot" and markers["ankle_l"] == "L_Ankle"
    assert markers["chest"] == "Spine3" and markers["head"] == "Head"


def missing_markers_of(markers: dict[str, str]) -> list[str]:
    return [m for m in MARKERS if m not in markers]


def test_rest_frame_is_dropped_only_when_hand_posed(tmp_path):
    rest = still(1)[0]
    rest[3 + 3] = -21.0  # a whole-degree thigh turn, like cgspeed's T-pose
    captured = [[v + 0.1234 * (k + 1) for v in rest] for k in range(3)]
    m = read_bvh(humanoid(tmp_path, [rest] + captured))
    assert m.meta["rest_frame_dropped"] and m.frames == 3
    assert (m.meta["first_frame"], m.meta["last_frame"]) == (1, 3)
    assert m.root_pos[0, 1] == pytest.approx((92.0 + 0.1234) * 0.01)
    kept = read_bvh(humanoid(tmp_path, [rest] + captured), drop_rest_frame=False)
    assert not kept.meta["rest_frame_dropped"] and kept.frames == 4
    # Hand-keyed whole-degree animation is not a capture: nothing is dropped.
    keyed = read_bvh(humanoid(tmp_path, [rest, still(1, 10.0)[0], still(1, 20.0)[0]]))
    assert not keyed.meta["rest_frame_dropped"] and keyed.frames == 3
    assert read_bvh(humanoid(tmp_path, [rest] + captured), drop_rest_frame=True).frames == 3


def test_is_rest_frame_cases():
    captured = np.array([[1.5, 2.25], [1.6, 2.2]])
    assert is_rest_frame(np.vstack([[0, -21], captured]))
    assert is_rest_frame(np.array([[0, -21], [0, 0], [1.5, 2.5]]))  # 07_12: an all-zero first capture frame
    assert not is_rest_frame(captured)
    assert not is_rest_frame(np.zeros((3, 2)))  # a still clip keeps its first frame
    assert not is_rest_frame(np.array([[0.0, 0.0]]))


def test_missing_motion_section_names_the_file(tmp_path):
    path = write(tmp_path, CHAIN.split("MOTION")[0])
    with pytest.raises(UserError, match=r"clip\.bvh: no MOTION line"):
        read_bvh(path)


def test_wrong_number_of_values_names_the_line(tmp_path):
    path = chain(tmp_path, ["0 0 0 0 0 0 0 0 0", "0 0 0 0 0 0 0 0"])
    with pytest.raises(UserError, match=r"clip\.bvh:20: frame 1 has 8 values but the CHANNELS add up to 9"):
        read_bvh(path)


def test_frames_count_and_bad_numbers_are_reported(tmp_path):
    text = CHAIN.format(root_channels="Xposition Yposition Zposition Zrotation Xrotation Yrotation",
                        arm_channels="Zrotation Xrotation Yrotation", frames=3, lines="0 0 0 0 0 0 0 0 0")  # fmt: skip
    with pytest.raises(UserError, match=r"'Frames: 3' but 1 frame lines follow"):
        read_bvh(write(tmp_path, text))
    with pytest.raises(UserError, match=r"clip\.bvh:19: not a number"):
        read_bvh(chain(tmp_path, ["0 0 0 0 0 0 0 zero 0"]))
    with pytest.raises(UserError, match=r"clip\.bvh:9: unknown channel 'Wrotation'"):
        read_bvh(chain(tmp_path, ["0 0 0 0 0 0 0 0 0"], arm="Zrotation Xrotation Wrotation"))
    with pytest.raises(UserError, match=r"clip\.bvh:9: CHANNELS 3 lists 2 channel names"):
        read_bvh(chain(tmp_path, ["0 0 0 0 0 0 0 0"], arm="Zrotation Xrotation"))
    with pytest.raises(UserError, match=r"clip\.bvh:3: expected '\{', found 'OFFSET'"):
        read_bvh(write(tmp_path, CHAIN.replace("ROOT root\n{{", "ROOT root").format(
            root_channels="Xrotation", arm_channels="Xrotation", frames=1, lines="0 0")))  # fmt: skip


def test_header_is_read_without_the_frames(tmp_path):
    head = read_bvh_header(chain(tmp_path, ["0 0 0 0 0 0 0 0 0"] * 5))
    assert (head.frames, head.fps, head.joints) == (5, 25.0, ["root", "arm"])


# --- the real CMU files ---------------------------------------------------------------------


def test_cmu_cgspeed_walk(cmu_mocap):
    m = read_bvh(cmu_mocap / "02" / "02_01.bvh")
    # index.tsv: 344 frames in the file, the first the cgspeed rest pose.
    assert m.frames == 343 and m.meta["rest_frame_dropped"] and m.fps == 120.0
    assert m.meta["units"] == "cmu" and m.up == "y" and len(m.joints) == 31
    assert missing_markers(m) == []
    assert m.markers["shoulder_l"] == "LeftArm" and m.markers["head"] == "Head_end" and m.markers["chest"] == "Spine1"
    # Subject 02's ASF: femur 7.59371 + tibia 7.28717 (left), 7.58734 + 7.21538 (right), x 0.0254 / 0.45 m.
    assert leg_length(m) == pytest.approx((7.59371 + 7.28717 + 7.58734 + 7.21538) / 2 * 0.0254 / 0.45, rel=1e-4)
    pts = m.marker_positions()
    # z up: the head is well above the ankles in every frame of a walk.
    assert np.all(pts["head"][:, 2] - pts["ankle_l"][:, 2] > 1.2)


def test_cmu_3dsmax_naming_has_no_rest_frame(cmu_mocap):
    m = read_bvh(cmu_mocap / "131" / "131_01.bvh")
    assert m.frames == 994 and not m.meta["rest_frame_dropped"] and m.meta["units"] == "cmu"
    assert missing_markers(m) == []
    assert (m.markers["hip_l"], m.markers["shoulder_l"], m.markers["neck"]) == ("LeftHip", "LeftShoulder", "lowerneck")
