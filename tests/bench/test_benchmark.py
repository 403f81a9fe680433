"""The benchmark end to end at micro scale: every stage runs for real, then a rerun reuses them all;
a k-fold suite fold by fold; the rows of k-fold suites and their paired comparisons."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from synapt.bench.job import run_benchmark
from synapt.bench.presets import get_preset


def micro_preset():
    # The tiny preset's recipe (AdamW) at micro scale, on the cheapest model.
    grid = {"optim.lr": [2e-3], "optim.batch_size": [8], "optim.weight_decay": [0.05]}
    return replace(
        get_preset("tiny"), name="micro", models=("tsn_tiny",), suite_clips=None, frames=4, size=32, pretrain_classes=4, clips_per_class=6, num_frames=2,
        train_size=32, pretrain_epochs=1, downstream_epochs=1, pretrain_grid=grid, downstream_grid=grid,
        probe_grid={"lrs": [0.1], "batch_sizes": [8], "weight_decays": [1e-4]}, class_study=(2, 4),
        clip_study=(3, 6), scene_study=(1, 4), suite_classes=4, bias_subsets=(2, 2), static_encoder_epochs=1, workers=1,
        static_context_diagnostic=True,  # the micro run exercises the diagnostic the tiny preset skips
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


@pytest.mark.slow
def test_micro_benchmark_runs_every_stage_and_resumes(tmp_path):
    from test_curate import write_group_folder

    from synapt.bench.presets import with_real_datasets

    real = real_folder_dataset(tmp_path / "data")
    # A small labelled set tested by actor-disjoint 3-fold: 9 actors x 2 classes, 6 test clips per fold.
    kth = write_group_folder(tmp_path / "data" / "kth", groups=9)
    # Published weights (torchvision's layout; synapt's 2-D ResNets share it), e.g. a Kinetics-400 file.
    import torch

    from synapt.models import build_model

    torch.save(build_model("tsn_tiny", num_classes=7).state_dict(), tmp_path / "published.pth")
    preset = with_real_datasets(micro_preset(), {"downstream": {
        "myreal": {"format": "folder", "root": str(real)},
        "kth": {"format": "folder", "root": str(kth), "group": r"person(\d+)", "protocol": "kfold", "folds": 3}},
        "pretrained": {"published": {"weights": str(tmp_path / "published.pth"), "description": "a test file"}}})
    plan = run_benchmark(preset, tmp_path / "out", dry_run=True, progress=False)
    assert not any(stage["reused"] for stage in plan["plan"])
    assert not (tmp_path / "out" / "stages").exists()  # a dry run runs nothing

    events = []
    results = run_benchmark(preset, tmp_path / "out", progress=False, json_progress=events.append)
    # The overall progress counts exactly the planned stages, in the plan's order.
    starts = [e for e in events if e["event"] == "stage_start"]
    assert [e["stage"] for e in starts] == [stage["name"] for stage in plan["plan"]]
    assert [e["index"] for e in starts] == list(range(1, len(plan["plan"]) + 1))
    assert events[-1]["event"] == "run_end" and events[-1]["index"] == events[-1]["total"] == len(plan["plan"])
    assert all(e["eta_s"] >= 0 for e in events if e["eta_s"] is not None) and events[-1]["eta_s"] == 0.0
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["preset"] == "micro" and saved["rows"] == json.loads(json.dumps(results["rows"]))
    keys = {(r["pretrain"], r["downstream"], r["mode"]) for r in saved["rows"]}
    for suite in ("proxy-motion", "proxy-context", "myreal", "kth"):
        assert {("synthetic", suite, "ft"), ("synthetic", suite, "lp"), ("context_biased", suite, "ft"),
                ("context_biased", suite, "lp"), ("random_init", suite, "lp"), ("scratch", suite, "ft"),
                ("published", suite, "ft"), ("published", suite, "lp")} <= keys
    for row in saved["rows"]:
        assert 0.0 <= row["top1"] <= 1.0 and row["top1_ci"][0] <= row["top1"] <= row["top1_ci"][1]
        # Per-clip results of the test split, for the paired comparisons.
        assert len(row["videos"]["correct"]) == row["test_clips"]
        assert sum(row["videos"]["correct"]) == round(row["top1"] * row["test_clips"])
        assert set(row) >= {"model", "pretrain", "downstream", "mode", "top1", "mean_class_acc", "hparams"}
    # Table 1's comparisons as paired differences on the same test clips.
    pairs = {(c["a"], c["b"], c["mode"], c["downstream"]): c for c in saved["comparisons"]}
    for suite in ("proxy-motion", "proxy-context", "myreal", "kth"):  # kth's folds are equal: pooled = mean
        for key in (("synthetic", "scratch", "ft"), ("synthetic", "random_init", "lp"),
                    ("synthetic", "context_biased", "lp")):
            c = pairs[(*key, suite)]
            assert c["ci"][0] <= c["difference"] <= c["ci"][1] and c["clips"] > 0
            ra = next(r for r in saved["rows"] if (r["pretrain"], r["mode"], r["downstream"]) == (key[0], key[2], suite))
            rb = next(r for r in saved["rows"] if (r["pretrain"], r["mode"], r["downstream"]) == (key[1], key[2], suite))
            assert c["difference"] == pytest.approx(ra["top1"] - rb["top1"])
    assert "### Paired differences" in (tmp_path / "out" / "report.md").read_text()
    # Published weights: paired against synthetic pre-training, keyed by the file's digest, and
    # no row in the pre-training table (no val split of ours).
    (published,) = saved["pretrained_weights"]
    assert published["models"] == ["tsn_tiny"] and len(published["sha256"]) == 64
    assert {("published", "synthetic", mode, "proxy-motion") for mode in ("ft", "lp")} <= set(pairs)
    stage = next((tmp_path / "out" / "stages").glob("transfer-published-proxy-motion-ft-*"))
    assert json.loads((stage / "stage.json").read_text())["config"]["weights_sha256"] == published["sha256"]
    assert "Published weights `published`: `published.pth`" in (tmp_path / "out" / "report.md").read_text()
    assert "published" not in {p["pretrain"] for p in saved["pretraining"]}
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
    # The k-fold suite: one row per (pre-training, mode) from its 3 folds, every clip tested once.
    kth_rows = [r for r in saved["rows"] if r["downstream"] == "kth"]
    assert len(kth_rows) == 8
    for row in kth_rows:
        assert [f["test_clips"] for f in row["folds"]] == [6, 6, 6] and len(set(row["videos"]["path"])) == 18
        assert row["interval"] == "t over 3 folds"
        assert row["top1"] == pytest.approx(sum(f["top1"] for f in row["folds"]) / 3)
    assert all(c["clips"] == 18 for c in saved["comparisons"] if c["downstream"] == "kth")
    (kth_bias,) = [b for b in saved["bias"] if b["dataset"] == "kth"]  # appearance only: never static-context
    assert len(kth_bias["folds"]) == 3 and kth_bias["M_rnd"] == 0.5
    assert saved["suites"]["kth"]["folds"] == 3 and saved["suites"]["kth"]["group"] == r"person(\d+)"
    report = (tmp_path / "out" / "report.md").read_text()
    assert r"| kth | real, k-fold (k=3, group-disjoint by `person(\d+)`) |" in report
    assert "### k-fold suites, fold by fold" in report
    assert (tmp_path / "out" / "report.md").read_text().count("## ") >= 5
    assert "data:image/png;base64" in (tmp_path / "out" / "report.html").read_text()

    assert saved["stages"]["reused"] == 0 and saved["stages"]["total"] > 40
    again = run_benchmark(preset, tmp_path / "out", dry_run=True, progress=False)
    assert all(stage["reused"] for stage in again["plan"])
    events = []
    rerun = run_benchmark(preset, tmp_path / "out", progress=False, json_progress=events.append)
    assert rerun["stages"]["reused"] == rerun["stages"]["total"] > 40  # nested stages are not even asked for
    assert len([e for e in events if e["event"] == "stage_end" and e["reused"]]) == len(plan["plan"])
    assert "reused" in (tmp_path / "out" / "report.md").read_text().splitlines()[2]


def kfold_suite(root, *, folds=3, group=r"person(\d+)"):
    from synapt.bench.presets import with_real_datasets

    spec = {"format": "folder", "root": str(root), "group": group, "protocol": "kfold", "folds": folds}
    return with_real_datasets(micro_preset(), {"downstream": {"kth": spec}}).suites[-1]


def fold_row(pretrain, mode, correct, fold):
    """A transfer_row of one fold: clips ``kth/<fold>-<i>.avi``, right where ``correct`` says 1."""
    paths = [f"/data/kth/boxing/person{fold}{i}_boxing.avi" for i in range(len(correct))]
    return {"model": "tsn_tiny", "pretrain": pretrain, "downstream": "kth", "mode": mode,
            "top1": sum(correct) / len(correct), "top1_ci": [0.0, 1.0], "mean_class_acc": sum(correct) / len(correct),
            "top5": 1.0, "val_top1": 0.5, "hparams": {"optim.lr": 1e-3}, "protocol": {"split": "test"},
            "test_clips": len(correct), "stage": f"transfer-{pretrain}-kth-fold{fold}of3-{mode}-tsn_tiny",
            "videos": {"path": paths, "correct": list(correct)}}


def test_kfold_row_is_the_mean_over_folds_with_every_clip_once(tmp_path):
    from synapt.bench.rows import kfold_row, paired_comparisons
    from synapt.report.stats import fold_mean_ci, paired_bootstrap_ci

    suite = kfold_suite(tmp_path)
    a = [[1, 1, 0, 1], [1, 0, 0], [1, 1, 1, 1, 0]]  # folds of 4, 3 and 5 clips
    b = [[0, 1, 0, 0], [1, 0, 1], [0, 1, 0, 1, 0]]
    row_a = kfold_row([fold_row("synthetic", "ft", c, i + 1) for i, c in enumerate(a)], suite=suite)
    row_b = kfold_row([fold_row("scratch", "ft", c, i + 1) for i, c in enumerate(b)], suite=suite)
    means = [0.75, 1 / 3, 0.8]
    assert row_a["top1"] == pytest.approx(sum(means) / 3)
    assert [row_a["top1"], *row_a["top1_ci"]] == pytest.approx(list(fold_mean_ci(means)))
    assert row_a["interval"] == "t over 3 folds" and row_a["test_clips"] == 12 and row_a["downstream"] == "kth"
    assert [f["fold"] for f in row_a["folds"]] == [1, 2, 3]
    assert [f["top1"] for f in row_a["folds"]] == pytest.approx(means)
    assert row_a["folds"][1]["stage"] == "transfer-synthetic-kth-fold2of3-ft-tsn_tiny"
    assert row_a["hparams"] == {"optim.lr": 1e-3} and row_a["top5"] == 1.0
    # The folds' clips, each once, with their own results.
    assert len(set(row_a["videos"]["path"])) == 12 and row_a["videos"]["correct"] == sum(a, [])
    (pair,) = paired_comparisons([row_a, row_b])
    assert (pair["a"], pair["b"], pair["clips"]) == ("synthetic", "scratch", 12)
    # Pooled over every clip, which is not the difference of the fold means when folds differ in size.
    assert [pair["difference"], *pair["ci"]] == pytest.approx(list(paired_bootstrap_ci(sum(a, []), sum(b, []))))
    assert pair["difference"] == pytest.approx((8 - 5) / 12) != row_a["top1"] - row_b["top1"]
    # Paired clip by clip whatever the order of the other row's clips.
    shuffled = dict(row_b, videos={k: v[::-1] for k, v in row_b["videos"].items()})
    assert paired_comparisons([row_a, shuffled]) == [pair]
    with pytest.raises(RuntimeError, match="tested in more than one fold"):
        kfold_row([fold_row("synthetic", "ft", a[0], 1), fold_row("synthetic", "ft", a[0], 1)], suite=suite)


def test_kfold_stage_keys_hold_the_fold_the_folds_and_the_group_pattern(tmp_path):
    from synapt.bench.real import curate_real_stage
    from synapt.bench.runner import Runner

    run = Runner(tmp_path, dry_run=True)
    suite = kfold_suite(tmp_path / "kth")
    folder = curate_real_stage(run, suite, seed=0, fold=0).parent
    assert folder.name.startswith("curate-kth-fold1of3-")
    others = {curate_real_stage(run, suite, seed=0, fold=1).parent,
              curate_real_stage(run, kfold_suite(tmp_path / "kth", folds=4), seed=0, fold=0).parent,
              curate_real_stage(run, kfold_suite(tmp_path / "kth", group=r"person0*(\d+)"), seed=0, fold=0).parent,
              curate_real_stage(run, replace(suite, folds=0), seed=0).parent}
    assert folder not in others and len(others) == 4


@pytest.mark.slow
def test_kfold_suite_transfers_fold_by_fold_through_the_benchmark_stages(tmp_path):
    from test_curate import write_group_folder

    from synapt.bench import bias_stage
    from synapt.bench.real import check_real_data, curate_real_stage
    from synapt.bench.rows import paired_comparisons
    from synapt.bench.runner import Runner
    from synapt.bench.training import random_init_stage, transfer_suite
    from synapt.report.stats import paired_bootstrap_ci

    # 9 actors x 2 classes in 3 folds: 6 test clips per fold, a 1-actor val, 10 training clips.
    root = write_group_folder(tmp_path / "kth", groups=9)
    suite = kfold_suite(root)
    preset = micro_preset()
    assert check_real_data([suite]) == {"kth": 12}  # training clips per fold (val included)
    run = Runner(tmp_path / "out", progress=False)
    roots = [curate_real_stage(run, suite, seed=0, fold=i) for i in range(3)]
    init = random_init_stage(run, preset=preset, model="tsn_tiny", num_classes=4)
    # The random-init network as a stand-in "synthetic" pre-training: FT and LP from it, and both floors.
    rows = transfer_suite(run, preset=preset, model="tsn_tiny", suite=suite, roots=roots, clips=12,
                          checkpoints={"synthetic": init}, random_init=init)
    assert [(r["pretrain"], r["mode"]) for r in rows] == [("synthetic", "ft"), ("synthetic", "lp"),
                                                         ("random_init", "lp"), ("scratch", "ft")]
    names = {p.name for p in run.planned}
    assert {f"curate-kth-fold{i}of3" for i in (1, 2, 3)} <= names
    assert {f"transfer-scratch-kth-fold{i}of3-scratch-tsn_tiny" for i in (1, 2, 3)} <= names
    videos = {str(p.resolve()) for p in root.glob("*/*.mp4")}
    for row in rows:
        assert row["test_clips"] == 18 and [f["test_clips"] for f in row["folds"]] == [6, 6, 6]
        assert row["top1"] == pytest.approx(sum(f["top1"] for f in row["folds"]) / 3)
        assert row["top1_ci"][0] <= row["top1"] <= row["top1_ci"][1]
        # Every clip tested exactly once, under its own (normalised) path.
        assert len(row["videos"]["path"]) == 18 and {str(Path(p).resolve()) for p in row["videos"]["path"]} == videos
        assert not any(".." in Path(p).parts for p in row["videos"]["path"])
        for i, fold in enumerate(row["folds"]):  # each fold's slice of the per-clip results is that fold's run
            stage = tmp_path / "out" / "stages" / fold["stage"]
            confusion = json.loads((stage / "best" / "confusion_test.json").read_text())
            assert row["videos"]["correct"][6 * i:6 * i + 6] == [
                int(p == y) for p, y in zip(confusion["videos"]["pred"], confusion["videos"]["label"])]
            assert fold["top1"] == json.loads((stage / "result.json").read_text())["test"]["top1"]
    pairs = {(c["a"], c["b"], c["mode"]): c for c in paired_comparisons(rows)}
    assert set(pairs) == {("synthetic", "scratch", "ft"), ("synthetic", "random_init", "lp")}
    by = {(r["pretrain"], r["mode"]): dict(zip(r["videos"]["path"], r["videos"]["correct"])) for r in rows}
    a, b = by[("synthetic", "ft")], by[("scratch", "ft")]
    expected = paired_bootstrap_ci([a[p] for p in a], [b[p] for p in a])
    assert pairs[("synthetic", "scratch", "ft")]["clips"] == 18
    assert [pairs[("synthetic", "scratch", "ft")]["difference"], *pairs[("synthetic", "scratch", "ft")]["ci"]] == \
        pytest.approx(list(expected))
    # The same features probed the same way: not one clip differs.
    assert pairs[("synthetic", "random_init", "lp")]["ci"] == [0.0, 0.0]
    # Bias per fold, combined: M is the mean of the folds' balanced accuracies.
    per_fold = [bias_stage.measure_bias(run, dataset=f"kth-fold{i + 1}of3", data_root=r, encoder=bias_stage.APPEARANCE,
                                        preset=preset, test_split="test") for i, r in enumerate(roots)]
    combined = bias_stage.kfold_bias(per_fold, dataset="kth")
    assert combined["M_rnd"] == 0.5 and combined["M"] == pytest.approx(sum(r["M"] for r in per_fold) / 3)
    # A rerun reuses every stage and gives the same rows.
    again = Runner(tmp_path / "out", progress=False)
    assert transfer_suite(again, preset=preset, model="tsn_tiny", suite=suite, roots=roots, clips=12,
                          checkpoints={"synthetic": init}, random_init=init) == rows


def test_runner_plans_a_finished_stage_as_reused_unless_fresh(tmp_path):
    from synapt.bench.runner import Runner

    Runner(tmp_path, progress=False).stage("gen", {"n": 1}, lambda folder: {"ok": True})
    for fresh, reused in ((False, True), (True, False)):  # --fresh runs it again: nothing is reused
        plan = Runner(tmp_path, dry_run=True, fresh=fresh)
        plan.stage("gen", {"n": 1}, lambda folder: {"ok": True})
        assert [p.reused for p in plan.planned] == [reused]
