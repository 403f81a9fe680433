"""IkeaFA (Toyer et al. 2017) from ``IkeaClipsDB.mat``.

The .mat holds a struct array ``IkeaDB``, one entry per video, with a per-frame ``activity_id``
(0 = no action, 1..12 the actions) and ``person_idx``. Each maximal run of one non-zero action
is a clip labelled ``activity_id - 1``; subjects 9, 11 and 13 are the test split.

The annotated frames are not the MP4's frames (they were re-extracted at another rate), so a
run is placed in the video by time: annotation frame i of n is at ``i / n`` of the video. When the
video is on disk its frame count converts the run to decoded frames; when it is absent the
record is reported missing and keeps annotation frames (``meta["frame_unit"] = "annotation"``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from synapt.data.formats.files import find_annotation, video_dir
from synapt.data.records import DatasetIndex, VideoRecord
from synapt.errors import UserError

log = logging.getLogger(__name__)

CLASS_NAMES = [
    "attach leg 1", "attach leg 2", "attach leg 3", "attach leg 4",
    "detach leg 1", "detach leg 2", "detach leg 3", "detach leg 4",
    "flip over", "spin in", "spin out", "pick leg",
]  # fmt: skip
TEST_SUBJECTS = (9, 11, 13)
# Runs shorter than this many annotation frames are dropped: too short to hold an action clip.
MIN_RUN_FRAMES = 8
CLIP_PREFIX = "Frames/"


def action_runs(activity: np.ndarray, *, min_frames: int = 1) -> list[tuple[int, int, int]]:
    """Maximal runs of one non-zero value: ``(activity_id, start, end)`` with ``end`` exclusive."""
    activity = np.asarray(activity).astype(np.int64).ravel()
    if activity.size == 0:
        return []
    change = np.flatnonzero(np.diff(activity)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [activity.size]])
    return [
        (int(activity[s]), int(s), int(e)) for s, e in zip(starts, ends) if activity[s] != 0 and e - s >= min_frames
    ]


def video_path(clip_path: str, videos: Path) -> Path:
    """``/data/.../Frames/<date>/.../GOPR0001`` -> ``<videos>/<date>/.../GOPR0001.MP4``."""
    relative = clip_path.split(CLIP_PREFIX, 1)[1] if CLIP_PREFIX in clip_path else clip_path.lstrip("/")
    return videos / f"{relative}.MP4"


def _class_names(db, path: Path) -> list[str]:
    """The 12 names, checked against the per-frame ``activity_labels`` strings when present."""
    names = list(CLASS_NAMES)
    if "activity_labels" not in db.dtype.names:
        return names
    seen: dict[int, str] = {}
    for entry in np.atleast_1d(db):
        ids = np.atleast_1d(entry["activity_id"]).astype(int)
        labels = np.atleast_1d(entry["activity_labels"])
        for activity, label in zip(ids, labels):
            text = str(label).strip()
            if activity > 0 and text:
                seen.setdefault(int(activity), text)
    for activity, text in seen.items():
        if activity <= len(names) and text != names[activity - 1]:
            log.warning("%s: activity %d is labelled %r in the file; using the file's name", path, activity, text)
            names[activity - 1] = text
    return names


def load(root: Path, *, annotations: Path | None = None, split: int = 1, min_frames: int = MIN_RUN_FRAMES) -> DatasetIndex:
    import scipy.io

    from synapt.data.video import PyAVReader, VideoDecodeError

    path = find_annotation(
        ["IkeaClipsDB.mat"], root=root, annotations=annotations, subdirs=("ikea-fa-release-data",), what="IkeaFA database"
    )
    try:
        db = scipy.io.loadmat(path, squeeze_me=True)["IkeaDB"]
    except (KeyError, ValueError, OSError) as err:
        raise UserError(f"{path}: cannot read the IkeaDB struct array ({err})") from err
    class_names = _class_names(db, path)
    base = path.parent
    videos = video_dir(base, ("videos",))
    splits: dict[str, list[VideoRecord]] = {"train": [], "test": []}
    for entry in np.atleast_1d(db):
        activity = np.atleast_1d(entry["activity_id"])
        person = int(entry["person_idx"])
        file = video_path(str(entry["clip_path"]), videos)
        annotated = len(activity)
        video_frames = None
        if file.exists():
            try:
                with PyAVReader(file) as reader:
                    video_frames = reader.num_frames
            except VideoDecodeError as err:
                log.warning("%s", err)
        for activity_id, start, end in action_runs(activity, min_frames=min_frames):
            if not 1 <= activity_id <= len(class_names):
                raise UserError(f"{path}: video {entry['video_id']} has activity id {activity_id} outside 1..{len(class_names)}")
            meta = {"video_id": int(entry["video_id"]), "subject": person, "annotation_frames": (start, end, annotated)}
            if video_frames:
                scale = video_frames / annotated
                first, last = round(start * scale), max(round(end * scale), round(start * scale) + 1)
            else:
                first, last = start, end
                meta["frame_unit"] = "annotation"
            split_name = "test" if person in TEST_SUBJECTS else "train"
            splits[split_name].append(VideoRecord(str(file), activity_id - 1, first, last, meta))
    return DatasetIndex("ikeafa", class_names, splits)
