"""Check a generated dataset and rebuild single clips from their manifest rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from synapt.errors import UserError


def _mocap_folders(params: dict) -> tuple[str, ...]:
    """The user motion library a clip's class came from (``params.action.library``), if any."""
    library = (params.get("action") or {}).get("library")
    return (library,) if library and library != "deepmimic" else ()


def read_manifest(root: Path) -> list[dict]:
    """The rows of ``root/manifest.jsonl`` (one clear error if it is missing or broken)."""
    path = Path(root) / "manifest.jsonl"
    if not path.is_file():
        raise UserError(f"{path} not found: is {root} a folder made by `synapt generate`?")
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise UserError(f"{path} line {n} is not JSON ({err.msg}); regenerate the manifest by rerunning generate") from None
    return rows


def check_clip(root: Path, row: dict) -> str | None:
    """Why a manifest row's clip is bad (missing, sha256, decode, frames, size), or None."""
    from synapt.sim.video import read_frames, sha256_file

    path = Path(root) / row["path"]
    if not path.is_file():
        return "file missing"
    if sha256_file(path) != row["sha256"]:
        return "sha256 mismatch"
    try:
        frames = read_frames(path)
    except Exception as err:  # PyAV raises several error types for broken files
        return f"does not decode ({type(err).__name__})"
    if frames.shape[0] != row["frames"]:
        return f"{frames.shape[0]} frames, manifest says {row['frames']}"
    if frames.shape[1:3] != (row["height"], row["width"]):
        return f"size {frames.shape[2]}x{frames.shape[1]}, manifest says {row['width']}x{row['height']}"
    return None


def verify_dataset(root: Path, *, progress: bool = True) -> list[tuple[str, str]]:
    """Check every manifest row; returns ``[(clip_id, problem), ...]`` (empty when all good)."""
    from tqdm import tqdm

    rows = read_manifest(root)
    bad = []
    for row in tqdm(rows, unit="clip", desc="verify", disable=not progress):
        problem = check_clip(root, row)
        if problem:
            bad.append((row["clip_id"], problem))
    return bad


def regenerate_clip(root: Path, clip_id: str, out: Path) -> tuple[str, bool]:
    """Rebuild clip ``clip_id`` from its manifest row into ``out``; returns (sha256, identical)."""
    from synapt.sim.actor import ActorDistribution
    from synapt.sim.camera_fx import CameraFxRanges
    from synapt.sim.dataset import ClipTask, make_clip
    from synapt.sim.video import write_clip

    rows = {r["clip_id"]: r for r in read_manifest(root)}
    if clip_id not in rows:
        raise UserError(f"clip {clip_id!r} is not in {Path(root) / 'manifest.jsonl'} (ids look like {next(iter(rows), 'wave_right_hand_00000')})")
    row = rows[clip_id]
    p = row["params"]
    task = ClipTask(row["class_name"], row["label"], row["index"], row["seed"], row["frames"], row["fps"], row["width"],
                    p["quality"], p["context_bias"], p["global_seed"], tuple(p["scene_kinds"]) if p["scene_kinds"] else None,
                    ("rgb",), ActorDistribution.from_dict(p.get("actor_distribution")), _mocap_folders(p),
                    CameraFxRanges.from_dict(p.get("camera_fx_ranges")))  # fmt: skip
    plan, result = make_clip(task)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    sha, _ = write_clip(Path(out), result.rgb, fps=row["fps"], crf=plan.params["camera_fx"]["crf"])
    return sha, sha == row["sha256"]


def frames_equal(a: Path, b: Path) -> bool:
    """Whether two clips decode to identical frames."""
    from synapt.sim.video import read_frames

    fa, fb = read_frames(a), read_frames(b)
    return fa.shape == fb.shape and bool(np.array_equal(fa, fb))
