"""``synapt speed generate``: the generator against its own floor, measured in one run.

Three ratios, each from two measurements taken back to back on the same clips:

1. end-to-end frames/s (sampling, mocap retargeting and IK, texture synthesis, compile, physics,
   render, camera effects, H.264, sha256, sidecars, manifest) over a bare loop's frames/s (compile,
   texture upload, physics steps and rendering of the same scenes, motion-blur exposure renders
   included; no sampling, no synthesis, no effects, no encoding, no files). Target >= 0.8.
   Also reported against the stricter step-and-render-only part of that loop.
2. 2 worker processes over 1, end to end, once the processes are started and warm (runs in
   A-B-B-A order). Target >= 1.8.
3. mean kilobytes per clip at 16 frames x 112 px (target about 11, at most 16).
4. the cost of each rendering option: clips/s end to end with no camera effects, with the
   default ones, with each effect alone (motion blur always on) and with ``quality="high"``
   (shadow maps, 4x MSAA), run clip by clip in turn so that all see the same load.

It also times planning alone per clip (sampling; for mocap-driven classes also retargeting,
grounding and stance-foot IK) and reports the mocap planning's share of the end-to-end time.

Other processes share the machine: the end-to-end and bare timings are paired clip by clip,
and the load average is reported next to the ratios.
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


def _bare_seconds(task, *, frames: int) -> tuple[float, float]:
    """Seconds of a plain MuJoCo loop over one clip's scene: ``(setup, step_and_render)``.

    Timed: compiling the scene's MJCF, copying its texture pixels and uploading them (setup),
    then the physics steps (with the motion program driving the actor and hands) and the
    rendering, as many renders per frame as the clip needs (its motion-blur exposure samples
    included). Not timed: sampling the clip parameters and synthesising the texture pixels
    (the scene description is given), the camera effects, encoding, hashing and files.
    """
    from synapt.sim.camera import camera_pose
    from synapt.sim.camera_fx import exposure_offsets
    from synapt.sim.catalog import BY_NAME
    from synapt.sim.clip import ClipWorld, plan_clip, texture_pixels
    from synapt.sim.dataset import _renderer

    renderer = _renderer(task.size, task.quality)
    plan = plan_clip(BY_NAME[task.class_name], seed=task.seed, frames=frames, size=task.size, fps=task.fps, global_seed=task.global_seed,
                     camera_fx=task.camera_fx)
    pixels = texture_pixels(plan.textures)
    cams = [camera_pose(plan.params["camera"], f / (frames - 1)) for f in range(frames)]
    start = time.perf_counter()
    world = ClipWorld(plan, pixels=pixels)
    renderer.bind(world.model)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    renders = 1 + len(exposure_offsets(plan.params["camera_fx"]))
    for f in world.frames():
        lookat, distance, azimuth, elevation = cams[f]
        for _ in range(renders):
            renderer.update(world.data, lookat=lookat, distance=distance, azimuth=azimuth, elevation=elevation)
            renderer.rgb()
    return setup, time.perf_counter() - start


def _warm_worker(barrier, size: int, quality: str) -> None:
    from synapt.sim.dataset import _renderer, _worker_init

    _worker_init()
    _renderer(size, quality)  # the GL context and shaders, paid once per process
    barrier.wait()


def _steady_rate(tasks, out: Path, *, workers: int) -> float:
    """Clips/s of ``workers`` processes once they are started and warm (no start-up)."""
    import multiprocessing as mp

    from synapt.sim.dataset import _run_task_star

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(workers + 1)
    with ctx.Pool(workers, initializer=_warm_worker, initargs=(barrier, tasks[0].size, tasks[0].quality)) as pool:
        barrier.wait()  # every worker is up and warm
        t = time.perf_counter()
        for _ in pool.imap_unordered(_run_task_star, [(task, str(out)) for task in tasks], chunksize=2):
            pass
        return len(tasks) / (time.perf_counter() - t)


def option_variants() -> dict[str, tuple[str, object]]:
    """Name -> (quality, camera-effect ranges) of every option ``synapt speed generate`` prices."""
    from dataclasses import replace

    from synapt.sim.camera_fx import DEFAULT_FX, NO_FX

    d = DEFAULT_FX
    return {
        "none": ("fast", NO_FX),
        "default": ("fast", DEFAULT_FX),
        "motion_blur": ("fast", replace(NO_FX, motion_blur=1.0, exposure=d.exposure, blur_samples=d.blur_samples)),
        "defocus": ("fast", replace(NO_FX, defocus=d.defocus)),
        "noise": ("fast", replace(NO_FX, read_noise=d.read_noise, shot_noise=d.shot_noise)),
        "exposure_white_balance": ("fast", replace(NO_FX, gain=d.gain, gain_drift=d.gain_drift, white_balance=d.white_balance,
                                                   white_balance_drift=d.white_balance_drift)),
        "vignette": ("fast", replace(NO_FX, vignette=d.vignette)),
        "crf": ("fast", replace(NO_FX, crf=d.crf)),
        "high_quality": ("high", NO_FX),
        "high_quality_default_fx": ("high", DEFAULT_FX),
    }


def option_costs(tasks, out: Path) -> dict[str, float]:
    """Clips/s end to end of every :func:`option_variants` entry on the same ``tasks``."""
    from dataclasses import replace

    from synapt.sim.dataset import _renderer, run_task

    variants = option_variants()
    seconds = dict.fromkeys(variants, 0.0)
    for quality in {q for q, _ in variants.values()}:
        _renderer(tasks[0].size, quality)  # contexts and shaders outside the timing
    for i, task in enumerate(tasks):
        names = list(variants)
        order = names if i % 2 == 0 else names[::-1]  # alternate the order: drifts cancel
        for name in order:
            quality, ranges = variants[name]
            (out / name).mkdir(parents=True, exist_ok=True)
            t = time.perf_counter()
            run_task(replace(task, quality=quality, camera_fx=ranges), str(out / name))
            seconds[name] += time.perf_counter() - t
    return {name: len(tasks) / sec for name, sec in seconds.items()}


def run_benchmark(*, clips: int = 50, worker_clips: int = 100, frames: int = 16, size: int = 112,
                  option_clips: int = 20) -> dict:
    """Run the three measurements; returns a flat dict of numbers (fps, ratios, KB)."""
    from synapt.sim.catalog import BY_NAME
    from synapt.sim.clip import plan_clip
    from synapt.sim.dataset import _worker_init, generate_dataset, plan_tasks, run_task, write_index

    _worker_init()
    load_before = os.getloadavg()[0]
    names = _pick_classes(clips)
    per_class = max(1, int(np.ceil(clips / len(names))))
    common = dict(frames=frames, size=size, seed=123, progress=False)
    scratch = Path(tempfile.mkdtemp(prefix="synapt-speed-generate-"))
    try:
        # Warm-up: the render context and shader compilation are paid once per process.
        generate_dataset(scratch / "warm", classes=names[0], per_class=1, **common)

        specs, tasks = plan_tasks(classes=names, per_class=per_class, frames=frames, fps=30, size=size, seed=123,
                                  context_bias=0.0, quality="fast", scene_kinds=None, modalities=("rgb",))  # fmt: skip
        # Paired: each clip is made end to end, then its bare loop runs, so both see the same
        # machine load (other processes share the cores).
        e2e_dir = scratch / "e2e"
        e2e_dir.mkdir()
        e2e_seconds = bare_seconds = loop_seconds = 0.0
        plan_seconds: dict[str, list[float]] = {"mocap": [], "procedural": []}
        for task in tasks:
            t = time.perf_counter()
            run_task(task, str(e2e_dir))
            e2e_seconds += time.perf_counter() - t
            setup, loop = _bare_seconds(task, frames=frames)
            bare_seconds += setup + loop
            loop_seconds += loop
            # Planning alone (sampling, and for mocap classes retargeting, grounding and IK).
            spec = BY_NAME[task.class_name]
            t = time.perf_counter()
            plan_clip(spec, seed=task.seed, frames=frames, size=task.size, fps=task.fps, global_seed=task.global_seed)
            plan_seconds["mocap" if spec.motion.startswith("mocap:") else "procedural"].append(time.perf_counter() - t)
        t = time.perf_counter()
        write_index(e2e_dir, specs=specs, expected=len(tasks))
        e2e_seconds += time.perf_counter() - t
        bare_fps = len(tasks) * frames / bare_seconds
        loop_fps = len(tasks) * frames / loop_seconds
        e2e_fps = len(tasks) * frames / e2e_seconds
        sizes = [p.stat().st_size / 1000 for p in (e2e_dir / "videos").glob("*/*.mp4")]

        # Workers: processes started and warmed first (a long run amortises the ~1 s start-up),
        # then runs in A-B-B-A order so that a drifting background load cancels out.
        rates: dict[int, float] | None = None
        n_worker_clips = 0
        if worker_clips > 0:  # 0 skips the worker measurement
            per_run = max(1, worker_clips // 2)
            all_names = _pick_classes(min(per_run, 50))
            per = int(np.ceil(per_run / len(all_names)))
            _, worker_tasks = plan_tasks(classes=all_names, per_class=per, frames=frames, fps=30, size=size, seed=321,
                                         context_bias=0.0, quality="fast", scene_kinds=None, modalities=("rgb",))  # fmt: skip
            n_worker_clips = len(worker_tasks)
            inverse = {1: 0.0, 2: 0.0}
            for round_, workers in enumerate((1, 2, 2, 1)):
                (scratch / f"w{round_}").mkdir()
                inverse[workers] += 1.0 / _steady_rate(worker_tasks, scratch / f"w{round_}", workers=workers)
            rates = {w: 2.0 / inv for w, inv in inverse.items()}
        options = option_costs(tasks[:option_clips], scratch / "options") if option_clips > 0 else {}
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
        "step_render_only_fps": round(loop_fps, 1),
        "end_to_end_over_step_render_only": round(e2e_fps / loop_fps, 3),
        "worker_clips_per_run": n_worker_clips,
        "clips_per_s_1_worker": round(rates[1], 2) if rates else None,
        "clips_per_s_2_workers": round(rates[2], 2) if rates else None,
        "two_over_one_worker": round(rates[2] / rates[1], 3) if rates else None,
        "target_two_over_one_worker": 1.8,
        "mocap_clips": len(plan_seconds["mocap"]),
        "plan_ms_per_clip_procedural": round(1000 * float(np.mean(plan_seconds["procedural"])), 1) if plan_seconds["procedural"] else None,
        "plan_ms_per_clip_mocap": round(1000 * float(np.mean(plan_seconds["mocap"])), 1) if plan_seconds["mocap"] else None,
        "retarget_ik_share_of_end_to_end": round(sum(plan_seconds["mocap"]) / e2e_seconds, 3) if plan_seconds["mocap"] else None,
        "kb_per_clip_mean": round(float(np.mean(sizes)), 2),
        "kb_per_clip_max": round(float(np.max(sizes)), 2),
        "target_kb_per_clip_max": 16,
        "option_clips": min(option_clips, len(tasks)),
        **{f"clips_per_s_{name}": round(rate, 2) for name, rate in options.items()},
        **{f"{name}_over_none": round(rate / options["none"], 3) for name, rate in options.items() if name != "none"},
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


def format_results(results: dict) -> str:
    """:func:`run_benchmark`'s numbers, one ``name value`` line each."""
    return "\n".join(f"{key:40s} {value}" for key, value in results.items())
