"""synapt data probe / info / pack through the real command."""

from __future__ import annotations

import json

from synapt.cli import main


def test_probe_json_of_a_rotated_real_video(realdata, capsys):
    assert main(["data", "probe", str(realdata / "videos" / "video_90.mov"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["num_frames"], info["rotation"], info["codec"]) == (3, 270, "h264")
    assert (info["display_width"], info["display_height"]) == (320, 568)


def test_probe_text_shows_sample_aspect(realdata, capsys):
    assert main(["data", "probe", str(realdata / "videos" / "demo.mp4")]) == 0
    out = capsys.readouterr().out
    assert "sample aspect 64:51" in out and "427x256" in out and "280 (decoded)" in out


def test_probe_corrupted_video_is_one_clear_line(realdata, capsys):
    assert main(["data", "probe", str(realdata / "videos" / "corrupted.mp4")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("synapt: error: ") and "corrupted.mp4: decoding failed after" in err


def test_probe_missing_file(tmp_path, capsys):
    assert main(["data", "probe", str(tmp_path / "none.mp4")]) == 2
    assert "none.mp4: no such file" in capsys.readouterr().err


def test_info_json_without_videos(realdata, tmp_path, capsys):
    code = main(["data", "info", "--format", "ucf101", "--root", str(tmp_path), "--annotations", str(realdata / "ucf101"), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {
        "format": "ucf101", "classes": 101, "splits": {"train": 9537, "test": 3783}, "missing": 13320, "unreadable": 0,
    }  # fmt: skip


def test_info_counts_missing_and_unreadable_videos(tmp_path, make_video, capsys):
    root = tmp_path / "ds"
    make_video("ds/walk/good.mp4", frames=4)
    (root / "walk" / "bad.mp4").write_bytes(b"\x00" * 100)
    (root / "train.txt").write_text("walk/good.mp4 0\nwalk/bad.mp4 0\nwalk/gone.mp4 0\n")
    assert main(["data", "info", "--format", "list", "--root", str(root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"format": "list", "classes": 1, "splits": {"train": 3}, "missing": 1, "unreadable": 1}
    assert main(["data", "info", "--format", "list", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "missing     1 (first: " in out and "unreadable  1 (of 2 present" in out


def test_info_unknown_split_file_is_a_user_error(realdata, tmp_path, capsys):
    code = main(["data", "info", "--format", "ucf101", "--root", str(tmp_path), "--annotations", str(realdata / "ucf101"), "--split", "4"])
    assert code == 2 and "UCF101 has splits 1, 2, 3" in capsys.readouterr().err
