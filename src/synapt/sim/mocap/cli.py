"""``synapt mocap index | info``: build and inspect motion libraries."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(commands) -> None:
    mocap = commands.add_parser("mocap", help="index and inspect motion-capture libraries (BVH, ASF/AMC, DeepMimic)")
    sub = mocap.add_subparsers(dest="mocap_command", metavar="ACTION")
    mocap.set_defaults(func=lambda args: (mocap.print_help(), 2)[1])

    p = sub.add_parser("index", help="scan a folder of mocap files and write its synapt_mocap_index.tsv")
    p.add_argument("dir", type=Path, help="folder to scan (recursively)")
    p.add_argument("--out", type=Path, default=None, help="index file to write (default DIR/synapt_mocap_index.tsv)")
    p.set_defaults(func=_index)

    p = sub.add_parser("info", help="clips, subjects, formats, minutes and labels of a library, or one clip")
    p.add_argument("library", help="a folder, an index .tsv, or a default library (deepmimic)")
    p.add_argument("--clip", default=None, metavar="ID", help="describe this clip: joints, frames, units, markers")
    p.add_argument("--format", default=None, help="with --clip: the format to load when the clip has several")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_info)


def _index(args: argparse.Namespace) -> int:
    from synapt.sim.mocap.library import index_folder, write_index

    library = index_folder(args.dir)
    out = write_index(library, args.out)
    summary = library.summary()
    print(f"{out}: {summary['files']} files, {summary['clips']} clips, {summary['minutes']} min")
    for fmt, n in summary["formats"].items():
        print(f"  {fmt:10s} {n:5d} files")
    for label, n in summary["labels"].items():
        print(f"  {n:5d}  {label or '(no label)'}")
    for reason in library.skipped:
        print(f"skipped: {reason}", file=sys.stderr)
    return 0


def _info(args: argparse.Namespace) -> int:
    from synapt.sim.mocap.library import open_library

    library = open_library(args.library)
    result = _clip_info(library, args.clip, args.format) if args.clip else library.summary()
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                # Counts read best first (labels), names after their key (markers).
                print(f"  {v:6d}  {k or '(no label)'}" if isinstance(v, int) else f"  {k:12s} {v}")
        elif isinstance(value, list):
            print(f"{key:20s} {', '.join(value) or '-'}")
        else:
            print(f"{key:20s} {value}")
    return 0


def _clip_info(library, clip_id: str, fmt: str | None) -> dict:
    from synapt.sim.mocap.markers import leg_length, missing_markers

    entry = library.get(clip_id, fmt)
    motion = library.load(entry)
    leg = leg_length(motion)
    return {
        "clip": entry.clip_id, "library": library.name, "file": str(library.path(entry)), "format": entry.format,
        "label": entry.label, "subject": entry.subject, "joints": len(motion.joints), "frames": motion.frames,
        "fps": motion.fps, "seconds": round(motion.seconds, 3), "units": motion.meta.get("units", "m"),
        "rest_frame_dropped": bool(motion.meta.get("rest_frame_dropped", False)),
        "leg_length_m": None if leg is None else round(leg, 4),
        "markers": dict(motion.markers), "missing_markers": missing_markers(motion),
    }  # fmt: skip
