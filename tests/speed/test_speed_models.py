"""``synapt speed models``: paired ratios, thread choice, presets (speed itself is not asserted)."""

from synapt.cli import main
from synapt.speed.models import PRESETS, Case, choose_threads, format_results, run_benchmark


def test_speed_run_reports_consistent_ratios():
    report = run_benchmark(cases=(Case("tsn_tiny", 2, 32, 1),), warmup=0, iters=1, progress=False)
    assert report["ceiling_fp32_gflops"] > 0 and report["ceiling_bf16_gflops"] > 0
    (row,) = report["models"]
    assert row["case"] == "tsn_tiny 2x32 b1"
    assert row["clips_per_s"] > 0 and row["bf16_speedup"] > 0
    assert abs(row["gflops"] - 6 * row["gmacs_per_clip"] * row["clips_per_s"]) < 1e-6 * row["gflops"]
    assert abs(row["ceiling_ratio"] - row["gflops"] / row["ceiling_gflops"]) < 1e-9
    assert "tsn_tiny 2x32 b1" in format_results(report)
    assert row["conv3d_speedup"] is None  # a 2-D network: nothing to compare


def test_speed_pairs_the_conv3d_backends_on_3d_models():
    report = run_benchmark(cases=(Case("r2plus1d_tiny", 4, 32, 2),), warmup=0, iters=2, bf16=False, progress=False)
    (row,) = report["models"]
    low, high = row["conv3d_speedup_range"]
    assert 0 < low <= row["conv3d_speedup"] <= high
    assert "conv3d x" in format_results(report)


def test_speed_rejects_bad_iterations(capsys):
    assert main(["speed", "models", "--iters", "0"]) == 2
    assert "--iters must be >= 1" in capsys.readouterr().err


def test_busy_cpu_benchmarks_with_one_thread():
    assert choose_threads(load=9.0, cores=2, default=2)[0] == 1
    assert choose_threads(load=0.5, cores=2, default=2)[0] == 2
    threads, reason = choose_threads(load=3.0, cores=2, default=2)
    assert "--threads" in reason


def test_cpu_preset_covers_the_cpu_models_at_64_and_112_px():
    cases = PRESETS["cpu"]
    assert {c.model for c in cases} == {"tsn_r18", "r3d_18", "mc3_18", "r2plus1d_18", "x3d_xs", "r2plus1d_w16",
                                        "r2plus1d_tiny"}
    assert {(c.frames, c.size, c.batch) for c in cases} == {(8, 64, 4), (8, 112, 4)}
    assert len(cases) == 14
