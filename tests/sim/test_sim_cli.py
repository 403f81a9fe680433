import json

import pytest

from synapt.cli import main


def _err(capsys) -> str:
    return capsys.readouterr().err.strip()


def test_classes_json(capsys):
    assert main(["classes", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) >= 80 and set(rows[0]) == {"id", "name", "family", "description", "motion"}
    mocap = [r for r in rows if r["motion"].startswith("mocap:")]
    assert len(mocap) >= 15 and {r["motion"] for r in rows} <= {"procedural", "mocap:deepmimic"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--classes", "sit_dwn"], "unknown class 'sit_dwn'; did you mean sit_down"),
        (["--size", "15"], "--size 15: need an even number"),
        (["--size", "33"], "--size 33: need an even number"),
        (["--shard", "3/2"], "--shard 3/2: need 0 <= i < n"),
        (["--shard", "two"], "is not of the form i/n"),
        (["--scene-kinds", "moon"], "unknown scene kind 'moon'"),
        (["--context-bias", "1.5"], "--context-bias 1.5"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    out = tmp_path / "ds"
    assert main(["generate", "--out", str(out), "--per-class", "1", "--frames", "4", "--size", "32", *args]) == 2
    err = _err(capsys)
    assert err.startswith("synapt: error: ") and message in err and "\n" not in err
    assert not (out / "manifest.jsonl").exists()


def test_unwritable_output(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        import os

        if os.access(locked, os.W_OK):  # running as root: permissions do not bind
            target = "/proc/synapt-cannot-write-here"
        else:
            target = str(locked / "ds")
        assert main(["generate", "--out", target, "--classes", "bow", "--per-class", "1", "--size", "32", "--frames", "4"]) == 2
        assert "not writable" in _err(capsys)
    finally:
        locked.chmod(0o700)


def test_missing_egl_is_reported(monkeypatch, tmp_path, capsys):
    import ctypes.util

    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name == "EGL" else real(name))
    monkeypatch.setenv("MUJOCO_GL", "egl")
    assert main(["generate", "--out", str(tmp_path / "ds"), "--classes", "bow", "--per-class", "1", "--size", "32", "--frames", "4"]) == 2
    assert "no EGL library found" in _err(capsys)


def test_verify_regenerate_show_commands(tiny_dataset, tmp_path, capsys):
    from PIL import Image

    assert main(["verify", str(tiny_dataset), "--no-progress"]) == 0
    clip_id = "stand_up_00001"
    assert main(["regenerate", str(tiny_dataset), clip_id, "--out", str(tmp_path / "r.mp4")]) == 0
    assert "identical" in capsys.readouterr().out
    assert main(["show", str(tiny_dataset), "--out", str(tmp_path / "sheet.png")]) == 0
    sheet = Image.open(tmp_path / "sheet.png")
    assert sheet.size == (170 + 8 * 32, 3 * 32)  # a row per class, 8 frames across time
    assert main(["show", str(tiny_dataset), "--out", str(tmp_path / "a.gif"), "--gif", "--class", "sit_down"]) == 0
    gif = Image.open(tmp_path / "a.gif")
    assert gif.n_frames == 4
    assert main(["regenerate", str(tiny_dataset), "nope_00000", "--out", str(tmp_path / "x.mp4")]) == 2


def test_bad_weights_are_rejected(tmp_path, capsys):
    args = ["generate", "--out", str(tmp_path / "ds"), "--classes", "bow", "--per-class", "1", "--size", "32", "--frames", "4"]
    assert main([*args, "--skin-tone-weights", "1,2"]) == 2
    assert "skin tone weights [1.0, 2.0]: need 10 non-negative numbers" in _err(capsys)
    assert main([*args, "--presentation-weights", "a,b"]) == 2
    assert "--presentation-weights 'a,b'" in _err(capsys)
