"""``synapt speed generate | data | models | train``: each stage's speed benchmark.

``synapt bench <stage>`` is the old spelling of the same commands, kept for one release: same
stages, flags and output, and a warning on stderr naming the new spelling.
"""

from __future__ import annotations

import argparse
import json

from synapt.deprecation import deprecated_command
from synapt.errors import UserError


def register(commands) -> None:
    speed = commands.add_parser("speed", help="speed benchmarks of each stage (ratios measured in one run)")
    _add_stages(speed)
    bench = commands.add_parser("bench", help="deprecated spelling of `synapt speed` (goes in the next release)")
    stages = _add_stages(bench)
    bench.set_defaults(func=deprecated_command(bench.get_default("func"), old="synapt bench", new="synapt speed"))
    for name, parser in stages.choices.items():
        parser.set_defaults(func=deprecated_command(parser.get_default("func"), old=f"synapt bench {name}",
                                                    new=f"synapt speed {name}"))


def _add_stages(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    """The four stages' subcommands under ``parser``; returns their group."""
    stages = parser.add_subparsers(dest="speed_stage", metavar="STAGE")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    p = stages.add_parser("generate", help="generator frame rate vs a bare physics+render loop, 2 vs 1 workers, KB per clip")
    p.add_argument("--json", action="store_true")
    p.add_argument("--clips", type=int, default=50, help="clips of the end-to-end vs bare measurement")
    p.add_argument("--worker-clips", type=int, default=100, help="clips per worker count (two runs each, A-B-B-A); 0 skips")
    p.add_argument("--frames", type=int, default=16, help="frames per clip, rendered (as in `synapt generate`)")
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--option-clips", type=int, default=20,
                   help="clips of the per-option cost table (camera effects, shadows and MSAA); 0 skips")
    p.set_defaults(func=_generate)

    p = stages.add_parser("data", help="decode+sample+transform: naive PyAV vs fast path; loader vs TSN-R50 training")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--clips", type=int, default=24, help="16x112 clips in the decode test (default 24)")
    p.add_argument("--repeats", type=int, default=3, help="passes over the clips per method (default 3)")
    p.set_defaults(func=_data)

    p = stages.add_parser("models", help="fp32 conv ceiling, training clips/s and GFLOP/s per model, bf16 speed-up")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--preset", choices=("default", "tiny", "cpu"), default="default",
                   help="default: the R50 backbones and TimeSformer-B (about 2-3 min); tiny: the *_tiny models; "
                        "cpu: TSN-R18, the video ResNet-18s and X3D at 8x64 and 8x112")
    p.add_argument("--iters", type=int, default=2, help="timed training steps per model (median)")
    p.add_argument("--warmup", type=int, default=1, help="untimed steps before timing")
    p.add_argument("--no-bf16", action="store_true", help="skip the bf16 autocast measurement")
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    p.set_defaults(func=_models)

    p = stages.add_parser("train", help="loop overhead, data-wait share, cached linear-probe grid speed-up")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--quick", action="store_true", help="a small run that checks the benchmark, not the targets")
    p.set_defaults(func=_train)
    return stages


def _print(results: dict, *, as_json: bool, format_results, indent: int = 2) -> int:
    print(json.dumps(results, indent=indent) if as_json else format_results(results))
    return 0


def _generate(args: argparse.Namespace) -> int:
    from synapt.speed.generate import format_results, run_benchmark

    if args.clips < 1:
        raise UserError(f"--clips {args.clips}: need at least 1 clip")
    results = run_benchmark(clips=args.clips, worker_clips=args.worker_clips, frames=args.frames, size=args.size,
                            option_clips=args.option_clips)
    return _print(results, as_json=args.json, format_results=format_results, indent=1)


def _data(args: argparse.Namespace) -> int:
    from synapt.speed.data import format_results, run_benchmark

    return _print(run_benchmark(clips=args.clips, repeats=args.repeats), as_json=args.json,
                  format_results=format_results)


def _models(args: argparse.Namespace) -> int:
    import os

    import torch

    from synapt.speed.models import choose_threads, format_results, run_benchmark

    if args.iters < 1 or args.warmup < 0:
        raise UserError("--iters must be >= 1 and --warmup >= 0")
    if args.threads:
        threads, reason = args.threads, f"{args.threads} threads (--threads)"
    else:
        threads, reason = choose_threads(load=os.getloadavg()[0], cores=os.cpu_count() or 1,
                                         default=torch.get_num_threads())
    torch.set_num_threads(threads)
    results = run_benchmark(preset=args.preset, warmup=args.warmup, iters=args.iters, bf16=not args.no_bf16,
                            progress=not args.json, threads_reason=reason)
    return _print(results, as_json=args.json, format_results=format_results)


def _train(args: argparse.Namespace) -> int:
    from synapt.speed.train import format_results, run_benchmark

    return _print(run_benchmark(quick=args.quick), as_json=args.json, format_results=format_results)
