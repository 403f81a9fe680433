"""The training loop: one function, read top to bottom.

    synapt train --config configs/tsn_tiny_1x1x8_synapt-pretrain.yaml optim.lr=0.02 --out runs/x
    torchrun --nproc_per_node 2 -m synapt.cli train --config ...     (same run, 2 processes)

It writes the run folder: ``config.yaml`` (resolved), ``log.jsonl`` (one line per epoch and per
evaluation), ``checkpoints/last.pt`` and ``best.pt`` (best top-1 on val), ``metrics.json`` and
``confusion_<split>.json``. ``resume=True`` continues from ``last.pt`` exactly: same weights at
the end as a run that was never interrupted (on the deterministic CPU path).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import yaml
from tqdm import tqdm

from synapt.config import TrainConfig, config_to_dict, differing_keys
from synapt.errors import UserError
from synapt.io import atomic_write_text
from synapt.train.checkpoint import load_checkpoint, make_meta, rng_state, save_checkpoint, set_rng_state
from synapt.train.datasets import Datasets, build_datasets, view_protocol
from synapt.train.distributed import DistEnv, all_gather_objects, all_true, setup_distributed
from synapt.train.evaluate import evaluate, without_confusion, write_confusion
from synapt.train.loader import batches_per_epoch, epoch_loader
from synapt.train.modes import ModelBuilder, prepare_model, set_train_mode
from synapt.train.optim import build_optimizer
from synapt.train.precision import autocast, grad_scaler, resolve_precision
from synapt.train.probe import run_cached_probe
from synapt.train.schedule import lr_at

# Keys that may change between a run and its resume: they do not change what is computed.
# (data.workers is not one: a dataset may seed its augmentation with its worker's seed.)
RESUMABLE_CHANGES = ("data.root", "eval.batch_size", "data.cache_mb")


class TrainingDiverged(UserError):
    """The loss became NaN or infinite; the run stopped without overwriting good checkpoints."""


def train(config: TrainConfig, *, out_dir: str | Path, resume: bool = False, datasets: Datasets | None = None,
          builder: ModelBuilder | None = None, progress: bool = True) -> dict[str, Any]:
    """Run one training job described by ``config``; returns the final metrics.

    Args:
        config: the resolved run config.
        out_dir: the run folder (created; must be empty of checkpoints unless resuming).
        resume: continue from ``out_dir/checkpoints/last.pt``.
        datasets: already built datasets (tests, benchmarks); by default built from ``config.data``.
        builder: ``build_model(name, num_classes, **options)``; synapt's registry by default.
        progress: show tqdm bars (rank 0 only).
    """
    out_dir = Path(out_dir)
    last_path, best_path = out_dir / "checkpoints" / "last.pt", out_dir / "checkpoints" / "best.pt"
    resolved = config_to_dict(config)

    # torchrun sets RANK/WORLD_SIZE; without them this is a single process on one device. The
    # process group outlives this call (the CLI tears it down): re-joining a group in the same
    # torchrun job can hang.
    env = setup_distributed()
    # The same seed on every rank gives every rank the same initial weights (DDP would
    # broadcast rank 0's anyway); the data order is split by rank in the sampler instead.
    torch.manual_seed(config.seed)
    if datasets is None:
        datasets = build_datasets(config.data, seed=config.seed, num_clips=config.eval.num_clips,
                                  num_crops=config.eval.num_crops)
    if datasets.train is None:
        raise UserError(f"dataset at {config.data.root or '(given)'} has no '{config.data.train_split}' split "
                        "to train on (set data.train_split)")
    num_classes = len(datasets.class_names)

    if resume and not last_path.is_file():
        raise UserError(f"--resume: no checkpoint at {last_path}; run without --resume to start")
    if not resume and last_path.is_file():
        raise UserError(f"run folder {out_dir} already holds {last_path.name}: add --resume to continue it, "
                        "or choose another --out")
    if config.mode == "linear_probe" and config.probe.cache:
        # The cached-feature probe has no epochs of augmented clips: see train/probe.py.

        return run_cached_probe(config, out_dir=out_dir, datasets=datasets, env=env, builder=builder,
                                progress=progress)

    model = prepare_model(config.model, mode=config.mode, num_classes=num_classes, builder=builder)
    model.to(env.device)
    precision = resolve_precision(config.precision, env.device)
    scaler = grad_scaler(precision, env.device, init_scale=config.optim.loss_scale)
    # Frozen parameters (linear probe) stay out of the optimizer: no momentum, no decay.
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = build_optimizer(model, config.optim)

    batch_size = config.optim.batch_size
    steps_per_epoch = batches_per_epoch(len(datasets.train), batch_size=batch_size, world_size=env.world_size)
    total_steps = config.schedule.epochs * steps_per_epoch
    warmup_steps = round(config.schedule.warmup_epochs * steps_per_epoch)
    lr_args = {"base_lr": config.optim.lr, "warmup_steps": warmup_steps, "total_steps": total_steps,
               "min_lr": config.schedule.min_lr}
    schedule = {"kind": "warmup_cosine", **lr_args}  # all the schedule state there is: lr_at is pure
    meta = make_meta(arch=config.model.name, num_frames=config.data.num_frames, mean=config.data.mean,
                     std=config.data.std, class_names=datasets.class_names, mode=config.mode,
                     size=config.data.size)

    epoch, batch_in_epoch, step, best = 0, 0, 0, None
    if resume:
        state = load_checkpoint(last_path)
        changed = differing_keys(state["config"], resolved, ignore=RESUMABLE_CHANGES)
        if changed:
            raise UserError(f"--resume with a different config: {', '.join(changed)} differ from {last_path}; "
                            "resume with the original values or start a new run folder")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if "scaler" in state:
            scaler.load_state_dict(state["scaler"])
        epoch, step = state["epoch"], state["step"]
        batch_in_epoch, best = state["position"]["batch"], state["position"]["best"]
        # Each rank continues its own random streams (dropout, augmentation in this process).
        if len(state["rng"]) == env.world_size:
            set_rng_state(state["rng"][env.rank])
        _truncate_log(out_dir / "log.jsonl", step, env)

    if env.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out_dir / "config.yaml", yaml.safe_dump(resolved, sort_keys=False))
    writer = _tensorboard(out_dir, env)

    raw_model = model
    if env.enabled:
        # Gradients are averaged across ranks inside backward(); frozen params are skipped.
        model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[env.local_rank] if env.device.type == "cuda" else None)

    def checkpoint(path: Path, *, at_epoch: int, at_batch: int) -> None:
        # Every rank's RNG state goes in, so a resume continues every rank's streams.
        rngs = all_gather_objects(rng_state(), env)
        if not env.is_main:
            return
        save_checkpoint(path, {
            "model": raw_model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": schedule,
            "scaler": scaler.state_dict(), "epoch": at_epoch, "step": step, "rng": rngs,
            "config": resolved, "meta": meta, "position": {"batch": at_batch, "best": best},
        })

    def run_eval(split: str, dataset, protocol: dict) -> dict:
        result = evaluate(raw_model, dataset, protocol=protocol, class_names=datasets.class_names, env=env,
                          batch_size=config.eval.batch_size, workers=config.data.workers,
                          autocast=autocast(precision, env.device), progress=progress)
        set_train_mode(raw_model, config.mode)
        if env.is_main:
            write_confusion(out_dir / f"confusion_{split}.json", result, datasets.class_names)
        return result

    best_weights = None  # best-on-val weights in memory, so no rank reads a file rank 0 is writing
    lr = lr_at(step, **lr_args)
    val_protocol = datasets.protocols.get("val") or view_protocol(
        config.data, split=config.data.val_split, num_clips=1, num_crops=1)
    for epoch in range(epoch, config.schedule.epochs):
        set_train_mode(raw_model, config.mode)
        loader = epoch_loader(datasets.train, batch_size=batch_size, seed=config.seed, epoch=epoch, shuffle=True,
                              rank=env.rank, world_size=env.world_size, skip_batches=batch_in_epoch,
                              workers=config.data.workers, pin_memory=env.device.type == "cuda")
        bar = tqdm(total=steps_per_epoch, initial=batch_in_epoch, desc=f"epoch {epoch + 1}/{config.schedule.epochs}",
                   disable=not (progress and env.is_main), dynamic_ncols=True)
        loss_sum, correct, seen, data_wait = 0.0, 0, 0, 0.0
        epoch_start = waited_from = time.perf_counter()
        for batch_in_epoch, batch in enumerate(loader, start=batch_in_epoch):
            data_wait += time.perf_counter() - waited_from
            # With data.on_error=skip a batch of unreadable videos is None; every rank skips
            # the step together, or the others would wait forever in the gradient all-reduce.
            if not all_true(batch is not None, env):
                bar.update(1)
                waited_from = time.perf_counter()
                continue
            video, label, _ = batch
            lr = lr_at(step, **lr_args)
            for group in optimizer.param_groups:
                group["lr"] = lr
            # Checked on the CPU copy: a GPU would only say "device-side assert triggered".
            if label.min() < 0 or label.max() >= num_classes:
                raise UserError(f"label {int(label.max())} is outside the {num_classes}-way head; "
                                "the dataset's labels do not match its class list")
            video = video.to(env.device, non_blocking=True)
            label = label.to(env.device, non_blocking=True)

            with autocast(precision, env.device):
                logits = model(video)
                loss = F.cross_entropy(logits.float(), label, label_smoothing=config.optim.label_smoothing)
            # Stop BEFORE the step: a NaN applied to the weights would poison every later checkpoint.
            if not all_true(bool(torch.isfinite(loss.detach())), env):
                raise TrainingDiverged(
                    f"loss is {loss.item()} at epoch {epoch + 1}, step {step} (lr {lr:.3g}); stopped without "
                    f"saving: the last good checkpoint is {last_path if last_path.exists() else 'none yet'}. "
                    "Lower optim.lr, add schedule.warmup_epochs, set optim.grad_clip or precision=fp32")
            scaler.scale(loss).backward()
            if config.optim.grad_clip:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(trainable, config.optim.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            step += 1

            loss_sum += loss.item() * len(label)
            correct += int((logits.argmax(dim=1) == label).sum())
            seen += len(label)
            if config.checkpoint_every and step % config.checkpoint_every == 0:
                checkpoint(last_path, at_epoch=epoch, at_batch=batch_in_epoch + 1)
            elapsed = time.perf_counter() - epoch_start
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}",
                            clips_s=f"{seen * env.world_size / elapsed:.1f}", lr=f"{lr:.2g}", refresh=False)
            bar.update(1)
            waited_from = time.perf_counter()
        bar.close()
        batch_in_epoch = 0  # the next epoch starts at its first batch

        elapsed = time.perf_counter() - epoch_start
        skipped = datasets.train.reset_errors() if hasattr(datasets.train, "reset_errors") else 0
        totals = all_gather_objects((loss_sum, correct, seen, data_wait, skipped), env)
        seen_all = sum(t[2] for t in totals)
        record = {
            "kind": "epoch", "epoch": epoch + 1, "step": step, "lr": lr,
            "loss": sum(t[0] for t in totals) / max(1, seen_all),
            "train_top1": sum(t[1] for t in totals) / max(1, seen_all),
            "clips": seen_all, "time_s": round(elapsed, 3), "clips_per_s": round(seen_all / elapsed, 2),
            "data_wait_share": round(max(t[3] for t in totals) / elapsed, 4),
            "skipped_clips": sum(t[4] for t in totals),
        }
        _log(out_dir, record, env, writer)

        is_last = epoch + 1 == config.schedule.epochs
        improved = False
        if datasets.val is not None and ((epoch + 1) % config.eval.every == 0 or is_last):
            result = run_eval("val", datasets.val, val_protocol)
            _log(out_dir, {"kind": "eval", "epoch": epoch + 1, "step": step, **without_confusion(result)}, env, writer)
            improved = best is None or result["top1"] > best["top1"]
            if improved:
                best = {"epoch": epoch + 1, "step": step, **without_confusion(result)}
                best_weights = {k: v.detach().clone() for k, v in raw_model.state_dict().items()}
        # best before last: a kill between the two writes must not lose an improvement.
        if improved or (datasets.val is None and is_last):
            checkpoint(best_path, at_epoch=epoch + 1, at_batch=0)
        checkpoint(last_path, at_epoch=epoch + 1, at_batch=0)

    # Final numbers: best-on-val weights under the multi-view test protocol.
    metrics: dict[str, Any] = {"mode": config.mode, "arch": config.model.name, "epochs": config.schedule.epochs,
                               "steps": step, "world_size": env.world_size, "precision": precision,
                               "selected_on": "val top1" if datasets.val is not None else "last epoch (no val split)",
                               "best": best}
    if config.eval.test and datasets.test is not None:
        if best_weights is not None:
            raw_model.load_state_dict(best_weights)
        elif best_path.is_file():  # resumed after the best epoch: every rank reads the finished file
            raw_model.load_state_dict(load_checkpoint(best_path)["model"])
        test_protocol = datasets.protocols.get("test") or view_protocol(
            config.data, split=config.data.test_split, num_clips=config.eval.num_clips,
            num_crops=config.eval.num_crops)
        result = run_eval("test", datasets.test, test_protocol)
        metrics["test"] = without_confusion(result)
        _log(out_dir, {"kind": "eval", "epoch": config.schedule.epochs, "step": step, "weights": "best.pt",
                       **without_confusion(result)}, env, writer)
    if env.is_main:
        atomic_write_text(out_dir / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    if writer is not None:
        writer.close()
    return metrics


def _log(out_dir: Path, record: dict, env: DistEnv, writer) -> None:
    """Append one JSON line to ``log.jsonl`` (rank 0) and mirror scalars to TensorBoard."""
    if not env.is_main:
        return
    with open(out_dir / "log.jsonl", "a") as handle:
        handle.write(json.dumps(record) + "\n")
    if writer is not None:
        prefix = record["kind"] if record["kind"] == "epoch" else f"eval_{record['protocol']['split']}"
        for key, value in record.items():
            if isinstance(value, (int, float)) and key not in ("epoch", "step"):
                writer.add_scalar(f"{prefix}/{key}", value, record["step"])


def _truncate_log(path: Path, step: int, env: DistEnv) -> None:
    """Drop log lines written after the checkpoint we resume from: that work is redone."""
    if not env.is_main or not path.is_file():
        return
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    kept = [line for line in lines if json.loads(line).get("step", 0) <= step]
    atomic_write_text(path, "".join(line + "\n" for line in kept))


def _tensorboard(out_dir: Path, env: DistEnv):
    """A SummaryWriter when tensorboard is installed (rank 0), else None."""
    if not env.is_main:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(log_dir=str(out_dir / "tensorboard"))
