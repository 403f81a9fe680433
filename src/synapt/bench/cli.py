"""Subcommands of the benchmark stage: curate, bias, sweep, benchmark."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synapt.errors import UserError


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def register(commands, bench) -> None:
    p = commands.add_parser(
        "curate",
        help="build a balanced pre-training set from several sources through a class map",
        description="Lint a class map (target_class: [source:action, ...]), sample N classes x M clips "
        "with an equal share per source, write nested subsets and a grouped train/val split.",
    )
    p.add_argument("--map", required=True, help="class map YAML: target_class: [source:action, ...]")
    p.add_argument("--source", action="append", default=[], metavar="NAME=FORMAT:ROOT",
                   help="a source dataset, e.g. gen=synapt:runs/gen or k=kinetics:/data/k400 (repeatable)")
    p.add_argument("--out", required=True, help="output folder (a dataset in the synapt format)")
    p.add_argument("--classes", type=int, default=None, help="N target classes (default: all)")
    p.add_argument("--clips", type=int, default=None, help="M clips per class (default: the smallest class)")
    p.add_argument("--class-subsets", type=_int_list, default=(), help="nested class counts, e.g. 30,90")
    p.add_argument("--clip-subsets", type=_int_list, default=(), help="nested clips per class, e.g. 250,750")
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--fps", type=float, default=30.0, help="frame rate every clip must have (0: any)")
    p.add_argument("--allow-short", action="store_true", help="keep classes with fewer than M clips")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=_curate)


def _curate(args) -> int:
    from synapt.bench.curate import curate, load_class_map, parse_source_spec

    if not args.source:
        raise UserError("curate needs at least one --source NAME=FORMAT:ROOT")
    result = curate(
        class_map=load_class_map(args.map),
        sources=[parse_source_spec(s) for s in args.source],
        out_dir=args.out,
        num_classes=args.classes,
        clips_per_class=args.clips,
        class_subsets=args.class_subsets,
        clip_subsets=args.clip_subsets,
        val_fraction=args.val_fraction,
        seed=args.seed,
        fps=args.fps or None,
        allow_short=args.allow_short,
    )
    summary = json.loads((Path(result.out_dir) / "curation.json").read_text())
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"curated {len(result.class_names)} classes x {summary['clips_per_class']} clips into {result.out_dir}: "
              + ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items())))
        for name in result.subsets:
            print(f"  subset {result.out_dir}/subsets/{name}")
    return 0
