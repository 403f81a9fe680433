"""``synapt mocap index`` and ``synapt mocap info`` on copies of real CMU files and on deepmimic."""

from __future__ import annotations

import json
import shutil

import pytest

from synapt.cli import main
from synapt.sim.mocap.deepmimic import pybullet_data_root


@pytest.fixture
def cmu_copy(cmu_mocap, tmp_path):
    """Subject 02's walk in both formats plus CMU's label list, copied to a temp folder."""
    root = tmp_path / "cmu"
    (root / "02").mkdir(parents=True)
    for name in ("02_01.bvh", "02_01.amc", "02.asf"):
        shutil.copy(cmu_mocap / "02" / name, root / "02" / name)
    shutil.copy(cmu_mocap / "cmu-mocap-index-text.txt", root)
    return root


def test_index_then_info(cmu_copy, capsys):
    assert main(["mocap", "index", str(cmu_copy)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{cmu_copy / 'synapt_mocap_index.tsv'}: 2 files, 1 clips, 0.05 min"
    assert "  amc            1 files" in out and "  bvh            1 files" in out and "      1  walk" in out
    rows = (cmu_copy / "synapt_mocap_index.tsv").read_text().splitlines()
    assert rows[1:] == ["02_01\t02\t02/02_01.amc\tamc\t343\t120\twalk\t02/02.asf", "02_01\t02\t02/02_01.bvh\tbvh\t344\t120\twalk\t"]

    assert main(["mocap", "info", str(cmu_copy), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert {k: info[k] for k in ("clips", "files", "subjects", "formats", "labels")} == {
        "clips": 1, "files": 2, "subjects": 1, "formats": {"amc": 1, "bvh": 1}, "labels": {"walk": 1}}  # fmt: skip
    assert info["minutes"] == pytest.approx(343 / 120 / 60, abs=0.01)

    assert main(["mocap", "info", str(cmu_copy), "--clip", "02_01", "--json"]) == 0
    clip = json.loads(capsys.readouterr().out)
    assert (clip["format"], clip["frames"], clip["joints"], clip["units"], clip["missing_markers"]) == ("amc", 343, 31, "cmu", [])
    assert clip["leg_length_m"] == pytest.approx(0.8377, abs=1e-4) and clip["markers"]["knee_l"] == "ltibia"

    assert main(["mocap", "info", str(cmu_copy), "--clip", "02_01", "--format", "bvh"]) == 0
    text = capsys.readouterr().out
    assert "rest_frame_dropped   True" in text and "frames               343" in text
    assert "  shoulder_l   LeftArm" in text


def test_index_out_elsewhere_and_errors(cmu_copy, tmp_path, capsys):
    out = tmp_path / "idx" / "cmu.tsv"
    assert main(["mocap", "index", str(cmu_copy), "--out", str(out)]) == 0
    assert "\t../cmu/02/02_01.bvh\t" in out.read_text()
    capsys.readouterr()
    assert main(["mocap", "info", str(out), "--clip", "02_01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["frames"] == 343
    assert main(["mocap", "info", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["mocap", "info", str(cmu_copy), "--clip", "02_99"]) == 2
    assert capsys.readouterr().err.strip().endswith("no clip '02_99' (did you mean 02_01?)")


def test_info_deepmimic(capsys):
    if pybullet_data_root() is None:
        pytest.skip("pybullet_data not installed (pip install 'synapt[mocap]')")
    assert main(["mocap", "info", "deepmimic", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["clips"], info["formats"], info["labels"]["turn left"]) == (20, {"deepmimic": 20}, 2)
    assert main(["mocap", "info", "deepmimic", "--clip", "walk", "--json"]) == 0
    clip = json.loads(capsys.readouterr().out)
    assert (clip["frames"], clip["units"], clip["missing_markers"]) == (39, "m", [])
    assert 0.7 < clip["leg_length_m"] < 1.1
