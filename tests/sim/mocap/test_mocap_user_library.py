"""`synapt generate --mocap DIR`: a user's motion library (CMU's real files) becomes classes."""

from __future__ import annotations

import json

import numpy as np


def test_cmu_labels_become_classes_that_generate_and_regenerate(cmu_mocap, tmp_path):
    from synapt.cli import main
    from synapt.sim.catalog import BY_NAME, library_classes
    from synapt.sim.motion_quality import stance_foot_speed
    from synapt.sim.verify import read_manifest, regenerate_clip

    specs = {s.name: s for s in library_classes(cmu_mocap)}
    assert {"cmu_walk", "cmu_run_jog", "cmu_punch_strike"} <= set(specs)
    assert all(s.motion == "mocap:cmu" and s.id >= 100000 and BY_NAME[s.name] is s for s in specs.values())
    out = tmp_path / "ds"
    assert main(["generate", "--out", str(out), "--mocap", str(cmu_mocap), "--classes", "cmu_walk", "--per-class", "2",
                 "--frames", "30", "--fps", "15", "--size", "32", "--modalities", "rgb,pose", "--no-progress"]) == 0  # fmt: skip
    rows = read_manifest(out)
    assert len(rows) == 2
    for row in rows:
        action = row["params"]["action"]
        assert action["library"] == str(cmu_mocap.resolve()) and action["take_label"] == "walk"
        assert action["file"].endswith((".bvh", ".amc"))
        frames = [int(f) for f in action["source_frames"]]
        assert 0 <= frames[0] < frames[1]  # a 2 s window of a 120 fps take: about 240 source frames
        assert 150 <= frames[1] - frames[0] <= 330
        pose = np.load(out / row["modalities_path"])
        speeds = stance_foot_speed(pose["joints3d"], pose["joint_names"], 15)
        assert len(speeds) and np.median(speeds) <= 0.08
    assert json.loads((out / "generation.json").read_text())["mocap"] == [str(cmu_mocap.resolve())]
    sha, same = regenerate_clip(out, rows[0]["clip_id"], tmp_path / "again.mp4")
    assert same, "a clip of a user-library class must rebuild bit-identically"
