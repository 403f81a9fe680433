"""``synapt train`` and ``synapt eval``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synapt.deprecation import add_deprecated_flag
from synapt.errors import UserError


def register(commands) -> None:
    p = commands.add_parser(
        "train", help="pre-train, fine-tune, linear-probe or train from scratch (torchrun for many processes)",
        description="Train from a YAML config with dotted key=value overrides, e.g. "
                    "synapt train --config configs/tsn_tiny_1x1x8_synapt-pretrain.yaml optim.lr=0.02 --out runs/x. "
                    "Under `torchrun --nproc_per_node N -m synapt.cli train ...` the same run uses N processes.")
    p.add_argument("--config", type=Path, help="YAML run config (defaults when omitted)")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="dotted overrides, e.g. optim.lr=0.01")
    p.add_argument("--out", type=Path, help="run folder (default: runs/<config name>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from checkpoints/last.pt")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--print-config", action="store_true", help="print the resolved config (every key) and exit")
    p.set_defaults(func=_train)

    p = commands.add_parser("eval", help="evaluate a checkpoint on a dataset split (single or multi-view)")
    p.add_argument("--checkpoint", type=Path, required=True, help="a synapt checkpoint (best.pt, last.pt)")
    p.add_argument("--data", required=True, help="dataset root folder")
    p.add_argument("--format", help="annotation format (default: the one the checkpoint was trained on)")
    p.add_argument("--annotations", help="annotation folder/file, for formats that keep them apart")
    p.add_argument("--split", type=int, default=1, help="official split number (UCF101/HMDB51: 1-3)")
    p.add_argument("--split-name", default="test", help="which split to evaluate (train, val, test)")
    p.add_argument("--clips-per-video", dest="clips_per_video", type=int, default=1, metavar="N",
                   help="temporal clips (views) per video, averaged (default 1)")
    add_deprecated_flag(p, "--clips", new="--clips-per-video", dest="clips_per_video", type=int)
    p.add_argument("--crops", type=int, default=1, choices=(1, 3), help="spatial crops per clip")
    p.add_argument("--batch-size", type=int, default=8, help="videos per batch")
    p.add_argument("--workers", type=int, help="loader processes (default: one per spare core)")
    p.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "fp16", "auto"))
    p.add_argument("--out", type=Path, help="folder for eval_<split>.json and confusion_<split>.json")
    p.set_defaults(func=_eval)


def _train(args: argparse.Namespace) -> int:
    from synapt.config import load_config
    from synapt.train.loop import train

    from synapt.train.distributed import setup_distributed, teardown_distributed

    config = load_config(args.config, args.overrides)
    if args.print_config:
        import yaml

        from synapt.config import config_to_dict

        print(yaml.safe_dump(config_to_dict(config), sort_keys=False), end="")
        return 0
    out = args.out or Path("runs") / (args.config.stem if args.config else "default")
    env = setup_distributed()
    try:
        metrics = train(config, out_dir=out, resume=args.resume, progress=not args.no_progress)
    finally:
        teardown_distributed(env)
    if not env.is_main:
        return 0
    summary = {k: metrics.get(k) for k in ("best", "test") if metrics.get(k)}
    for name, result in summary.items():
        print(f"{name}: top1 {result['top1']:.4f}  top5 {result['top5']:.4f}  "
              f"mean class {result['mean_class_accuracy']:.4f}  ({result['num_videos']} videos)")
    print(f"run folder: {out}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from synapt.io import atomic_write_text
    from synapt.train.evaluate import evaluate_checkpoint, without_confusion, write_confusion

    if args.clips_per_video < 1:
        raise UserError(f"--clips-per-video must be at least 1, got {args.clips_per_video}")
    from synapt.train.distributed import setup_distributed, teardown_distributed

    env = setup_distributed()
    try:
        result = evaluate_checkpoint(args.checkpoint, root=args.data, data_format=args.format,
                                     annotations=args.annotations, split=args.split, split_name=args.split_name,
                                     num_clips=args.clips_per_video, num_crops=args.crops, batch_size=args.batch_size,
                                     workers=args.workers, precision=args.precision)
    finally:
        teardown_distributed(env)
    if not result.pop("is_main"):
        return 0
    summary = without_confusion(result)
    if args.out:
        atomic_write_text(args.out / f"eval_{args.split_name}.json", json.dumps(summary, indent=2) + "\n")
        write_confusion(args.out / f"confusion_{args.split_name}.json", result, _class_names(args.checkpoint))
    print(json.dumps(summary, indent=2))
    return 0


def _class_names(checkpoint: Path) -> list[str]:
    from synapt.train.checkpoint import load_checkpoint

    return load_checkpoint(checkpoint)["meta"]["class_names"]
