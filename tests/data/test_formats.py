"""Format loaders: official counts from the real annotation files, small built files otherwise."""

from __future__ import annotations

import collections
import json

import numpy as np
import pytest

from synapt.data.formats import LOADERS, load_dataset
from synapt.data.formats.ikeafa import action_runs
from synapt.data.formats.ssv2 import template_key
from synapt.data.formats.uav_human import parse_name
from synapt.errors import UserError


@pytest.mark.parametrize("split, train, test", [(1, 9537, 3783), (2, 9586, 3734), (3, 9624, 3696)])
def test_ucf101_official_split_sizes(realdata, tmp_path, split, train, test):
    index = load_dataset("ucf101", tmp_path, annotations=realdata / "ucf101", split=split)
    assert index.num_classes == 101
    assert {k: len(v) for k, v in index.splits.items()} == {"train": train, "test": test}
    assert len(index.missing) == train + test  # no videos on disk, all reported


def test_ucf101_labels_come_from_the_folder_and_groups_split(realdata, tmp_path):
    index = load_dataset("ucf101", tmp_path, annotations=realdata / "ucf101")
    hspu = [r for r in index.splits["test"] if "HandStandPushups" in r.path]
    assert hspu and {index.class_names[r.label] for r in hspu} == {"HandstandPushups"}
    assert index.class_names[36] == "HandstandPushups"
    assert {r.meta["group"] for r in index.splits["test"]} == set(range(1, 8))
    assert index.splits["train"][0].path.endswith("UCF-101/ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi")


def test_ucf101_bad_split_and_wrong_label(realdata, tmp_path):
    with pytest.raises(UserError, match="splits 1, 2, 3"):
        load_dataset("ucf101", tmp_path, annotations=realdata / "ucf101", split=4)
    (tmp_path / "classInd.txt").write_text("1 A\r\n2 B\r\n")
    (tmp_path / "trainlist01.txt").write_text("A/v_A_g01_c01.avi 1\r\nB/v_B_g01_c01.avi 1\r\n")
    (tmp_path / "testlist01.txt").write_text("A/v_A_g02_c01.avi\r\n")
    with pytest.raises(UserError, match=r"trainlist01.txt line 2: label 1 disagrees with folder 'B'"):
        load_dataset("ucf101", tmp_path)


@pytest.mark.parametrize("split", [1, 2, 3])
def test_hmdb51_official_split_sizes(realdata, tmp_path, split):
    index = load_dataset("hmdb51", tmp_path, annotations=realdata / "hmdb51" / "testTrainMulti_7030_splits", split=split)
    assert index.num_classes == 51
    assert index.class_names == (realdata / "hmdb51" / "label_map.txt").read_text().split()
    assert {k: len(v) for k, v in index.splits.items()} == {"train": 3570, "test": 1530}
    per_class = collections.Counter(r.label for r in index.splits["train"])
    assert set(per_class.values()) == {70}


def test_hmdb51_finds_the_official_split_folder_one_level_down(realdata, tmp_path):
    # The official archive unpacks to a folder holding testTrainMulti_7030_splits/.
    index = load_dataset("hmdb51", tmp_path, annotations=realdata / "hmdb51", split=1)
    assert {k: len(v) for k, v in index.splits.items()} == {"train": 3570, "test": 1530}


def test_a_missing_annotation_says_where_it_looked(tmp_path):
    from synapt.errors import UserError

    with pytest.raises(UserError) as err:
        load_dataset("hmdb51", tmp_path, annotations=tmp_path / "ann", split=1)
    assert str(tmp_path / "ann") in str(err.value) and "testTrainMulti_7030_splits" in str(err.value)


def test_ssv2_validation_and_template_labels(realdata, tmp_path):
    index = load_dataset("ssv2", tmp_path, annotations=realdata / "mini_ssv2")
    assert index.num_classes == 174 and len(index.splits["val"]) == 24777
    assert "train" not in index.splits  # the train json is not among the real files
    assert template_key("Tipping [something] with [something in it] over") == "Tipping something with something in it over"
    first = index.splits["val"][0]
    assert first.path.endswith("74225.webm")
    assert index.class_names[first.label] == "Spinning something that quickly stops spinning"
    left = index.class_names.index("Pushing something from left to right")
    assert index.class_names[index.flip_map[left]] == "Pushing something from right to left"
    assert len(index.flip_map) == 6  # three left/right pairs; "pulling it right out" names no side


def test_mini_ssv2_relabels_87_classes_in_file_order(realdata, tmp_path):
    index = load_dataset("mini_ssv2", tmp_path, annotations=realdata / "mini_ssv2")
    assert index.num_classes == 87 and len(index.splits["val"]) == 11799
    labels = json.loads((realdata / "mini_ssv2" / "something-something-v2-labels.json").read_text())
    official = [int(labels[name]) for name in index.class_names]
    assert official[:6] == [0, 1, 3, 7, 9, 10] and official[-1] == 172
    assert collections.Counter(r.label for r in index.splits["val"]).keys() <= set(range(87))


def test_diving48_sizes_and_empty_class_30(realdata, tmp_path):
    index = load_dataset("diving48", tmp_path, annotations=realdata / "diving48")
    assert index.num_classes == 48
    assert {k: len(v) for k, v in index.splits.items()} == {"train": 15027, "test": 1970}
    assert index.class_names == (realdata / "diving48" / "label_map.txt").read_text().split()
    used = {r.label for records in index.splits.values() for r in records}
    assert 30 not in used and len(used) == 47
    assert index.splits["train"][0].end_frame is None and index.splits["train"][0].meta["length_hint"] == 48


def test_kinetics_val_csv_and_unlabelled_test(realdata, tmp_path):
    index = load_dataset("kinetics", tmp_path, annotations=realdata / "kinetics")
    assert index.num_classes == 400 and len(index.splits["val"]) == 19906
    assert index.splits["test"] == []
    air = next(r for r in index.splits["val"] if r.meta["youtube_id"] == "--nQbRBEz2s")
    assert index.class_names[air.label] == "air drumming" and air.path.endswith("--nQbRBEz2s_000104_000114.mp4")


def test_kinetics_finds_present_videos_and_reports_the_rest(tmp_path):
    (tmp_path / "val").mkdir()
    (tmp_path / "val" / "abc_000001_000011.mkv").write_bytes(b"x")
    (tmp_path / "validate.csv").write_text(
        "label,youtube_id,time_start,time_end,split\nwashing feet,abc,1.0,11.0,validate\ntesting,-xy,0,10,validate\n"
    )
    index = load_dataset("kinetics", tmp_path)
    assert index.class_names == ["testing", "washing feet"]
    assert index.splits["val"][0].path.endswith("val/abc_000001_000011.mkv")
    assert index.missing == [str(tmp_path / "val" / "-xy_000000_000010.mp4")]
    assert len(index.drop_missing().splits["val"]) == 1


def test_synapt_k150_and_sim150_lists(realdata, tmp_path):
    k150 = load_dataset("synapt_list", tmp_path, annotations=realdata / "kinetics" / "synapt_k150", check_files=False)
    assert k150.num_classes == 150
    assert {k: len(v) for k, v in k150.splits.items()} == {"train": 89665, "val": 7423}
    sim = load_dataset("synapt_list", tmp_path, annotations=realdata / "synapt", check_files=False)
    assert len(sim.splits["val"]) == 12547
    assert len({r.label for r in sim.splits["val"]}) == 150
    by_name = {r.meta["name"].split("/")[0]: r.label for r in sim.splits["val"]}
    assert sim.class_names[by_name["a0"]] == "punching and knee lifting"  # trailing space stripped
    assert sim.class_names[by_name["a27"]] == "standing rotation"  # a<k> is line k+1
    assert sim.class_names[by_name["back_pain"]] == "back pain"


def test_uav_human_names_splits_and_readme_classes(realdata, tmp_path):
    names = [
        "P070S01G10B00H10UC102000LC092000A031R0_09131758.avi",  # subject 70: CSv1 train
        "P001S00G10B10H10UC022000LC021000A154R1_08241716.avi",  # subject 1: CSv1 test
        "0001.avi",  # anonymised competition file: no label, left out
    ]
    (tmp_path / "videos").mkdir()
    for name in names:
        (tmp_path / "videos" / name).write_bytes(b"")
    index = load_dataset("uav_human", tmp_path, annotations=realdata / "uav_human")
    assert index.num_classes == 155 and index.class_names[0] == "drink"
    assert index.class_names[154] == "close an umbrella"
    assert [(r.label, r.meta["subject"]) for r in index.splits["train"]] == [(31, 70)]
    assert [(r.label, r.meta["subject"]) for r in index.splits["test"]] == [(154, 1)]
    csv2 = load_dataset("uav_human", tmp_path, annotations=realdata / "uav_human", split=2)
    assert len(csv2.splits["train"]) == 1 and csv2.splits["test"][0].meta["subject"] == 1
    assert parse_name("P000S00G10B10H10UC022000LC021000A000R0_08241716") == {"subject": 0, "setup": 0, "action": 0, "replicate": 0}


def write_ikea_db(path, videos):
    import scipy.io

    dtype = [("video_id", "O"), ("seq_idx", "O"), ("clip_path", "O"), ("num_frames", "O"), ("person_idx", "O"),
             ("activity_id", "O"), ("activity_labels", "O")]  # fmt: skip
    db = np.zeros((1, len(videos)), dtype=dtype)
    names = ["", "attach leg 1", "attach leg 2", "attach leg 3", "attach leg 4", "detach leg 1", "detach leg 2",
             "detach leg 3", "detach leg 4", "flip over", "spin in", "spin out", "pick leg"]  # fmt: skip
    for k, (video_id, person, activity) in enumerate(videos):
        activity = np.asarray(activity, dtype=np.float64)
        db[0, k] = (
            video_id, k + 1, f"/data/home/cherian/IkeaDataset/Frames/2016-08-11/GOPR{video_id:04d}", len(activity), person,
            activity, np.array([names[int(a)] for a in activity], dtype=object),
        )  # fmt: skip
    scipy.io.savemat(path, {"IkeaDB": db})


def test_ikeafa_runs_subjects_and_time_mapping(tmp_path, make_video):
    activity_a = [0] * 4 + [1] * 10 + [9] * 3 + [12] * 8 + [0] * 5  # 30 annotation frames
    activity_b = [2] * 10 + [0] * 10
    write_ikea_db(tmp_path / "IkeaClipsDB.mat", [(3, 2, activity_a), (7, 11, activity_b)])
    # video 3 is on disk with 60 frames: annotation frames map by time (x2)
    make_video("videos/2016-08-11/GOPR0003.MP4", frames=60, height=16, width=16)
    index = load_dataset("ikeafa", tmp_path)
    assert index.class_names[0] == "attach leg 1" and index.num_classes == 12
    train = [(r.label, r.start_frame, r.end_frame) for r in index.splits["train"]]
    assert train == [(0, 8, 28), (11, 34, 50)]  # the 3-frame "flip over" run is too short
    test = index.splits["test"][0]
    assert (test.label, test.start_frame, test.end_frame, test.meta["frame_unit"]) == (1, 0, 10, "annotation")
    assert index.missing == [test.path]
    assert action_runs(np.array([0, 5, 5, 0, 5]), min_frames=1) == [(5, 1, 3), (5, 4, 5)]


def test_generic_lists_ppma_and_ibm_frame_lists(tmp_path):
    (tmp_path / "classes.txt").write_text("run\njump\n")
    (tmp_path / "train.txt").write_text("a/one.mp4 0\na/two.mp4 jump\n")
    (tmp_path / "val.txt").write_text("frames/x 3 20 1\n")
    index = load_dataset("list", tmp_path, check_files=False)
    assert [(r.path.split("/")[-1], r.label) for r in index.splits["train"]] == [("one.mp4", 0), ("two.mp4", 1)]
    val = index.splits["val"][0]
    assert (val.label, val.start_frame, val.end_frame) == (1, 2, 20)  # files 00003..00020
    (tmp_path / "train.txt").write_text("a/one.mp4 walk\n")
    with pytest.raises(UserError, match=r"train.txt line 1: unknown class 'walk'"):
        load_dataset("list", tmp_path)
    ppma = tmp_path / "ppma"
    ppma.mkdir()
    (ppma / "ppma_train.txt").write_text("clips/a b.mp4;2\n")
    index = load_dataset("ppma", ppma, check_files=False)
    assert index.splits["train"][0].path.endswith("clips/a b.mp4") and index.class_names == ["class_0", "class_1", "class_2"]


def test_folder_per_class_with_and_without_splits(tmp_path):
    for cls in ("walk", "run"):
        (tmp_path / "flat" / cls).mkdir(parents=True)
        (tmp_path / "flat" / cls / "v1.mp4").write_bytes(b"")
    (tmp_path / "flat" / "run" / "notes.txt").write_text("not a video")
    index = load_dataset("folder", tmp_path / "flat")
    assert index.class_names == ["run", "walk"] and [r.label for r in index.splits["train"]] == [0, 1]
    (tmp_path / "split" / "val" / "walk").mkdir(parents=True)
    (tmp_path / "split" / "val" / "walk" / "v.avi").write_bytes(b"")
    split = load_dataset("folder", tmp_path / "split")
    assert list(split.splits) == ["val"] and split.splits["val"][0].path.endswith("val/walk/v.avi")


def test_synapt_manifest(tmp_path):
    classes = [{"id": 0, "name": "walk", "family": "locomotion", "description": ""}, {"id": 1, "name": "wave", "family": "gesture", "description": ""}]
    (tmp_path / "classes.json").write_text(json.dumps(classes))
    clips = [
        {"clip_id": "c0", "path": "videos/walk/c0.mp4", "label": 0, "class_name": "walk", "family": "locomotion", "seed": 1, "split": "val"},
        {"clip_id": "c1", "path": "videos/wave/c1.mp4", "label": 1, "class_name": "wave", "family": "gesture", "seed": 2},
    ]
    (tmp_path / "manifest.jsonl").write_text("\n".join(json.dumps(c) for c in clips) + "\n")
    index = load_dataset("synapt", tmp_path)
    assert index.class_names == ["walk", "wave"]
    assert {k: [(r.label, r.meta["clip_id"]) for r in v] for k, v in index.splits.items()} == {"val": [(0, "c0")], "train": [(1, "c1")]}
    assert index.splits["val"][0].path == str(tmp_path / "videos/walk/c0.mp4")
    clips[1]["class_name"] = "walk"
    (tmp_path / "manifest.jsonl").write_text("\n".join(json.dumps(c) for c in clips) + "\n")
    with pytest.raises(UserError, match=r"manifest.jsonl line 2: label 1 is 'wave'"):
        load_dataset("synapt", tmp_path)


def test_unknown_format_and_missing_annotations(tmp_path):
    with pytest.raises(UserError, match="unknown dataset format 'ucf'"):
        load_dataset("ucf", tmp_path)
    with pytest.raises(UserError, match="classInd.txt not found under"):
        load_dataset("ucf101", tmp_path)
    assert {"ucf101", "hmdb51", "ssv2", "mini_ssv2", "diving48", "ikeafa", "uav_human", "kinetics", "synapt"} <= set(LOADERS)


def test_videos_directly_under_root_are_found(realdata, tmp_path):
    (tmp_path / "ApplyEyeMakeup").mkdir()
    (tmp_path / "ApplyEyeMakeup" / "v_ApplyEyeMakeup_g08_c01.avi").write_bytes(b"")
    index = load_dataset("ucf101", tmp_path, annotations=realdata / "ucf101")
    assert index.splits["train"][0].path == str(tmp_path / "ApplyEyeMakeup" / "v_ApplyEyeMakeup_g08_c01.avi")
    assert len(index.missing) == 13320 - 1
