"""Which part of a training recipe decides whether a model learns: one factor changed at a time.

    .venv/bin/python benchmarks/learning_factors.py --data DATASET --table old   # factors vs the old default
    .venv/bin/python benchmarks/learning_factors.py --data DATASET --table new   # the new default, one fix undone

Every row is a real ``synapt train`` run (the engine, its data pipeline and its evaluation) on
the same generated folder, seed and epochs, differing from its table's base row in the overrides
shown. It prints a markdown table (best val top-1 on the dataset's val split, single centre view,
and the last epoch's train top-1 under augmentation) and writes the rows as JSON next to it.
``docs/training.md`` keeps the table this printed, with the command and the machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from synapt.config import load_config
from synapt.train.loop import train

# The tiny preset's recipe before the fix (issue 10): TSN corner crops, random frames, dropout 0.5,
# a warm-up, SGD at lr 0.01.
OLD = ["data.train_crop=multiscale", "data.temporal_jitter=true", "model.dropout=0.5", "schedule.warmup_epochs=1",
       "optim.name=sgd", "optim.lr=0.01", "optim.batch_size=16", "optim.weight_decay=1e-4"]
# The small-frame recipe after it (synapt.bench.presets.SMALL_FRAME_RECIPE, the tiny preset's).
NEW = ["data.train_crop=auto", "data.temporal_jitter=true", "model.dropout=0.2", "schedule.warmup_epochs=0.3",
       "optim.name=adamw", "optim.lr=2e-3", "optim.batch_size=16", "optim.weight_decay=0.05",
       "optim.label_smoothing=0.1"]

TABLES = {
    "old": ("old default", OLD, [
        ("crop: whole frame (none)", ["data.train_crop=none"]),
        ("crop: light (80-100%, anywhere)", ["data.train_crop=light"]),
        ("crop: Inception random-resized", ["data.train_crop=random_resized"]),
        ("frames: segment centres (no jitter)", ["data.temporal_jitter=false"]),
        ("dropout 0", ["model.dropout=0.0"]),
        ("no warm-up", ["schedule.warmup_epochs=0"]),
        ("SGD lr 0.02", ["optim.lr=0.02"]),
        ("SGD lr 0.05", ["optim.lr=0.05"]),
        ("batch 32 (BatchNorm over 32x4 frames)", ["optim.batch_size=32"]),
        ("AdamW lr 2e-3, wd 0.05", ["optim.name=adamw", "optim.lr=2e-3", "optim.weight_decay=0.05"]),
        ("label smoothing 0.1", ["optim.label_smoothing=0.1"]),
    ]),
    "new": ("new default", NEW, [
        ("crop: TSN multi-scale corners", ["data.train_crop=multiscale"]),
        ("crop: light (80-100%, anywhere)", ["data.train_crop=light"]),
        ("frames: segment centres (no jitter)", ["data.temporal_jitter=false"]),
        ("dropout 0.5", ["model.dropout=0.5"]),
        ("no warm-up", ["schedule.warmup_epochs=0"]),
        ("SGD lr 0.02 (wd 1e-4)", ["optim.name=sgd", "optim.lr=0.02", "optim.weight_decay=1e-4"]),
        ("no label smoothing", ["optim.label_smoothing=0.0"]),
    ]),
}


def run_row(data: str, common: list[str], overrides: list[str], *, work: Path) -> dict:
    config = load_config(None, [f"data.root={data}", *common, *overrides])
    out = Path(tempfile.mkdtemp(dir=work))
    started = time.perf_counter()
    metrics = train(config, out_dir=out, progress=False)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    epochs = [r for r in log if r["kind"] == "epoch"]
    shutil.rmtree(out)
    return {"val_top1": metrics["best"]["top1"], "train_top1": epochs[-1]["train_top1"],
            "minutes": round((time.perf_counter() - started) / 60, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="a `synapt generate` folder with train/val splits")
    ap.add_argument("--table", choices=sorted(TABLES), default="old")
    ap.add_argument("--model", default="tsn_tiny")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rows", default="", help="comma list of row numbers to run (default: all; 0 is the base)")
    ap.add_argument("--out", default="benchmarks/results/learning_factors.json")
    a = ap.parse_args()
    title, base, rows = TABLES[a.table]
    common = [f"model.name={a.model}", f"schedule.epochs={a.epochs}", f"data.num_frames={a.frames}",
              f"data.size={a.size}", f"seed={a.seed}", "data.workers=0", "data.flip=false", "data.cache_mb=2000",
              "eval.test=false", "precision=fp32", *base]
    wanted = {int(r) for r in a.rows.split(",")} if a.rows else None
    work = Path(tempfile.mkdtemp(prefix="synapt-factors-"))
    cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout
    print(f"{a.model}, {a.frames} frames x {a.size} px, {a.epochs} epochs, seed {a.seed}, data {a.data}; "
          f"{cpu.strip() or platform.processor()}")
    print(f"| # | {title} + | val top-1 | train top-1 | min |\n|---|---|---|---|---|", flush=True)
    results = []
    for number, (name, overrides) in enumerate([(f"({title} as is)", []), *rows]):
        if wanted is not None and number not in wanted:
            continue
        row = {"table": a.table, "row": number, "name": name, "overrides": overrides, **run_row(a.data, common, overrides, work=work)}
        results.append(row)
        print(f"| {number} | {name} | {row['val_top1']:.3f} | {row['train_top1']:.3f} | {row['minutes']:.1f} |", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps({"model": a.model, "epochs": a.epochs, "data": a.data, "cpu": cpu.strip(),
                                       "base": base, "rows": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
