"""One folder per class: ``root/<class>/<video>``, or ``root/<split>/<class>/<video>``.

Class names are the sorted folder names. Without ``train/``/``val/``/``test/`` folders every
video is in ``train``.
"""

from __future__ import annotations

from pathlib import Path

from synapt.data.formats.files import VIDEO_SUFFIXES
from synapt.data.records import DatasetIndex, VideoRecord
from synapt.errors import UserError

SPLIT_DIRS = ("train", "val", "test")


def _videos(folder: Path) -> list[Path]:
    # A frame folder (a directory of images) counts as one video too.
    return sorted(
        p for p in folder.iterdir()
        if (p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES) or (p.is_dir() and not p.name.startswith("."))
    )  # fmt: skip


def load(root: Path, *, annotations: Path | None = None, split: int = 1) -> DatasetIndex:
    if not root.is_dir():
        raise UserError(f"folder dataset {root} does not exist")
    split_roots = {name: root / name for name in SPLIT_DIRS if (root / name).is_dir()}
    if not split_roots:
        split_roots = {"train": root}
    class_names = sorted({d.name for base in split_roots.values() for d in base.iterdir() if d.is_dir() and not d.name.startswith(".")})
    if not class_names:
        raise UserError(f"{root}: no class folders (expected {root}/<class>/<video>)")
    label_of = {name: i for i, name in enumerate(class_names)}
    splits = {}
    for split_name, base in split_roots.items():
        splits[split_name] = [
            VideoRecord(str(video), label_of[folder.name])
            for folder in sorted(base.iterdir()) if folder.is_dir() and folder.name in label_of
            for video in _videos(folder)
        ]  # fmt: skip
    return DatasetIndex("folder", class_names, splits)
