"""``synapt models`` and ``synapt bench models``."""

import json

from synapt.cli import main
from synapt.models.benchmark import Case, choose_threads, format_report, run


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


def test_bench_run_reports_consistent_ratios():
    report = run(cases=(Case("tsn_tiny", 2, 32, 1),), warmup=0, iters=1, progress=False)
    assert report["ceiling_fp32_gflops"] > 0 and report["ceiling_bf16_gflops"] > 0
    (row,) = report["models"]
    assert row["case"] == "tsn_tiny 2x32 b1"
    assert row["clips_per_s"] > 0 and row["bf16_speedup"] > 0
    assert abs(row["gflops"] - 6 * row["gmacs_per_clip"] * row["clips_per_s"]) < 1e-6 * row["gflops"]
    assert abs(row["ceiling_ratio"] - row["gflops"] / row["ceiling_gflops"]) < 1e-9
    assert "tsn_tiny 2x32 b1" in format_report(report)
    assert row["conv3d_speedup"] is None  # a 2-D network: nothing to compare


def test_bench_pairs_the_conv3d_backends_on_3d_models():
    report = run(cases=(Case("r2plus1d_tiny", 4, 32, 2),), warmup=0, iters=2, bf16=False, progress=False)
    (row,) = report["models"]
    low, high = row["conv3d_speedup_range"]
    assert 0 < low <= row["conv3d_speedup"] <= high
    assert "conv3d x" in format_report(report)


def test_bench_rejects_bad_iterations(capsys):
    assert main(["bench", "models", "--iters", "0"]) == 2
    assert "--iters must be >= 1" in capsys.readouterr().err


def test_busy_cpu_benchmarks_with_one_thread():
    assert choose_threads(load=9.0, cores=2, default=2)[0] == 1
    assert choose_threads(load=0.5, cores=2, default=2)[0] == 2
    threads, reason = choose_threads(load=3.0, cores=2, default=2)
    assert "--threads" in reason


def test_cpu_preset_covers_the_cpu_models_at_64_and_112_px():
    from synapt.models.benchmark import PRESETS

    cases = PRESETS["cpu"]
    assert {c.model for c in cases} == {"tsn_r18", "r3d_18", "mc3_18", "r2plus1d_18", "x3d_xs", "r2plus1d_w16",
                                        "r2plus1d_tiny"}
    assert {(c.frames, c.size, c.batch) for c in cases} == {(8, 64, 4), (8, 112, 4)}
    assert len(cases) == 14


def test_models_lists_the_cpu_models_with_parameters_and_macs(capsys):
    assert main(["models", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["models"]}
    assert rows["r2plus1d_18"]["params"] == 31_505_325 and round(rows["r2plus1d_18"]["gmacs_per_clip"], 2) == 40.52
    assert rows["r3d_18"]["default_input"] == [3, 16, 112, 112]
    assert rows["x3d_xs"]["params"] == 3_794_274 and abs(rows["x3d_xs"]["gmacs_per_clip"] - 0.60) < 0.02
    assert rows["x3d_m"]["default_input"] == [3, 16, 224, 224] and rows["x3d_m"]["feature_dim"] == 2048
