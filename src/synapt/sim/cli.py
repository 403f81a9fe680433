"""``synapt generate | regenerate | verify | show | classes``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from synapt.errors import UserError


def register(commands) -> None:
    p = commands.add_parser("generate", help="render a synthetic action-video dataset (MuJoCo)")
    p.add_argument("--out", required=True, type=Path, help="dataset folder (created; reruns resume)")
    p.add_argument("--classes", default="all", help="all | family:human | family:object | NAME,NAME,...")
    p.add_argument("--per-class", type=int, default=10, help="clips per class")
    p.add_argument("--frames", type=int, default=16, help="frames per clip (16 at 8 fps: 2 s of action)")
    p.add_argument("--fps", type=int, default=8, help="frames per second, in real time: a clip lasts frames/fps seconds")
    p.add_argument("--size", type=int, default=112, help="square frame size in pixels (even, >= 16)")
    p.add_argument("--seed", type=int, default=0, help="global seed: a clip is a function of (seed, class, index)")
    p.add_argument("--context-bias", type=float, default=0.0, help="probability that a clip's scene comes from its class's pool")
    p.add_argument("--workers", type=int, default=1, help="local processes (one render thread each)")
    p.add_argument("--shard", default=None, help="i/n: make only part i of n (0-based) for batch schedulers")
    p.add_argument("--modalities", default="rgb", help="comma list of rgb,depth,segmentation,pose")
    p.add_argument("--quality", default="fast", choices=("fast", "high"), help="high: shadow maps and 4x MSAA")
    p.add_argument("--camera-fx", default="default", metavar="default|none|FILE",
                   help="camera and codec effects drawn per clip (motion blur, defocus, noise, exposure, white balance, "
                        "vignetting, CRF): the default ranges, none, or a YAML file of ranges, e.g. 'crf: [18, 28]'")
    p.add_argument("--scene-kinds", default=None, help="comma list of room,outdoor,studio,aerial (default: all)")
    p.add_argument("--skin-tone-weights", default=None, metavar="W0,...,W9",
                   help="relative weights of the 10 skin tones, light to deep (default: uniform)")
    p.add_argument("--presentation-weights", default=None, metavar="M,F,N",
                   help="weights of masculine, feminine, neutral presentation cues (default: 0.45,0.45,0.1)")
    p.add_argument("--ray", default=None, metavar="ADDRESS", help="run the clips as tasks on a Ray cluster (needs the ray extra)")
    p.add_argument("--mocap", action="append", default=[], metavar="DIR",
                   help="add a motion library (BVH, ASF/AMC, DeepMimic; e.g. CMU's layout): one class per label, "
                        "named <folder>_<label>; `all` includes them, mocap:<folder> selects them (repeatable)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_generate)

    p = commands.add_parser("regenerate", help="rebuild one clip from its manifest row")
    p.add_argument("dir", type=Path)
    p.add_argument("clip_id")
    p.add_argument("--out", required=True, type=Path, help="where to write the rebuilt mp4")
    p.set_defaults(func=_regenerate)

    p = commands.add_parser("verify", help="check every clip of a dataset (present, sha256, decodes to frames and size)")
    p.add_argument("dir", type=Path)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_verify)

    p = commands.add_parser("show", help="contact sheet (row per class, frames across time) or GIF of a dataset")
    p.add_argument("dir", type=Path)
    p.add_argument("--out", required=True, type=Path, help="PNG (or GIF with --gif) to write")
    p.add_argument("--class", dest="class_name", default=None, help="only this class (several clips)")
    p.add_argument("--gif", action="store_true", help="an animated GIF instead of a sheet")
    p.set_defaults(func=_show)

    p = commands.add_parser("classes", help="list the generator's action classes")
    p.add_argument("--json", action="store_true", help="a JSON list of {id, name, family, description, motion}")
    p.add_argument("--mocap", action="append", default=[], metavar="DIR", help="also list the classes of this motion library")
    p.set_defaults(func=_classes)


def _comma(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def _weights(text: str | None, option: str) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise UserError(f"{option} {text!r}: give comma-separated numbers, e.g. 1,1,1") from None


def _generate(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from synapt.sim.actor import ActorDistribution
    from synapt.sim.dataset import generate_dataset
    from synapt.sim.verify import read_manifest

    dist = ActorDistribution()
    if (w := _weights(args.skin_tone_weights, "--skin-tone-weights")) is not None:
        dist = replace(dist, skin_tone_weights=w)
    if (w := _weights(args.presentation_weights, "--presentation-weights")) is not None:
        dist = replace(dist, presentation_weights=w)

    out = generate_dataset(
        args.out, classes=args.classes, per_class=args.per_class, frames=args.frames, fps=args.fps, size=args.size,
        seed=args.seed, context_bias=args.context_bias, workers=args.workers, shard=args.shard,
        modalities=tuple(_comma(args.modalities) or ("rgb",)), quality=args.quality, scene_kinds=_comma(args.scene_kinds),
        progress=not args.no_progress, ray_address=args.ray, actor_distribution=dist, mocap=tuple(args.mocap),
        camera_fx=args.camera_fx,
    )  # fmt: skip
    n = len(read_manifest(out))
    print(f"{out}: {n} clips in manifest.jsonl (see dataset_card.md)")
    return 0


def _regenerate(args: argparse.Namespace) -> int:
    from synapt.sim.verify import regenerate_clip

    sha, same = regenerate_clip(args.dir, args.clip_id, args.out)
    print(f"{args.out}: sha256 {sha} {'identical to' if same else 'DIFFERS from'} the manifest row")
    return 0 if same else 1


def _verify(args: argparse.Namespace) -> int:
    from synapt.sim.verify import read_manifest, verify_dataset

    bad = verify_dataset(args.dir, progress=not args.no_progress)
    for clip_id, problem in bad:
        print(f"BAD {clip_id}: {problem}", file=sys.stderr)
    n = len(read_manifest(args.dir))
    print(f"{args.dir}: {n - len(bad)} of {n} clips ok")
    return 1 if bad else 0


def _show(args: argparse.Namespace) -> int:
    from synapt.sim.show import contact_sheet

    out = contact_sheet(args.dir, args.out, class_name=args.class_name, gif=args.gif)
    print(out)
    return 0


def _classes(args: argparse.Namespace) -> int:
    from synapt.sim.catalog import CLASSES, library_classes

    classes = list(CLASSES) + [c for folder in args.mocap for c in library_classes(folder)]
    if args.json:
        print(json.dumps([c.as_dict() for c in classes], indent=1))
        return 0
    for c in classes:
        print(f"{c.id:3d}  {c.name:24s} {c.family:7s} {c.motion:18s} {c.description}")
    return 0
