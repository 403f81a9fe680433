"""What every format loader produces: video records and a dataset index.

A record names one clip: a video file (or a frame folder), its class index, and optionally a
frame range inside the file. Everything downstream of the loaders sees only records.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace

log = logging.getLogger(__name__)


@dataclass
class VideoRecord:
    """One labelled clip.

    Attributes:
        path: video file or frame folder (absolute, or relative to the working directory).
        label: 0-based class index into the index's ``class_names``.
        start_frame: first frame of the clip, in decoded frames (0-based; frame folders are
            mapped to 0-based too).
        end_frame: one past the last frame (exclusive); ``None`` means to the end of the video.
        meta: anything else the format knows (subject, group, source id, times in seconds...).
    """

    path: str
    label: int
    start_frame: int = 0
    end_frame: int | None = None
    meta: dict = field(default_factory=dict)


@dataclass
class DatasetIndex:
    """Records per split plus class names, as listed by a dataset's official files.

    ``splits`` holds every listed record, whether its file exists or not, so counts match the
    official ones even when the videos are not on disk. ``missing`` lists the paths that do not
    exist; call :meth:`drop_missing` before training so that no missing file surfaces mid-epoch.

    Attributes:
        name: the format name (``"ucf101"``, ``"synapt"``...).
        class_names: class ``i`` is ``class_names[i]``.
        splits: split name (``"train"``, ``"val"``, ``"test"``) -> records.
        missing: listed paths that were not found on disk (each once).
        flip_map: class index -> class index after a horizontal flip, ``None`` for a class that
            must never be flipped; empty when flipping never changes a label.
    """

    name: str
    class_names: list[str]
    splits: dict[str, list[VideoRecord]]
    missing: list[str] = field(default_factory=list)
    flip_map: dict[int, int | None] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def find_missing(self) -> list[str]:
        """Fill and return ``missing`` by checking every listed path once."""
        seen: set[str] = set()
        missing = []
        for records in self.splits.values():
            for record in records:
                if record.path in seen:
                    continue
                seen.add(record.path)
                if not os.path.exists(record.path):
                    missing.append(record.path)
        self.missing = missing
        if missing:
            log.warning("%s: %d listed files are missing, e.g. %s", self.name, len(missing), ", ".join(missing[:3]))
        return missing

    def drop_missing(self) -> DatasetIndex:
        """A copy without the records whose file is missing (reported once, here, not mid-epoch)."""
        gone = set(self.missing)
        splits = {name: [r for r in records if r.path not in gone] for name, records in self.splits.items()}
        return replace(self, splits=splits, missing=[])

    def summary(self) -> dict:
        return {
            "format": self.name,
            "classes": len(self.class_names),
            "splits": {name: len(records) for name, records in self.splits.items()},
            "missing": len(self.missing),
        }
