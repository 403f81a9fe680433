"""From the ``data`` config section to the train/val/test clip datasets of a run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from torch.utils.data import Dataset

from synapt.config import DataConfig
from synapt.errors import UserError


@dataclass
class Datasets:
    """What a run trains and evaluates on. Each dataset yields ``(video, label, index)``;
    ``val`` is single-view (centre crop), ``test`` multi-view (``num_clips x num_crops``).
    A split the data does not have is None."""

    class_names: list[str]
    train: Dataset | None
    val: Dataset | None = None
    test: Dataset | None = None
    train_eval: Dataset | None = None  # the train records as centre-crop views (cached linear probe)
    protocols: dict[str, dict] = field(default_factory=dict)


def check_labels(records: Sequence, num_classes: int, *, split: str, where: str) -> None:
    """Every record's label must index the head: a label outside [0, K) is an error now, not
    a silently wrong gradient (or a cryptic CUDA assert) an hour later."""
    for record in records:
        if not 0 <= record.label < num_classes:
            raise UserError(
                f"{where}: {split} record {record.path} has label {record.label}, outside the "
                f"{num_classes} classes of the head (0..{num_classes - 1}); fix the annotations or the class list"
            )


def view_protocol(data: DataConfig, *, split: str, num_clips: int, num_crops: int) -> dict:
    """How one evaluation number is produced; stored next to every metric."""
    from synapt.data.transforms import resolve_crop_policy

    policy = resolve_crop_policy(data.train_crop, size=data.size)
    return {
        "split": split,
        "num_frames": data.num_frames,
        "sampling": data.sampling,
        "frame_interval": data.frame_interval,
        "size": data.size,
        "num_clips": num_clips,
        "num_crops": num_crops,
        "crop": f"center {policy.center_fraction:g}" if num_crops == 1 else "three-crop",
        "train_crop": policy.name,
        "aggregate": "mean softmax over views" if num_clips * num_crops > 1 else "single view",
    }


def build_datasets(data: DataConfig, *, seed: int, num_clips: int, num_crops: int) -> Datasets:
    """Load the annotation format and wrap each split in a ``VideoClipDataset``.

    Args:
        data: the ``data`` config section.
        seed: augmentation seed (the loader re-seeds per epoch and clip on top of it).
        num_clips, num_crops: views per video for the test split.
    """
    from synapt.data.dataset import VideoClipDataset
    from synapt.data.formats import load_dataset

    if not data.root:
        raise UserError("config: data.root is empty; set data.root=PATH to the dataset folder")
    index = load_dataset(data.format, data.root, annotations=data.annotations, split=data.split)
    where = f"dataset {data.format} at {data.root}"
    for name, records in index.splits.items():
        check_labels(records, len(index.class_names), split=name, where=where)
    # A missing file found now is one message; found mid-epoch it is a crash hours in.
    missing = index.missing  # load_dataset checked every listed file once
    if missing and data.on_error == "raise":
        raise UserError(f"{where}: {len(missing)} listed videos are missing, e.g. {missing[0]}; "
                        "fetch them, or set data.on_error=skip to train on the others")
    index = index.drop_missing()

    def clips(records, *, train: bool, clips: int = 1, crops: int = 1, cache: bool = False):
        return VideoClipDataset(
            records, num_frames=data.num_frames, sampling=data.sampling, frame_interval=data.frame_interval,
            train=train, num_clips=clips, num_crops=crops, size=data.size, mean=data.mean, std=data.std,
            flip=data.flip and train, on_error=data.on_error, seed=seed, train_crop=data.train_crop,
            temporal_jitter=data.temporal_jitter, cache_mb=data.cache_mb if cache else 0.0,
            # Left/right classes change label under a flip (or are never flipped).
            flip_map=index.flip_map or None,
        )

    splits = index.splits
    train = splits.get(data.train_split)
    val = splits.get(data.val_split)
    test = splits.get(data.test_split)
    return Datasets(
        class_names=list(index.class_names),
        # Train and val are read every epoch: they are what a decode cache is for.
        train=clips(train, train=True, cache=True) if train else None,
        val=clips(val, train=False, cache=True) if val else None,
        test=clips(test, train=False, clips=num_clips, crops=num_crops) if test else None,
        train_eval=clips(train, train=False) if train else None,
        protocols={
            "val": view_protocol(data, split=data.val_split, num_clips=1, num_crops=1),
            "test": view_protocol(data, split=data.test_split, num_clips=num_clips, num_crops=num_crops),
        },
    )
