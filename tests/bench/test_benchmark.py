"""The benchmark end to end at micro scale: every stage runs for real, then a rerun reuses them all."""

import json
from dataclasses import replace

import pytest

from synapt.bench.benchmark import run_benchmark
from synapt.bench.presets import get_preset

pytestmark = pytest.mark.slow


def micro_preset():
    grid = {"optim.lr": [0.05], "optim.batch_size": [8], "optim.weight_decay": [1e-4]}
    return replace(
        get_preset("tiny"), name="micro", frames=4, size=32, pretrain_classes=4, clips_per_class=6, num_frames=2,
        train_size=32, pretrain_epochs=1, downstream_epochs=1, pretrain_grid=grid, downstream_grid=grid,
        probe_grid={"lrs": [0.1], "batch_sizes": [8], "weight_decays": [1e-4]}, class_study=(2, 4),
        clip_study=(3, 6), scene_study=(1, 4), bias_subsets=(2, 2), static_encoder_epochs=1, workers=1,
        data_workers=0,
    )


def test_micro_benchmark_runs_every_stage_and_resumes(tmp_path):
    preset = micro_preset()
    plan = run_benchmark(preset, tmp_path, dry_run=True, progress=False)
    assert not any(stage["reused"] for stage in plan["plan"])
    assert not (tmp_path / "stages").exists()  # a dry run runs nothing

    results = run_benchmark(preset, tmp_path, progress=False)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["preset"] == "micro" and saved["rows"] == json.loads(json.dumps(results["rows"]))
    keys = {(r["pretrain"], r["downstream"], r["mode"]) for r in saved["rows"]}
    for suite in ("proxy-motion", "proxy-context"):
        assert {("synthetic", suite, "ft"), ("synthetic", suite, "lp"), ("context_biased", suite, "ft"),
                ("context_biased", suite, "lp"), ("scratch", suite, "ft")} <= keys
    for row in saved["rows"]:
        assert 0.0 <= row["top1"] <= 1.0 and row["top1_ci"][0] <= row["top1"] <= row["top1_ci"][1]
        assert set(row) >= {"model", "pretrain", "downstream", "mode", "top1", "mean_class_acc", "hparams"}
    assert {b["dataset"] for b in saved["bias"]} >= {"proxy-motion", "proxy-context"}
    for b in saved["bias"]:
        assert b["M_rnd"] == pytest.approx(1 / round(1 / b["M_rnd"]))
    assert [p["num_classes"] for p in saved["studies"]["num_classes"]].count(2) == 4  # 2 suites x FT/LP
    assert len(saved["studies"]["bias_subsets"]) == 2
    assert (tmp_path / "report.md").read_text().count("## ") >= 5
    assert "data:image/png;base64" in (tmp_path / "report.html").read_text()

    again = run_benchmark(preset, tmp_path, dry_run=True, progress=False)
    assert all(stage["reused"] for stage in again["plan"])
