"""Dataset format loaders: ``load_dataset(name, root)`` -> :class:`~synapt.data.records.DatasetIndex`.

One module per dataset; ``LOADERS`` is a plain dict from format name to loader function
``load(root, *, annotations, split) -> DatasetIndex``.
"""

from __future__ import annotations

import os
from pathlib import Path

from synapt.data.formats import diving48, folder, hmdb51, ikeafa, kinetics, lists, ssv2, synapt, uav_human, ucf101
from synapt.data.records import DatasetIndex
from synapt.errors import UserError

LOADERS = {
    "ucf101": ucf101.load,
    "hmdb51": hmdb51.load,
    "ssv2": ssv2.load,
    "mini_ssv2": ssv2.load_mini,
    "diving48": diving48.load,
    "ikeafa": ikeafa.load,
    "uav_human": uav_human.load,
    "kinetics": kinetics.load,
    "synapt_list": lists.load_synapt_list,
    "list": lists.load_list,
    "ppma": lists.load_ppma,
    "folder": folder.load,
    "synapt": synapt.load,
}


def load_dataset(
    name: str,
    root: str | os.PathLike,
    *,
    annotations: str | os.PathLike | None = None,
    split: int = 1,
    check_files: bool = True,
) -> DatasetIndex:
    """Index a dataset from its official annotation files.

    Args:
        name: format name, one of ``LOADERS`` (``ucf101``, ``hmdb51``, ``ssv2``, ``mini_ssv2``,
            ``diving48``, ``ikeafa``, ``uav_human``, ``kinetics``, ``synapt_list``, ``list``,
            ``ppma``, ``folder``, ``synapt``).
        root: dataset folder (videos and, in their usual place, the annotation files).
        annotations: folder holding the annotation files, when they are not under ``root``.
        split: official split number (UCF101/HMDB51: 1-3; UAV-Human: 1 = CSv1, 2 = CSv2).
        check_files: fill ``index.missing`` with the listed files that do not exist (logged
            once, with the first paths); ``index.drop_missing()`` removes them.

    Returns:
        The index: every listed record per split, class names, and missing files.
    """
    if name not in LOADERS:
        raise UserError(f"unknown dataset format {name!r} (formats: {', '.join(sorted(LOADERS))})")
    index = LOADERS[name](Path(root), annotations=Path(annotations) if annotations is not None else None, split=split)
    if check_files:
        index.find_missing()
    return index


__all__ = ["LOADERS", "load_dataset"]
