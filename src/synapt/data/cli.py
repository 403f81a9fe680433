"""``synapt data probe|info|pack``."""

from __future__ import annotations

import argparse
import json
import sys


def register(commands) -> None:
    data = commands.add_parser("data", help="inspect videos and datasets, pack shards")
    sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    data.set_defaults(func=lambda args: (data.print_help(), 2)[1])

    probe = sub.add_parser("probe", help="frames, fps, size, rotation, codec and pixel aspect of a video")
    probe.add_argument("file", help="video file")
    probe.add_argument("--json", action="store_true", help="print one JSON object")
    probe.add_argument("--no-decode", dest="decode", action="store_false", help="read the header only (fast; misses corruption)")
    probe.set_defaults(func=_probe)

    info = sub.add_parser("info", help="classes, records per split, missing and unreadable videos of a dataset")
    _dataset_arguments(info)
    info.add_argument("--check", choices=("none", "open", "decode"), default="open",
                      help="how to test present videos: not at all, open + first frame (default), full decode")  # fmt: skip
    info.add_argument("--json", action="store_true", help='print {"format", "classes", "splits", "missing", "unreadable"}')
    info.set_defaults(func=_info)

    pack = sub.add_parser("pack", help="write WebDataset tar shards of a dataset's videos")
    _dataset_arguments(pack)
    pack.add_argument("--out", required=True, help="output folder for <split>-NNNNNN.tar and index.json")
    pack.add_argument("--shard-size", type=int, default=1000, help="clips per shard (default 1000)")
    pack.add_argument("--splits", default=None, help="comma-separated splits to pack (default: all)")
    pack.set_defaults(func=_pack)


def _dataset_arguments(parser: argparse.ArgumentParser) -> None:
    from synapt.data.formats import LOADERS

    parser.add_argument("--format", required=True, choices=sorted(LOADERS), metavar="NAME", help=f"one of {', '.join(sorted(LOADERS))}")
    parser.add_argument("--root", required=True, help="dataset folder")
    parser.add_argument("--annotations", default=None, help="folder with the annotation files, if not in their usual place under --root")
    parser.add_argument("--split", type=int, default=1, help="official split number (default 1)")


def _probe(args) -> int:
    from pathlib import Path

    from synapt.data.probe import probe
    from synapt.data.video import VideoDecodeError, sar_fraction
    from synapt.errors import UserError

    if not Path(args.file).is_file():
        raise UserError(f"{args.file}: no such file (check the path)")
    try:
        info = probe(args.file, decode=args.decode)
    except VideoDecodeError as err:
        raise UserError(f"{err} (the file is damaged or not a video; re-download or re-encode it)") from None
    if args.json:
        print(json.dumps(info.to_dict()))
        return 0
    print(f"{info.path}")
    print(f"  container  {info.container}")
    print(f"  codec      {info.codec} ({info.pix_fmt})")
    print(f"  frames     {info.num_frames}{' (decoded)' if args.decode else ''}")
    print(f"  fps        {info.fps:.3f}")
    print(f"  duration   {info.duration:.3f} s")
    print(f"  coded      {info.width}x{info.height}, sample aspect {sar_fraction(info.sample_aspect)}")
    print(f"  rotation   {info.rotation} degrees counter-clockwise")
    print(f"  displayed  {info.display_width}x{info.display_height}")
    return 0


def _info(args) -> int:
    from tqdm import tqdm

    from synapt.data.formats import load_dataset
    from synapt.data.probe import check_readable

    index = load_dataset(args.format, args.root, annotations=args.annotations, split=args.split)
    missing = set(index.missing)
    present = sorted({r.path for records in index.splits.values() for r in records} - missing)
    unreadable: list[tuple[str, str]] = []
    if args.check != "none" and present:
        for path in tqdm(present, desc="checking videos", unit="video", disable=not sys.stderr.isatty() or len(present) < 50):
            reason = check_readable(path, decode=args.check == "decode")
            if reason:
                unreadable.append((path, reason))
    if args.json:
        splits = {name: len(records) for name, records in index.splits.items()}
        print(json.dumps({"format": index.name, "classes": index.num_classes, "splits": splits,
                          "missing": len(index.missing), "unreadable": len(unreadable)}))  # fmt: skip
        return 0
    names = index.class_names
    shown = ", ".join(names[:5]) + (f", ... {names[-1]}" if len(names) > 5 else "")
    print(f"format      {index.name}")
    print(f"classes     {len(names)}: {shown}")
    for name, records in index.splits.items():
        print(f"split       {name}: {len(records)} records")
    print(f"missing     {len(index.missing)}" + (f" (first: {', '.join(index.missing[:3])})" if index.missing else ""))
    checked = "not checked" if args.check == "none" else f"of {len(present)} present, checked by {args.check}"
    print(f"unreadable  {len(unreadable)} ({checked})")
    for path, reason in unreadable[:5]:
        print(f"  {reason}")
    return 0


def _pack(args) -> int:
    from synapt.data.formats import load_dataset
    from synapt.data.shards import write_shards
    from synapt.errors import UserError

    if args.shard_size < 1:
        raise UserError(f"--shard-size must be >= 1 (got {args.shard_size})")
    index = load_dataset(args.format, args.root, annotations=args.annotations, split=args.split)
    splits = args.splits.split(",") if args.splits else None
    unknown = [s for s in splits or [] if s not in index.splits]
    if unknown:
        raise UserError(f"--splits {unknown[0]!r} is not a split of {index.name} (splits: {', '.join(index.splits)})")
    summary = write_shards(index, args.out, shard_size=args.shard_size, splits=splits)
    for name, split in summary["splits"].items():
        print(f"{name}: {split['clips']} clips in {len(split['shards'])} shards ({split['skipped_missing']} missing skipped)")
    print(f"wrote {args.out}/index.json")
    return 0
