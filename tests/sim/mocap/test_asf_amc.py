"""ASF/AMC reading: a tiny hand-written skeleton with known poses, then CMU's files against
the cgspeed BVH conversions of the same captures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synapt.errors import UserError
from synapt.sim.mocap.asf_amc import count_amc_frames, find_asf, fixed_axes_rotation, read_amc, read_asf
from synapt.sim.mocap.bvh import read_bvh
from synapt.sim.mocap.markers import leg_length, missing_markers
from synapt.sim.mocap.skeleton import axis_rotation

# Length unit 0.0254: one file unit is one metre. "lower" has its local x axis along world y.
ASF = """# AST/ASF file written by hand
# Copyright line like fairmotion's, to be skipped
:version 1.10
:name tiny
:units
  mass 1.0
  length 0.0254
  angle {angle}
:documentation
   free text, read until the next keyword
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name upper
     direction 0 1 0
     length 1
     axis 0 0 0  XYZ
    dof rx ry rz
    limits (-160.0 20.0)
           (-70.0 70.0)
           (-60.0 70.0)
  end
  begin
     id 2
     name lower
     direction 1 0 0
     length 2
     axis 0 0 {quarter} XYZ
    dof rx
    limits (-10.0 170.0)
  end
:hierarchy
  begin
    root upper
    upper lower
  end
"""

AMC = """#!OML:ASF tiny.asf
:FULLY-SPECIFIED
:{unit}
1
root 1 2 3 0 0 0
upper 0 0 0
lower {quarter}
2
root 1 2 3 0 0 0
upper 0 0 {quarter}
lower 0
"""


def tiny(tmp_path: Path, radians: bool = False, crlf: bool = True, amc: str | None = None) -> Path:
    q = str(np.pi / 2) if radians else "90"
    eol = "\r\n" if crlf else "\n"
    (tmp_path / "tiny.asf").write_bytes(ASF.format(angle="rad" if radians else "deg", quarter=q).replace("\n", eol).encode())
    text = amc if amc is not None else AMC.format(unit="RADIANS" if radians else "DEGREES", quarter=q)
    path = tmp_path / "tiny.amc"
    path.write_bytes(text.replace("\n", eol).encode())
    return path


def z_up(p) -> np.ndarray:
    x, y, z = np.asarray(p, dtype=float)
    return np.array([x, -z, y])


@pytest.mark.parametrize("radians", [False, True])
def test_tiny_skeleton_poses_land_where_computed_by_hand(tmp_path, radians):
    m = read_amc(tiny(tmp_path, radians=radians))
    assert m.joints == ("root", "upper", "lower") and m.frames == 2 and m.fps == 120.0 and m.up == "y"
    assert m.sites["lower_end"] == ("lower", pytest.approx((2.0, 0.0, 0.0)))
    p = m.points(["root", "upper", "lower", "lower_end"])
    # Frame 0: upper points up (y) from the root at (1, 2, 3); lower's dof rx turns about its
    # local x axis, which its axis (z 90) lays along world y: (2, 0, 0) becomes (0, 0, -2).
    expected = [[1, 2, 3], [1, 2, 3], [1, 3, 3], [1, 3, 1]]
    np.testing.assert_allclose(p[0], [z_up(v) for v in expected], atol=1e-12)
    # Frame 1: upper's rz 90 turns (0, 1, 0) to (-1, 0, 0) and carries lower along.
    np.testing.assert_allclose(p[1, 2:], [z_up([0, 2, 3]), z_up([0, 4, 3])], atol=1e-12)


def test_fixed_axes_rotation_is_first_listed_innermost():
    a, b, c = 10.0, -20.0, 30.0
    expected = axis_rotation("z", np.radians(c)) @ axis_rotation("y", np.radians(b)) @ axis_rotation("x", np.radians(a))
    np.testing.assert_allclose(fixed_axes_rotation(np.array([a, b, c]), "XYZ"), expected, atol=1e-12)
    expected = axis_rotation("x", np.radians(c)) @ axis_rotation("y", np.radians(b)) @ axis_rotation("z", np.radians(a))
    np.testing.assert_allclose(fixed_axes_rotation(np.array([a, b, c]), "ZYX"), expected, atol=1e-12)


def test_asf_fields_are_read(tmp_path):
    tiny(tmp_path)
    asf = read_asf(tmp_path / "tiny.asf")
    assert asf.metres_per_unit == pytest.approx(1.0) and asf.degrees
    assert asf.root_order == ("tx", "ty", "tz", "rx", "ry", "rz") and asf.order() == ["upper", "lower"]
    assert asf.bones["lower"].axis == (0.0, 0.0, 90.0) and asf.bones["lower"].dof == ("rx",)
    assert asf.bones["upper"].length == 1.0 and asf.children == {"root": ("upper",), "upper": ("lower",)}


def test_skeleton_is_found_beside_the_motion(tmp_path):
    amc = tiny(tmp_path)
    assert find_asf(amc) == tmp_path / "tiny.asf"  # the only .asf
    (tmp_path / "other.asf").write_text((tmp_path / "tiny.asf").read_text())
    assert find_asf(amc) == tmp_path / "tiny.asf"  # same stem
    cmu = tmp_path / "07_05.amc"
    cmu.write_text(amc.read_text())
    with pytest.raises(UserError, match=r"07_05\.amc: no skeleton found beside it \(looked for 07_05\.asf, 07\.asf; 2 \.asf files"):
        find_asf(cmu)
    (tmp_path / "07.asf").write_text((tmp_path / "tiny.asf").read_text())
    assert find_asf(cmu) == tmp_path / "07.asf"  # CMU's <subject>.asf
    assert read_amc(cmu).meta["subject"] == "07"


def test_amc_errors_name_the_file_and_line(tmp_path):
    bad = AMC.format(unit="DEGREES", quarter="90")
    with pytest.raises(UserError, match=r"tiny\.amc:7: bone lower has 2 values, its dof in tiny\.asf need 1"):
        read_amc(tiny(tmp_path, amc=bad.replace("lower 90", "lower 90 0")))
    with pytest.raises(UserError, match=r"tiny\.amc:6: 'uper' is not a bone of tiny\.asf"):
        read_amc(tiny(tmp_path, amc=bad.replace("upper 0 0 0", "uper 0 0 0")))
    with pytest.raises(UserError, match=r"tiny\.amc:8: frame 2 lists bone lower twice or not at all"):
        read_amc(tiny(tmp_path, amc=bad.replace("lower 0\n", "")))
    with pytest.raises(UserError, match=r"tiny\.amc:7: bone lower has a value that is not a number"):
        read_amc(tiny(tmp_path, amc=bad.replace("lower 90", "lower ninety")))
    with pytest.raises(UserError, match=r"tiny\.amc: no frames"):
        read_amc(tiny(tmp_path, amc=":DEGREES\n"))


def test_asf_errors(tmp_path):
    tiny(tmp_path)
    asf = tmp_path / "tiny.asf"
    text = asf.read_text()
    asf.write_text(text.replace("upper lower", "upper lowr"))
    with pytest.raises(UserError, match=r"tiny\.asf:40: hierarchy names bone 'lowr'"):
        read_asf(asf)
    asf.write_text(text.replace("    upper lower\n", ""))
    with pytest.raises(UserError, match=r"tiny\.asf: bones lower are not in the :hierarchy"):
        read_asf(asf)
    asf.write_text(text.replace("     length 2\n", ""))
    with pytest.raises(UserError, match=r"tiny\.asf:\d+: bone 'lower' needs a direction and a length"):
        read_asf(asf)


def test_count_amc_frames_reads_only_frame_numbers(tmp_path):
    assert count_amc_frames(tiny(tmp_path)) == 2


# --- the real CMU files ---------------------------------------------------------------------


def test_cmu_amc_markers_and_units(cmu_mocap):
    m = read_amc(cmu_mocap / "02" / "02_01.amc")
    assert m.frames == 343 and m.meta["units"] == "cmu" and len(m.joints) == 31
    assert missing_markers(m) == []
    # Each marker is a bone START (the joint named for the bone), the head its END.
    assert (m.markers["knee_l"], m.markers["shoulder_l"], m.markers["toe_l"]) == ("ltibia", "lhumerus", "ltoes")
    assert (m.markers["chest"], m.markers["neck"], m.markers["head"]) == ("thorax", "lowerneck", "head_end")


def test_fairmotion_copy_with_an_inserted_comment_line_reads(cmu_mocap):
    m = read_amc(cmu_mocap / "11" / "11_01.amc")  # CRLF, "# Copyright" as line 2 of both files
    assert m.frames == 597 == count_amc_frames(cmu_mocap / "11" / "11_01.amc")


LIMBS = [("hip_l", "knee_l"), ("knee_l", "ankle_l"), ("hip_r", "knee_r"), ("knee_r", "ankle_r"),
         ("shoulder_l", "elbow_l"), ("elbow_l", "wrist_l"), ("shoulder_r", "elbow_r"), ("elbow_r", "wrist_r")]  # fmt: skip


def pelvis_frame_directions(m, bones) -> dict[tuple[str, str], np.ndarray]:
    """Unit bone directions ``(T, 3)`` in the pelvis (root joint) frame, so world frames need not match."""
    R, p = m.global_pose()
    names = sorted({n for b in bones for n in b})
    pts = dict(zip(names, np.moveaxis(m.points([m.markers[n] for n in names]), 1, 0)))
    out = {}
    for a, b in bones:
        v = np.einsum("tji,tj->ti", R[:, 0], pts[b] - pts[a])
        out[(a, b)] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


@pytest.mark.parametrize("clip", ["02_01", "02_05"])  # walk, punch/strike
def test_bvh_and_amc_of_the_same_capture_agree(cmu_mocap, clip):
    bvh = read_bvh(cmu_mocap / "02" / f"{clip}.bvh")
    amc = read_amc(cmu_mocap / "02" / f"{clip}.amc")
    assert bvh.meta["rest_frame_dropped"] and bvh.frames == amc.frames
    bones = LIMBS + [("pelvis", "neck")]
    db, da = pelvis_frame_directions(bvh, bones), pelvis_frame_directions(amc, bones)
    angle = {k: np.degrees(np.arccos(np.clip((db[k] * da[k]).sum(-1), -1, 1))) for k in bones}
    for k in LIMBS:
        # Measured: median and 95th percentile 0.0001 deg, max 0.0002 (the files' 4-6 digits):
        # the AMC convention C @ M @ C^-1 with fixed-axis Euler angles gives cgspeed's rotations.
        assert np.median(angle[k]) < 0.01 and np.percentile(angle[k], 95) < 0.01, k
    # cgspeed drops the thorax bone (its Neck sits at Spine1 with offset 0), so the BVH neck is
    # the AMC's thorax start, 11.7 cm lower. Measured median / p95: 1.5 / 2.1 deg (02_01),
    # 2.4 / 4.2 deg (02_05).
    neck = angle[("pelvis", "neck")]
    assert np.median(neck) < 3.0 and np.percentile(neck, 95) < 5.0
    # The same root in both: identical world frames, position to the files' precision.
    np.testing.assert_allclose(bvh.root_pos, amc.root_pos, atol=1e-5)
    lb, la = leg_length(bvh), leg_length(amc)
    assert abs(lb - la) / la < 0.05 and 0.7 < lb < 1.1 and 0.7 < la < 1.1
