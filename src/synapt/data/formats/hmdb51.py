"""HMDB51 (Kuehne et al. 2011) from the official ``testTrainMulti_7030_splits`` files.

One file per class and split, ``<class>_test_split<k>.txt``, lines ``<clip>.avi <flag>`` with a
trailing space: 1 train, 2 test, 0 unused. No class-index file exists: classes are the sorted
class names, 0-based (mmaction2 and TSN convention).
"""

from __future__ import annotations

from pathlib import Path

from synapt.data.formats.files import read_lines, search_dirs, video_dir
from synapt.data.records import DatasetIndex, VideoRecord
from synapt.errors import UserError

SPLITS = (1, 2, 3)
FLAGS = {"1": "train", "2": "test", "0": None}


def load(root: Path, *, annotations: Path | None = None, split: int = 1) -> DatasetIndex:
    if split not in SPLITS:
        raise UserError(f"HMDB51 has splits 1, 2, 3 (got --split {split})")
    suffix = f"_test_split{split}.txt"
    dirs = search_dirs(root, annotations, ("testTrainMulti_7030_splits", "splits", "annotations"))
    files = next((sorted(d.glob(f"*{suffix}")) for d in dirs if d.is_dir() and any(d.glob(f"*{suffix}"))), [])
    if not files:
        raise UserError(f"HMDB51 split files *{suffix} not found under {', '.join(map(str, dirs))} (pass --annotations DIR)")
    # Class names contain underscores: strip the suffix, never split on '_'.
    class_names = sorted(f.name[: -len(suffix)] for f in files)
    videos = video_dir(root, ("hmdb51_org", "videos", "hmdb51"), marker=class_names[0])
    splits: dict[str, list[VideoRecord]] = {"train": [], "test": []}
    for label, name in enumerate(class_names):
        path = files[0].parent / f"{name}{suffix}"
        for number, line in read_lines(path):
            fields = line.split()
            if len(fields) != 2 or fields[1] not in FLAGS:
                raise UserError(f"{path} line {number}: expected '<clip>.avi <0|1|2>' (got {line!r})")
            split_name = FLAGS[fields[1]]
            if split_name:
                splits[split_name].append(VideoRecord(str(videos / name / fields[0]), label))
    return DatasetIndex("hmdb51", class_names, splits)
