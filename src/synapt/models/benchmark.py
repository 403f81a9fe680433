"""``synapt bench models``: training throughput of each backbone against the machine's conv ceiling.

Measured in one run, so that the ratios hold even when other jobs share the CPU:

1. the **ceiling**: GFLOP/s of one large 3x3 convolution (fp32, and bf16), the best case for
   the convolution kernels this machine has;
2. for each model, a **training step** (forward, cross-entropy, backward, SGD update) on a batch of
   random clips: clips/s, achieved GFLOP/s (``3 x forward FLOPs``: the backward costs about twice
   the forward), and that rate as a fraction of the fp32 ceiling;
3. the same step under ``torch.autocast("cpu", dtype=torch.bfloat16)``: the speed-up over fp32.

Every timing is the median of ``iters`` steps after ``warmup`` untimed steps.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from tqdm import tqdm

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
}


def _median_seconds(step, *, warmup: int, iters: int) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def conv_ceiling(*, dtype: torch.dtype = torch.float32, warmup: int = 2, iters: int = 5) -> float:
    """GFLOP/s of a large 3x3 convolution (batch 8, 128 -> 128 channels, 56x56) in ``dtype``.

    The best of the two memory layouts (NCHW and channels-last), so that it is a ceiling.
    """
    w = torch.randn(128, 128, 3, 3, dtype=dtype)
    flops = 2 * 8 * 128 * 56 * 56 * 128 * 9
    best = 0.0
    for layout in (torch.contiguous_format, torch.channels_last):
        x = torch.randn(8, 128, 56, 56, dtype=dtype).contiguous(memory_format=layout)
        with torch.no_grad():
            seconds = _median_seconds(lambda: F.conv2d(x, w, padding=1), warmup=warmup, iters=iters)
        best = max(best, flops / seconds / 1e9)
    return best


def train_step_seconds(case: Case, *, bf16: bool, warmup: int, iters: int, seed: int = 0) -> float:
    """Median seconds of one SGD training step of ``case`` on random clips."""
    torch.manual_seed(seed)
    model = build_model(case.model, 10).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    video = torch.randn(case.batch, 3, case.frames, case.size, case.size)
    labels = torch.randint(0, 10, (case.batch,))

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(model(video), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return _median_seconds(step, warmup=warmup, iters=iters)


@dataclass
class Result:
    case: str
    gmacs_per_clip: float
    clips_per_s: float
    gflops: float
    ceiling_ratio: float
    ceiling_gflops: float
    bf16_clips_per_s: float | None = None
    bf16_speedup: float | None = None


def run(
    *,
    preset: str = "default",
    cases: tuple[Case, ...] | None = None,
    warmup: int = 1,
    iters: int = 2,
    bf16: bool = True,
    progress: bool = True,
) -> dict:
    """Run the benchmark and return a JSON-ready dict (ceilings, per-model results, machine load).

    Args:
        preset: a key of ``PRESETS`` (ignored when ``cases`` is given).
        cases: explicit configurations to measure.
        warmup, iters: untimed and timed training steps per measurement.
        bf16: also measure under bf16 autocast.
        progress: show a tqdm bar.
    """
    cases = cases or PRESETS[preset]
    load_before = os.getloadavg()[0]
    ceilings, ceilings_bf16, results = [], [], []
    for case in tqdm(cases, desc="bench models", disable=not progress):
        # The CPU is shared: measure the ceiling right next to each model, and divide by that one.
        ceiling = conv_ceiling()
        ceilings.append(ceiling)
        with torch.device("meta"):
            meta = build_model(case.model, 10)
        macs = count_macs(meta, (1, 3, case.frames, case.size, case.size))
        seconds = train_step_seconds(case, bf16=False, warmup=warmup, iters=iters)
        clips = case.batch / seconds
        gflops = 3 * 2 * macs * clips / 1e9  # forward + backward (about twice the forward)
        result = Result(case.label, macs / 1e9, clips, gflops, gflops / ceiling, ceiling)
        if bf16:
            ceilings_bf16.append(conv_ceiling(dtype=torch.bfloat16))
            seconds_bf16 = train_step_seconds(case, bf16=True, warmup=warmup, iters=iters)
            result.bf16_clips_per_s = case.batch / seconds_bf16
            result.bf16_speedup = seconds / seconds_bf16
        results.append(result)
    ceiling = statistics.median(ceilings)
    ceiling_bf16 = statistics.median(ceilings_bf16) if ceilings_bf16 else None
    return {
        "unit": "GFLOP/s = 2 x GMACs per second; training step counted as 3 x forward",
        "threads": torch.get_num_threads(),
        "load_avg_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "ceiling_fp32_gflops": ceiling,
        "ceiling_bf16_gflops": ceiling_bf16,
        "models": [asdict(r) for r in results],
    }


def format_report(report: dict) -> str:
    """The human-readable table of ``run``'s result."""
    lines = [
        f"conv ceiling (3x3, 8x128x56x56, median over the run): fp32 {report['ceiling_fp32_gflops']:.0f} GFLOP/s"
        + (f", bf16 {report['ceiling_bf16_gflops']:.0f} GFLOP/s" if report["ceiling_bf16_gflops"] else "")
        + f"; {report['threads']} threads; load avg {report['load_avg_1min']['before']:.1f}"
        f" -> {report['load_avg_1min']['after']:.1f} (other jobs share the CPU)",
        f"{'model (T x px, batch)':<32} {'GMACs/clip':>10} {'clips/s':>8} {'GFLOP/s':>8} {'/ceiling':>8}"
        f" {'bf16 clips/s':>12} {'bf16 x':>7}",
    ]
    for r in report["models"]:
        bf16 = (f" {r['bf16_clips_per_s']:>12.2f} {r['bf16_speedup']:>7.2f}" if r["bf16_speedup"] else "")
        lines.append(
            f"{r['case']:<32} {r['gmacs_per_clip']:>10.2f} {r['clips_per_s']:>8.2f} {r['gflops']:>8.0f}"
            f" {r['ceiling_ratio']:>8.2f}{bf16}"
        )
    lines.append("training GFLOP/s = 3 x 2 x forward GMACs x clips/s; ratios are measured in this one run")
    return "\n".join(lines)
