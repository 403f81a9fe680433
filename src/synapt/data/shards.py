"""WebDataset-format tar shards: ``synapt data pack`` writes them, :class:`ShardDataset` streams them.

A shard is a plain tar. Each clip is a group of members sharing one key (WebDataset's
convention): ``<key>.<ext>`` holds the original video file's bytes (mp4, avi, webm... untouched,
so nothing is re-encoded), ``<key>.cls`` the label as text, and ``<key>.json`` the record (label,
class name, frame range, meta, source path). ``index.json`` beside the shards lists the class
names and the shards of each split. Any WebDataset reader can read the shards too.

Streaming splits the shard list first across ``torch.distributed`` ranks, then across the
DataLoader workers of each rank, so every shard is read once per epoch. Give at least
``ranks x workers`` shards per split; with DDP, equal shard sizes keep ranks in step.
"""

from __future__ import annotations

import io
import json
import logging
import os
import tarfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from synapt.data.records import DatasetIndex, VideoRecord
from synapt.errors import UserError
from synapt.io import atomic_open, atomic_write_text

log = logging.getLogger(__name__)

INDEX_FILE = "index.json"
SHARD_VERSION = 1


def _add_member(tar: tarfile.TarFile, name: str, payload: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    info.mtime = int(mtime)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(payload))


def write_shards(
    index: DatasetIndex,
    out_dir: str | os.PathLike,
    *,
    shard_size: int = 1000,
    splits: Sequence[str] | None = None,
    progress: bool = True,
) -> dict:
    """Pack the records' video files into ``<split>-NNNNNN.tar`` shards plus ``index.json``.

    Args:
        index: a loaded dataset; records whose file is missing are skipped and counted.
        out_dir: output folder (created).
        shard_size: clips per shard.
        splits: which splits (default all).
        progress: show a progress bar.

    Returns:
        The content of ``index.json``.
    """
    from tqdm import tqdm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    missing = set(index.missing) if index.missing else {r.path for rs in index.splits.values() for r in rs if not os.path.exists(r.path)}
    summary: dict = {"version": SHARD_VERSION, "format": index.name, "class_names": index.class_names, "splits": {}}
    for split_name in splits or list(index.splits):
        records = [r for r in index.splits[split_name] if r.path not in missing]
        folders = [r.path for r in records if os.path.isdir(r.path)]
        if folders:
            raise UserError(f"{folders[0]} is a frame folder: pack stores video files only (encode the frames to a video first)")
        shards = []
        bar = tqdm(total=len(records), desc=f"packing {split_name}", unit="clip", disable=not progress)
        for start in range(0, len(records), shard_size):
            name = f"{split_name}-{start // shard_size:06d}.tar"
            with atomic_open(out / name, "wb") as handle, tarfile.open(fileobj=handle, mode="w") as tar:
                for number, record in enumerate(records[start : start + shard_size], start=start):
                    key = f"{split_name}{number:08d}"
                    source = Path(record.path)
                    suffix = source.suffix.lower().lstrip(".") or "mp4"
                    mtime = time.time()
                    _add_member(tar, f"{key}.{suffix}", source.read_bytes(), mtime)
                    _add_member(tar, f"{key}.cls", str(record.label).encode(), mtime)
                    meta = {
                        "label": record.label,
                        "class_name": index.class_names[record.label],
                        "start_frame": record.start_frame,
                        "end_frame": record.end_frame,
                        "source": record.path,
                        "meta": record.meta,
                    }
                    _add_member(tar, f"{key}.json", json.dumps(meta, default=str).encode(), mtime)
                    bar.update()
            shards.append(name)
        bar.close()
        skipped = len(index.splits[split_name]) - len(records)
        summary["splits"][split_name] = {"clips": len(records), "shards": shards, "skipped_missing": skipped}
    atomic_write_text(out / INDEX_FILE, json.dumps(summary, indent=2))
    return summary


def shard_paths(source: str | os.PathLike | Sequence[str], *, split: str | None = None) -> list[str]:
    """Shard files from a pack folder (with ``split``), a single tar, or a list of tars."""
    if isinstance(source, (list, tuple)):
        return [str(s) for s in source]
    path = Path(source)
    if path.is_dir():
        index_file = path / INDEX_FILE
        if not index_file.is_file():
            raise UserError(f"{path} has no {INDEX_FILE} (write shards with `synapt data pack`)")
        summary = json.loads(index_file.read_text(encoding="utf-8"))
        if split not in summary["splits"]:
            raise UserError(f"{index_file}: no split {split!r} (splits: {', '.join(summary['splits'])})")
        return [str(path / name) for name in summary["splits"][split]["shards"]]
    if path.is_file():
        return [str(path)]
    raise UserError(f"{path}: no such shard or folder")


def iterate_samples(shard: str) -> Iterator[dict]:
    """Samples of one tar, streamed: ``{"__key__": key, "<ext>": bytes, ...}`` per key."""
    current: dict = {}
    with tarfile.open(shard, "r|") as tar:  # stream mode: no seeking, works on pipes too
        for member in tar:
            if not member.isfile():
                continue
            base = os.path.basename(member.name)
            key, _, ext = base.partition(".")
            if current and current["__key__"] != key:
                yield current
                current = {}
            current["__key__"] = key
            current[ext] = tar.extractfile(member).read()
    if current:
        yield current


def split_for_this_process(shards: Sequence[str]) -> list[str]:
    """The shards this rank's this worker reads: rank-strided, then worker-strided."""
    rank, world = 0, 1
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
    mine = list(shards)[rank::world]
    worker = get_worker_info()
    if worker is not None:
        mine = mine[worker.id :: worker.num_workers]
    return mine


class ShardDataset(IterableDataset):
    """Clips streamed from tar shards, sampled and transformed like :class:`VideoClipDataset`.

    Yields ``(video, label, key)``. Shards are split across ranks and workers; in training the
    shard order is reshuffled every epoch and samples pass through a shuffle buffer.

    Args:
        shards: shard paths (see :func:`shard_paths`).
        shuffle_buffer: samples held for shuffling (training only; 0 = shard order).
        seed: shuffling seed (with the epoch).
        **clip_options: ``VideoClipDataset`` options (``num_frames``, ``sampling``, ``train``,
            ``size``, ``mean``, ``std``, ``flip_map``, ``on_error``...).
    """

    def __init__(self, shards: Sequence[str], *, shuffle_buffer: int = 64, seed: int = 0, **clip_options):
        from synapt.data.dataset import VideoClipDataset

        self.shards = list(shards)
        self.shuffle_buffer = shuffle_buffer
        self.seed = seed
        self.clips = VideoClipDataset([], seed=seed, **clip_options)
        self.epoch = 0

    @property
    def errors(self) -> int:
        return self.clips.errors

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _decoded(self, rng: np.random.Generator) -> Iterator:
        from synapt.data.video import PyAVReader, VideoDecodeError

        shards = split_for_this_process(self.shards)
        if self.clips.train:
            shards = [shards[i] for i in rng.permutation(len(shards))]
        for shard in shards:
            for sample in iterate_samples(shard):
                key = sample["__key__"]
                meta = json.loads(sample["json"]) if "json" in sample else {}
                if "cls" not in sample and "label" not in meta:
                    raise UserError(f"{shard}: sample {key} has no label ({key}.cls or 'label' in {key}.json)")
                label = int(sample["cls"]) if "cls" in sample else int(meta["label"])
                ext = next((e for e in sample if e not in ("__key__", "json", "cls")), None)
                if ext is None:
                    raise UserError(f"{shard}: sample {key} holds no video member")
                record = VideoRecord(f"{shard}:{key}.{ext}", label, meta.get("start_frame", 0), meta.get("end_frame"), meta.get("meta", {}))
                try:
                    with PyAVReader(record.path, data=sample[ext]) as reader:
                        video, label = self.clips.clip_from_reader(reader, record, rng)
                except VideoDecodeError as err:
                    if self.clips.on_error == "raise":
                        raise
                    with self.clips._errors.get_lock():
                        self.clips._errors.value += 1
                    log.warning("skipping %s: %s", record.path, err)
                    continue
                yield video, label, key

    def __iter__(self) -> Iterator:
        worker = get_worker_info()
        worker_seed = worker.seed % (2**63) if worker is not None else 0
        rng = np.random.default_rng([self.seed, self.epoch, worker_seed])
        self.epoch += 1
        samples = self._decoded(rng)
        if not (self.clips.train and self.shuffle_buffer > 1):
            yield from samples
            return
        buffer: list = []
        for sample in samples:
            if len(buffer) < self.shuffle_buffer:
                buffer.append(sample)
                continue
            pick = int(rng.integers(len(buffer)))
            yield buffer[pick]
            buffer[pick] = sample
        order = rng.permutation(len(buffer))
        for i in order:
            yield buffer[i]
