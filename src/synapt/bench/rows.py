"""The benchmark's result rows: what each pre-training learned, Table 1's transfer rows (one per
k-fold suite from its folds), and the paired comparisons on the same test clips."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from synapt.bench.presets import Suite
from synapt.bench.runner import Runner
from synapt.report.stats import bootstrap_ci, fold_mean_ci, paired_bootstrap_ci


def pretrain_row(run: Runner, checkpoint: Path, *, model: str, pretrain: str) -> dict:
    """What a pre-training learned: best val top-1 (the selected trial) against chance, with its
    95% bootstrap interval over val clips, and whether that interval clears chance."""
    folder = checkpoint.parents[2]  # <stage>/best/checkpoints/best.pt
    result = run.result(folder)
    data_root = Path(json.loads((folder / "stage.json").read_text())["config"]["base"]["data"]["root"])
    classes = len(json.loads((data_root / "classes.json").read_text()))
    val = result["val"]
    clips = int(val.get("num_videos") or 0)
    ci = accuracy_ci(round(val["top1"] * clips), clips) if clips else None
    chance = 1.0 / classes
    return {"model": model, "pretrain": pretrain, "classes": classes, "val_top1": val["top1"], "val_top1_ci": ci,
            "val_clips": clips, "chance": chance, "mean_class_acc": val.get("mean_class_accuracy"),
            "above_chance": bool(ci and ci[0] > chance), "hparams": result["hparams"],
            "stage": folder.name}


def accuracy_ci(correct: int, total: int) -> list[float]:
    """95% bootstrap interval of an accuracy of ``correct`` right out of ``total`` clips."""
    hits = np.zeros(total)
    hits[:correct] = 1
    return list(bootstrap_ci(hits))


def transfer_row(run: Runner, folder: Path, *, model: str, pretrain: str, suite: Suite, mode: str) -> dict:
    """A Table-1 row from a transfer stage: test top-1 with its bootstrap interval."""
    result = run.result(folder)
    test = result["test"]
    hparams = result["hparams"]
    if mode == "lp":  # the probe chose its own lr / batch / weight decay on val, inside the run
        hparams = {f"probe.{k}": result["val"][k] for k in ("lr", "batch_size", "weight_decay") if k in result["val"]}
    confusion = json.loads((folder / "best" / "confusion_test.json").read_text())
    matrix = np.asarray(confusion["matrix"])
    videos = confusion.get("videos")
    # A curated manifest points at the source files through relative paths (stage/data/../../..):
    # normalised, a clip has one name in every run and every fold.
    return {
        "model": model, "pretrain": pretrain, "downstream": suite.name,
        "mode": "ft" if mode in ("ft", "scratch") else "lp",
        "top1": test["top1"], "top1_ci": accuracy_ci(int(np.trace(matrix)), int(matrix.sum())),
        "interval": "bootstrap over test clips",
        "mean_class_acc": test.get("mean_class_accuracy"), "top5": test.get("top5"),
        "val_top1": result["val"].get("top1"), "hparams": hparams, "protocol": test.get("protocol"),
        "test_clips": int(matrix.sum()), "stage": folder.name,
        # Per test clip, for paired comparisons on the same clips (paired_comparisons).
        "videos": {"path": [os.path.normpath(p) for p in videos["path"]],
                   "correct": [int(p == y) for p, y in zip(videos["pred"], videos["label"])]} if videos else None,
    }


def kfold_row(fold_rows: list[dict], *, suite: Suite) -> dict:
    """A k-fold suite's row from its folds' rows (fold order).

    top-1 (and mean class accuracy, top-5, val top-1) is the mean over folds, with a t-based 95%
    interval over folds (``report.stats.fold_mean_ci``); every fold's numbers stay in ``folds``.
    The folds test disjoint clips that together are the whole suite, so their per-clip results
    join into one list over every clip, which pairs two rows clip by clip (paired_comparisons).
    """
    top1, low, high = fold_mean_ci([r["top1"] for r in fold_rows])
    videos = None
    if all(r["videos"] for r in fold_rows):
        paths = [p for r in fold_rows for p in r["videos"]["path"]]
        twice = len(paths) - len(set(paths))
        if twice:  # folds are group-disjoint by construction: this is a bug, not a data problem
            raise RuntimeError(f"k-fold suite {suite.name}: {twice} clips are tested in more than one fold")
        videos = {"path": paths, "correct": [c for r in fold_rows for c in r["videos"]["correct"]]}

    def mean(key: str) -> float | None:
        values = [r.get(key) for r in fold_rows]
        return None if any(v is None for v in values) else float(np.mean(values))

    hparams = [r["hparams"] for r in fold_rows]
    first = fold_rows[0]
    return {
        "model": first["model"], "pretrain": first["pretrain"], "downstream": suite.name, "mode": first["mode"],
        "top1": top1, "top1_ci": [low, high], "interval": f"t over {len(fold_rows)} folds",
        "mean_class_acc": mean("mean_class_acc"), "top5": mean("top5"), "val_top1": mean("val_top1"),
        # Selection on val happens per fold; one set of values when every fold chose the same.
        "hparams": hparams[0] if all(h == hparams[0] for h in hparams) else None,
        "protocol": first["protocol"], "test_clips": sum(r["test_clips"] for r in fold_rows),
        "folds": [{"fold": i + 1, **{k: r[k] for k in ("top1", "top1_ci", "test_clips", "mean_class_acc", "val_top1",
                                                       "hparams", "stage")}} for i, r in enumerate(fold_rows)],
        "videos": videos,
    }


# Table 1's comparisons: (A, B, mode). Every configured real pre-training is compared with synthetic.
COMPARISONS = (("synthetic", "scratch", "ft"), ("synthetic", "random_init", "lp"),
               ("synthetic", "context_biased", "ft"), ("synthetic", "context_biased", "lp"))


def paired_comparisons(rows: list[dict], *, real_pretrain=()) -> list[dict]:
    """A - B top-1 on the same test clips with a paired bootstrap 95% interval, per model and suite."""
    pairs = list(COMPARISONS) + [(real, "synthetic", mode) for real in real_pretrain for mode in ("ft", "lp")]
    by_key = {(r["model"], r["pretrain"], r["mode"], r["downstream"]): r for r in rows if r.get("videos")}
    out = []
    for model, suite in dict.fromkeys((r["model"], r["downstream"]) for r in rows):
        for a, b, mode in pairs:
            ra, rb = by_key.get((model, a, mode, suite)), by_key.get((model, b, mode, suite))
            if ra is None or rb is None:
                continue
            correct_b = dict(zip(rb["videos"]["path"], rb["videos"]["correct"]))
            shared = [(c, correct_b[p]) for p, c in zip(ra["videos"]["path"], ra["videos"]["correct"]) if p in correct_b]
            if not shared:
                continue
            diff, low, high = paired_bootstrap_ci([x for x, _ in shared], [y for _, y in shared])
            out.append({"model": model, "downstream": suite, "mode": mode, "a": a, "b": b, "difference": diff,
                        "ci": [low, high], "clips": len(shared),
                        "verdict": f"{a} better" if low > 0 else (f"{b} better" if high < 0 else "not distinguishable")})
    return out
