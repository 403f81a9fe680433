"""``synapt bench data``: is decoding cheap enough, measured as ratios in one run.

1. Decode + sample + transform of 16-frame 112 px H.264 clips, the same crop/flip/normalise
   after either decoder: naive PyAV (every frame through ``to_ndarray("rgb24")``, as common
   loaders do) against synapt's reader (YUV frames converted together in torch). Target >= 2.5x.
2. The DataLoader with default workers (TSN 8x112 training clips) against the rate at which
   TSN-R50 trains on 8x112 clips on this CPU (forward, backward, SGD step). Target >= 1.2x: the
   model, not the data path, is then the bottleneck.

Times are wall-clock on a shared machine, so only the ratios of one run mean anything; the two
methods of (1) alternate clip by clip so both see the same load.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from synapt.data import transforms as T
from synapt.data.dataset import VideoClipDataset, default_workers, make_loader
from synapt.data.records import VideoRecord
from synapt.data.sampling import segment_indices

CLIP_FRAMES = 16
CLIP_SIZE = 112


def write_test_clips(folder: Path, *, count: int, frames: int = CLIP_FRAMES, size: int = CLIP_SIZE, seed: int = 0) -> list[Path]:
    """H.264 clips (ultrafast, CRF 23, like the generator's) of a textured scene moving sideways."""
    import av

    rng = np.random.default_rng(seed)
    paths = []
    for k in range(count):
        texture = rng.integers(0, 256, (size // 8, size // 4, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
        path = folder / f"clip{k:03d}.mp4"
        with av.open(str(path), "w") as container:
            stream = container.add_stream("libx264", rate=30)
            stream.width = stream.height = size
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": "ultrafast", "crf": "23"}
            for i in range(frames):
                image = np.ascontiguousarray(np.roll(texture, 3 * i, axis=1)[:, :size])
                for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        paths.append(path)
    return paths


def _augment(frames: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    height, width = frames.shape[-2:]
    clip = T.crop_resize(frames, T.multi_scale_crop_box(height, width, rng=rng), CLIP_SIZE)
    if rng.random() < 0.5:
        clip = T.hflip(clip)
    return T.to_layout(T.normalize(clip, T.IMAGENET_MEAN, T.IMAGENET_STD), "CTHW")


def naive_clip(path: Path, rng: np.random.Generator) -> torch.Tensor:
    """The common way: decode and convert every frame with FFmpeg's rgb24, then sample."""
    import av

    with av.open(str(path)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    indices = segment_indices(len(frames), num_segments=CLIP_FRAMES, train=True, rng=rng)[0]
    clip = torch.from_numpy(np.stack([frames[i] for i in indices])).permute(0, 3, 1, 2)
    return _augment(clip, rng)


def fast_clip(path: Path, rng: np.random.Generator) -> torch.Tensor:
    """synapt's reader: decode to YUV, convert the sampled frames together in torch."""
    from synapt.data.video import PyAVReader

    with PyAVReader(path) as reader:
        indices = segment_indices(reader.num_frames, num_segments=CLIP_FRAMES, train=True, rng=rng)[0]
        clip = reader.get_frames(indices.tolist())
    return _augment(clip, rng)


def measure_decode(paths: list[Path], *, repeats: int) -> dict:
    methods = {"naive_pyav_rgb24": naive_clip, "fast_yuv_torch": fast_clip}
    seconds = dict.fromkeys(methods, 0.0)
    for method in methods.values():  # warm up (imports, codec init)
        method(paths[0], np.random.default_rng(0))
    for repeat in range(repeats):
        rngs = {name: np.random.default_rng(repeat) for name in methods}
        # Alternate clip by clip: a load spike from other processes hits both methods alike.
        for path in paths:
            for name, method in methods.items():
                start = time.perf_counter()
                out = method(path, rngs[name])
                seconds[name] += time.perf_counter() - start
                assert out.shape == (3, CLIP_FRAMES, CLIP_SIZE, CLIP_SIZE)
    clips = len(paths) * repeats
    rates = {name: clips / s for name, s in seconds.items()}
    return {
        "clips": clips,
        "naive_clips_per_s": rates["naive_pyav_rgb24"],
        "fast_clips_per_s": rates["fast_yuv_torch"],
        "speedup": rates["fast_yuv_torch"] / rates["naive_pyav_rgb24"],
        "target": 2.5,
    }


class _Bottleneck(torch.nn.Module):
    def __init__(self, inplanes: int, planes: int, stride: int):
        super().__init__()
        nn = torch.nn
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False), nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class _StandInTSN(torch.nn.Module):
    """ResNet-50 per frame, averaged over time (TSN). Used ONLY when synapt.models is absent."""

    def __init__(self, num_classes: int):
        super().__init__()
        nn = torch.nn
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers, inplanes = [], 64
        for planes, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
            layer = []
            for b in range(blocks):
                layer.append(_Bottleneck(inplanes, planes, stride if b == 0 else 1))
                inplanes = planes * 4
            layers.append(nn.Sequential(*layer))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        from einops import rearrange

        batch = x.shape[0]
        x = rearrange(x, "b c t h w -> (b t) c h w")
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = rearrange(x.mean(dim=(2, 3)), "(b t) d -> b t d", b=batch).mean(dim=1)
        return self.fc(x)


def tsn_r50(num_classes: int) -> tuple[torch.nn.Module, str]:
    """TSN-R50 from synapt.models when it exists, else the stand-in above (and say so)."""
    try:
        from synapt.models import build_model
    except ImportError:
        return _StandInTSN(num_classes), "stand-in ResNet-50 TSN inside the benchmark (synapt.models.build_model not importable)"
    return build_model("tsn_r50", num_classes), "synapt.models.build_model('tsn_r50')"


def measure_training(*, batch_size: int = 2, steps: int = 2, num_frames: int = 8) -> dict:
    model, source = tsn_r50(150)
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
    with tempfile.TemporaryDirectory(prefix="synapt-bench-data-") as tmp:
        paths = write_test_clips(Path(tmp), count=clips)
        torch.set_num_threads(1)  # decoding happens in single-threaded loader workers
        decode = measure_decode(paths, repeats=repeats)
        torch.set_num_threads(os.cpu_count() or 1)  # training uses the whole machine
        training = measure_training()
        torch.set_num_threads(threads)
        loader = measure_loader(paths, batches=max(8, clips // 2))
    return {
        "decode": decode,
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
            f"decode+sample+transform, {CLIP_FRAMES}x{CLIP_SIZE} H.264 clips ({d['clips']} per method):",
            f"  naive PyAV (per-frame rgb24)  {d['naive_clips_per_s']:8.1f} clips/s",
            f"  fast path (YUV -> torch)      {d['fast_clips_per_s']:8.1f} clips/s",
            f"  speedup                       {d['speedup']:8.2f}x  ({verdict(d['speedup'], d['target'])} target {d['target']}x)",
            f"loader (8x112 TSN clips, {l['loader_workers']} workers) vs TSN-R50 training at 8x112:",
            f"  loader                        {l['loader_clips_per_s']:8.1f} clips/s",
            f"  training consumption          {l['training_clips_per_s']:8.1f} clips/s  [{l['training_model']}]",
            f"  ratio                         {l['ratio']:8.2f}x  ({verdict(l['ratio'], l['target'])} target {l['target']}x)",
            f"  ({l['note']})",
        ]
    )
