"""Diving48 V2 (Li, Li and Vasconcelos 2018) from the official json files.

``Diving48_V2_{train,test}.json`` list ``{vid_name, label, start_frame, end_frame}`` with 0-based
labels into ``Diving48_vocab.json`` (class name ``"+".join(entry)``, as mmaction2). ``end_frame``
is only a length hint, so records span the whole decoded video. Class 30 has no samples in V2;
the class list (and a model's head) stays 48-way.
"""

from __future__ import annotations

import json
from pathlib import Path

from synapt.data.formats.files import find_annotation, video_dir
from synapt.data.records import DatasetIndex, VideoRecord
from synapt.errors import UserError

SUBDIRS = ("annotations", "labels")


def load(root: Path, *, annotations: Path | None = None, split: int = 1) -> DatasetIndex:
    vocab_file = find_annotation(["Diving48_vocab.json"], root=root, annotations=annotations, subdirs=SUBDIRS, what="Diving48 vocabulary")
    with open(vocab_file, encoding="utf-8") as handle:
        class_names = ["+".join(entry) for entry in json.load(handle)]
    splits = {}
    for split_name, file_name in (("train", "Diving48_V2_train.json"), ("test", "Diving48_V2_test.json")):
        path = find_annotation([file_name], root=root, annotations=annotations, subdirs=SUBDIRS, what="Diving48 V2 split file")
        with open(path, encoding="utf-8") as handle:
            entries = json.load(handle)
        marker = f"{entries[0]['vid_name']}.mp4" if entries else None
        videos = video_dir(root, ("rgb", "videos"), marker=marker)
        records = []
        for position, entry in enumerate(entries):
            label = int(entry["label"])
            if not 0 <= label < len(class_names):
                raise UserError(f"{path} entry {position} ({entry['vid_name']}): label {label} outside 0..{len(class_names) - 1}")
            meta = {"length_hint": int(entry.get("end_frame", 0)) - int(entry.get("start_frame", 0))}
            records.append(VideoRecord(str(videos / f"{entry['vid_name']}.mp4"), label, meta=meta))
        splits[split_name] = records
    return DatasetIndex("diving48", class_names, splits)
