import json
import shutil

import numpy as np
import pytest

from synapt.sim import generate_dataset
from synapt.sim.verify import read_manifest, regenerate_clip, verify_dataset, frames_equal
from synapt.sim.video import read_frames



def test_layout_manifest_and_classes(tiny_dataset):
    rows = read_manifest(tiny_dataset)
    assert len(rows) == 6
    classes = json.loads((tiny_dataset / "classes.json").read_text())
    assert [c["name"] for c in classes] == ["sit_down", "stand_up", "push_left_to_right"]
    assert [c["id"] for c in classes] == [0, 1, 2]
    for row in rows:
        assert row["path"] == f"videos/{row['class_name']}/{row['clip_id']}.mp4"
        assert classes[row["label"]]["name"] == row["class_name"]
        assert (row["frames"], row["width"], row["height"], row["fps"]) == (4, 32, 32, 2)
        assert {"actor", "camera", "scene", "action"} <= set(row["params"])
        assert len(row["sha256"]) == 64
    assert "complete" in (tiny_dataset / "dataset_card.md").read_text()
    frames = read_frames(tiny_dataset / rows[0]["path"])
    assert frames.shape == (4, 32, 32, 3)


def test_same_clip_twice_gives_identical_bytes(tiny_dataset, tmp_path):
    row = read_manifest(tiny_dataset)[2]
    sha, same = regenerate_clip(tiny_dataset, row["clip_id"], tmp_path / "again.mp4")
    assert same and sha == row["sha256"]
    assert frames_equal(tmp_path / "again.mp4", tiny_dataset / row["path"])


def test_workers_and_shards_give_identical_files(tmp_path, tiny):
    kwargs = dict(classes="clap,drop_object", **{**tiny, "per_class": 2})
    one = generate_dataset(tmp_path / "one", workers=1, **kwargs)
    two = generate_dataset(tmp_path / "two", workers=2, **kwargs)
    sharded = tmp_path / "sharded"
    generate_dataset(sharded, shard="0/2", **kwargs)
    assert len(read_manifest(sharded)) == 2  # half of the 4 clips so far
    assert "INCOMPLETE" in (sharded / "dataset_card.md").read_text()
    generate_dataset(sharded, shard="1/2", **kwargs)
    shas = [{r["clip_id"]: r["sha256"] for r in read_manifest(d)} for d in (one, two, sharded)]
    assert len(shas[0]) == 4 and shas[0] == shas[1] == shas[2]


def test_resume_after_a_kill(tmp_path, tiny):
    kwargs = dict(classes="bow,lift_object", **tiny)
    out = generate_dataset(tmp_path / "ds", **kwargs)
    rows = read_manifest(out)
    # Simulate a run killed mid-way: one clip's sidecar never written, a temp file left over,
    # a truncated mp4 in place of another, and a stale manifest.
    victim, truncated = rows[0], rows[1]
    (out / victim["path"]).with_suffix(".json").unlink()
    (out / victim["path"]).parent.joinpath(".tmp-partial.mp4.tmp").write_bytes(b"\0" * 10)
    (out / truncated["path"]).with_suffix(".json").unlink()
    (out / truncated["path"]).write_bytes((out / truncated["path"]).read_bytes()[:100])
    (out / "manifest.jsonl").write_text("")
    generate_dataset(out, **kwargs)
    assert verify_dataset(out, progress=False) == []
    assert {r["sha256"] for r in read_manifest(out)} == {r["sha256"] for r in rows}


def test_verify_names_each_bad_clip(tmp_path, tiny_dataset):
    ds = tmp_path / "copy"
    shutil.copytree(tiny_dataset, ds)
    rows = read_manifest(ds)
    p = ds / rows[0]["path"]
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    (ds / rows[3]["path"]).unlink()
    bad = dict(verify_dataset(ds, progress=False))
    assert bad == {rows[0]["clip_id"]: "sha256 mismatch", rows[3]["clip_id"]: "file missing"}


def test_changed_settings_are_refused(tmp_path, tiny):
    from synapt.errors import UserError

    generate_dataset(tmp_path / "ds", classes="bow", **tiny)
    with pytest.raises(UserError, match="frames differ"):
        generate_dataset(tmp_path / "ds", classes="bow", **{**tiny, "frames": 6})


def test_modalities_npz(tmp_path, tiny):
    out = generate_dataset(tmp_path / "ds", classes="wave_right_hand", modalities=("rgb", "depth", "segmentation", "pose"), **tiny)
    row = read_manifest(out)[0]
    extra = np.load(out / row["modalities_path"])
    assert extra["depth"].shape == (4, 32, 32)
    assert extra["instance"].shape == (4, 32, 32) and (extra["instance"] == 1).any()
    assert extra["body_part"].max() > 1
    assert extra["joints3d"].shape == (4, 15, 3) and extra["joints2d"].shape == (4, 15, 2)
    assert extra["intrinsics"].shape == (4, 3, 3) and extra["extrinsics"].shape == (4, 4, 4)
    # The actor is in view: its projected head lies inside the image.
    assert ((extra["joints2d"] >= 0) & (extra["joints2d"] < 32)).all(axis=-1).mean() > 0.5
    # Depth where the actor is visible is closer than the camera distance + 2 m and positive.
    d = extra["depth"].astype(float)[extra["instance"] == 1]
    assert (d > 0).all() and (d < row["params"]["camera"]["distance"] + 2).all()


def test_sensitive_attribute_distribution_is_configurable_and_recorded(tmp_path, tiny):
    from synapt.sim.actor import ActorDistribution

    only_deep = ActorDistribution(skin_tone_weights=(0,) * 9 + (1,), presentation_weights=(0, 1, 0))
    out = generate_dataset(tmp_path / "ds", classes="clap,bow", actor_distribution=only_deep, **{**tiny, "per_class": 3})
    rows = read_manifest(out)
    assert all(r["params"]["actor"]["skin_tone"] >= 8.5 for r in rows)
    assert {r["params"]["actor"]["presentation"] for r in rows} == {"feminine"}
    assert rows[0]["params"]["actor_distribution"]["skin_tone_weights"][-1] == 1
    # regenerate rebuilds from the recorded distribution
    sha, same = regenerate_clip(out, rows[1]["clip_id"], tmp_path / "r.mp4")
    assert same
