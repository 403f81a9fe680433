"""Something-Something V2 and Mini-SSV2 from the official json files.

The class of a video is ``labels[template without '[' and ']']`` (only the brackets go; the
words inside stay). The ``label`` field is a caption, not a class. The test json has no labels,
so it gives no records. Mini-SSV2 keeps the 87 templates of ``mini_ssv2.txt``, relabelled 0-86 in
that file's order.

Mirroring a clip swaps "left" and "right" in a template: :func:`flip_map` pairs such classes,
and a direction class without a partner is never flipped.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from synapt.data.formats.files import find_annotation, find_optional, video_dir
from synapt.data.records import DatasetIndex, VideoRecord
from synapt.errors import UserError

log = logging.getLogger(__name__)

PREFIX = "something-something-v2-"
SPLIT_FILES = {"train": "train.json", "val": "validation.json"}
SUBDIRS = ("labels", "annotations")
_SIDE = re.compile(r"\b(left|right)\b")
# "right" as an adverb names no side ("pulling it right out").
_NOT_A_SIDE = re.compile(r"\bright (out|away)\b")


def template_key(template: str) -> str:
    """The labels.json key of a template: square brackets removed, text kept."""
    return template.replace("[", "").replace("]", "")


def flip_map(class_names: list[str]) -> dict[int, int | None]:
    """Class index -> class after a horizontal flip, for classes that name a side."""
    index = {name: i for i, name in enumerate(class_names)}
    mapping: dict[int, int | None] = {}
    for i, name in enumerate(class_names):
        if _SIDE.search(_NOT_A_SIDE.sub("", name)):
            mirrored = _SIDE.sub(lambda m: "right" if m.group(1) == "left" else "left", name)
            mapping[i] = index.get(mirrored)
    return mapping


def _labels(root: Path, annotations: Path | None) -> dict[str, int]:
    path = find_annotation([f"{PREFIX}labels.json", "labels.json"], root=root, annotations=annotations, subdirs=SUBDIRS, what="SSv2 labels")
    with open(path, encoding="utf-8") as handle:
        return {key: int(value) for key, value in json.load(handle).items()}


def _records(
    root: Path, annotations: Path | None, label_of: dict[str, int], official: set[str]
) -> dict[str, list[VideoRecord]]:
    """Records of the train and validation files; templates in ``official`` but not in
    ``label_of`` belong to classes left out of a subset and are dropped."""
    splits = {}
    for split_name, suffix in SPLIT_FILES.items():
        path = find_optional([PREFIX + suffix, suffix], root=root, annotations=annotations, subdirs=SUBDIRS)
        if path is None:
            log.warning("SSv2 %s file %s not found: no %s records", split_name, PREFIX + suffix, split_name)
            continue
        with open(path, encoding="utf-8") as handle:
            entries = json.load(handle)
        marker = f"{entries[0]['id']}.webm" if entries else None
        videos = video_dir(root, ("20bn-something-something-v2", "videos"), marker=marker)
        records = []
        for position, entry in enumerate(entries):
            key = template_key(entry["template"])
            if key not in label_of:
                if key in official:
                    continue
                raise UserError(f"{path} entry {position} (id {entry['id']}): template {key!r} is not in labels.json")
            records.append(VideoRecord(str(videos / f"{entry['id']}.webm"), label_of[key], meta={"id": entry["id"]}))
        splits[split_name] = records
    if not splits:
        raise UserError(f"no SSv2 split file ({', '.join(PREFIX + s for s in SPLIT_FILES.values())}) found under {root}")
    return splits


def load(root: Path, *, annotations: Path | None = None, split: int = 1) -> DatasetIndex:
    labels = _labels(root, annotations)
    class_names = [name for name, _ in sorted(labels.items(), key=lambda item: item[1])]
    splits = _records(root, annotations, labels, set(labels))
    return DatasetIndex("ssv2", class_names, splits, flip_map=flip_map(class_names))


def load_mini(root: Path, *, annotations: Path | None = None, split: int = 1) -> DatasetIndex:
    labels = _labels(root, annotations)
    path = find_annotation(["mini_ssv2.txt"], root=root, annotations=annotations, subdirs=SUBDIRS, what="Mini-SSV2 class list")
    # The first line is empty and there is no trailing newline: keep non-empty lines as they are.
    with open(path, encoding="utf-8") as handle:
        class_names = [line.strip() for line in handle.read().splitlines() if line.strip()]
    unknown = [name for name in class_names if name not in labels]
    if unknown:
        raise UserError(f"{path}: {len(unknown)} class names are not labels.json keys, e.g. {unknown[0]!r}")
    label_of = {name: i for i, name in enumerate(class_names)}
    splits = _records(root, annotations, label_of, set(labels))
    return DatasetIndex("mini_ssv2", class_names, splits, flip_map=flip_map(class_names))
