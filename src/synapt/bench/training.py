"""Training stages of the benchmark: the config every run trains with, a sweep whose best trial on
val is kept, pre-training, transfer (FT, LP, scratch) to a suite, the random-init floor, and the
compute each is priced at in the plan."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from synapt.bench.presets import Preset, Suite
from synapt.bench.real import fold_name
from synapt.bench.rows import kfold_row, transfer_row
from synapt.bench.runner import Runner
from synapt.bench.sweep import apply_overrides, grid_points, run_sweep
from synapt.config import config_from_dict

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


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
    from synapt.train.loop import train

    run_dir = folder / "run"
    resume = (run_dir / "checkpoints" / "last.pt").is_file()
    metrics = train(config_from_dict(config, where=f"trial {folder.name}"), out_dir=run_dir, resume=resume,
                    progress=False)
    return {"val": metrics.get("best") or {}, "test": metrics.get("test") or {}, "mode": config["mode"]}


def sweep_stage(run: Runner, name: str, base: dict, grid: dict, *, estimate: dict, key: dict | None = None) -> Path:
    """A sweep whose best trial (on val) is linked into the stage folder as ``best/``.

    ``key``: more inputs the stage depends on (e.g. a weights file's sha256), added to its key.
    """
    config = {"base": base, "grid": grid, **(key or {})}
    for point in grid_points(grid):  # a bad key or value fails now, not hours into the run
        config_from_dict(apply_overrides(base, point), where=f"stage {name}")

    def work(folder: Path) -> dict:
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
    base = train_config(preset, mode="pretrain", data_root=data_root, model=model, epochs=preset.pretrain_epochs,
                        seed=seed)
    trials = len(grid_points(preset.pretrain_grid))
    folder = sweep_stage(run, f"pretrain-{name}-{model}", base, preset.pretrain_grid,
                          estimate=train_estimate(model, preset, clips=clips * preset.pretrain_epochs * trials))
    return folder / "best" / "checkpoints" / "best.pt"


def transfer_stage(run: Runner, *, preset: Preset, model: str, pretrain: str, checkpoint: Path | None,
                   suite: Suite, data_root: Path, mode: str, clips: int, fold: int | None = None,
                   weights_sha256: str | None = None) -> Path:
    """Fine-tune (``ft``), linear-probe (``lp``) or train from scratch on a downstream suite
    (on one fold of a k-fold suite: ``fold`` 0..k-1, ``data_root`` that fold's curated folder).
    ``weights_sha256``: the digest of an outside weights file ``checkpoint`` (it keys the stage)."""
    train_mode = {"ft": "finetune", "lp": "linear_probe", "scratch": "scratch"}[mode]
    base = train_config(preset, mode=train_mode, data_root=data_root, model=model,
                        epochs=preset.downstream_epochs, weights=checkpoint)
    # A linear probe searches its own grid on cached features (one extraction), so the
    # outer sweep has a single point; fine-tuning and scratch sweep the downstream grid.
    grid = {"seed": [0]} if mode == "lp" else preset.downstream_grid
    trials = 1 if mode == "lp" else len(grid_points(grid))
    work_clips = clips * (1 if mode == "lp" else preset.downstream_epochs * trials)
    estimate = train_estimate(model, preset, clips=work_clips, forward_only=mode == "lp")
    name = suite.name if fold is None else fold_name(suite, fold)
    return sweep_stage(run, f"transfer-{pretrain}-{name}-{mode}-{model}", base, grid, estimate=estimate,
                       key={"weights_sha256": weights_sha256} if weights_sha256 else None)


def transfer_suite(run: Runner, *, preset: Preset, model: str, suite: Suite, roots: list[Path], clips: int,
                   checkpoints: dict[str, Path], random_init: Path, digests: dict[str, str] | None = None) -> list[dict]:
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
                                  data_root=root, mode=mode, clips=clips, fold=i if suite.folds else None,
                                  weights_sha256=(digests or {}).get(pretrain))
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


def train_estimate(model: str, preset: Preset, *, clips: int, forward_only: bool = False) -> dict:
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
