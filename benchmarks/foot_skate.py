"""Foot skating of walking classes: median stance-foot speed from the pose modality (issue 11).

Renders ``--clips`` clips per class at 60 frames and 30 fps (2 s in real time) with the ``pose``
modality and prints, per class, the median horizontal speed of a planted foot (within 3 cm of
its lowest height). A performed walk keeps a planted foot still; the target is <= 0.08 m/s.

    python benchmarks/foot_skate.py --classes walk,walk_left_to_right --clips 8
"""

from __future__ import annotations

import argparse
import json
import platform

import numpy as np

from synapt.sim.catalog import BY_NAME
from synapt.sim.dataset import ClipTask, clip_seed, make_clip
from synapt.sim.motion_quality import stance_foot_speed

WALKS = ("walk_left_to_right", "walk_right_to_left", "walk_toward_camera", "walk_away_from_camera",
         "walk", "run", "walk_turning_left", "walk_turning_right")  # fmt: skip


def measure(name: str, clips: int, *, frames: int = 60, fps: int = 30, size: int = 32) -> dict:
    spec = BY_NAME[name]
    speeds, per_clip = [], []
    for i in range(clips):
        task = ClipTask(name, 0, i, clip_seed(11, spec.id, i), frames, fps, size, "fast", 0.0, 11, None, ("pose",))
        extras = make_clip(task)[1].extras
        s = stance_foot_speed(extras["joints3d"], extras["joint_names"], fps)
        speeds.append(s)
        per_clip.append(float(np.median(s)) if len(s) else float("nan"))
    allv = np.concatenate(speeds)
    return {"class": name, "motion": spec.motion, "clips": clips, "stance_samples": int(len(allv)),
            "median_stance_speed_ms": round(float(np.median(allv)), 4),
            "p90_stance_speed_ms": round(float(np.percentile(allv, 90)), 4),
            "median_of_clip_medians_ms": round(float(np.nanmedian(per_clip)), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", default=",".join(WALKS))
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [measure(n.strip(), args.clips) for n in args.classes.split(",") if n.strip()]
    if args.json:
        print(json.dumps({"machine": platform.processor() or platform.machine(), "rows": rows}, indent=1))
        return
    print(f"{'class':24s} {'motion':16s} {'median m/s':>10s} {'p90 m/s':>8s} {'samples':>8s}")
    for r in rows:
        print(f"{r['class']:24s} {r['motion']:16s} {r['median_stance_speed_ms']:10.3f} {r['p90_stance_speed_ms']:8.3f} {r['stance_samples']:8d}")


if __name__ == "__main__":
    main()
