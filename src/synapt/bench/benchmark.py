"""``synapt benchmark``: the paper's whole method as one resumable job.

    generate ──► curate ──► pre-train (synthetic | context-biased | real) ──► transfer (FT, LP)
        │                                          scratch ───────────────────────┘    │
        └──► static encoder ──► representation bias ◄──────── suites ◄──────────────────┘
                                       │
                studies: classes, clips per class, scene kinds, class subsets (Figure 2)
                                       │
                         results.json ──► report.md, report.html

Every stage runs through :class:`Runner`, which keys it by its configuration
(``stages/<name>-<hash>/``). A finished stage is reused on rerun, so an interrupted benchmark
resumes where it stopped; a stage's output paths depend only on its folder, so ``--dry-run``
walks the same code, validates every training config and data path, and prints the plan
with its estimated compute without running anything. A run makes that plan first, to count its
stages against it: one bar over the whole run and ``--json-progress`` events (``bench/progress.py``).

Offline, the downstream tasks are *proxy suites* made by the generator with classes disjoint
from pre-training: ``proxy-motion`` (context independent of the label: low bias, like
Diving48) and ``proxy-context`` (scene kind, textures and distractors tied to the class: high
bias, like UCF101). Context-biased synthetic pre-training stands in for real pre-training;
real datasets join through ``--datasets FILE.yaml``, tested on their official split or, for small
labelled sets (KTH, Weizmann), by k group-disjoint folds: one curated folder and one run per fold,
the folds' rows combined into the suite's row (:func:`kfold_row`).
"""

from __future__ import annotations

import functools
import json
import os
import platform
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from synapt.bench.presets import Preset, Suite
from synapt.bench.stages import run_stage, stage_folder
from synapt.errors import UserError
from synapt.io import atomic_write_text

if TYPE_CHECKING:
    from synapt.bench.curate import Source
    from synapt.bench.progress import RunProgress

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


# --------------------------------------------------------------------------- running stages


@dataclass
class PlannedStage:
    name: str
    folder: Path
    reused: bool
    estimate: dict  # {"clips": int, "gflop": float, ...}: what the stage will cost


@dataclass
class Runner:
    """Runs (or, in a dry run, only plans) stages keyed by their config.

    A ``tracker`` (:class:`synapt.bench.progress.RunProgress`) hears when each top-level stage
    starts and ends, reused ones included; a stage asked for inside another's work is part of it.
    """

    root: Path
    dry_run: bool = False
    progress: bool = True
    fresh: bool = False  # rerun stages that already finished (once each in this run)
    tracker: RunProgress | None = None
    planned: list[PlannedStage] = field(default_factory=list)
    _ran: set = field(default_factory=set)
    _depth: int = 0  # stages running now, one inside another

    def stage(self, name: str, config: dict, work: Callable[[Path], dict], *, estimate: dict | None = None) -> Path:
        """Run ``work(folder)`` once per (name, config); returns the stage folder.

        ``work`` writes its outputs under the folder and returns a JSON-able summary, kept in
        ``result.json``; read it back with :meth:`result`.
        """
        folder = stage_folder(self.root, name, config)
        if all(p.folder != folder for p in self.planned):  # a stage asked for twice is planned once
            self.planned.append(PlannedStage(name, folder, self.will_reuse(folder), estimate or {}))
        if not self.dry_run and folder not in self._ran:  # a stage asked for twice runs (or is reused) once
            tracked = self.tracker is not None and self._depth == 0
            if tracked:
                self.tracker.stage_start(name, folder, reused=self.will_reuse(folder))
            self._depth += 1
            try:
                run_stage(self.root, name, config, work, fresh=self.fresh)
            finally:
                self._depth -= 1
            self._ran.add(folder)
            if tracked:
                self.tracker.stage_end()
        return folder

    def plan(self) -> list[dict]:
        """Every stage planned so far, in order, as JSON-able dicts (a dry run's ``plan``)."""
        return [asdict(p) | {"folder": str(p.folder)} for p in self.planned]

    def will_reuse(self, folder: Path) -> bool:
        """Whether the stage in ``folder`` finished earlier and will be reused (never with ``fresh``)."""
        return (folder / "result.json").is_file() and not self.fresh

    @staticmethod
    def result(folder: Path) -> dict:
        return json.loads((folder / "result.json").read_text())


# --------------------------------------------------------------------------- the class split


@dataclass(frozen=True)
class ClassPlan:
    pretrain: tuple[str, ...]
    suites: tuple[Suite, ...]


def plan_classes(preset: Preset, catalog: list, *, seed: int = 0) -> ClassPlan:
    """Split the generator's catalog into pre-training classes and the two proxy suites.

    The split is stratified by family (each suite gets human and object classes) and seeded,
    so it is the same on every machine. Suite classes never appear in pre-training.
    """
    per_suite = preset.suite_classes
    if 2 * per_suite < preset.bias_subsets[0]:
        raise UserError(f"preset {preset.name}: bias subsets of {preset.bias_subsets[0]} classes need at least "
                        f"that many classes in the two proxy suites together (suite_classes={per_suite})")
    by_family: dict[str, list[str]] = {}
    for spec in catalog:
        by_family.setdefault(spec.family.split("/")[0], []).append(spec.name)
    rng = random.Random(f"{seed}:suites")
    share = _allocate(per_suite, {family: len(names) for family, names in by_family.items()})
    motion, context, rest = [], [], []
    for family in sorted(by_family):
        names = sorted(by_family[family])
        rng.shuffle(names)
        k = share[family]
        motion += names[:k]
        context += names[k:2 * k]
        rest += names[2 * k:]
    if preset.pretrain_classes and preset.pretrain_classes > len(rest):
        raise UserError(f"preset {preset.name}: {preset.pretrain_classes} pre-training classes asked, "
                        f"the catalog leaves {len(rest)} after the proxy suites")
    order = sorted(rest)
    random.Random(f"{seed}:pretrain").shuffle(order)
    pretrain = tuple(sorted(order[: preset.pretrain_classes or len(order)]))
    per_class = max(12, preset.suite_clips or preset.clips_per_class)
    suites = (
        Suite(name="proxy-motion", title="proxy-motion (low bias)", kind="proxy, low bias",
              description="generated; context independent of the label, one shared scene kind: only motion "
                          "tells the classes apart (the role of Diving48 / IkeaFA)",
              classes=tuple(sorted(motion)), per_class=per_class, context_bias=0.0, scene_kinds=None),
        Suite(name="proxy-context", title="proxy-context (high bias)", kind="proxy, high bias",
              description="generated; scene kind, textures and distractor objects tied to each class "
                          "(the role of UCF101 / HMDB51)",
              classes=tuple(sorted(context)), per_class=per_class, context_bias=1.0, scene_kinds=None),
    )
    return ClassPlan(pretrain=pretrain, suites=suites)


def _allocate(total: int, sizes: dict[str, int]) -> dict[str, int]:
    """Split ``total`` over groups in proportion to their sizes (largest remainder first)."""
    whole = sum(sizes.values())
    exact = {name: total * size / whole for name, size in sizes.items()}
    share = {name: int(value) for name, value in exact.items()}
    for name in sorted(exact, key=lambda n: (share[n] - exact[n], n))[: total - sum(share.values())]:
        share[name] += 1
    return share


# --------------------------------------------------------------------------- stage builders


def generate_stage(run: Runner, name: str, *, preset: Preset, classes, per_class: int, context_bias: float,
                   scene_kinds, seed: int) -> Path:
    """A generated dataset; returns its folder."""
    config = {"classes": list(classes), "per_class": per_class, "frames": preset.frames, "size": preset.size,
              "fps": preset.fps, "context_bias": context_bias, "scene_kinds": list(scene_kinds) if scene_kinds else None,
              "seed": seed}

    def work(folder: Path) -> dict:
        from synapt.sim import generate_dataset

        generate_dataset(folder / "data", classes=list(classes), per_class=per_class, frames=preset.frames,
                         fps=preset.fps, size=preset.size, seed=seed, context_bias=context_bias,
                         workers=preset.workers, scene_kinds=config["scene_kinds"], progress=run.progress)
        return {"clips": len(classes) * per_class}

    folder = run.stage(f"generate-{name}", config, work,
                       estimate={"clips": len(classes) * per_class, "frames": len(classes) * per_class * preset.frames})
    return folder / "data"


def curate_stage(run: Runner, name: str, *, source: Path, classes, per_class: int, val: float, test: float,
                 class_subsets=(), clip_subsets=(), seed: int = 0) -> Path:
    """A curated (split, balanced, nested) set over one generated dataset; returns its folder."""
    config = {"source": str(source), "classes": list(classes), "per_class": per_class, "val": val, "test": test,
              "class_subsets": list(class_subsets), "clip_subsets": list(clip_subsets), "seed": seed}

    def work(folder: Path) -> dict:
        from synapt.bench.curate import Source, curate

        result = curate(class_map={c: [("gen", c)] for c in classes}, sources=[Source("gen", "synapt", source)],
                        out_dir=folder / "data", clips_per_class=per_class, class_subsets=tuple(class_subsets),
                        clip_subsets=tuple(clip_subsets), val_fraction=val, test_fraction=test, seed=seed,
                        fps=None)  # generated clips share one rate (the preset's); none is re-encoded
        return {"counts": result.counts, "subsets": result.subsets}

    return run.stage(f"curate-{name}", config, work) / "data"


def subset_root(curated: Path, *, num_classes: int, clips: int, full: tuple[int, int]) -> Path:
    """The folder of a nested subset of a curated set (the set itself for its full size)."""
    return curated if (num_classes, clips) == full else curated / "subsets" / f"c{num_classes}_n{clips}"


def train_config(preset: Preset, *, mode: str, data_root: Path, model: str, epochs: int, seed: int = 0,
                 weights: Path | None = None, hparams: dict | None = None) -> dict:
    """A resolved training config (the nested dict of ``synapt.config.TrainConfig``)."""
    config = {
        "mode": mode,
        "seed": seed,
        "precision": preset.precision,
        "data": {"format": "synapt", "root": str(data_root), "num_frames": preset.num_frames,
                 "size": preset.train_size, "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
                 # Generated classes include left/right pairs: a flip would silently swap labels.
                 "flip": False, "workers": preset.data_workers},
        "model": {"name": model, "weights": str(weights) if weights else None},
        "optim": {"lr": 0.01, "batch_size": 16, "weight_decay": 1e-4},
        "schedule": {"epochs": epochs, "warmup_epochs": min(1.0, epochs / 10)},
        "eval": {"num_clips": preset.eval_clips, "num_crops": preset.eval_crops},
    }
    if mode == "linear_probe":
        config["probe"] = {"cache": True, "epochs": max(20, epochs * 4), **preset.probe_grid}
    # The preset's recipe (optimizer, augmentation, regularisation), then the trial's own values.
    for dotted, value in {**preset.recipe, **(hparams or {})}.items():
        section, key = dotted.split(".")
        config.setdefault(section, {})[key] = value
    return config


def train_trial(config: dict, folder: Path) -> dict:
    """One training run as a sweep trial: {"val": best-on-val metrics, "test": test metrics}.

    A trial interrupted mid-run resumes from its own last checkpoint.
    """
    from synapt.config import config_from_dict
    from synapt.train.loop import train

    run_dir = folder / "run"
    resume = (run_dir / "checkpoints" / "last.pt").is_file()
    metrics = train(config_from_dict(config, where=f"trial {folder.name}"), out_dir=run_dir, resume=resume,
                    progress=False)
    return {"val": metrics.get("best") or {}, "test": metrics.get("test") or {}, "mode": config["mode"]}


def _sweep_stage(run: Runner, name: str, base: dict, grid: dict, *, estimate: dict) -> Path:
    """A sweep whose best trial (on val) is linked into the stage folder as ``best/``."""
    from synapt.bench.sweep import apply_overrides, grid_points
    from synapt.config import config_from_dict

    config = {"base": base, "grid": grid}
    for point in grid_points(grid):  # a bad key or value fails now, not hours into the run
        config_from_dict(apply_overrides(base, point), where=f"stage {name}")

    def work(folder: Path) -> dict:
        from synapt.bench.sweep import run_sweep

        result = run_sweep(base, grid, folder, trial_fn=train_trial, select="val.top1", progress=run.progress)
        best_run = result.best.folder / "run"
        link = folder / "best"
        if not link.exists():
            link.symlink_to(os.path.relpath(best_run, folder))
        return {"hparams": result.best.point, "val": result.best.result["val"], "test": result.best.result["test"],
                "trials": len(result.trials)}

    return run.stage(name, config, work, estimate=estimate)


def pretrain_stage(run: Runner, name: str, *, preset: Preset, model: str, data_root: Path, clips: int,
                   seed: int = 0) -> Path:
    """Pre-train on one set with the preset's grid; returns the best trial's checkpoint path."""
    from synapt.bench.sweep import grid_points

    base = train_config(preset, mode="pretrain", data_root=data_root, model=model, epochs=preset.pretrain_epochs,
                        seed=seed)
    trials = len(grid_points(preset.pretrain_grid))
    folder = _sweep_stage(run, f"pretrain-{name}-{model}", base, preset.pretrain_grid,
                          estimate=_train_estimate(model, preset, clips=clips * preset.pretrain_epochs * trials))
    return folder / "best" / "checkpoints" / "best.pt"


def transfer_stage(run: Runner, *, preset: Preset, model: str, pretrain: str, checkpoint: Path | None,
                   suite: Suite, data_root: Path, mode: str, clips: int, fold: int | None = None) -> Path:
    """Fine-tune (``ft``), linear-probe (``lp``) or train from scratch on a downstream suite
    (on one fold of a k-fold suite: ``fold`` 0..k-1, ``data_root`` that fold's curated folder)."""
    from synapt.bench.sweep import grid_points

    train_mode = {"ft": "finetune", "lp": "linear_probe", "scratch": "scratch"}[mode]
    base = train_config(preset, mode=train_mode, data_root=data_root, model=model,
                        epochs=preset.downstream_epochs, weights=checkpoint)
    # A linear probe searches its own grid on cached features (one extraction), so the
    # outer sweep has a single point; fine-tuning and scratch sweep the downstream grid.
    grid = {"seed": [0]} if mode == "lp" else preset.downstream_grid
    trials = 1 if mode == "lp" else len(grid_points(grid))
    work_clips = clips * (1 if mode == "lp" else preset.downstream_epochs * trials)
    estimate = _train_estimate(model, preset, clips=work_clips, forward_only=mode == "lp")
    name = suite.name if fold is None else fold_name(suite, fold)
    return _sweep_stage(run, f"transfer-{pretrain}-{name}-{mode}-{model}", base, grid, estimate=estimate)


def fold_name(suite: Suite, fold: int) -> str:
    """A k-fold suite's fold in stage and dataset names: ``kth-fold1of5`` for fold 0 of 5."""
    return f"{suite.name}-fold{fold + 1}of{suite.folds}"


def transfer_suite(run: Runner, *, preset: Preset, model: str, suite: Suite, roots: list[Path], clips: int,
                   checkpoints: dict[str, Path], random_init: Path) -> list[dict]:
    """Every transfer of ``model`` to one suite: FT and LP from each pre-training, then the floors (LP
    on random-init features, training from scratch). A k-fold suite runs each on every fold
    (``roots``: one curated folder per fold) and gets one row from its folds (:func:`kfold_row`).

    Returns:
        Table 1's rows of this suite (none in a dry run, which only plans the stages).
    """
    runs = [(pretrain, ckpt, mode) for pretrain, ckpt in checkpoints.items() for mode in ("ft", "lp")]
    runs += [("random_init", random_init, "lp"), ("scratch", None, "scratch")]
    rows = []
    for pretrain, ckpt, mode in runs:
        folders = [transfer_stage(run, preset=preset, model=model, pretrain=pretrain, checkpoint=ckpt, suite=suite,
                                  data_root=root, mode=mode, clips=clips, fold=i if suite.folds else None)
                   for i, root in enumerate(roots)]
        if run.dry_run:
            continue
        per_fold = [transfer_row(run, folder, model=model, pretrain=pretrain, suite=suite, mode=mode)
                    for folder in folders]
        rows.append(kfold_row(per_fold, suite=suite) if suite.folds else per_fold[0])
    return rows


def random_init_stage(run: Runner, *, preset: Preset, model: str, num_classes: int, seed: int = 0) -> Path:
    """A checkpoint of ``model`` as initialised (seeded), never trained: the floor a linear probe
    on pre-trained features must beat. Returns its path."""
    config = {"model": model, "num_classes": num_classes, "seed": seed, "dropout": preset.recipe.get("model.dropout")}

    def work(folder: Path) -> dict:
        import torch

        from synapt.models import build_model
        from synapt.train.checkpoint import make_meta, save_checkpoint

        torch.manual_seed(seed)
        net = build_model(model, num_classes)
        meta = make_meta(arch=model, num_frames=preset.num_frames, mean=IMAGENET_MEAN, std=IMAGENET_STD,
                         class_names=[f"class_{i}" for i in range(num_classes)], mode="random_init",
                         size=preset.train_size)
        save_checkpoint(folder / "checkpoints" / "init.pt", {"model": net.state_dict(), "meta": meta})
        return {"parameters": sum(p.numel() for p in net.parameters())}

    return run.stage(f"random-init-{model}", config, work) / "checkpoints" / "init.pt"


def _train_estimate(model: str, preset: Preset, *, clips: int, forward_only: bool = False) -> dict:
    """Compute of a training job: forward GFLOPs per clip x clips x (3 with the backward)."""
    per_clip = clip_gflops(model, preset.num_frames, preset.train_size)
    return {"clips": clips, "gflop": per_clip * clips * (1 if forward_only else 3)}


@functools.lru_cache(maxsize=None)  # a dry run asks for the same few models for every stage
def clip_gflops(model: str, num_frames: int, size: int) -> float:
    """Forward GFLOPs (2 x multiply-accumulates) of one clip, counted on the meta device."""
    import torch

    from synapt.models import build_model
    from synapt.models.flops import clip_shape, count_macs

    with torch.device("meta"):
        net = build_model(model, num_classes=10)
    return 2 * count_macs(net, clip_shape(net, num_frames=num_frames, size=size)) / 1e9


# --------------------------------------------------------------------------- results


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
    from synapt.report.stats import bootstrap_ci

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
    from synapt.report.stats import fold_mean_ci

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
    from synapt.report.stats import paired_bootstrap_ci

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


# --------------------------------------------------------------------------- the whole job


def run_benchmark(preset: Preset, out_dir: str | Path, *, dry_run: bool = False, progress: bool = True,
                  seed: int = 0, fresh: bool = False, json_progress: Callable[[dict], None] | None = None) -> dict:
    """Run (or plan) the benchmark; returns results.json's content (the plan in a dry run).

    A run with ``progress`` or ``json_progress`` first plans its stages (the dry run, which trains
    and generates nothing), so that it knows how many there are and what each costs. ``progress``
    then shows one bar over the whole run on stderr, above the stages' own bars; ``json_progress``
    is called with every event of :class:`synapt.bench.progress.RunProgress` (a stage starts or
    ends, reused ones included; the run ends), e.g. ``progress.json_lines(sys.stdout)``.
    """
    from synapt.sim.catalog import CLASSES

    started = time.time()
    out_dir = Path(out_dir)
    # Classes whose motion library is not installed (no pybullet_data) cannot be generated here.
    classes = plan_classes(preset, [c for c in CLASSES if c.available], seed=seed)
    suites = classes.suites + tuple(s for s in preset.suites if not s.is_proxy)
    real_counts = _check_real_data(suites + preset.real_pretrain, seed=seed)
    job = functools.partial(_benchmark, preset=preset, classes=classes, real_counts=real_counts, seed=seed,
                            started=started)
    if dry_run or not (progress or json_progress):
        return job(Runner(out_dir, dry_run=dry_run, progress=progress, fresh=fresh))
    from synapt.bench.progress import RunProgress

    tracker = RunProgress(job(Runner(out_dir, dry_run=True, fresh=fresh))["plan"], bar=progress,
                          on_event=json_progress)
    try:
        results = job(Runner(out_dir, progress=progress, fresh=fresh, tracker=tracker))
        tracker.run_end()
    finally:
        tracker.close()
    return results


def _benchmark(run: Runner, *, preset: Preset, classes: ClassPlan, real_counts: dict[str, int], seed: int,
               started: float) -> dict:
    """The benchmark's stages through ``run``: results.json's content, or the plan in a dry run."""
    out_dir, dry_run = run.root, run.dry_run
    suites = classes.suites + tuple(s for s in preset.suites if not s.is_proxy)
    n_pre, m_pre = len(classes.pretrain), preset.clips_per_class

    # 1. Generate: debiased and context-biased pre-training pools, the proxy suites.
    gen_synthetic = generate_stage(run, "synthetic", preset=preset, classes=classes.pretrain, per_class=m_pre,
                                   context_bias=0.0, scene_kinds=None, seed=seed + 1)
    gen_context = generate_stage(run, "context_biased", preset=preset, classes=classes.pretrain, per_class=m_pre,
                                 context_bias=1.0, scene_kinds=None, seed=seed + 2)
    suite_roots: dict[str, Path] = {}
    suite_clips: dict[str, int] = {}
    for i, suite in enumerate(classes.suites):
        generated = generate_stage(run, suite.name, preset=preset, classes=suite.classes, per_class=suite.per_class,
                                   context_bias=suite.context_bias, scene_kinds=suite.scene_kinds, seed=seed + 10 + i)
        suite_roots[suite.name] = curate_stage(run, suite.name, source=generated, classes=suite.classes,
                                               per_class=suite.per_class, val=0.2, test=0.3, seed=seed)
        suite_clips[suite.name] = round(0.5 * len(suite.classes) * suite.per_class)
    fold_roots: dict[str, list[Path]] = {}  # k-fold suites: one curated folder per fold
    for suite in suites:
        if suite.is_proxy:
            continue
        if suite.folds:
            fold_roots[suite.name] = [curate_real_stage(run, suite, seed=seed, fold=i) for i in range(suite.folds)]
        else:
            suite_roots[suite.name] = curate_real_stage(run, suite, seed=seed)
        suite_clips[suite.name] = real_counts[suite.name]

    # 2. Curate pre-training sets, with the nested subsets of the class and clip studies.
    class_study = tuple(n or n_pre for n in preset.class_study)
    clip_study = tuple(preset.clip_study)
    synthetic = curate_stage(run, "synthetic", source=gen_synthetic, classes=classes.pretrain, per_class=m_pre,
                             val=0.1, test=0.0, class_subsets=class_study, clip_subsets=clip_study, seed=seed)
    context = curate_stage(run, "context_biased", source=gen_context, classes=classes.pretrain, per_class=m_pre,
                           val=0.1, test=0.0, seed=seed)

    rows, pretraining, studies = [], [], {"num_classes": [], "clips_per_class": [], "scene_kinds": []}
    first_checkpoints: dict[str, Path] = {}
    for model in preset.models:
        # 3. Pre-train.
        checkpoints = {
            "synthetic": pretrain_stage(run, "synthetic", preset=preset, model=model, data_root=synthetic,
                                        clips=n_pre * m_pre),
            "context_biased": pretrain_stage(run, "context_biased", preset=preset, model=model, data_root=context,
                                             clips=n_pre * m_pre),
        }
        for source in preset.real_pretrain:
            checkpoints[source.name] = pretrain_stage(run, source.name, preset=preset, model=model,
                                                      data_root=curate_real_stage(run, source, seed=seed),
                                                      clips=real_counts[source.name])
        if not dry_run:
            for pretrain, ckpt in checkpoints.items():
                pretraining.append(pretrain_row(run, ckpt, model=model, pretrain=pretrain))

        # 4. Transfer: FT and LP from every pre-training, LP on random-init features, and scratch,
        # on every suite.
        random_init = random_init_stage(run, preset=preset, model=model, num_classes=n_pre, seed=seed)
        for suite in suites:
            rows += transfer_suite(run, preset=preset, model=model, suite=suite, checkpoints=checkpoints,
                                   roots=fold_roots.get(suite.name) or [suite_roots[suite.name]],
                                   clips=suite_clips[suite.name], random_init=random_init)

        # 5. Sensitivity studies (first model only: they are about the data, not the network).
        if model != preset.models[0]:
            continue
        first_checkpoints = checkpoints
        for study, value, label, data_root, clips in _study_sets(run, preset, classes, synthetic, gen_synthetic,
                                                                 class_study, clip_study, seed=seed):
            # The full-size point of a study is the main synthetic pre-training: same data,
            # same stage name and config, so it is reused rather than trained again.
            ckpt = pretrain_stage(run, label, preset=preset, model=model, data_root=data_root, clips=clips)
            if not dry_run and all((p["model"], p["pretrain"]) != (model, label) for p in pretraining):
                pretraining.append(pretrain_row(run, ckpt, model=model, pretrain=label) | {"study": study})
            for suite in classes.suites:
                for mode in ("ft", "lp"):
                    folder = transfer_stage(run, preset=preset, model=model, pretrain=label, checkpoint=ckpt,
                                            suite=suite, data_root=suite_roots[suite.name], mode=mode,
                                            clips=suite_clips[suite.name])
                    if not dry_run:
                        row = transfer_row(run, folder, model=model, pretrain="synthetic", suite=suite, mode=mode)
                        studies[study].append({**row, study: value})

    # 6. Representation bias with the static encoder, and the class-subset study.
    from synapt.bench import bias_stage

    # Every encoder it has: the generic appearance descriptors, ImageNet weights when given, and
    # (when the preset keeps the diagnostic) the static-context TSN, which learned generator
    # labels and so never measures a real suite. The first is the primary one (Figure 2 too).
    encoders = [bias_stage.APPEARANCE]
    if preset.static_weights or preset.static_context_diagnostic:
        encoder = bias_stage.static_encoder(run, preset=preset, sources=[gen_synthetic, gen_context], seed=seed,
                                            clips=2 * n_pre * m_pre)
        # ImageNet weights: what the paper measured comes first
        encoders = encoders + [encoder] if encoder["encoder"].startswith(bias_stage.TRAINED_ON_GENERATOR) else [encoder] + encoders
    real_names = {s.name for s in suites if not s.is_proxy}
    bias_rows = []
    # Clips in each measured set, only to price its probe in the plan (a real suite's: its train split).
    all_clips = {s.name: len(s.classes) * s.per_class for s in classes.suites}
    measured = [(name, root, "test", all_clips.get(name, suite_clips[name])) for name, root in suite_roots.items()]
    measured += [("synthetic (pre-training)", synthetic, "val", n_pre * m_pre),
                 ("context_biased (pre-training)", context, "val", n_pre * m_pre)]
    for enc in encoders:
        for name, root, split, clips in measured:
            if name in real_names and enc["encoder"].startswith(bias_stage.TRAINED_ON_GENERATOR):
                continue  # an encoder trained on generator labels says nothing about real footage
            row = bias_stage.measure_bias(run, dataset=name, data_root=root, encoder=enc, preset=preset,
                                          test_split=split, clips=clips)
            if row is not None:
                bias_rows.append(row)
        for suite in (s for s in suites if s.folds):  # real, so never under the static-context encoder
            if enc["encoder"].startswith(bias_stage.TRAINED_ON_GENERATOR):
                continue
            per_fold = [bias_stage.measure_bias(run, dataset=fold_name(suite, i), data_root=root, encoder=enc,
                                                preset=preset, test_split="test", clips=suite_clips[suite.name])
                        for i, root in enumerate(fold_roots[suite.name])]
            if not dry_run:
                bias_rows.append(bias_stage.kfold_bias(per_fold, dataset=suite.name))
    mixed = curate_mixed_suite(run, suite_roots=suite_roots, suites=classes.suites, seed=seed)
    subset_folder = bias_stage.bias_subset_stage(run, data_root=mixed, encoder=encoders[0], preset=preset,
                                                 checkpoints=first_checkpoints, clips=sum(all_clips.values()),
                                                 num_classes=sum(len(s.classes) for s in classes.suites))
    if not dry_run:
        studies["bias_subsets"] = run.result(subset_folder)["subsets"]

    # 7. Validity gates: can one frame name a suite's classes; which suite classes are twins of
    # pre-training classes; which suites come from the pre-training generator (in-domain).
    validity = {}
    for suite in classes.suites:
        config = {"root": str(suite_roots[suite.name]), "pretrain": list(classes.pretrain), "low": suite.context_bias == 0.0}

        def gates(folder: Path, suite=suite, config=config) -> dict:
            from synapt.bench.validity import suite_gates

            return suite_gates(config["root"], classes=suite.classes, pretrain=config["pretrain"],
                               low_bias=config["low"], in_domain=True)

        folder = run.stage(f"validity-{suite.name}", config, gates)
        if not dry_run:
            validity[suite.name] = run.result(folder)

    # The plan holds every stage the run will ask for at the top level; the stages the bias-subset
    # study asks for inside its own work are part of it (their configs follow from its probe).
    if dry_run:
        return {"preset": preset.name, "plan": run.plan()}

    # 8. Contact sheets and the report.
    sheets = contact_sheets(run, {"synthetic": gen_synthetic, "context_biased": gen_context,
                                  **{s.name: suite_roots[s.name] for s in classes.suites}}, out_dir=out_dir)
    results = {
        "preset": preset.name,
        "wall_seconds": round(time.time() - started, 1),
        # A rerun reuses finished stages, so its wall time alone would understate the work.
        "stages": {"total": len(run.planned), "reused": sum(p.reused for p in run.planned)},
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}",
        "rows": rows,
        "comparisons": paired_comparisons(rows, real_pretrain=[s.name for s in preset.real_pretrain]),
        "pretraining": pretraining,
        "bias": bias_rows,
        # The first encoder is the one the bias-vs-gap figure uses; every row names its own.
        "bias_encoder": encoders[0]["description"],
        "bias_primary": encoders[0]["encoder"],
        "bias_encoders": {e["encoder"]: e["description"] for e in encoders},
        "studies": studies,
        "suites": {s.name: {"title": s.title, "kind": s.kind, "description": s.description,
                            "classes": len(s.classes) if s.is_proxy else None, "protocol": s.protocol,
                            "folds": s.folds or None, "group": s.group} for s in suites},
        "pretrain_classes": list(classes.pretrain),
        "validity": validity,
        "contact_sheets": sheets,
    }
    atomic_write_text(out_dir / "results.json", json.dumps(results, indent=2, default=float) + "\n")
    from synapt.report.write import write_report

    write_report(results, out_dir)
    return results


def _study_sets(run: Runner, preset: Preset, classes: ClassPlan, synthetic: Path, gen_synthetic: Path,
                class_study, clip_study, *, seed: int):
    """(study, value, pre-training label, data root, clips) for every point of the three studies."""
    n_pre, m_pre = len(classes.pretrain), preset.clips_per_class
    for n in class_study:
        root = subset_root(synthetic, num_classes=n, clips=m_pre, full=(n_pre, m_pre))
        yield "num_classes", n, "synthetic" if root == synthetic else f"synthetic-{root.name}", root, n * m_pre
    for m in clip_study:
        root = subset_root(synthetic, num_classes=n_pre, clips=m, full=(n_pre, m_pre))
        yield "clips_per_class", m, "synthetic" if root == synthetic else f"synthetic-{root.name}", root, n_pre * m
    kinds = _scene_kinds()
    for k in preset.scene_study:
        if k >= len(kinds):  # every scene kind: the main synthetic set
            yield "scene_kinds", k, "synthetic", synthetic, n_pre * m_pre
            continue
        generated = generate_stage(run, f"scenes{k}", preset=preset, classes=classes.pretrain, per_class=m_pre,
                                   context_bias=0.0, scene_kinds=kinds[:k], seed=seed + 1)
        root = curate_stage(run, f"scenes{k}", source=generated, classes=classes.pretrain, per_class=m_pre,
                            val=0.1, test=0.0, seed=seed)
        yield "scene_kinds", k, f"scenes{k}", root, n_pre * m_pre


def curate_mixed_suite(run: Runner, *, suite_roots: dict[str, Path], suites, seed: int) -> Path:
    """Both proxy suites as one task: low- and high-bias classes side by side, like HMDB51's mix."""
    config = {"suites": {s.name: str(suite_roots[s.name]) for s in suites}, "seed": seed}

    def work(folder: Path) -> dict:
        from synapt.bench.curate import Source, curate

        class_map = {c: [(s.name, c)] for s in suites for c in s.classes}
        sources = [Source(s.name, "synapt", suite_roots[s.name]) for s in suites]
        result = curate(class_map=class_map, sources=sources, out_dir=folder / "data", val_fraction=0.2,
                        test_fraction=0.3, seed=seed)
        return {"counts": result.counts}

    return run.stage("curate-mixed", config, work) / "data"


def contact_sheets(run: Runner, datasets: dict[str, Path], *, out_dir: Path) -> list[str]:
    """One contact sheet per generated dataset, for the report."""
    from synapt.sim.show import contact_sheet

    sheets = []
    for name, root in datasets.items():
        path = out_dir / "figures" / f"sheet_{name}.png"
        if not path.is_file():
            contact_sheet(root, path)
        sheets.append(path.relative_to(out_dir).as_posix())
    return sheets


def _scene_kinds() -> list[str]:
    from synapt.sim.scenes import SCENE_KINDS

    return list(SCENE_KINDS)


def _check_real_data(suites, *, seed: int = 0) -> dict[str, int]:
    """Index every configured real dataset before hours of pre-training start; returns train counts
    (per fold for a k-fold suite). A group pattern must match every file name, and a k-fold suite
    needs at least as many groups as folds."""
    from synapt.bench.curate import group_folds, read_source
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
            clips = read_source(_suite_source(suite))  # every file name through the pattern
        if suite.folds:
            group_folds(clips, folds=suite.folds, seed=seed,
                        where=f"dataset {suite.name} at {suite.root} (group '{suite.group}')")
            counts[suite.name] = round(len(clips) * (suite.folds - 1) / suite.folds)
    return counts


def _suite_source(suite: Suite) -> Source:
    from synapt.bench.curate import Source

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
        from synapt.bench.curate import curate, read_source

        source = _suite_source(suite)
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


def format_plan(plan: dict) -> str:
    """The dry run's job plan as a table, with totals."""
    lines = [f"{'stage':60s} {'status':8s} {'clips':>10s} {'GFLOP':>12s}"]
    total_clips, total_gflop = 0, 0.0
    for stage in plan["plan"]:
        est = stage["estimate"]
        clips, gflop = est.get("clips") or 0, est.get("gflop")
        total_clips += clips
        total_gflop += gflop or 0.0
        status = "done" if stage["reused"] else "to run"
        lines.append(f"{stage['name'][:60]:60s} {status:8s} {clips:>10,d} {'' if gflop is None else f'{gflop:,.0f}':>12s}")
    lines.append(f"{'total':60s} {'':8s} {total_clips:>10,d} {total_gflop:>12,.0f}")
    lines.append(f"clips = clip passes (clips x epochs x grid points); compute = {total_gflop / 1e6:,.1f} PFLOP "
                 f"(forward FLOPs per clip from `synapt models`, x3 when training)")
    return "\n".join(lines)
