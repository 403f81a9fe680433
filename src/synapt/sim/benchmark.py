"""``synapt bench generate``: the generator against its own floor, measured in one run.

Three ratios, each from two measurements taken back to back on the same clips:

1. end-to-end frames/s (sampling, texture synthesis, compile, physics, render, H.264, sha256,
   sidecars, manifest) over a bare loop's frames/s (compile, texture upload, physics steps and
   rendering of the same scenes; no sampling, no synthesis, no encoding, no files). Target >= 0.8.
2. 2 worker processes over 1 (end to end, pool start-up included). Target >= 1.8.
3. mean kilobytes per clip at 16 frames x 112 px (target about 11, at most 16).

Other processes share the machine; the load average is reported next to the ratios.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def _pick_classes(n: int) -> list[str]:
    from synapt.sim.catalog import CLASSES

    idx = np.linspace(0, len(CLASSES) - 1, min(n, len(CLASSES))).round().astype(int)
    return [CLASSES[i].name for i in sorted(set(idx))]


def _bare_fps(tasks, *, frames: int) -> float:
    """Frames/s of a plain MuJoCo loop over the same scenes.

    Timed: compiling each scene's MJCF, copying its texture pixels and uploading them, the
    physics steps (with the motion program driving the actor and hands) and the rendering.
    Not timed: sampling the clip parameters and synthesising the texture pixels (the scene
    description is given), encoding, hashing and files.
    """
    from synapt.sim.clip import CLIP_SECONDS, _World, plan_clip, texture_pixels
    from synapt.sim.camera import camera_pose
    from synapt.sim.catalog import BY_NAME
    from synapt.sim.dataset import _renderer

    renderer = _renderer(tasks[0].size, tasks[0].quality)
    total = 0.0
    count = 0
    for task in tasks:
        plan = plan_clip(BY_NAME[task.class_name], seed=task.seed, frames=frames, size=task.size, global_seed=task.global_seed)
        pixels = texture_pixels(plan.textures)
        cams = [camera_pose(plan.params["camera"], f / (frames - 1)) for f in range(frames)]
        start = time.perf_counter()
        world = _World(plan, pixels=pixels)
        renderer.bind(world.model)
        mj, m, d = world.mj, world.model, world.data
        perf = plan.performance
        dt = m.opt.timestep
        frame_dt = CLIP_SECONDS / (frames - 1)
        world.drive(0.0, dt)
        mj.mj_forward(m, d)
        for f in range(frames):
            if f > 0:
                if perf.physics:
                    for s in range(plan.params["substeps"]):
                        world.drive((f - 1) * frame_dt + s * dt, dt)
                        mj.mj_step(m, d)
                else:
                    world.drive(f * frame_dt, frame_dt)
                    mj.mj_kinematics(m, d)
            lookat, distance, azimuth, elevation = cams[f]
            renderer.update(d, lookat=lookat, distance=distance, azimuth=azimuth, elevation=elevation)
            renderer.rgb()
        total += time.perf_counter() - start
        count += frames
    return count / total


def run_benchmark(*, clips: int = 50, worker_clips: int = 160, frames: int = 16, size: int = 112) -> dict:
    """Run the three measurements; returns a flat dict of numbers (fps, ratios, KB)."""
    from synapt.sim.dataset import _worker_init, generate_dataset, plan_tasks

    _worker_init()
    load_before = os.getloadavg()[0]
    names = _pick_classes(clips)
    per_class = max(1, int(np.ceil(clips / len(names))))
    common = dict(frames=frames, size=size, seed=123, progress=False)
    scratch = Path(tempfile.mkdtemp(prefix="synapt-bench-"))
    try:
        # Warm-up: the render context and shader compilation are paid once per process.
        generate_dataset(scratch / "warm", classes=names[0], per_class=1, **common)

        _, tasks = plan_tasks(classes=names, per_class=per_class, frames=frames, fps=30, size=size, seed=123, context_bias=0.0,
                              quality="fast", scene_kinds=None, modalities=("rgb",))  # fmt: skip
        t = time.perf_counter()
        one = generate_dataset(scratch / "e2e", classes=names, per_class=per_class, workers=1, **common)
        e2e_seconds = time.perf_counter() - t
        bare_fps = _bare_fps(tasks, frames=frames)
        e2e_fps = len(tasks) * frames / e2e_seconds
        sizes = [p.stat().st_size / 1000 for p in (one / "videos").glob("*/*.mp4")]

        all_names = _pick_classes(50)
        per = max(1, int(np.ceil(worker_clips / len(all_names))))
        n_worker_clips = per * len(all_names)
        rates = {}
        for workers in (1, 2):
            t = time.perf_counter()
            generate_dataset(scratch / f"w{workers}", classes=all_names, per_class=per, workers=workers, **common)
            rates[workers] = n_worker_clips / (time.perf_counter() - t)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "clips": len(tasks),
        "frames_per_clip": frames,
        "size_px": size,
        "bare_fps": round(bare_fps, 1),
        "end_to_end_fps": round(e2e_fps, 1),
        "end_to_end_over_bare": round(e2e_fps / bare_fps, 3),
        "target_end_to_end_over_bare": 0.8,
        "worker_clips": n_worker_clips,
        "clips_per_s_1_worker": round(rates[1], 2),
        "clips_per_s_2_workers": round(rates[2], 2),
        "two_over_one_worker": round(rates[2] / rates[1], 3),
        "target_two_over_one_worker": 1.8,
        "kb_per_clip_mean": round(float(np.mean(sizes)), 2),
        "kb_per_clip_max": round(float(np.max(sizes)), 2),
        "target_kb_per_clip_max": 16,
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
