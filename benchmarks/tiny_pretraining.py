"""The tiny preset's synthetic pre-training, one change at a time, on one generated set.

    .venv/bin/python benchmarks/tiny_pretraining.py generate OUT [--per-class 110]
    .venv/bin/python benchmarks/tiny_pretraining.py train OUT/data RUN [--model M] [--epochs E] [key=value ...]
    .venv/bin/python benchmarks/tiny_pretraining.py held HELD              # 12 x 40 clips at seed 7
    .venv/bin/python benchmarks/tiny_pretraining.py score RUN/run/checkpoints/best.pt HELD/data

``generate`` makes and curates the set the benchmark's ``generate-synthetic`` and
``curate-synthetic`` stages make (the 12 pre-training classes ``plan_classes`` picks at seed 0,
8 frames at 64 px and 4 fps, context bias 0, generation seed 1, 10% val). ``train`` runs the
benchmark's own pre-training config (``synapt.bench.training.train_config`` with the preset's
recipe and grid point) with the given overrides, and prints one JSON line: the overrides, val top-1
by epoch, the best, and the wall time. One 132-clip val split has a 95% interval of about +-8
points, so ``held`` makes 432 more clips of the same classes at another generation seed (7), and
``score`` prints a checkpoint's top-1 on all of them. ``docs/training.md`` keeps what they printed.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path


def _preset(classes: int):
    from synapt.bench.presets import PRESETS

    return replace(PRESETS["tiny"], pretrain_classes=classes)


def _make_set(out: Path, *, per_class: int, classes: int, seed: int, val: float, test: float) -> list[str]:
    """Generate the preset's pre-training classes at generation ``seed`` and curate them; the class names."""
    from synapt.bench.classes import plan_classes
    from synapt.bench.curate import Source, curate
    from synapt.sim import generate_dataset
    from synapt.sim.catalog import CLASSES

    preset = _preset(classes)
    names = list(plan_classes(preset, [c for c in CLASSES if c.available]).pretrain)
    generate_dataset(out / "gen", classes=names, per_class=per_class, frames=preset.frames, fps=preset.fps,
                     size=preset.size, seed=seed, context_bias=0.0, workers=2)
    curate(class_map={c: [("gen", c)] for c in names}, sources=[Source("gen", "synapt", out / "gen")],
           out_dir=out / "data", clips_per_class=per_class, val_fraction=val, test_fraction=test, seed=0, fps=None)
    return names


def generate(out: Path, *, per_class: int, classes: int) -> None:
    started = time.time()
    names = _make_set(out, per_class=per_class, classes=classes, seed=1, val=0.1, test=0.0)
    print(json.dumps({"classes": names, "per_class": per_class, "seconds": round(time.time() - started)}))


def held(out: Path, *, per_class: int, classes: int) -> None:
    # Curation keeps a train split; the 90% in val and test are the held-out clips.
    _make_set(out, per_class=per_class, classes=classes, seed=7, val=0.45, test=0.45)


def score(checkpoint: Path, data: Path) -> None:
    from synapt.train.evaluate import evaluate_checkpoint

    right = total = 0
    for split in ("val", "test"):
        result = evaluate_checkpoint(checkpoint, root=str(data), split_name=split, workers=0, progress=False)
        n = result["num_videos"]
        right += result["top1"] * n
        total += n
    print(json.dumps({"checkpoint": str(checkpoint), "held_clips": int(total), "top1": round(right / total, 4)}))


def train(data: Path, run: Path, *, model: str, epochs: int | None, overrides: list[str], classes: int) -> None:
    from synapt.bench.training import train_config, train_trial

    preset = _preset(classes)
    hparams = {key: values[0] for key, values in preset.pretrain_grid.items()}
    for item in overrides:
        key, _, text = item.partition("=")
        try:
            hparams[key] = json.loads(text)
        except json.JSONDecodeError:
            hparams[key] = text
    config = train_config(preset, mode="pretrain", data_root=data, model=model,
                          epochs=epochs or preset.pretrain_epochs, hparams=hparams)
    started = time.time()
    train_trial(config, run)
    log = [json.loads(line) for line in (run / "run" / "log.jsonl").read_text().splitlines()]
    val = [round(r["top1"], 4) for r in log if r["kind"] == "eval"]
    train_top1 = [round(r["train_top1"], 4) for r in log if r["kind"] == "epoch"]
    print(json.dumps({"model": model, "epochs": len(val), "overrides": overrides, "val_by_epoch": val,
                      "best_val": max(val), "train_top1_last": train_top1[-1], "seconds": round(time.time() - started)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("out", type=Path)
    g.add_argument("--per-class", type=int, default=110)
    g.add_argument("--classes", type=int, default=12)
    t = sub.add_parser("train")
    t.add_argument("data", type=Path)
    t.add_argument("run", type=Path)
    t.add_argument("--model", default="r2plus1d_w16")
    t.add_argument("--epochs", type=int, default=None)
    t.add_argument("--classes", type=int, default=12)
    t.add_argument("overrides", nargs="*", help="dotted config keys, e.g. optim.lr=4e-3 data.flip=true")
    h = sub.add_parser("held")
    h.add_argument("out", type=Path)
    h.add_argument("--per-class", type=int, default=40)
    h.add_argument("--classes", type=int, default=12)
    s = sub.add_parser("score")
    s.add_argument("checkpoint", type=Path)
    s.add_argument("data", type=Path)
    a = ap.parse_args()
    if a.command == "generate":
        generate(a.out, per_class=a.per_class, classes=a.classes)
    elif a.command == "held":
        held(a.out, per_class=a.per_class, classes=a.classes)
    elif a.command == "score":
        score(a.checkpoint, a.data)
    else:
        train(a.data, a.run, model=a.model, epochs=a.epochs, overrides=a.overrides, classes=a.classes)


if __name__ == "__main__":
    main()
