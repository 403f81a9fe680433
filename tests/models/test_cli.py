"""``synapt models``."""

import json

from synapt.cli import main


def test_models_json_lists_every_model_with_counts(capsys):
    assert main(["models", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "GMACs" in out["unit"]
    rows = {r["name"]: r for r in out["models"]}
    assert {"tsn_r50", "i3d_r50", "r2plus1d_r50", "timesformer_b", "tsn_tiny", "i3d_tiny", "r2plus1d_tiny",
            "timesformer_tiny", "resnet18", "resnet34", "resnet50"} <= set(rows)
    assert rows["resnet50"]["params"] == 25_557_032 and rows["resnet50"]["num_classes"] == 1000
    assert rows["tsn_r50"]["input"] == "(B, C, T, H, W)" and rows["tsn_r50"]["default_input"] == [3, 8, 224, 224]
    assert abs(rows["tsn_r50"]["gmacs_per_clip"] - 32.9) < 0.05 * 32.9
    assert rows["timesformer_b"]["mean"] == [0.45, 0.45, 0.45]


def test_models_table_says_its_unit(capsys):
    assert main(["models", "--num-classes", "10"]) == 0
    out = capsys.readouterr().out
    assert "GMACs" in out and "timesformer_b" in out and "FLOPs are 2x" in out


def test_models_lists_the_cpu_models_with_parameters_and_macs(capsys):
    assert main(["models", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["models"]}
    assert rows["r2plus1d_18"]["params"] == 31_505_325 and round(rows["r2plus1d_18"]["gmacs_per_clip"], 2) == 40.52
    assert rows["r3d_18"]["default_input"] == [3, 16, 112, 112]
    assert rows["x3d_xs"]["params"] == 3_794_274 and abs(rows["x3d_xs"]["gmacs_per_clip"] - 0.60) < 0.02
    assert rows["x3d_m"]["default_input"] == [3, 16, 224, 224] and rows["x3d_m"]["feature_dim"] == 2048
