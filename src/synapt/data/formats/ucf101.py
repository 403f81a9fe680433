"""UCF101 (Soomro et al. 2012) from the official ``ucfTrainTestlist`` files.

``classInd.txt`` gives ``<1-based id> <Class>``; ``trainlistNN.txt`` lines are
``<Class>/<file>.avi <1-based id>``, ``testlistNN.txt`` lines ``<Class>/<file>.avi``. The files have
CRLF endings. The class comes from the folder part of the path (the ``HandstandPushups`` folder
holds ``v_HandStandPushups_*`` files), and a train label that disagrees with its folder is an error.
"""

from __future__ import annotations

import re
from pathlib import Path

from synapt.data.formats.files import find_annotation, read_lines, video_dir
from synapt.data.records import DatasetIndex, VideoRecord
from synapt.errors import UserError

SPLITS = (1, 2, 3)
_GROUP = re.compile(r"_g(\d+)_c(\d+)")


def load(root: Path, *, annotations: Path | None = None, split: int = 1) -> DatasetIndex:
    if split not in SPLITS:
        raise UserError(f"UCF101 has splits 1, 2, 3 (got --split {split})")
    subdirs = ("ucfTrainTestlist", "annotations")
    class_file = find_annotation(["classInd.txt"], root=root, annotations=annotations, subdirs=subdirs, what="UCF101 class index")
    class_names = []
    for number, line in read_lines(class_file):
        fields = line.split()
        if len(fields) != 2 or int(fields[0]) != len(class_names) + 1:
            raise UserError(f"{class_file} line {number}: expected '<id> <ClassName>' with ids 1, 2, 3... (got {line!r})")
        class_names.append(fields[1])
    label_of = {name: i for i, name in enumerate(class_names)}
    videos = video_dir(root, ("UCF-101", "videos", "UCF101"), marker=class_names[0])
    splits = {}
    for split_name, stem in (("train", "trainlist"), ("test", "testlist")):
        path = find_annotation(
            [f"{stem}{split:02d}.txt"], root=root, annotations=annotations, subdirs=subdirs, what=f"UCF101 split file (splits are {SPLITS})"
        )
        records = []
        for number, line in read_lines(path):
            fields = line.split()
            relative = fields[0]
            folder = relative.split("/")[0]
            if folder not in label_of:
                raise UserError(f"{path} line {number}: class folder {folder!r} is not in {class_file.name}")
            label = label_of[folder]
            if len(fields) > 1 and int(fields[1]) - 1 != label:
                raise UserError(f"{path} line {number}: label {fields[1]} disagrees with folder {folder!r} (id {label + 1})")
            group = _GROUP.search(relative)
            meta = {"group": int(group.group(1)), "clip": int(group.group(2))} if group else {}
            records.append(VideoRecord(str(videos / relative), label, meta=meta))
        splits[split_name] = records
    return DatasetIndex("ucf101", class_names, splits)
