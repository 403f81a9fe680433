"""Write a generated dataset: clips, sidecar rows, manifest, classes.json, dataset card.

Layout (DESIGN.md section 3)::

    out/
      videos/<class_name>/<clip_id>.mp4     H.264 yuv420p
      videos/<class_name>/<clip_id>.json    the clip's manifest row (written after the mp4)
      videos/<class_name>/<clip_id>.npz     extra modalities, if asked
      manifest.jsonl  classes.json  dataset_card.md  generation.json

A clip counts as done when its sidecar row exists: the mp4 is renamed into place first, so a
killed run leaves at most a temp file, which the rerun ignores and overwrites. The manifest is
rebuilt from the sidecars at the end of every run, so shards and resumed runs converge on the
same files.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synapt.errors import UserError
from synapt.sim.actor import ActorDistribution
from synapt.sim.camera_fx import DEFAULT_FX, NO_FX, CameraFxRanges
from synapt.sim.camera_fx import resolve as resolve_camera_fx
from synapt.sim.catalog import BY_NAME, ClassSpec, resolve_classes
from synapt.sim.scenes import SCENE_KINDS
from synapt.io import atomic_write_bytes

MANIFEST_VERSION = 1
MODALITIES = ("rgb", "depth", "segmentation", "pose")
# Settings that must match when resuming into an existing folder (workers/shard may differ).
_SETTING_KEYS = ("classes", "per_class", "frames", "fps", "size", "seed", "context_bias", "modalities", "quality", "scene_kinds",
                 "actor_distribution", "mocap", "camera_fx")  # fmt: skip


@dataclass(frozen=True)
class ClipTask:
    """Everything a worker needs to make one clip (picklable, tiny)."""

    class_name: str
    label: int
    index: int
    seed: int
    frames: int
    fps: int
    size: int
    quality: str
    context_bias: float
    global_seed: int
    scene_kinds: tuple[str, ...] | None
    modalities: tuple[str, ...]
    actor_distribution: ActorDistribution = ActorDistribution()
    mocap: tuple[str, ...] = ()  # user motion-library folders whose classes this clip may need
    camera_fx: CameraFxRanges = DEFAULT_FX

    @property
    def clip_id(self) -> str:
        return f"{self.class_name}_{self.index:05d}"

    @property
    def rel_path(self) -> str:
        return f"videos/{self.class_name}/{self.clip_id}.mp4"


def clip_seed(global_seed: int, class_id: int, index: int) -> int:
    """The seed of clip ``index`` of catalogue class ``class_id`` (independent streams)."""
    return int(np.random.SeedSequence([global_seed, class_id, index]).generate_state(1, dtype=np.uint32)[0])


def split_of(index: int) -> str:
    """Deterministic split by clip index: 80% train, 10% val, 10% test."""
    return {8: "val", 9: "test"}.get(index % 10, "train")


def parse_shard(text: str | tuple[int, int] | None) -> tuple[int, int] | None:
    """``"i/n"`` (0-based, i < n) -> ``(i, n)``."""
    if text is None:
        return None
    if isinstance(text, tuple):
        i, n = text
    else:
        try:
            i, n = (int(x) for x in str(text).split("/"))
        except ValueError:
            raise UserError(f"--shard {text!r} is not of the form i/n (e.g. 0/4 for the first of four parts)") from None
    if n < 1 or not 0 <= i < n:
        raise UserError(f"--shard {i}/{n}: need 0 <= i < n (parts are numbered 0 to n-1), e.g. 0/{max(n, 2)}")
    return i, n


def _check_out_dir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise UserError(f"output folder {out} is not writable ({err.strerror}); choose another --out") from None


def plan_tasks(
    *,
    classes: str | list[str],
    per_class: int,
    frames: int,
    fps: int,
    size: int,
    seed: int,
    context_bias: float,
    quality: str,
    scene_kinds,
    modalities,
    actor_distribution: ActorDistribution | None = None,
    mocap: tuple[str, ...] = (),
    camera_fx: CameraFxRanges = DEFAULT_FX,
) -> tuple[list[ClassSpec], list[ClipTask]]:
    """Validate the settings and list every clip of the dataset (all shards).

    ``mocap``: folders of user motion libraries; their classes (``catalog.library_classes``)
    join the selection (``all`` includes them) and can be named in ``classes``.
    """
    from synapt.sim.catalog import library_classes

    mocap = tuple(str(Path(m).resolve()) for m in mocap)
    extra = [spec for folder in mocap for spec in library_classes(folder)]
    try:
        specs = resolve_classes(classes)
        if classes == "all":
            specs += [spec for spec in extra if spec not in specs]
    except ValueError as err:
        raise UserError(str(err)) from None
    if per_class < 1:
        raise UserError(f"--per-class {per_class}: need at least 1 clip per class")
    if frames < 2:
        raise UserError(f"--frames {frames}: need at least 2 frames")
    if fps < 1:
        raise UserError(f"--fps {fps}: need a positive frame rate")
    if size < 16 or size % 2:
        raise UserError(f"--size {size}: need an even number of pixels >= 16 (H.264 yuv420p halves the chroma), e.g. 112")
    if not 0.0 <= context_bias <= 1.0:
        raise UserError(f"--context-bias {context_bias}: need a probability between 0 and 1")
    if quality not in ("fast", "high"):
        raise UserError(f"--quality {quality!r}: choose fast or high")
    kinds = tuple(scene_kinds) if scene_kinds else None
    for k in kinds or ():
        if k not in SCENE_KINDS:
            raise UserError(f"unknown scene kind {k!r} (known: {', '.join(SCENE_KINDS)})")
    mods = tuple(modalities)
    for mod in mods:
        if mod not in MODALITIES:
            raise UserError(f"unknown modality {mod!r} (known: {', '.join(MODALITIES)})")
    if "rgb" not in mods:
        mods = ("rgb", *mods)
    dist = check_distribution(actor_distribution or ActorDistribution())
    tasks = [
        ClipTask(spec.name, label, index, clip_seed(seed, spec.id, index), frames, fps, size, quality, float(context_bias), seed, kinds,
                 mods, dist, mocap, camera_fx.checked())  # fmt: skip
        for label, spec in enumerate(specs)
        for index in range(per_class)
    ]
    return specs, tasks


def check_distribution(dist: ActorDistribution) -> ActorDistribution:
    """Validate the sensitive-attribute distribution (one clear error naming the bad field)."""
    from synapt.sim.actor import PRESENTATIONS, SKIN_TONES

    for name, weights, n in (("skin tone", dist.skin_tone_weights, len(SKIN_TONES)), ("presentation", dist.presentation_weights, len(PRESENTATIONS))):
        if len(weights) != n or min(weights) < 0 or sum(weights) <= 0:
            raise UserError(f"{name} weights {list(weights)}: need {n} non-negative numbers with a positive sum")
    return dist


# --- the worker side --------------------------------------------------------------------------

_RENDERERS: dict = {}


def _renderer(size: int, quality: str):
    from synapt.sim.render import FrameRenderer

    key = (size, quality)
    if key not in _RENDERERS:
        _RENDERERS[key] = FrameRenderer(size=size, quality=quality)
    return _RENDERERS[key]


def make_clip(task: ClipTask):
    """Plan, simulate and render one clip: ``(ClipPlan, ClipFrames)`` (no files)."""
    from synapt.sim.clip import plan_clip, render_clip

    if task.class_name not in BY_NAME and task.mocap:
        from synapt.sim.catalog import library_classes

        for folder in task.mocap:  # a spawned worker registers the user's library classes itself
            library_classes(folder)
    spec = BY_NAME[task.class_name]
    plan = plan_clip(spec, seed=task.seed, frames=task.frames, size=task.size, fps=task.fps, quality=task.quality,
                     context_bias=task.context_bias, global_seed=task.global_seed, scene_kinds=task.scene_kinds,
                     actor_distribution=task.actor_distribution, camera_fx=task.camera_fx)  # fmt: skip
    return plan, render_clip(plan, _renderer(task.size, task.quality), modalities=task.modalities)


def ray_task(task: ClipTask, out: str) -> dict:
    """One clip on a Ray worker: the local workers' set-up, then :func:`run_task`."""
    _worker_init()
    return run_task(task, out)


def run_task(task: ClipTask, out: str) -> dict:
    """Make one clip and write its mp4, npz and sidecar row (in that order); returns the row."""
    from synapt.sim.video import write_clip

    root = Path(out)
    plan, result = make_clip(task)
    path = root / task.rel_path
    path.parent.mkdir(parents=True, exist_ok=True)
    sha, crf = write_clip(path, result.rgb, fps=task.fps, crf=plan.params["camera_fx"]["crf"])
    row = {
        "clip_id": task.clip_id,
        "path": task.rel_path,
        "label": task.label,
        "class_name": task.class_name,
        "family": BY_NAME[task.class_name].family,
        "seed": task.seed,
        "index": task.index,
        "frames": task.frames,
        "fps": task.fps,
        "width": task.size,
        "height": task.size,
        "split": split_of(task.index),
        "params": plan.params,
        "sha256": sha,
        # The CRF the file has: the draw (params.camera_fx.crf), raised for a clip over the size budget.
        "crf": crf,
        **(result.measures or {}),
    }
    if result.extras:
        buf = io.BytesIO()
        np.savez_compressed(buf, **result.extras)
        atomic_write_bytes(path.with_suffix(".npz"), buf.getvalue())
        row["modalities_path"] = str(Path(task.rel_path).with_suffix(".npz"))
    atomic_write_bytes(path.with_suffix(".json"), json.dumps(row, sort_keys=True).encode())
    return row


def _worker_init() -> None:
    # One render thread per process: two processes beat one process with two threads.
    os.environ["LP_NUM_THREADS"] = "1"
    os.environ.setdefault("MUJOCO_GL", "egl")


def _run_task_star(args) -> dict:
    return run_task(*args)


# --- the driver --------------------------------------------------------------------------------


def _done(out: Path, task: ClipTask) -> bool:
    return (out / task.rel_path).with_suffix(".json").is_file() and (out / task.rel_path).is_file()


def generate_dataset(
    out_dir,
    *,
    classes="all",
    per_class: int = 10,
    frames: int = 16,
    fps: int = 8,
    size: int = 112,
    seed: int = 0,
    context_bias: float = 0.0,
    workers: int = 1,
    shard=None,
    modalities=("rgb",),
    quality: str = "fast",
    scene_kinds=None,
    progress: bool = True,
    ray_address: str | None = None,
    actor_distribution: ActorDistribution | None = None,
    mocap: tuple[str, ...] | list[str] = (),
    camera_fx: str | dict | CameraFxRanges = "default",
) -> Path:
    """Generate (or resume) a synthetic action dataset in ``out_dir``; returns its path.

    Args:
        classes: "all", "family:human", "a,b,c" or a list of class names.
        per_class: clips per class. frames: frames per clip. fps: playback rate of the files.
        size: square frame size in pixels (even, >= 16).
        seed: global seed; a clip is a pure function of (seed, class, index).
        context_bias: probability that a clip's scene comes from its class's own pool.
        workers: local processes. shard: "i/n" to make only every n-th clip starting at i.
        modalities: any of rgb, depth, segmentation, pose (extras go to a per-clip .npz).
        quality: "fast" or "high" (shadows and MSAA). scene_kinds: allowed scene kinds.
        ray_address: run the clips as Ray tasks on this cluster ("auto", "local" or host:port).
        actor_distribution: where skin tone, presentation, height and girth are drawn from
            (default: ``ActorDistribution()``, uniform skin tones).
        camera_fx: camera and codec effects: "default", "none", a YAML file or a mapping of
            ranges, or ``camera_fx.CameraFxRanges`` (see ``synapt.sim.camera_fx``).
    """
    from synapt.sim.render import ensure_gl

    out = Path(out_dir)
    specs, tasks = plan_tasks(classes=classes, per_class=per_class, frames=frames, fps=fps, size=size, seed=seed,
                              context_bias=context_bias, quality=quality, scene_kinds=scene_kinds, modalities=modalities,
                              actor_distribution=actor_distribution, mocap=tuple(mocap),
                              camera_fx=resolve_camera_fx(camera_fx))  # fmt: skip
    part = parse_shard(shard)
    if workers < 1:
        raise UserError(f"--workers {workers}: need at least 1")
    ensure_gl()
    _check_out_dir(out)
    settings = {"classes": [s.name for s in specs], "per_class": per_class, "frames": frames, "fps": fps, "size": size,
                "seed": seed, "context_bias": float(context_bias), "modalities": list(tasks[0].modalities),
                "quality": quality, "scene_kinds": list(scene_kinds) if scene_kinds else None,
                "actor_distribution": tasks[0].actor_distribution.as_dict(), "mocap": list(tasks[0].mocap),
                "camera_fx": tasks[0].camera_fx.as_dict()}  # fmt: skip
    _check_settings(out, settings)
    mine = [t for k, t in enumerate(tasks) if part is None or k % part[1] == part[0]]
    todo = [t for t in mine if not _done(out, t)]
    _run(todo, out, workers=workers, progress=progress, ray_address=ray_address, total=len(mine))
    write_index(out, specs=specs, expected=len(tasks))
    return out


def _check_settings(out: Path, settings: dict) -> None:
    path = out / "generation.json"
    if path.is_file():
        old = json.loads(path.read_text())
        # Folders made before motion libraries existed have no "mocap" key: none were used.
        # Nor a "camera_fx" key: they had no camera effects.
        missing = {"mocap": [], "camera_fx": NO_FX.as_dict()}
        diff = [k for k in _SETTING_KEYS if old.get(k, missing.get(k)) != settings.get(k)]
        if diff:
            raise UserError(
                f"{out} already holds a dataset generated with other settings ({', '.join(diff)} differ); "
                "use a new --out or the original settings to resume"
            )
    else:
        atomic_write_bytes(path, json.dumps({**settings, "manifest_version": MANIFEST_VERSION}, indent=1).encode())


def _run(todo: list[ClipTask], out: Path, *, workers: int, progress: bool, ray_address: str | None, total: int) -> None:
    from tqdm import tqdm

    bar = tqdm(total=total, initial=total - len(todo), unit="clip", desc="generate", disable=not progress, smoothing=0.1)
    try:
        if ray_address:
            from synapt.sim.ray_backend import run_on_ray

            for _ in run_on_ray(todo, str(out), address=ray_address, task_fn=ray_task):
                bar.update(1)
        elif workers == 1:
            _worker_init()
            for task in todo:
                run_task(task, str(out))
                bar.update(1)
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed
            from concurrent.futures.process import BrokenProcessPool

            # spawn: a forked child would inherit the parent's OpenGL state. An executor, not
            # multiprocessing.Pool: a Pool replaces a worker that dies and waits forever for
            # its task, where an executor reports the broken pool.
            ctx = mp.get_context("spawn")
            try:
                with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init) as pool:
                    for future in as_completed([pool.submit(run_task, t, str(out)) for t in todo]):
                        future.result()
                        bar.update(1)
            except BrokenProcessPool:
                raise UserError(
                    f"a generation worker died (out of memory, a crash in the renderer, or a script that calls "
                    f"generate_dataset with workers > 1 outside `if __name__ == '__main__':`); the finished "
                    f"clips in {out} are kept: rerun the same command to resume"
                ) from None
    finally:
        bar.close()


def read_rows(out: Path) -> list[dict]:
    """All sidecar rows under ``out/videos`` whose mp4 exists, in (label, index) order."""
    rows = []
    for sidecar in (Path(out) / "videos").glob("*/*.json"):
        row = json.loads(sidecar.read_text())
        if (Path(out) / row["path"]).is_file():
            rows.append(row)
    rows.sort(key=lambda r: (r["label"], r["index"]))
    return rows


def write_index(out: Path, *, specs: list[ClassSpec], expected: int) -> None:
    """(Re)write manifest.jsonl, classes.json and dataset_card.md from the sidecar rows."""
    rows = read_rows(out)
    atomic_write_bytes(out / "manifest.jsonl", "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode())
    classes = [{"id": i, "name": s.name, "family": s.family, "description": s.description, "catalog_id": s.id, "motion": s.motion}
               for i, s in enumerate(specs)]  # fmt: skip
    atomic_write_bytes(out / "classes.json", json.dumps(classes, indent=1).encode())
    atomic_write_bytes(out / "dataset_card.md", dataset_card(rows, classes=classes, expected=expected).encode())


def _clip_seconds(row: dict) -> str:
    seconds = row.get("params", {}).get("clip_seconds")
    return f"{seconds:.2f}" if isinstance(seconds, (int, float)) else "?"


def _action_durations(rows: list[dict]) -> dict[str, str]:
    """Median natural duration (s) of each class's action: one-shots, falls, and mocap takes.

    Repeated actions (waves, gaits) have none: they run through the clip.
    """
    found: dict[str, list[float]] = {}
    for row in rows:
        action = row.get("params", {}).get("action", {})
        value = action.get("duration_s")
        if value is None and action.get("motion", "").startswith("mocap:"):
            value = action.get("take_seconds")
        if isinstance(value, (int, float)):
            found.setdefault(row["class_name"], []).append(float(value))
    return {name: f"{np.median(v):.2f}" for name, v in found.items()}


def dataset_card(rows: list[dict], *, classes: list[dict], expected: int) -> str:
    """A markdown card: status, counts, parameter distributions, licence."""
    complete = len(rows) == expected
    status = "complete" if complete else f"INCOMPLETE: {len(rows)} of {expected} clips (rerun the same command to finish)"
    per_class = Counter(r["class_name"] for r in rows)
    kinds = Counter(r["params"]["scene"]["kind"] for r in rows)
    motions = Counter(r["params"]["camera"]["motion"] for r in rows)
    visible = np.array([r["actor_visible_fraction"] for r in rows if "actor_visible_fraction" in r])
    occluded = sum(bool(r["params"]["scene"].get("occluders")) for r in rows)
    blurred = sum(r["params"].get("camera_fx", {}).get("exposure_s", 0) > 0 for r in rows)
    raised = sum(r.get("crf", 0) > r["params"].get("camera_fx", {}).get("crf", 99) for r in rows)
    fractions = np.array([f for r in rows if (f := r["params"]["camera"].get("actor_fraction")) is not None])
    presentation = Counter(r["params"]["actor"]["presentation"] for r in rows)
    tones = np.array([r["params"]["actor"]["skin_tone"] for r in rows]) if rows else np.zeros(0)
    heights = np.array([r["params"]["actor"]["height"] for r in rows]) if rows else np.zeros(0)
    first = rows[0] if rows else {}

    durations = _action_durations(rows)

    def table(counter: Counter) -> str:
        return "\n".join(f"| {k} | {v} |" for k, v in sorted(counter.items()))

    tone_hist = np.histogram(tones, bins=10, range=(0, 9))[0].tolist() if len(tones) else []
    lines = [
        "# Synthetic action dataset (synapt generate)",
        "",
        f"Status: **{status}**. Manifest version {MANIFEST_VERSION}. Generated {time.strftime('%Y-%m-%d')}.",
        "",
        f"{len(rows)} clips, {len(classes)} classes, {first.get('frames', '?')} frames of "
        f"{first.get('width', '?')}x{first.get('height', '?')} px at {first.get('fps', '?')} fps; "
        f"context bias {first.get('params', {}).get('context_bias', '?')}.",
        "",
        f"Each clip lasts {_clip_seconds(first)} s in real time (frames / fps). An action keeps its natural "
        "duration: a clip shorter than the action shows a window of it, a longer one all of it.",
        "",
        "## Clips per class",
        "",
        "| class | clips | motion | action duration (median s) |",
        "|---|---|---|---|",
        *[f"| {c['name']} | {per_class.get(c['name'], 0)} | {c.get('motion', 'procedural')} | {durations.get(c['name'], 'repeated')} |"
          for c in classes],
        "",
        "## Parameter distributions",
        "",
        "| scene kind | clips |", "|---|---|", table(kinds), "",
        "| camera motion | clips |", "|---|---|", table(motions), "",
        f"Occluders in {occluded} of {len(rows)} scenes; the actor's visible fraction (geoms seen from the lens) "
        + (f"has median {np.median(visible):.2f}, minimum {visible.min():.2f} over {len(visible)} clips with an actor."
           if len(visible) else "was not measured (no clip with an actor)."),
        f"Camera effects: motion blur in {blurred} clips; every draw is in each row's `params.camera_fx`. "
        f"{raised} clips were encoded above their drawn CRF to fit the size budget (each row's `crf`).",
        (f"An upright actor covers a median {np.median(fractions):.2f} of the frame height (minimum "
         f"{fractions.min():.2f}, `params.camera.actor_fraction`)." if len(fractions) else ""),
        "",
        "| presentation | clips |", "|---|---|", table(presentation), "",
        f"Skin tone (0 light to 9 deep) histogram over 10 bins: {tone_hist}.",
        "",
        f"Drawn from: {json.dumps(first.get('params', {}).get('actor_distribution'))} (see `synapt.sim.actor.ActorDistribution`).",
        "",
        f"Height: mean {heights.mean():.3f} m, sd {heights.std():.3f} m." if len(heights) else "",
        "",
        "## Licence",
        "",
        "The clips are procedurally generated by synapt (Apache-2.0) from no third-party assets: ",
        "the generated content may be used, shared and modified without restriction (CC0-1.0).",
        "Classes whose motion is `mocap:<library>` are performed by motion-capture takes, named per clip",
        "in `params.action` (`library`, `file`, `source_frames`): `deepmimic` is the DeepMimic humanoid",
        "clips that the pybullet wheel ships; other libraries are the user's own (e.g. CMU's, free for all",
        "uses but not for resale of the data). The clips hold rendered pixels and joint positions, not the",
        "motion files; see docs/generator.md for each default library's origin and terms.",
        "",
    ]  # fmt: skip
    return "\n".join(lines)
