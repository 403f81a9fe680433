"""Fixtures of the mocap reader tests: the folder of real CMU clips, read in place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
# Beside the clone like the other real data; SYNAPT_MOCAP points elsewhere if needed.
CMU_MOCAP = Path(os.environ.get("SYNAPT_MOCAP", REPO.parent / "shared" / "mocap" / "cmu"))


@pytest.fixture(scope="session")
def cmu_mocap() -> Path:
    """The CMU mocap folder (``<subject>/<clip>.bvh|.amc``, ``index.tsv``); skip when absent."""
    if not CMU_MOCAP.is_dir():
        pytest.skip(f"CMU mocap folder {CMU_MOCAP} not found (set SYNAPT_MOCAP)")
    return CMU_MOCAP


# A two-joint BVH (root and an arm with an end site), three frames at 25 fps.
TINY_BVH = """HIERARCHY
ROOT root
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT arm
  {
    OFFSET 0 1 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 2 0
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.04
0 0 0 0 0 0 0.5 0 0
0 0 0 0 0 0 1.5 0 0
0 0 0 0 0 0 2.5 0 0
"""

# A one-bone ASF (lengths in metres: length unit 0.0254) and a two-frame AMC of it.
TINY_ASF = """:version 1.10
:units
  length 0.0254
  angle deg
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     name upper
     direction 0 1 0
     length 1
     axis 0 0 0 XYZ
    dof rx
  end
:hierarchy
  begin
    root upper
  end
"""
TINY_AMC = ":FULLY-SPECIFIED\n:DEGREES\n1\nroot 0 1 0 0 0 0\nupper 10\n2\nroot 0 1 0 0 0 0\nupper 20\n"


def deepmimic_text(frames: int, width: int = 44) -> str:
    """A DeepMimic clip of ``frames`` still frames at 30 fps (identity quaternions)."""
    # width 44: duration, root position, root quaternion, then 12 joints (4 or 1 values each).
    layout = [1, 3, 4] + [4, 4, 4, 1, 4, 4, 1, 4, 1, 4, 4, 1] if width == 44 else [1] * width
    frame = []
    for n in layout:
        frame += [1.0, 0.0, 0.0, 0.0] if n == 4 else [0.0] * n
    frame[0], frame[1:4] = 1 / 30, [0.0, 0.9, 0.0]
    return '{"Loop": "wrap", "Frames": [' + ",".join(str(frame) for _ in range(frames)) + "]}"


@pytest.fixture
def tiny_clips(tmp_path) -> Path:
    """A folder of one BVH, one ASF/AMC pair, one DeepMimic clip, and files a scan must skip."""
    root = tmp_path / "clips"
    (root / "bvh").mkdir(parents=True)
    (root / "cmu").mkdir()
    (root / "dm").mkdir()
    (root / "bvh" / "jump_high.bvh").write_text(TINY_BVH)
    (root / "bvh" / "broken.bvh").write_text(TINY_BVH.split("MOTION")[0])
    (root / "cmu" / "07.asf").write_text(TINY_ASF)
    (root / "cmu" / "07_05-walk.amc").write_text(TINY_AMC)
    (root / "dm" / "humanoid3d_spin.txt").write_text(deepmimic_text(4))
    (root / "dm" / "laikago_walk.txt").write_text(deepmimic_text(4, width=20))
    (root / "README.txt").write_text("not a clip\n")
    return root
