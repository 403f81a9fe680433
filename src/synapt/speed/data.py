"""``synapt speed data``: is decoding cheap enough, measured as ratios in one run.

1. Decode + sample + transform of 16-frame 112 px H.264 clips, the same crop/flip/normalise
   after either decoder: naive PyAV (every frame through ``to_ndarray("rgb24")``, as common
   loaders do) against synapt's reader (YUV frames converted together in torch). Target >= 2.5x.
2. The DataLoader with default workers (TSN 8x112 training clips) against the rate at which
   TSN-R50 trains on 8x112 clips on this CPU (forward, backward, SGD step). Target >= 1.2x: the
   model, not the data path, is then the bottleneck.

The decode comparisons are single-threaded and timed in CPU seconds of this process
(``time.process_time``), so other jobs on the machine do not count against either method; the
two methods alternate clip by clip. The loader and training rates are wall-clock. Only the
ratios of one run mean anything.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from synapt.data import transforms as T
from synapt.data.allocator import keep_freed_buffers
from synapt.data.dataset import VideoClipDataset, default_workers, make_loader
from synapt.data.records import VideoRecord
from synapt.data.sampling import segment_indices
from synapt.speed.clips import write_h264

CLIP_FRAMES = 16
CLIP_SIZE = 112


def write_test_clips(
    folder: Path,
    *,
    count: int,
    frames: int = CLIP_FRAMES,
    size: int = CLIP_SIZE,
    width: int | None = None,
    gop: int | None = None,
    seed: int = 0,
) -> list[Path]:
    """H.264 clips (ultrafast, CRF 23, like the generator's) of a textured scene moving sideways.

    ``size`` is the height (and the width unless ``width`` is given), pixels; ``gop`` the key-frame
    interval in frames (x264's default when None).
    """
    width = width or size
    rng = np.random.default_rng(seed)
    paths = []
    for k in range(count):
        texture = rng.integers(0, 256, (size // 8, width // 4, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
        images = (np.ascontiguousarray(np.roll(texture, 3 * i, axis=1)[:, :width]) for i in range(frames))
        paths.append(write_h264(folder / f"clip{k:03d}_{frames}x{size}.mp4", images, width=width, height=size, gop=gop))
    return paths


def naive_sparse(path: Path, num_frames: int) -> torch.Tensor:
    """Common practice for long videos: decode and convert every frame, keep TSN's test frames."""
    import av

    with av.open(str(path)) as container:
        container.streams.video[0].thread_count = 1
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    indices = segment_indices(len(frames), num_segments=num_frames, train=False)[0]
    return torch.from_numpy(np.stack([frames[i] for i in indices])).permute(0, 3, 1, 2)


def fast_sparse(path: Path, num_frames: int) -> torch.Tensor:
    from synapt.data.video import PyAVReader

    with PyAVReader(path) as reader:
        indices = segment_indices(reader.num_frames, num_segments=num_frames, train=False)[0]
        return reader.get_frames(indices.tolist())


def measure_long_clips(paths: list[Path], *, num_frames: int, repeats: int) -> dict:
    """TSN test frames from long clips: everything converted vs only the sampled frames."""
    seconds = {"naive": 0.0, "fast": 0.0}
    for _ in range(repeats):
        for path in paths:
            for name, method in (("naive", naive_sparse), ("fast", fast_sparse)):
                start = time.process_time()
                method(path, num_frames)
                seconds[name] += time.process_time() - start
    clips = len(paths) * repeats
    return {
        "clips": clips,
        "naive_clips_per_s": clips / seconds["naive"],
        "fast_clips_per_s": clips / seconds["fast"],
        "speedup": seconds["naive"] / seconds["fast"],
    }


class NaiveReader:
    """The common way to read a clip: decode every frame and convert each with FFmpeg's rgb24."""

    def __init__(self, path: Path):
        import av

        with av.open(str(path)) as container:
            container.streams.video[0].thread_count = 1  # one decoder thread, like synapt's reader
            frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
        self.frames = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2)
        self.num_frames = len(frames)

    def get_frames(self, indices) -> torch.Tensor:
        return self.frames[torch.as_tensor(list(indices))]

    def __enter__(self) -> NaiveReader:
        return self

    def __exit__(self, *exc) -> None:
        pass


def _train_clips(*, fused: bool) -> VideoClipDataset:
    # Training-time TSN sampling, multi-scale crop, flip and normalisation: identical settings.
    return VideoClipDataset([], num_frames=CLIP_FRAMES, sampling="tsn", train=True, size=CLIP_SIZE, fused=fused)


_NAIVE, _FAST = _train_clips(fused=False), _train_clips(fused=True)


def naive_clip(path: Path, rng: np.random.Generator) -> torch.Tensor:
    """The textbook pipeline (mmaction2's TSN training transforms, scaled to 112 px): per-frame
    rgb24 decoding, resize every frame's short side to 128, multi-scale crop, resize the crop to
    112, flip, normalise."""
    with NaiveReader(path) as reader:
        indices = segment_indices(reader.num_frames, num_segments=CLIP_FRAMES, train=True, rng=rng)[0]
        frames = T.resize_short_side(reader.get_frames(indices.tolist()), round(CLIP_SIZE * 256 / 224))
    height, width = frames.shape[-2:]
    clip = T.crop_resize(frames, T.multi_scale_crop_box(height, width, rng=rng), CLIP_SIZE)
    if rng.random() < 0.5:
        clip = T.hflip(clip)
    return T.to_layout(T.normalize(clip, T.IMAGENET_MEAN, T.IMAGENET_STD), "CTHW")


def naive_read(path: Path, rng: np.random.Generator) -> torch.Tensor:
    """Decode and convert only (no sampling, no transform): per-frame rgb24."""
    return NaiveReader(path).frames


def fast_read(path: Path, rng: np.random.Generator) -> torch.Tensor:
    """Decode and convert only: synapt's reader, whole frames to RGB."""
    from synapt.data.video import PyAVReader

    with PyAVReader(path) as reader:
        return reader.get_frames(range(reader.num_frames))


def naive_decode_clip(path: Path, rng: np.random.Generator) -> torch.Tensor:
    """Per-frame rgb24 decoding followed by synapt's own RGB transforms (crop first, one resize):
    isolates what the decoding path alone gains."""
    with NaiveReader(path) as reader:
        return _NAIVE.clip_from_reader(reader, VideoRecord(str(path), 0), rng)[0]


def fast_clip(path: Path, rng: np.random.Generator) -> torch.Tensor:
    """synapt's path: YUV planes of the sampled frames, cropped and resized, converted once."""
    from synapt.data.video import PyAVReader

    with PyAVReader(path) as reader:
        return _FAST.clip_from_reader(reader, VideoRecord(str(path), 0), rng)[0]


def measure_decode(paths: list[Path], *, repeats: int) -> dict:
    methods = {"naive": naive_clip, "naive_decode": naive_decode_clip, "fast": fast_clip, "read_naive": naive_read, "read_fast": fast_read}
    seconds = dict.fromkeys(methods, 0.0)
    for method in methods.values():  # warm up (imports, codec init)
        method(paths[0], np.random.default_rng(0))
    for repeat in range(repeats):
        rngs = {name: np.random.default_rng(repeat) for name in methods}
        # Alternate clip by clip: a load spike from other processes hits both methods alike.
        for path in paths:
            for name, method in methods.items():
                start = time.process_time()
                out = method(path, rngs[name])
                seconds[name] += time.process_time() - start
                assert out.shape in ((3, CLIP_FRAMES, CLIP_SIZE, CLIP_SIZE), (CLIP_FRAMES, 3, CLIP_SIZE, CLIP_SIZE))
    clips = len(paths) * repeats
    rates = {name: clips / s for name, s in seconds.items()}
    return {
        "clips": clips,
        "naive_clips_per_s": rates["naive"],
        "naive_decode_clips_per_s": rates["naive_decode"],
        "fast_clips_per_s": rates["fast"],
        "speedup": rates["fast"] / rates["naive"],
        "speedup_same_transforms": rates["fast"] / rates["naive_decode"],
        "read_only_speedup": rates["read_fast"] / rates["read_naive"],
        "target": 2.5,
    }


def measure_training(*, batch_size: int = 2, steps: int = 2, num_frames: int = 8) -> dict:
    from synapt.models import build_model

    model, source = build_model("tsn_r50", 150), "synapt.models.build_model('tsn_r50')"
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch_size, 3, num_frames, CLIP_SIZE, CLIP_SIZE)
    y = torch.randint(0, 150, (batch_size,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    step()  # warm-up: allocator, kernels
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    return {"model": source, "clips": batch_size * steps, "clips_per_s": batch_size * steps / seconds}


def measure_loader(paths: list[Path], *, batches: int, batch_size: int = 4) -> dict:
    records = [VideoRecord(str(p), i % 10) for i, p in enumerate(paths)]
    dataset = VideoClipDataset(records, num_frames=8, sampling="tsn", train=True, size=CLIP_SIZE)
    workers = default_workers()
    loader = make_loader(dataset, batch_size=batch_size, shuffle=True, workers=workers, seed=0, drop_last=True)
    iterator = iter(loader)
    next(iterator)  # workers started, first batch ready: time steady state only
    start = time.perf_counter()
    count = 0
    while count < batches:
        try:
            videos, _labels, _index = next(iterator)
        except StopIteration:
            iterator = iter(loader)
            continue
        assert videos.shape == (batch_size, 3, 8, CLIP_SIZE, CLIP_SIZE)
        count += 1
    seconds = time.perf_counter() - start
    return {"workers": workers, "clips": batches * batch_size, "clips_per_s": batches * batch_size / seconds}


def run_benchmark(*, clips: int = 24, repeats: int = 3) -> dict:
    """Run both measurements; returns rates (clips/s) and ratios."""
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory(prefix="synapt-speed-data-") as tmp:
        paths = write_test_clips(Path(tmp), count=clips)
        long_paths = write_test_clips(Path(tmp), count=2, frames=300, size=240, width=320, gop=60, seed=1)
        torch.set_num_threads(1)  # decoding happens in single-threaded loader workers...
        keep_freed_buffers()  # ...which tune malloc like this (both methods profit)
        decode = measure_decode(paths, repeats=repeats)
        long_clips = measure_long_clips(long_paths, num_frames=8, repeats=max(1, repeats - 1))
        torch.set_num_threads(os.cpu_count() or 1)  # training uses the whole machine
        training = measure_training()
        torch.set_num_threads(threads)
        loader = measure_loader(paths, batches=max(8, clips // 2))
    return {
        "decode": decode,
        "long_clip_tsn8": long_clips,
        "loader_vs_training": {
            "loader_clips_per_s": loader["clips_per_s"],
            "loader_workers": loader["workers"],
            "training_clips_per_s": training["clips_per_s"],
            "training_model": training["model"],
            "ratio": loader["clips_per_s"] / training["clips_per_s"],
            "target": 1.2,
            "note": "loader and training measured one after the other, each with the whole machine",
        },
    }


def format_results(results: dict) -> str:
    d, l = results["decode"], results["loader_vs_training"]
    verdict = lambda ratio, target: "meets" if ratio >= target else "BELOW"
    return "\n".join(
        [
            f"decode+sample+transform, {CLIP_FRAMES}x{CLIP_SIZE} H.264 clips ({d['clips']} per method, CPU time):",
            f"  naive: per-frame rgb24, resize 128, crop, resize 112   {d['naive_clips_per_s']:8.1f} clips/s",
            f"  per-frame rgb24 + synapt's RGB transforms              {d['naive_decode_clips_per_s']:8.1f} clips/s",
            f"  synapt fast path (YUV planes, fused)                   {d['fast_clips_per_s']:8.1f} clips/s",
            (
                f"  speedup over naive                                     {d['speedup']:8.2f}x  "
                f"({verdict(d['speedup'], d['target'])} target {d['target']}x)"
            ),
            f"  speedup with the same transforms (decode path alone)   {d['speedup_same_transforms']:8.2f}x",
            f"  decode + RGB conversion only, no transforms            {d['read_only_speedup']:8.2f}x",
            "TSN 8-frame test sampling of 10 s 320x240 H.264 clips (key frame every 60):",
            f"  all frames to rgb24           {results['long_clip_tsn8']['naive_clips_per_s']:8.1f} clips/s",
            f"  fast path (8 frames converted){results['long_clip_tsn8']['fast_clips_per_s']:8.1f} clips/s",
            f"  speedup                       {results['long_clip_tsn8']['speedup']:8.2f}x  (informative, no target)",
            f"loader (8x112 TSN clips, {l['loader_workers']} workers) vs TSN-R50 training at 8x112:",
            f"  loader                        {l['loader_clips_per_s']:8.1f} clips/s",
            f"  training consumption          {l['training_clips_per_s']:8.1f} clips/s  [{l['training_model']}]",
            f"  ratio                         {l['ratio']:8.2f}x  ({verdict(l['ratio'], l['target'])} target {l['target']}x)",
            f"  ({l['note']})",
        ]
    )
