"""Clips for training and testing: records -> decoded, sampled, cropped, normalised tensors.

``VideoClipDataset[i]`` returns ``(video, label, index)``: ``video`` is float32 ``(C, T, H, W)`` for
one view or ``(V, C, T, H, W)`` for ``V = num_clips * num_crops`` views.

A video that fails to decode is either raised (``on_error="raise"``, the message names the file
and the reason) or, with ``on_error="skip"``, logged with its path and reason, counted in
``dataset.errors`` (shared by all DataLoader workers) and returned as ``None``; the loader's
:func:`collate_skip` drops such items, and a batch whose items all failed comes out as ``None``.
A failed clip is never replaced by a zero tensor or another clip.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, IterableDataset, default_collate, get_worker_info

from synapt.data import transforms as T
from synapt.data.records import VideoRecord
from synapt.data.sampling import sample_indices
from synapt.data.video import DecodedVideo, VideoDecodeError, open_video

log = logging.getLogger(__name__)


class VideoClipDataset(Dataset):
    """Frames sampled from each record, augmented (train) or cut into test views.

    Args:
        records: the clips.
        num_frames: frames per clip (TSN: segments; dense: ``clip_len``).
        sampling: ``"tsn"`` (one frame per segment) or ``"dense"`` (consecutive frames
            ``frame_interval`` apart).
        frame_interval: step between frames of a dense clip, in frames.
        train: random sampling, random crop and flip if True; else deterministic test views.
        num_clips: temporal views (test: evenly spaced; train: independent random clips).
        num_crops: spatial test views: 1 (centre) or 3 (three crops along the long side).
        size: output height and width, pixels.
        mean, std: per-channel normalisation of values in [0, 1] (ImageNet by default).
        flip: random horizontal flip in training.
        flip_map: label after a flip for direction-sensitive classes, by class index or by
            class name (then pass ``class_names``); a class mapped to None is never flipped.
        on_error: ``"raise"`` or ``"skip"`` for videos that fail to decode.
        seed: base of every random choice (with the epoch, worker seed and item index).
        class_names: needed only for a flip map by class name.
        train_crop: a ``transforms.CROP_POLICIES`` name (``"multiscale"``: TSN, ``"light"``,
            ``"random_resized"``, ``"none"``) or ``"auto"`` (none at ``size <= 112``); it also
            sets the single test view's centre-crop fraction.
        temporal_jitter: TSN training draws each segment's frame at random; if False it takes
            the segment centres, as testing does.
        short_policy: dense clips longer than the video: ``"loop"`` or ``"repeat_last"``.
        backend: video reader backend (``"pyav"``, ``"pyav-rgb24"``, ``"decord"``).
        frame_template, frame_start: for records that are frame folders: file-name template
            (None = detect ``img_{:05d}.jpg``/``{:05d}.jpg``) and number of the first file.
        layout: ``"CTHW"`` (contract, every synapt model) or ``"TCHW"``.
        fused: for 4:2:0 videos with square pixels and no rotation, crop and resize the YUV
            planes and convert only output pixels (crop boxes snapped to even pixels); else
            convert whole frames to RGB first. Same picture up to rounding, fewer operations.
        cache_mb: keep up to this many MB of decoded clips in memory (0: none) so later epochs
            skip decoding; a clip past the budget is decoded each time. Each loader process
            has its own cache (with workers, memory is ``workers x cache_mb``).
    """

    def __init__(
        self,
        records: Sequence[VideoRecord],
        *,
        num_frames: int = 8,
        sampling: str = "tsn",
        frame_interval: int = 1,
        train: bool = True,
        num_clips: int = 1,
        num_crops: int = 1,
        size: int = 112,
        mean: Sequence[float] = T.IMAGENET_MEAN,
        std: Sequence[float] = T.IMAGENET_STD,
        flip: bool = True,
        flip_map: Mapping | None = None,
        on_error: str = "raise",
        seed: int = 0,
        class_names: Sequence[str] | None = None,
        train_crop: str = "multiscale",
        temporal_jitter: bool = True,
        short_policy: str = "loop",
        backend: str = "pyav",
        frame_template: str | None = None,
        frame_start: int = 1,
        layout: str = "CTHW",
        fused: bool = True,
        cache_mb: float = 0.0,
    ):
        if sampling not in ("tsn", "dense"):
            raise ValueError(f"sampling must be 'tsn' or 'dense', not {sampling!r}")
        if sampling == "tsn" and frame_interval != 1:
            raise ValueError("TSN sampling takes one frame per segment: frame_interval must be 1")
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
        if num_crops not in (1, 3):
            raise ValueError(f"num_crops must be 1 (centre) or 3 (three-crop), not {num_crops}")
        if layout not in ("CTHW", "TCHW"):
            raise ValueError(f"layout must be 'CTHW' or 'TCHW', not {layout!r}")
        self.records = list(records)
        self.num_frames = num_frames
        self.sampling = sampling
        self.frame_interval = frame_interval
        self.train = train
        self.num_clips = num_clips
        self.num_crops = num_crops
        self.size = size
        self.mean = tuple(mean)
        self.std = tuple(std)
        self.flip = flip
        self.flip_map = T.resolve_flip_map(flip_map, class_names)
        self.on_error = on_error
        self.seed = seed
        self.crop = T.resolve_crop_policy(train_crop, size=size)
        self.temporal_jitter = temporal_jitter
        self.short_policy = short_policy
        self.backend = backend
        self.frame_template = frame_template
        self.frame_start = frame_start
        self.layout = layout
        self.fused = fused
        self.cache_mb = cache_mb
        self._cache: dict[int, DecodedVideo] = {}
        self._cached_bytes = 0
        self.epoch = 0
        # Shared memory so failures in DataLoader workers are visible to the training loop.
        self._errors = multiprocessing.Value("l", 0)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def num_views(self) -> int:
        return self.num_clips * (1 if self.train else self.num_crops)

    @property
    def errors(self) -> int:
        """Videos skipped because they failed to decode, since the last :meth:`reset_errors`."""
        return int(self._errors.value)

    def reset_errors(self) -> int:
        """Zero the error counter and return its previous value (call once per epoch)."""
        with self._errors.get_lock():
            value = int(self._errors.value)
            self._errors.value = 0
        return value

    def set_epoch(self, epoch: int) -> None:
        """New augmentations per epoch when loading in the main process (workers reseed themselves)."""
        self.epoch = epoch

    def _rng(self, index: int) -> np.random.Generator:
        worker = get_worker_info()
        # A worker's seed changes every epoch (drawn from the loader's seeded generator).
        worker_seed = worker.seed % (2**63) if worker is not None else 0
        return np.random.default_rng([self.seed, self.epoch, worker_seed, index])

    def __getitem__(self, index: int):
        record = self.records[index]
        try:
            video, label = self._load(index, record, self._rng(index))
        except (VideoDecodeError, OSError) as err:
            if self.on_error == "raise":
                raise VideoDecodeError(f"clip {index} ({record.path}): {err}") from err
            with self._errors.get_lock():
                self._errors.value += 1
            log.warning("skipping clip %d (%s): %s", index, record.path, err)
            return None
        return video, label, index

    def _load(self, index: int, record: VideoRecord, rng: np.random.Generator) -> tuple[torch.Tensor, int]:
        cached = self._cache.get(index)
        if cached is not None:
            return self.clip_from_reader(cached, record, rng)
        with open_video(record.path, backend=self.backend, frame_template=self.frame_template, frame_start=self.frame_start) as reader:
            if self._cached_bytes >= self.cache_mb * 1e6:
                return self.clip_from_reader(reader, record, rng)
            # Decode the whole video once; every later epoch cuts its views from memory.
            decoded = DecodedVideo.read(reader, prefer_yuv=self.fused)
        self._cache[index] = decoded
        self._cached_bytes += decoded.nbytes
        return self.clip_from_reader(decoded, record, rng)

    def clip_from_reader(self, reader, record: VideoRecord, rng: np.random.Generator) -> tuple[torch.Tensor, int]:
        """Sample, decode and transform one record's clip from an open reader -> ``(video, label)``."""
        total = reader.num_frames
        end = total if record.end_frame is None else min(record.end_frame, total)
        length = end - record.start_frame
        if length < 1:
            raise VideoDecodeError(
                f"{record.path}: frame range [{record.start_frame}, {record.end_frame}) is empty "
                f"(the video has {total} frames)"
            )
        if self.train:
            clips = np.concatenate([self._indices(length, rng) for _ in range(self.num_clips)])
        else:
            clips = self._indices(length, rng)
        clips = clips + record.start_frame
        if len(clips) == 1 and np.all(np.diff(clips[0]) > 0):
            unique, inverse = clips[0], np.arange(clips.shape[1])  # already sorted and distinct
        else:
            unique, inverse = np.unique(clips, return_inverse=True)
        yuv = reader.get_yuv(unique.tolist()) if self.fused and hasattr(reader, "get_yuv") else None
        frames = None if yuv is not None else reader.get_frames(unique.tolist())
        label = record.label
        views = []
        flip = False
        if self.train and self.flip and rng.random() < 0.5:
            flipped = T.flipped_label(label, self.flip_map)
            if flipped is not None:
                flip, label = True, flipped
        for clip_index in inverse.reshape(clips.shape):
            # The usual case reads each frame once, in order: use the decoded tensors as they are.
            in_order = len(clip_index) == len(unique) and np.array_equal(clip_index, np.arange(len(unique)))
            select = slice(None) if in_order else torch.from_numpy(clip_index)
            if yuv is not None:
                height, width = yuv.luma.shape[-2:]
            else:
                clip = frames[select]
                height, width = clip.shape[-2:]
            if self.train:
                boxes = [self.crop.train_box(height, width, rng)]
            elif self.num_crops == 1:
                boxes = [T.center_box(height, width, fraction=self.crop.center_fraction)]
            else:
                boxes = T.three_crop_boxes(height, width)
            for box in boxes:
                if yuv is not None:
                    view = T.yuv_crop_resize_normalize(
                        yuv.luma[select], yuv.chroma[select], T.even_box(box), self.size, matrix=yuv.matrix,
                        full_range=yuv.full_range, mean=self.mean, std=self.std, layout=self.layout, flip=flip,
                    )  # fmt: skip
                else:
                    view = T.crop_resize(clip, box, self.size)
                    view = T.to_layout(T.normalize(T.hflip(view) if flip else view, self.mean, self.std), self.layout)
                views.append(view)
        video = views[0] if len(views) == 1 else torch.stack(views)
        return video, label

    def _indices(self, length: int, rng: np.random.Generator) -> np.ndarray:
        return sample_indices(
            length,
            sampling=self.sampling,
            clip_len=self.num_frames,
            frame_interval=self.frame_interval,
            train=self.train and self.temporal_jitter,
            num_clips=1 if self.train else self.num_clips,
            rng=rng,
            short_policy=self.short_policy,
        )


def collate_skip(batch: list):
    """Collate ``(video, label, index)`` items, dropping the ``None`` of skipped videos.

    Returns None when every item of the batch failed (the training loop skips such a batch);
    the count of skipped videos is ``dataset.errors``.
    """
    kept = [item for item in batch if item is not None]
    if not kept:
        return None
    return default_collate(kept)


def default_workers() -> int:
    """DataLoader workers by default: one per usable core, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may use (containers, taskset)
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def _worker_init(_worker_id: int) -> None:
    from synapt.data.allocator import keep_freed_buffers

    # Each worker is one of several processes on the cores: one intra-op thread each.
    torch.set_num_threads(1)
    keep_freed_buffers()


class ClipLoader(DataLoader):
    """A DataLoader that advances the dataset's epoch on each pass and exposes its error count."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._epoch = 0

    def __iter__(self):
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(self._epoch)
        if isinstance(self.sampler, DistributedSampler):
            self.sampler.set_epoch(self._epoch)
        self._epoch += 1
        return super().__iter__()

    @property
    def errors(self) -> int:
        return getattr(self.dataset, "errors", 0)


def make_loader(
    dataset: Dataset,
    *,
    batch_size: int,
    shuffle: bool,
    workers: int | None = None,
    distributed: bool = False,
    seed: int = 0,
    drop_last: bool = False,
    pin_memory: bool | None = None,
    persistent_workers: bool | None = None,
    prefetch_factor: int | None = None,
) -> ClipLoader:
    """A DataLoader with synapt's defaults.

    Args:
        dataset: usually a :class:`VideoClipDataset`.
        batch_size: clips per batch (per process when distributed).
        shuffle: reshuffle every epoch (seeded).
        workers: loader processes; None -> :func:`default_workers` (one per core, at most 8).
        distributed: shard with a ``DistributedSampler`` across ``torch.distributed`` ranks
            (the epoch is advanced on every pass over the loader). Streams (``ShardDataset``)
            shuffle and split across ranks and workers themselves: ``shuffle``/``distributed``
            are ignored for them.
        seed: shuffling and augmentation seed.
        drop_last: drop the last incomplete batch.
        pin_memory: None -> True when CUDA is available.
        persistent_workers: None -> True when ``workers > 0`` (no re-fork every epoch).
        prefetch_factor: batches prefetched per worker (PyTorch's default when None).
    """
    workers = default_workers() if workers is None else workers
    generator = torch.Generator().manual_seed(seed)
    sampler = None
    if isinstance(dataset, IterableDataset):
        # A stream (ShardDataset) shuffles and splits across ranks and workers itself.
        shuffle, distributed = None, False
    if distributed:
        sampler = DistributedSampler(dataset, shuffle=shuffle, seed=seed, drop_last=drop_last)
        shuffle = False
    skip = getattr(dataset, "on_error", "raise") == "skip"
    options = {}
    if workers > 0:
        options["persistent_workers"] = True if persistent_workers is None else persistent_workers
        options["worker_init_fn"] = _worker_init
        if prefetch_factor is not None:
            options["prefetch_factor"] = prefetch_factor
    return ClipLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        sampler=sampler,
        num_workers=workers,
        collate_fn=collate_skip if skip else None,
        pin_memory=torch.cuda.is_available() if pin_memory is None else pin_memory,
        drop_last=drop_last,
        generator=generator,
        **options,
    )
