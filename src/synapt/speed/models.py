"""``synapt speed models``: training throughput of each backbone against the machine's conv ceiling.

Measured in one run, so that the ratios hold even when other jobs share the CPU:

1. the **ceiling**: GFLOP/s of one large 3x3 convolution (fp32, and bf16), the best case for
   the convolution kernels this machine has;
2. for each model, a **training step** (forward, cross-entropy, backward, SGD update) on a batch of
   random clips: clips/s, achieved GFLOP/s (``3 x forward FLOPs``: the backward costs about twice
   the forward), and that rate as a fraction of the fp32 ceiling;
3. the same step under ``torch.autocast("cpu", dtype=torch.bfloat16)``: the speed-up over fp32;
4. for models with 3-D convolutions, the same fp32 step with ``F.conv3d`` (oneDNN) in place of
   ``models.conv``'s 2-D decomposition: ``conv3d_speedup`` = native step / our step.

Measurements are paired (see ``measure``): ceiling, fp32 step, bf16 step, ceiling, repeated ``iters``
times after ``warmup`` untimed steps; ratios are medians of the per-step ratios.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from tqdm import tqdm

from synapt.models import conv
from synapt.models.flops import count_macs
from synapt.models.registry import build_model


@dataclass(frozen=True)
class Case:
    """One benchmarked configuration: a model at an input size and batch."""

    model: str
    frames: int
    size: int
    batch: int

    @property
    def label(self) -> str:
        return f"{self.model} {self.frames}x{self.size} b{self.batch}"


# Default: the paper's four backbones at the input sizes the tiny/small presets and DESIGN.md use.
PRESETS = {
    "default": (
        Case("tsn_r50", 8, 112, 2),
        Case("tsn_r50", 8, 224, 1),
        Case("i3d_r50", 8, 112, 2),
        Case("r2plus1d_r50", 8, 112, 2),
        Case("timesformer_b", 8, 224, 1),
    ),
    "tiny": (
        Case("tsn_tiny", 8, 112, 4),
        Case("i3d_tiny", 8, 112, 4),
        Case("r2plus1d_tiny", 8, 112, 4),
        Case("timesformer_tiny", 8, 112, 4),
    ),
    # The CPU-class models against TSN-R18, at the two sizes a CPU demo can afford (batch 4), and the
    # tiny preset's r2plus1d_w16 with its width-8 sibling. x3d_s and x3d_m are x3d_xs's network (only their default clip
    # differs): one row stands for all three.
    "cpu": tuple(
        Case(name, 8, size, 4)
        for size in (64, 112)
        for name in ("tsn_r18", "r3d_18", "mc3_18", "r2plus1d_18", "x3d_xs", "r2plus1d_w16", "r2plus1d_tiny")
    ),
}


def choose_threads(*, load: float, cores: int, default: int) -> tuple[int, str]:
    """Intra-op threads for the benchmark, and why.

    On a CPU already busier than its core count, OpenMP threads of one op wait for each other at
    every barrier while the OS runs someone else: measured here, TSN-R50 fell from 0.67 of the conv
    ceiling with 1 thread to 0.17 with 2 at a load of 9 on 2 cores, while one large convolution barely
    noticed. One thread then measures the models, not the scheduler.
    """
    if load >= cores and default > 1:
        return 1, f"load {load:.1f} >= {cores} cores: 1 thread (pass --threads to override)"
    return default, f"load {load:.1f} on {cores} cores: torch's default {default} threads"


def _median_seconds(step, *, warmup: int, iters: int) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _ceiling_conv(dtype: torch.dtype, layout: torch.memory_format):
    """A large 3x3 convolution (batch 8, 128 -> 128 channels, 56x56) and its FLOPs."""
    x = torch.randn(8, 128, 56, 56, dtype=dtype).contiguous(memory_format=layout)
    w = torch.randn(128, 128, 3, 3, dtype=dtype)
    return (lambda: F.conv2d(x, w, padding=1)), 2 * 8 * 128 * 56 * 56 * 128 * 9


def _ceiling_layout(dtype: torch.dtype) -> torch.memory_format:
    """The faster of NCHW and channels-last for the ceiling convolution on this machine."""
    timings = {}
    for layout in (torch.contiguous_format, torch.channels_last):
        conv, _ = _ceiling_conv(dtype, layout)
        with torch.no_grad():
            timings[layout] = _median_seconds(conv, warmup=1, iters=3)
    return min(timings, key=timings.get)


@dataclass
class Result:
    case: str
    gmacs_per_clip: float
    clips_per_s: float
    gflops: float
    ceiling_gflops: float
    ceiling_ratio: float
    ceiling_ratio_range: tuple[float, float]
    bf16_clips_per_s: float | None = None
    bf16_speedup: float | None = None
    bf16_speedup_range: tuple[float, float] | None = None
    ceiling_bf16_gflops: float | None = None
    conv3d_speedup: float | None = None  # F.conv3d step / models.conv step (3-D models only)
    conv3d_speedup_range: tuple[float, float] | None = None


CeilingConv = tuple[Callable[[], torch.Tensor], int]  # the convolution to time, and its FLOPs


def measure(
    case: Case,
    *,
    warmup: int,
    iters: int,
    bf16: bool,
    ceiling: CeilingConv,
    ceiling_bf16: CeilingConv | None = None,
    seed: int = 0,
) -> Result:
    """Paired measurement of one case: ceiling conv, fp32 step, ceiling conv, bf16 step, bf16 ceiling.

    Each fp32 step is divided by the mean of the ceilings measured just before and after it, and
    each bf16 step by the fp32 step next to it; the medians of those per-iteration ratios are
    reported, so that a load change during the run moves both sides of a ratio together.
    """
    torch.manual_seed(seed)
    model = build_model(case.model, 10).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    video = torch.randn(case.batch, 3, case.frames, case.size, case.size)
    labels = torch.randint(0, 10, (case.batch,))
    with torch.device("meta"):
        macs = count_macs(build_model(case.model, 10), (1, 3, case.frames, case.size, case.size))
    flops_per_step = 3 * 2 * macs * case.batch  # forward + backward (about twice the forward)

    has_conv3d = any(isinstance(m, torch.nn.Conv3d) for m in model.modules())

    def step(low_precision: bool, backend: str = "2d") -> None:
        old = conv.set_backend(backend)
        try:
            _step(low_precision)
        finally:
            conv.set_backend(old)

    def _step(low_precision: bool) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=low_precision):
            loss = F.cross_entropy(model(video), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def ceiling_gflops(which: CeilingConv = ceiling) -> float:
        # Median of three calls: one ~30 ms call is easily caught by a moment of other work, which
        # would move this step's ratio by far more than the step itself moves.
        with torch.no_grad():
            return which[1] / statistics.median(_seconds(which[0]) for _ in range(3)) / 1e9

    for _ in range(warmup):
        step(False)
        if bf16:
            step(True)
        if has_conv3d:
            step(False, "native")
    fp32, ceilings, ratios, speedups, low, low_ceilings, conv_speedups = [], [], [], [], [], [], []
    for _ in range(iters):
        before = ceiling_gflops()
        seconds = _seconds(lambda: step(False))
        after = ceiling_gflops()
        fp32.append(seconds)
        ceilings.append((before + after) / 2)
        ratios.append(flops_per_step / seconds / 1e9 / ceilings[-1])
        if bf16:
            low.append(_seconds(lambda: step(True)))
            speedups.append(seconds / low[-1])
            low_ceilings.append(ceiling_gflops(ceiling_bf16))
        if has_conv3d:
            conv_speedups.append(_seconds(lambda: step(False, "native")) / seconds)
    seconds = statistics.median(fp32)
    result = Result(
        case=case.label,
        gmacs_per_clip=macs / 1e9,
        clips_per_s=case.batch / seconds,
        gflops=flops_per_step / seconds / 1e9,
        ceiling_gflops=statistics.median(ceilings),
        ceiling_ratio=statistics.median(ratios),
        ceiling_ratio_range=(min(ratios), max(ratios)),
    )
    if bf16:
        result.bf16_clips_per_s = case.batch / statistics.median(low)
        result.bf16_speedup = statistics.median(speedups)
        result.bf16_speedup_range = (min(speedups), max(speedups))
        result.ceiling_bf16_gflops = statistics.median(low_ceilings)
    if conv_speedups:
        result.conv3d_speedup = statistics.median(conv_speedups)
        result.conv3d_speedup_range = (min(conv_speedups), max(conv_speedups))
    return result


def run_benchmark(
    *,
    preset: str = "default",
    cases: tuple[Case, ...] | None = None,
    warmup: int = 1,
    iters: int = 2,
    bf16: bool = True,
    progress: bool = True,
    threads_reason: str = "set by the caller",
) -> dict:
    """Run the benchmark and return a JSON-ready dict (ceilings, per-model results, machine load).

    Args:
        preset: a key of ``PRESETS`` (ignored when ``cases`` is given).
        cases: explicit configurations to measure.
        warmup, iters: untimed and timed (paired) training steps per case.
        bf16: also measure under bf16 autocast.
        progress: show a tqdm bar.
        threads_reason: why ``torch.get_num_threads()`` is what it is (printed with the results).
    """
    cases = cases or PRESETS[preset]
    load_before = os.getloadavg()[0]
    ceiling = _ceiling_conv(torch.float32, _ceiling_layout(torch.float32))
    ceiling_bf16 = _ceiling_conv(torch.bfloat16, _ceiling_layout(torch.bfloat16)) if bf16 else None
    results = [
        measure(case, warmup=warmup, iters=iters, bf16=bf16, ceiling=ceiling, ceiling_bf16=ceiling_bf16)
        for case in tqdm(cases, desc="speed models", disable=not progress)
    ]
    return {
        "unit": "GFLOP/s = 2 x GMACs per second; training step counted as 3 x forward",
        "threads": torch.get_num_threads(),
        "threads_reason": threads_reason,
        "load_avg_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "ceiling_fp32_gflops": statistics.median(r.ceiling_gflops for r in results),
        "ceiling_bf16_gflops": statistics.median(r.ceiling_bf16_gflops for r in results) if bf16 else None,
        "models": [asdict(r) for r in results],
    }


def format_results(report: dict) -> str:
    """The human-readable table of :func:`run_benchmark`'s result."""
    lines = [
        "conv ceiling (3x3, 8x128x56x56, median of those paired with the steps): "
        f"fp32 {report['ceiling_fp32_gflops']:.0f} GFLOP/s"
        + (f", bf16 {report['ceiling_bf16_gflops']:.0f} GFLOP/s" if report["ceiling_bf16_gflops"] else "")
        + f"; {report['threads_reason']}; load avg {report['load_avg_1min']['before']:.1f}"
        f" -> {report['load_avg_1min']['after']:.1f} (other jobs share the CPU)",
        f"{'model (T x px, batch)':<32} {'GMACs/clip':>10} {'clips/s':>8} {'GFLOP/s':>8} {'/ceiling':>8}"
        f" {'bf16 clips/s':>12} {'bf16 x':>7} {'conv3d x':>8}",
    ]
    for r in report["models"]:
        bf16 = (f" {r['bf16_clips_per_s']:>12.2f} {r['bf16_speedup']:>7.2f}" if r["bf16_speedup"]
                else f" {'-':>12} {'-':>7}")
        bf16 += f" {r['conv3d_speedup']:>8.2f}" if r.get("conv3d_speedup") else f" {'-':>8}"
        lines.append(
            f"{r['case']:<32} {r['gmacs_per_clip']:>10.2f} {r['clips_per_s']:>8.2f} {r['gflops']:>8.0f}"
            f" {r['ceiling_ratio']:>8.2f}{bf16}"
        )
    lines.append("training GFLOP/s = 3 x 2 x forward GMACs x clips/s; each ratio is the median over steps of"
                 " (step GFLOP/s / ceiling measured around it), (fp32 step / bf16 step next to it) and, for 3-D"
                 " models, (F.conv3d step / models.conv step next to it)")
    return "\n".join(lines)
