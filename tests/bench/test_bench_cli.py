import json

from test_curate import make_source

from synapt.cli import main


def test_curate_command(tmp_path, capsys):
    make_source(tmp_path / "a", "a", {"wave": 10, "jump": 10})
    (tmp_path / "map.yaml").write_text("waving: [a:wave]\njumping: [a:jump]\n")
    code = main(["curate", "--map", str(tmp_path / "map.yaml"), "--source", f"a=synapt:{tmp_path / 'a'}",
                 "--out", str(tmp_path / "cur"), "--clips", "8", "--clip-subsets", "4", "--val-fraction", "0.25"])
    assert code == 0
    out = capsys.readouterr().out
    assert "curated 2 classes x 8 clips" in out and "train 12, val 4" in out
    classes = json.loads((tmp_path / "cur" / "classes.json").read_text())
    assert [c["name"] for c in classes] == ["jumping", "waving"]


def test_curate_command_bad_map_is_one_line(tmp_path, capsys):
    (tmp_path / "map.yaml").write_text("waving: [a:wave]\n")
    code = main(["curate", "--map", str(tmp_path / "map.yaml"), "--source", "a=synapt:/nonexistent",
                 "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "manifest.jsonl not found" in err
