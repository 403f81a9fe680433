"""Can one frame name the class? The single-frame pixel probe on a generated class set.

Generates ``--per-class`` clips of each class (no context bias) and scores a softmax probe on
the middle frame's 16x16 grey pixels, edges and colour histogram (``synapt.bench.validity``),
5-fold cross-validated. Near chance means only motion tells the classes apart.

    python benchmarks/single_frame_probe.py --classes wave_right_hand,clap,squat,bow --per-class 40
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from synapt.bench.validity import single_frame_probe
from synapt.sim import generate_dataset

MOTION_ONLY = ("wave_right_hand", "clap", "squat", "jumping_jacks", "arm_circles", "bow", "punch_right", "kick_ball",
               "throw_ball", "walk_left_to_right", "front_kick", "spin_kick", "dance_routine_a", "walk")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", default=",".join(MOTION_ONLY))
    parser.add_argument("--per-class", type=int, default=30)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--out", type=Path, default=None, help="keep the generated set here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "set"
        generate_dataset(out, classes=args.classes, per_class=args.per_class, frames=args.frames,
                         fps=max(1, round(args.frames / 2)), size=args.size, seed=0, workers=2, progress=False)
        print(json.dumps(single_frame_probe(out), indent=1))


if __name__ == "__main__":
    main()
