"""The benchmark end to end at micro scale: every stage runs for real, then a rerun reuses them all."""

import json
from dataclasses import replace

import pytest

from synapt.bench.benchmark import run_benchmark
from synapt.bench.presets import get_preset

pytestmark = pytest.mark.slow


def micro_preset():
    # The tiny preset's recipe (AdamW) at micro scale, on the cheapest model.
    grid = {"optim.lr": [2e-3], "optim.batch_size": [8], "optim.weight_decay": [0.05]}
    return replace(
        get_preset("tiny"), name="micro", models=("tsn_tiny",), suite_clips=None, frames=4, size=32, pretrain_classes=4, clips_per_class=6, num_frames=2,
        train_size=32, pretrain_epochs=1, downstream_epochs=1, pretrain_grid=grid, downstream_grid=grid,
        probe_grid={"lrs": [0.1], "batch_sizes": [8], "weight_decays": [1e-4]}, class_study=(2, 4),
        clip_study=(3, 6), scene_study=(1, 4), suite_classes=4, bias_subsets=(2, 2), static_encoder_epochs=1, workers=1,
        data_workers=0,
    )


def real_folder_dataset(root):
    """A dataset in the one-folder-per-class layout with official train/test folders and no val,
    like UCF101's: real H.264 files from the generator, 3 classes x (6 train + 2 test)."""
    from synapt.sim import generate_dataset

    generated = generate_dataset(root / "gen", classes="clap,squat,bow", per_class=8, frames=4, size=32, seed=5,
                                 progress=False)
    for video in sorted(generated.glob("videos/*/*.mp4")):
        split = "test" if int(video.stem[-2:]) >= 6 else "train"
        (root / "real" / split / video.parent.name).mkdir(parents=True, exist_ok=True)
        (root / "real" / split / video.parent.name / video.name).symlink_to(video)
    return root / "real"


def test_micro_benchmark_runs_every_stage_and_resumes(tmp_path):
    from synapt.bench.presets import with_real_datasets

    real = real_folder_dataset(tmp_path / "data")
    preset = with_real_datasets(micro_preset(), {"downstream": {"myreal": {"format": "folder", "root": str(real)}}})
    plan = run_benchmark(preset, tmp_path / "out", dry_run=True, progress=False)
    assert not any(stage["reused"] for stage in plan["plan"])
    assert not (tmp_path / "out" / "stages").exists()  # a dry run runs nothing

    results = run_benchmark(preset, tmp_path / "out", progress=False)
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["preset"] == "micro" and saved["rows"] == json.loads(json.dumps(results["rows"]))
    keys = {(r["pretrain"], r["downstream"], r["mode"]) for r in saved["rows"]}
    for suite in ("proxy-motion", "proxy-context", "myreal"):
        assert {("synthetic", suite, "ft"), ("synthetic", suite, "lp"), ("context_biased", suite, "ft"),
                ("context_biased", suite, "lp"), ("random_init", suite, "lp"), ("scratch", suite, "ft")} <= keys
    for row in saved["rows"]:
        assert 0.0 <= row["top1"] <= 1.0 and row["top1_ci"][0] <= row["top1"] <= row["top1_ci"][1]
        # Per-clip results of the test split, for the paired comparisons.
        assert len(row["videos"]["correct"]) == row["test_clips"]
        assert sum(row["videos"]["correct"]) == round(row["top1"] * row["test_clips"])
        assert set(row) >= {"model", "pretrain", "downstream", "mode", "top1", "mean_class_acc", "hparams"}
    # Table 1's comparisons as paired differences on the same test clips.
    pairs = {(c["a"], c["b"], c["mode"], c["downstream"]): c for c in saved["comparisons"]}
    for suite in ("proxy-motion", "proxy-context", "myreal"):
        for key in (("synthetic", "scratch", "ft"), ("synthetic", "random_init", "lp"),
                    ("synthetic", "context_biased", "lp")):
            c = pairs[(*key, suite)]
            assert c["ci"][0] <= c["difference"] <= c["ci"][1] and c["clips"] > 0
            ra = next(r for r in saved["rows"] if (r["pretrain"], r["mode"], r["downstream"]) == (key[0], key[2], suite))
            rb = next(r for r in saved["rows"] if (r["pretrain"], r["mode"], r["downstream"]) == (key[1], key[2], suite))
            assert c["difference"] == pytest.approx(ra["top1"] - rb["top1"])
    assert "### Paired differences" in (tmp_path / "out" / "report.md").read_text()
    assert {b["dataset"] for b in saved["bias"]} >= {"proxy-motion", "proxy-context"}
    for b in saved["bias"]:
        assert b["M_rnd"] == pytest.approx(1 / round(1 / b["M_rnd"]))
    assert [p["num_classes"] for p in saved["studies"]["num_classes"]].count(2) == 4  # 2 suites x FT/LP
    # Every pre-training, main and study, is reported against its chance level.
    pretraining = {p["pretrain"]: p for p in saved["pretraining"]}
    assert {"synthetic", "context_biased", "synthetic-c2_n6", "synthetic-c4_n3", "scenes1"} <= set(pretraining)
    for p in pretraining.values():
        assert p["chance"] == pytest.approx(1 / p["classes"]) and p["val_clips"] > 0
        assert p["val_top1_ci"][0] <= p["val_top1"] <= p["val_top1_ci"][1]
        assert p["above_chance"] == (p["val_top1_ci"][0] > p["chance"])
    assert pretraining["synthetic"]["classes"] == 4 and pretraining["synthetic-c2_n6"]["classes"] == 2
    assert "## Pre-training: did it learn?" in (tmp_path / "out" / "report.md").read_text()
    # Validity gates of every proxy suite: a single-frame probe against chance, twins, domain.
    assert set(saved["validity"]) == {"proxy-motion", "proxy-context"}
    for gate in saved["validity"].values():
        assert 0.0 <= gate["balanced_accuracy"] <= 1.0 and gate["in_domain"] and gate["n"] > 0
    assert saved["validity"]["proxy-motion"]["low_bias_claimed"] and not saved["validity"]["proxy-context"]["low_bias_claimed"]
    assert "## Validity gates" in (tmp_path / "out" / "report.md").read_text()
    assert len(saved["studies"]["bias_subsets"]) == 2
    # The real suite keeps its official test split (6 clips) and selects on a val carved from train.
    real_rows = [r for r in saved["rows"] if r["downstream"] == "myreal"]
    assert all(r["test_clips"] == 6 for r in real_rows)
    curated = next((tmp_path / "out" / "stages").glob("curate-myreal-*")) / "data" / "manifest.jsonl"
    splits = [json.loads(line)["split"] for line in curated.read_text().splitlines()]
    assert splits.count("test") == 6 and splits.count("val") >= 1 and splits.count("train") >= 12
    assert (tmp_path / "out" / "report.md").read_text().count("## ") >= 5
    assert "data:image/png;base64" in (tmp_path / "out" / "report.html").read_text()

    assert saved["stages"]["reused"] == 0 and saved["stages"]["total"] > 40
    again = run_benchmark(preset, tmp_path / "out", dry_run=True, progress=False)
    assert all(stage["reused"] for stage in again["plan"])
    rerun = run_benchmark(preset, tmp_path / "out", progress=False)
    assert rerun["stages"]["reused"] == rerun["stages"]["total"] > 40  # nested stages are not even asked for
    assert "reused" in (tmp_path / "out" / "report.md").read_text().splitlines()[2]
