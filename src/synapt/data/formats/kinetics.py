"""Kinetics-400/600/700 from the official CSV files.

Columns are read by header name (``label,youtube_id,time_start,time_end,split[,is_cc]``; labels
may be double-quoted; times may be floats). A clip is ``<id>_<start:06d>_<end:06d>`` with any
video suffix, found by one walk over the video folders (flat ``train/``, ``val/`` as CVDF stores
them, or one folder per class). Rows without a label (old test CSVs) give no records. Classes are
``label_map*.txt`` when present, else the sorted labels of the CSVs (0-based, mmaction2's order).
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from synapt.data.formats.files import find_optional, index_videos, read_lines, search_dirs
from synapt.data.records import DatasetIndex, VideoRecord
from synapt.errors import UserError

log = logging.getLogger(__name__)

SPLIT_FILES = {
    "train": ("train.csv", "kinetics_train.csv", "kinetics-400_train.csv", "kinetics-600_train.csv", "kinetics-700_train.csv"),
    "val": ("validate.csv", "val.csv", "kinetics_val.csv", "kinetics-400_val.csv", "kinetics-600_val.csv", "kinetics-700_val.csv"),
    "test": ("test.csv", "kinetics_test.csv", "kinetics-400_test.csv", "kinetics-600_test.csv", "kinetics-700_test.csv"),
}
LABEL_MAPS = ("label_map.txt", "label_map_k400.txt", "label_map_k600.txt", "label_map_k700.txt")
SUBDIRS = ("annotations", "kinetics400", "kinetics700")
VIDEO_DIRS = {"train": ("train", "videos_train"), "val": ("val", "validate", "videos_val"), "test": ("test", "videos_test")}


def clip_name(youtube_id: str, start: float, end: float) -> str:
    return f"{youtube_id}_{int(float(start)):06d}_{int(float(end)):06d}"


def _rows(path: Path) -> list[tuple[int, dict]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        needed = {"youtube_id", "time_start", "time_end"}
        if not reader.fieldnames or not needed <= set(reader.fieldnames):
            raise UserError(f"{path}: header must name youtube_id, time_start, time_end (got {reader.fieldnames})")
        return [(number, row) for number, row in enumerate(reader, start=2)]


def load(root: Path, *, annotations: Path | None = None, split: int = 1) -> DatasetIndex:
    files = {name: find_optional(candidates, root=root, annotations=annotations, subdirs=SUBDIRS) for name, candidates in SPLIT_FILES.items()}
    files = {name: path for name, path in files.items() if path is not None}
    if not files:
        where = ", ".join(map(str, search_dirs(root, annotations, SUBDIRS)))
        raise UserError(f"no Kinetics CSV (train.csv, validate.csv, kinetics-400_val.csv...) found under {where}")
    rows = {name: _rows(path) for name, path in files.items()}
    label_map = find_optional(LABEL_MAPS, root=root, annotations=annotations, subdirs=SUBDIRS)
    if label_map is not None:
        class_names = [line for _, line in read_lines(label_map)]
    else:
        class_names = sorted({row["label"].strip('"').strip() for split_rows in rows.values() for _, row in split_rows if row.get("label")})
    label_of = {name: i for i, name in enumerate(class_names)}
    folders = [root / d for dirs in VIDEO_DIRS.values() for d in dirs] + [root / "videos"]
    found = index_videos(folders if any(f.is_dir() for f in folders) else [root])
    splits: dict[str, list[VideoRecord]] = {}
    for split_name, split_rows in rows.items():
        records = []
        unlabelled = 0
        default_dir = next((root / d for d in VIDEO_DIRS[split_name] if (root / d).is_dir()), root / VIDEO_DIRS[split_name][0])
        for number, row in split_rows:
            label = (row.get("label") or "").strip('"').strip()
            if not label:
                unlabelled += 1
                continue
            if label not in label_of:
                raise UserError(f"{files[split_name]} line {number}: label {label!r} is not a class of {label_map or 'the CSVs'}")
            name = clip_name(row["youtube_id"], row["time_start"], row["time_end"])
            path = found.get(name, default_dir / f"{name}.mp4")
            meta = {"youtube_id": row["youtube_id"], "time_start": float(row["time_start"]), "time_end": float(row["time_end"])}
            records.append(VideoRecord(str(path), label_of[label], meta=meta))
        if unlabelled:
            log.warning("%s: %d rows have no label and give no records", files[split_name], unlabelled)
        splits[split_name] = records
    return DatasetIndex("kinetics", class_names, splits)
