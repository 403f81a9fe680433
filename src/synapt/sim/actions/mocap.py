"""Motion programs driven by motion capture: a class names a query into a motion library.

Each clip draws a take (one of the library clips the query matches), a time warp, a window of
the take, a mirror where the class allows it, and the actor's body (drawn by the clip), then
retargets the take onto that body (``sim/mocap/retarget.py``): closed-form joint angles, the
root path scaled by leg length, the lowest point of the clip on the floor, and stance feet
pinned by leg IK. Everything drawn is recorded in ``Performance.params`` (library, clip id,
file, frame range, mirror, warp), so the manifest says which capture a clip shows.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from synapt.sim.actions.motion import ActionContext, Performance
from synapt.sim.mocap.retarget import ActorKinematics, Retargeted, ground_and_pin, retarget

SAMPLE_HZ = 30.0  # the retargeted pose is solved at this rate and interpolated in between


@lru_cache(maxsize=8)
def _library(name: str):
    from synapt.sim.mocap.library import open_library

    return open_library(name)


def _tile(rt: Retargeted, cycles: int) -> Retargeted:
    """Repeat a looping take ``cycles`` times, carrying the root's displacement and turn along."""
    n = len(rt.times) - 1  # the last frame of a loop is the first of the next cycle
    dt = float(rt.times[1] - rt.times[0])
    ch = rt.channels
    dyaw = ch["root_yaw"][n] - ch["root_yaw"][0]
    start = np.array([ch["root_x"][0], ch["root_y"][0]])
    end = np.array([ch["root_x"][n], ch["root_y"][n]])
    yaw0 = math.radians(ch["root_yaw"][0])
    c, s = math.cos(-yaw0), math.sin(-yaw0)
    step = np.array([c * (end - start)[0] - s * (end - start)[1], s * (end - start)[0] + c * (end - start)[1]])
    out = {name: [] for name in ch}
    origin = start.copy()
    for k in range(cycles):
        turn = math.radians(k * dyaw)
        ct, st = math.cos(turn), math.sin(turn)
        rel = np.stack([ch["root_x"][:n] - start[0], ch["root_y"][:n] - start[1]], axis=1)
        xy = origin + rel @ np.array([[ct, st], [-st, ct]])
        for name, values in ch.items():
            if name == "root_x":
                out[name].append(xy[:, 0])
            elif name == "root_y":
                out[name].append(xy[:, 1])
            elif name == "root_yaw":
                out[name].append(values[:n] + k * dyaw)
            else:
                out[name].append(values[:n])
        heading = yaw0 + turn
        ch_, sh_ = math.cos(heading), math.sin(heading)
        origin = origin + np.array([ch_ * step[0] - sh_ * step[1], sh_ * step[0] + ch_ * step[1]])
    channels = {name: np.concatenate(parts) for name, parts in out.items()}
    return Retargeted(times=np.arange(cycles * n) * dt, channels=channels)


def _decimate(motion, *, max_fps: float):
    """Every k-th frame of ``motion`` so its rate is at most ``max_fps`` (retargeting cost)."""
    from dataclasses import replace

    step = max(1, int(math.ceil(motion.fps / max_fps - 1e-9)))
    if step == 1:
        return motion
    return replace(motion, rotations=motion.rotations[::step], root_pos=motion.root_pos[::step], fps=motion.fps / step)


def _resample(rt: Retargeted, times: np.ndarray) -> Retargeted:
    return Retargeted(times=times, channels={k: np.interp(times, rt.times, v) for k, v in rt.channels.items()})


def _rezero(rt: Retargeted) -> Retargeted:
    """Root x/y/yaw relative to the first sample (the clip starts at its base, facing its facing)."""
    ch = dict(rt.channels)
    yaw0 = math.radians(ch["root_yaw"][0])
    c, s = math.cos(-yaw0), math.sin(-yaw0)
    x, y = ch["root_x"] - ch["root_x"][0], ch["root_y"] - ch["root_y"][0]
    ch["root_x"], ch["root_y"] = c * x - s * y, s * x + c * y
    ch["root_yaw"] = ch["root_yaw"] - ch["root_yaw"][0]
    return Retargeted(times=rt.times, channels=ch)


def mocap(query: str, *, library: str = "deepmimic", mirror: bool = True, warp: tuple[float, float] = (0.85, 1.15),
          travel: str = "any", spread: float = 100.0):  # fmt: skip
    """A class performed by the library takes that ``query`` matches.

    Args:
        query: a motion-library query (label words, ``id:...``, ``subject:...``; see ``MotionLibrary.find``).
        library: the library's name (``deepmimic``) or folder.
        mirror: whether a clip may swap left and right (False for lateralised classes).
        warp: range of the playback speed factor.
        travel: ``"any"``: face the camera within ``spread`` degrees; ``"across"``: the take's
            path runs mostly across the image (locomotion), in either direction.
        spread: degrees of facing around the camera direction (or the across direction).
    """

    def program(ctx: ActionContext) -> Performance:
        rng = ctx.rng
        entries = _library(library).find(query)
        if not entries:
            raise ValueError(f"motion library {library!r} has no clip matching {query!r}; run `synapt mocap info {library}`")
        entry = entries[int(rng.integers(len(entries)))]
        motion = _library(library).load(entry)  # cached per process by the library
        source_fps, source_frames = motion.fps, motion.frames
        flip = bool(mirror and rng.uniform() < 0.5)
        speed = float(rng.uniform(*warp))
        span = ctx.seconds * speed  # seconds of the take the clip covers
        loop = bool(motion.meta.get("loop"))
        offset = 0  # first source frame retargeted
        if not loop and motion.seconds > span + 1.0:
            # A long take (CMU's run to minutes at 120 fps): retarget only the window the clip
            # shows, plus a margin, at <= 60 fps.
            start = float(rng.uniform(0.0, motion.seconds - span))
            offset = max(0, int(start * motion.fps) - 2)
            stop = min(motion.frames, int((start + span) * motion.fps) + 3)
            start -= offset / motion.fps
            motion = _decimate(motion.window(offset, stop), max_fps=60.0)
            rt = retarget(motion, ctx.dims, mirror=flip)
            duration = float(rt.times[-1])
        else:
            rt = retarget(motion, ctx.dims, mirror=flip)
            duration = float(rt.times[-1])
            if loop and duration < span + 0.5:
                rt = _tile(rt, int(math.ceil((span + 0.5) / max(duration, 1e-3))) + 1)
                duration = float(rt.times[-1])
            if duration > span:
                start = float(rng.uniform(0.0, duration - span))
            else:
                # A take shorter than the clip plays inside it; the body holds its first/last pose.
                start = -float(rng.uniform(0.0, span - duration))
        times = np.arange(int(math.ceil(ctx.seconds * SAMPLE_HZ)) + 1) / SAMPLE_HZ
        window = _rezero(_resample(rt, start + speed * times))
        window = Retargeted(times=times, channels=window.channels)
        kin = ActorKinematics(ctx.actor)
        fixed, report = ground_and_pin(window, kin)
        # Face the camera (or cross the image); centre the path on the point the camera looks at.
        path = np.stack([fixed.channels["root_x"], fixed.channels["root_y"]], axis=1)
        heading = math.degrees(math.atan2(path[-1, 1] - path[0, 1], path[-1, 0] - path[0, 0])) if np.ptp(path, axis=0).max() > 0.3 else 0.0
        if travel == "across":
            side = 1.0 if rng.uniform() < 0.5 else -1.0
            facing = ctx.cam_azimuth + 90.0 * side - heading + float(rng.uniform(-spread, spread))
        else:
            facing = ctx.cam_azimuth + 180.0 + float(rng.uniform(-spread, spread))
        c, s = math.cos(math.radians(facing)), math.sin(math.radians(facing))
        centre = (path.min(axis=0) + path.max(axis=0)) / 2
        base = (-(c * centre[0] - s * centre[1]), -(s * centre[0] + c * centre[1]))
        # Frames of the file the clip shows (looped takes wrap around).
        frame_of = lambda tau: (offset + int(round(np.clip(tau, 0.0, duration) * source_fps))) % source_frames  # noqa: E731
        params = {
            "motion": f"mocap:{library}",
            "library": library,
            "clip_id": entry.clip_id,
            "file": entry.file,
            "take_label": entry.label,
            "takes": len(entries),
            "mirror": flip,
            "speed": round(speed, 4),
            "window_start_s": round(start, 4),
            "window_s": round(span, 4),
            "source_frames": [frame_of(max(start, 0.0)), frame_of(start + span)],
            "looped": loop,
            "take_seconds": None if loop else round(source_frames / source_fps / speed, 4),
            "facing": round(facing, 3),
            **{k: v for k, v in report.items()},
        }
        return Performance(pose=fixed.pose, base=base, facing=facing, ground=False, params=params)

    return program


__all__ = ["mocap"]
