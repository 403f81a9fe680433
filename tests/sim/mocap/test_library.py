"""Motion libraries: queries, format preference, scanning, index files, the default libraries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synapt.errors import UserError
from synapt.sim.mocap.deepmimic import pybullet_data_root
from synapt.sim.mocap.library import (
    INDEX_NAME, READERS, ClipEntry, MotionLibrary, default_library_names, open_library, scan_folder, write_index,
)  # fmt: skip


def entry(clip_id: str, label: str, fmt: str = "bvh", subject: str = "02") -> ClipEntry:
    return ClipEntry(clip_id, f"{clip_id}.{fmt}", fmt, label, subject, 120.0, 240)


LIB = MotionLibrary("test", Path("/nowhere"), [
    entry("02_01", "walk"), entry("02_01", "walk", "amc"), entry("02_02", "walk, 90-degree left turn"),
    entry("02_03", "run/jog"), entry("05_01", "sidewalk stroll", subject="05"), entry("05_02", "jump", subject="05"),
])  # fmt: skip


def ids(entries: list[ClipEntry]) -> list[str]:
    return [f"{e.clip_id}.{e.format}" for e in entries]


@pytest.mark.parametrize(("query", "expected"), [
    ("walk", ["02_01.bvh", "02_01.amc", "02_02.bvh"]),  # a word, not a substring: no "sidewalk"
    ("WALK turn", ["02_02.bvh"]),  # every word must appear
    ("90-degree", ["02_02.bvh"]),
    ("jog", ["02_03.bvh"]),
    ("walk|jump", ["02_01.bvh", "02_01.amc", "02_02.bvh", "05_02.bvh"]),
    ("id:02_01,05_02", ["02_01.bvh", "02_01.amc", "05_02.bvh"]),
    ("subject:5", ["05_01.bvh", "05_02.bvh"]),  # 5 finds CMU's "05"
    ("subject:02 format:amc", ["02_01.amc"]),
    ("walk | subject:05 jump", ["02_01.bvh", "02_01.amc", "02_02.bvh", "05_02.bvh"]),
    ("swim", []),
])  # fmt: skip
def test_find(query, expected):
    assert ids(LIB.find(query)) == expected


def test_empty_query_finds_everything_and_unknown_keys_fail():
    assert len(LIB.find("")) == len(LIB.entries)
    with pytest.raises(UserError, match=r"query term 'label:walk': unknown key 'label' \(keys: id, subject, format"):
        LIB.find("label:walk")


def test_get_prefers_the_amc_and_names_close_ids():
    assert LIB.get("02_01").format == "amc" and LIB.get("02_01", "bvh").format == "bvh"
    assert LIB.get("02_02").format == "bvh"
    with pytest.raises(UserError, match=r"no clip '02_11' \(did you mean 02_01"):
        LIB.get("02_11")
    with pytest.raises(UserError, match=r"clip 02_03 is not there as amc \(it is: bvh\)"):
        LIB.get("02_03", "amc")


def test_scan_reads_headers_labels_and_skips_what_is_not_a_clip(tiny_clips):
    entries, skipped = scan_folder(tiny_clips)
    assert [(e.clip_id, e.file, e.format, e.label, e.subject, e.frames, e.fps, e.skeleton) for e in entries] == [
        ("jump_high", "bvh/jump_high.bvh", "bvh", "jump high", "bvh", 3, 25.0, None),
        ("07_05", "cmu/07_05-walk.amc", "amc", "walk", "07", 2, 120.0, "cmu/07.asf"),
        ("spin", "dm/humanoid3d_spin.txt", "deepmimic", "spin", "humanoid3d", 4, 30.0, None),
    ]  # fmt: skip
    # broken.bvh is reported; laikago (20 values a frame) and the README are not clips at all.
    assert len(skipped) == 1 and "broken.bvh: no MOTION line" in skipped[0]


def test_labels_come_from_cmus_index_text_when_present(tiny_clips):
    (tiny_clips / "cmu-mocap-index-text.txt").write_text("Subject #7 (walking)\n\n07_05\tslow walk, stop\n")
    lib = open_library(tiny_clips)
    assert lib.get("07_05").label == "slow walk, stop" and ids(lib.find("stop")) == ["07_05.amc"]


def test_write_index_then_open_reads_it_back(tiny_clips, tmp_path):
    lib = open_library(tiny_clips)
    assert lib.name == "clips" and len(lib.skipped) == 1
    out = write_index(lib)
    assert out == tiny_clips / INDEX_NAME
    lines = out.read_text().splitlines()
    assert lines[0].split("\t") == ["clip_id", "subject", "file", "format", "frames", "fps", "label", "skeleton"]
    assert lines[2].split("\t") == ["07_05", "07", "cmu/07_05-walk.amc", "amc", "2", "120", "walk", "cmu/07.asf"]
    # The index, not a scan, is what opens now: an edited label shows.
    out.write_text(out.read_text().replace("jump high", "leap"))
    assert open_library(tiny_clips).get("jump_high").label == "leap" and not open_library(tiny_clips).skipped
    # An index elsewhere points back at the files relative to itself.
    elsewhere = write_index(lib, tmp_path / "indices" / "mine.tsv")
    assert "\t../clips/bvh/jump_high.bvh\t" in elsewhere.read_text()
    assert not list((tmp_path / "indices").glob(".*"))  # no temp file left behind
    moved = open_library(elsewhere)
    assert moved.load("07_05").frames == 2


def test_cmu_style_index_tsv_is_read(tiny_clips):
    (tiny_clips / "index.tsv").write_text(
        "clip_id\tsubject\tfile\tformat\tframes\tfps\tlabel\tsource_repo\n"
        "07_05\t07\tcmu/07_05-walk.amc\tamc\t2\t120\twalk\tsomeone/repo\n"
    )
    lib = open_library(tiny_clips)
    assert [(e.clip_id, e.skeleton) for e in lib.entries] == [("07_05", "cmu/07.asf")]
    (tiny_clips / "index.tsv").write_text("clip_id\tsubject\tfile\tformat\tframes\tfps\tlabel\n07_05\t07\tx.amc\tfbx\t2\t120\twalk\n")
    with pytest.raises(UserError, match=r"index\.tsv:2: format 'fbx' is not one of bvh, amc, deepmimic"):
        open_library(tiny_clips)


def test_load_reads_with_the_right_reader_once(tiny_clips):
    lib = open_library(tiny_clips)
    m = lib.load("jump_high")
    assert m.name == "jump_high" and m.frames == 3
    assert {k: m.meta[k] for k in ("library", "clip_id", "subject", "label", "format")} == {
        "library": "clips", "clip_id": "jump_high", "subject": "bvh", "label": "jump high", "format": "bvh"}  # fmt: skip
    again = lib.load(lib.get("jump_high"))
    assert again.rotations is m.rotations  # cached
    with pytest.raises(ValueError, match="read-only"):
        m.root_pos[0, 0] = 1.0
    amc = lib.load("07_05")
    np.testing.assert_allclose(amc.points(["upper_end"])[:, 0, 2], 1.0 + np.cos(np.radians([10, 20])))


def test_missing_and_empty_folders_say_where_they_looked(tmp_path):
    with pytest.raises(UserError, match=r"motion library .*nope: no such folder"):
        open_library(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("hello")
    with pytest.raises(UserError, match=r"empty: no motion files found \(looked recursively for \*\.bvh, \*\.amc"):
        open_library(tmp_path / "empty")


def test_readers_registry():
    assert sorted(READERS) == ["amc", "bvh", "deepmimic"]


@pytest.fixture(scope="module")
def pybullet_data() -> Path:
    root = pybullet_data_root()
    if root is None:
        pytest.skip("pybullet_data not installed (pip install 'synapt[mocap]')")
    return root


def test_deepmimic_library(pybullet_data):
    assert default_library_names() == ["deepmimic"]
    lib = open_library()
    assert lib.name == "deepmimic" and len(lib.entries) == 20  # 15 humanoid3d + 5 walker, no laikago dog
    assert lib.get("walk").label == "walk" and lib.get("0walk_forward").label == "walk forward"
    assert [e.clip_id for e in lib.find("turn left")] == ["turn_left0", "turn_left1"]
    assert {e.subject for e in lib.entries} == {"humanoid3d", "walker"}
    m = lib.load("walk")
    assert m.frames == lib.get("walk").frames == 39 and m.meta["library"] == "deepmimic"


def test_cmu_library_from_its_index(cmu_mocap):
    lib = open_library(cmu_mocap)
    assert len(lib.entries) == 239 and len(lib.clip_ids()) == 211  # SOURCES.md: 211 clips in 239 files
    assert lib.get("02_05").format == "amc" and lib.get("02_05").skeleton == "02/02.asf"
    # SOURCES.md's "walk" group (keyword match on the description) has 102 files.
    assert len(lib.find("walk")) == 102
    assert ids(lib.find("subject:02 punch")) == ["02_05.amc", "02_05.bvh"]
