"""UAV-Human (Li et al. 2021), RGB action recognition, labelled from file names.

A file name such as ``P070S01G10B00H10UC102000LC092000A031R0_09131758.avi`` carries the subject
(``P070``) and the 0-based action (``A031``). Split 1 is cross-subject-v1 (SynAPT's), split 2
cross-subject-v2, with the training subjects of the official README. Class names come from
that README (``-   A000: drink`` lines) when it is in the annotations folder, else ``A000``...
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from synapt.data.formats.files import VIDEO_SUFFIXES, find_optional, index_videos
from synapt.data.records import DatasetIndex, VideoRecord
from synapt.errors import UserError

log = logging.getLogger(__name__)

NUM_CLASSES = 155
NAME = re.compile(r"P(\d+)S(\d+)G(\d+)B(\d+)H(\d+)UC(\d+)LC(\d+)A(\d+)R(\d+)_(\d+)")
_README_CLASS = re.compile(r"^\s*-\s*A(\d{3}):\s*(.+?)\s*$")

TRAIN_SUBJECTS = {
    1: frozenset(
        (0, 2, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 25, 26, 27, 28, 29, 30, 32, 33, 34, 35, 36, 37,
         38, 39, 40, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 55, 56, 57, 59, 61, 62, 63, 64, 65, 67, 68, 69, 70,
         71, 73, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 98, 100, 102, 103, 105, 106, 110, 111, 112,
         114, 115, 116, 117, 118)
    ),
    2: frozenset(
        (0, 3, 4, 5, 6, 8, 10, 11, 12, 14, 16, 18, 19, 20, 21, 22, 24, 26, 29, 30, 31, 32, 35, 36, 37, 38, 39, 40, 43, 44,
         45, 46, 47, 49, 52, 54, 56, 57, 59, 60, 61, 62, 63, 64, 66, 67, 69, 70, 71, 72, 73, 74, 75, 77, 78, 79, 80, 81,
         83, 84, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 99, 100, 101, 102, 103, 104, 106, 107, 108, 109, 110, 111,
         112, 113, 114, 115, 117, 118)
    ),
}  # fmt: skip


def parse_name(name: str) -> dict | None:
    """Subject, setup, action... from a UAV-Human file name; None when it does not follow the scheme."""
    match = NAME.search(name)
    if not match:
        return None
    subject, setup, *_, action, replicate, _stamp = match.groups()
    return {"subject": int(subject), "setup": int(setup), "action": int(action), "replicate": int(replicate)}


def class_names_from_readme(path: Path) -> list[str]:
    names: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _README_CLASS.match(line)
        if match:
            names[int(match.group(1))] = match.group(2)
    if sorted(names) != list(range(NUM_CLASSES)):
        raise UserError(f"{path}: expected class lines '-   A000: drink' ... 'A154', found {len(names)}")
    return [names[i] for i in range(NUM_CLASSES)]


def load(root: Path, *, annotations: Path | None = None, split: int = 1) -> DatasetIndex:
    if split not in TRAIN_SUBJECTS:
        raise UserError(f"UAV-Human splits are 1 (cross-subject-v1) and 2 (cross-subject-v2), not {split}")
    readme = find_optional(["README.md"], root=root, annotations=annotations)
    class_names = class_names_from_readme(readme) if readme else [f"A{i:03d}" for i in range(NUM_CLASSES)]
    folders = [root / name for name in ("videos", "rgb", "RGB") if (root / name).is_dir()] or [root]
    videos = index_videos(folders, VIDEO_SUFFIXES)
    splits: dict[str, list[VideoRecord]] = {"train": [], "test": []}
    unnamed = []
    for stem, file in sorted(videos.items()):
        fields = parse_name(stem)
        if fields is None:
            unnamed.append(file)
            continue
        if not 0 <= fields["action"] < NUM_CLASSES:
            raise UserError(f"{file}: action A{fields['action']:03d} outside A000..A154")
        split_name = "train" if fields["subject"] in TRAIN_SUBJECTS[split] else "test"
        splits[split_name].append(VideoRecord(str(file), fields["action"], meta=fields))
    if unnamed:
        # The MMVRAC competition test set has anonymised names: no label can be read from them.
        log.warning("UAV-Human: %d files have no P...A...R name and no label, e.g. %s", len(unnamed), unnamed[0])
    return DatasetIndex("uav_human", class_names, splits)
