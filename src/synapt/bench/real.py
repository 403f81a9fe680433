"""Real datasets in the benchmark: indexed before anything runs, curated like generated ones
(official test split kept, a grouped val carved from train), or split into k group-disjoint folds."""

from __future__ import annotations

from pathlib import Path

from synapt.bench.curate import Source, curate, group_folds, read_source
from synapt.bench.presets import Suite
from synapt.bench.runner import Runner
from synapt.errors import UserError


def fold_name(suite: Suite, fold: int) -> str:
    """A k-fold suite's fold in stage and dataset names: ``kth-fold1of5`` for fold 0 of 5."""
    return f"{suite.name}-fold{fold + 1}of{suite.folds}"


def check_real_data(suites, *, seed: int = 0) -> dict[str, int]:
    """Index every configured real dataset before hours of pre-training start; returns train counts
    (per fold for a k-fold suite). A group pattern must match every file name, and a k-fold suite
    needs at least as many groups as folds."""
    from synapt.data.formats import load_dataset

    counts = {}
    for suite in suites:
        if suite.is_proxy:
            continue
        index = load_dataset(suite.format, suite.root, annotations=suite.annotations, split=suite.split)
        present = index.drop_missing()
        if not any(present.splits.values()):
            raise UserError(f"dataset {suite.name} ({suite.format}) at {suite.root}: none of its "
                            f"{sum(map(len, index.splits.values()))} listed videos were found "
                            f"(`synapt data info --format {suite.format} --root {suite.root}` shows what is missing)")
        counts[suite.name] = len(present.splits.get("train", []))
        if suite.group or suite.folds:
            clips = read_source(suite_source(suite))  # every file name through the pattern
        if suite.folds:
            group_folds(clips, folds=suite.folds, seed=seed,
                        where=f"dataset {suite.name} at {suite.root} (group '{suite.group}')")
            counts[suite.name] = round(len(clips) * (suite.folds - 1) / suite.folds)
    return counts


def suite_source(suite: Suite) -> Source:
    return Source(suite.name, suite.format, Path(suite.root), group_pattern=suite.group,
                  annotations=Path(suite.annotations) if suite.annotations else None, split=suite.split)


def curate_real_stage(run: Runner, suite: Suite, *, seed: int, val: float = 0.1, fold: int | None = None) -> Path:
    """A real dataset as a curated folder: official splits kept, a grouped val carved from train.

    Every class and every clip is kept (no balancing: it is a benchmark task, not a pre-training
    set); labels are renumbered by class name, consistently across its splits. With ``fold``
    (0..k-1 of a k-fold suite), the test split is that fold of the suite's group-disjoint folds
    and val is carved, grouped, from the other folds; every fold has the same classes.
    """
    config = {"format": suite.format, "root": str(suite.root), "annotations": suite.annotations,
              "split": suite.split, "val": val, "seed": seed}
    # Only when set, so that the stages of suites configured before these keys existed are reused.
    if suite.group:
        config["group"] = suite.group
    if fold is not None:
        config |= {"protocol": "kfold", "folds": suite.folds, "fold": fold + 1}  # 1-based, as in the stage name

    def work(folder: Path) -> dict:
        source = suite_source(suite)
        clips = read_source(source)
        per_class: dict[str, int] = {}
        for clip in clips:
            per_class[clip.action] = per_class.get(clip.action, 0) + 1
        result = curate(class_map={a: [(suite.name, a)] for a in per_class}, sources=[source],
                        out_dir=folder / "data", clips_per_class=max(per_class.values()), allow_short=True,
                        keep_splits=fold is None, fold=None if fold is None else (fold, suite.folds),
                        val_fraction=val, fps=None, seed=seed)
        return {"counts": result.counts, "classes": len(result.class_names)}

    name = suite.name if fold is None else fold_name(suite, fold)
    return run.stage(f"curate-{name}", config, work) / "data"
