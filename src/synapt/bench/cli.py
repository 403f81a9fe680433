"""Subcommands of the benchmark stage: curate, bias, sweep, benchmark."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from synapt.deprecation import add_deprecated_flag
from synapt.errors import UserError


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def register(commands) -> None:
    p = commands.add_parser(
        "curate",
        help="build a balanced pre-training set from several sources through a class map",
        description="Lint a class map (target_class: [source:action, ...]), sample N classes x M clips "
        "with an equal share per source, write nested subsets and a grouped train/val split.",
    )
    p.add_argument("--map", required=True, help="class map YAML: target_class: [source:action, ...]")
    p.add_argument("--source", action="append", default=[], metavar="NAME=FORMAT:ROOT",
                   help="a source dataset, e.g. gen=synapt:runs/gen or k=kinetics:/data/k400 (repeatable)")
    p.add_argument("--out", required=True, help="output folder (a dataset in the synapt format)")
    p.add_argument("--num-classes", dest="num_classes", type=int, default=None, metavar="N",
                   help="N target classes (default: all)")
    p.add_argument("--per-class", dest="per_class", type=int, default=None, metavar="M",
                   help="M clips per class, as in `synapt generate` (default: the smallest class)")
    add_deprecated_flag(p, "--classes", new="--num-classes", dest="num_classes", type=int)
    add_deprecated_flag(p, "--clips", new="--per-class", dest="per_class", type=int)
    p.add_argument("--class-subsets", type=_int_list, default=(), help="nested class counts, e.g. 30,90")
    p.add_argument("--clip-subsets", type=_int_list, default=(), help="nested clips per class, e.g. 250,750")
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--fps", type=float, default=30.0, help="frame rate every clip must have (0: any)")
    p.add_argument("--allow-short", action="store_true", help="keep classes with fewer than M clips")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=_curate)

    p = commands.add_parser(
        "bias",
        help="representation bias B = ln(M / M_rnd) of a dataset under a frozen static encoder",
        description="A frozen 2-D encoder on frames (features averaged over time), a linear probe's "
        "test top-1 M, and B = ln(M / M_rnd) with M_rnd = 1 / classes.",
    )
    p.add_argument("--data", required=True, metavar="FORMAT:ROOT", help="e.g. ucf101:/data/ucf101 or synapt:runs/gen")
    p.add_argument("--annotations", default=None, help="folder of annotation files, if not under ROOT")
    p.add_argument("--split", type=int, default=1, help="official split number (UCF101, HMDB51)")
    p.add_argument("--encoder", default="tsn_r50", help="a synapt model name whose 2-D trunk runs on frames")
    p.add_argument("--weights", required=True,
                   help="torchvision ImageNet ResNet file, or a synapt checkpoint (e.g. a benchmark's static encoder)")
    p.add_argument("--average-frames", dest="average_frames", type=int, default=8, metavar="N",
                   help="frames per video whose features are averaged into one (default 8)")
    add_deprecated_flag(p, "--frames", new="--average-frames", dest="average_frames", type=int)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--out", default=None, help="run folder (default: runs/bias-<format>)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_bias)

    p = commands.add_parser(
        "sweep",
        help="run a hyperparameter grid of training runs; select on val; finished trials are skipped",
    )
    p.add_argument("--config", required=True,
                   help="sweep YAML: {base: TRAIN.yaml, overrides: [k=v], grid: {key: [values]}, select: val.top1}")
    p.add_argument("--out", default=None, help="sweep folder (default: runs/sweep-<config name>)")
    p.add_argument("--parallel-trials", dest="parallel_trials", type=int, default=1, metavar="N",
                   help="trials run at once, each in its own process of a local pool (default 1)")
    add_deprecated_flag(p, "--workers", new="--parallel-trials", dest="parallel_trials", type=int)
    p.add_argument("--ray", default=None, metavar="ADDRESS", help="run trials on a Ray cluster (needs synapt[ray])")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_sweep)

    p = commands.add_parser(
        "benchmark",
        help="the SynAPT benchmark end to end: generate, curate, pre-train, transfer, bias, studies, report",
    )
    p.add_argument("--preset", default="tiny", help="tiny (2 CPU cores, < 20 min) | small | paper")
    p.add_argument("--out", default=None, help="output folder (default: runs/benchmark-<preset>)")
    p.add_argument("--datasets", default=None,
                   help="YAML naming real datasets: {downstream: {name: {format, root, split, group, protocol: "
                        "split|kfold, folds}}, pretrain: {...}} (docs/reproduce-paper.md, section 3)")
    p.add_argument("--dry-run", action="store_true", help="validate configs and data paths; print the plan")
    p.add_argument("--fresh", action="store_true", help="rerun stages that already finished in --out (default: reuse them, announced)")
    p.add_argument("--report-only", action="store_true", help="rebuild the report from OUT/results.json")
    p.add_argument("--json-progress", nargs="?", const="-", default=None, metavar="FILE",
                   help="for schedulers: one JSON line as each stage starts and ends and when the run ends, on "
                        "stdout (which then carries nothing else; bars and messages go to stderr) or, given FILE, "
                        "written afresh to FILE (docs/reproduce-paper.md, section 1)")
    p.add_argument("--static-weights", default=None, metavar="FILE",
                   help="torchvision ImageNet ResNet-50 weights: B is also measured with them, as in the paper "
                        "(same as static_encoder: {weights: FILE} in --datasets)")
    p.add_argument("--models", default=None, metavar="NAME,...",
                   help="the networks to pre-train and transfer, instead of the preset's (e.g. r2plus1d_18, the "
                        "architecture of torchvision's Kinetics-400 file under pretrained: in --datasets)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_benchmark)


def _curate(args) -> int:
    from synapt.bench.curate import curate, load_class_map, parse_source_spec

    if not args.source:
        raise UserError("curate needs at least one --source NAME=FORMAT:ROOT")
    result = curate(
        class_map=load_class_map(args.map),
        sources=[parse_source_spec(s) for s in args.source],
        out_dir=args.out,
        num_classes=args.num_classes,
        clips_per_class=args.per_class,
        class_subsets=args.class_subsets,
        clip_subsets=args.clip_subsets,
        val_fraction=args.val_fraction,
        seed=args.seed,
        fps=args.fps or None,
        allow_short=args.allow_short,
    )
    summary = json.loads((Path(result.out_dir) / "curation.json").read_text())
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"curated {len(result.class_names)} classes x {summary['clips_per_class']} clips into {result.out_dir}: "
              + ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items())))
        for name in result.subsets:
            print(f"  subset {result.out_dir}/subsets/{name}")
    return 0


def _split_data_spec(spec: str) -> tuple[str, str]:
    fmt, sep, root = spec.partition(":")
    if not sep or not fmt or not root:
        raise UserError(f"--data {spec!r}: expected FORMAT:ROOT, e.g. ucf101:/data/ucf101")
    return fmt, root


def _bias(args) -> int:
    from synapt.bench.bias import bias_or_none
    from synapt.bench.bias_stage import BIAS_PROBE, balanced_accuracy
    from synapt.bench.training import IMAGENET_MEAN, IMAGENET_STD, train_trial

    fmt, root = _split_data_spec(args.data)
    weights = Path(args.weights)
    if not weights.is_file():
        raise UserError(f"--weights {weights} not found (an ImageNet ResNet-50 file in torchvision layout, "
                        f"or a synapt checkpoint)")
    out = Path(args.out or f"runs/bias-{fmt}")
    config = {
        "mode": "linear_probe",
        "data": {"format": fmt, "root": root, "annotations": args.annotations, "split": args.split,
                 "num_frames": args.average_frames, "size": args.size, "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
                 "flip": False, "val_split": "val", "test_split": "test"},
        # auto: a synapt checkpoint loads as such, anything else through synapt.models' converters.
        "model": {"name": args.encoder, "weights": str(weights), "weights_source": "auto"},
        "probe": dict(BIAS_PROBE),
        "eval": {"num_clips": 1, "num_crops": 1},
    }
    result = train_trial(config, out)
    matrix = json.loads((out / "run" / "confusion_test.json").read_text())["matrix"]
    m, k = balanced_accuracy(matrix), len(matrix)
    b, bits = bias_or_none(m, k)
    row = {"dataset": fmt, "encoder": f"{args.encoder} ({weights.name})", "M": m, "top1": result["test"]["top1"],
           "M_rnd": 1 / k, "B": b, "B_log2": bits}
    if args.json:
        print(json.dumps(row, indent=2))
    else:
        shown = "-inf (no test clip right)" if b is None else f"{b:.3f} nats ({bits:.3f} bits)"
        print(f"{fmt}: M = {100 * m:.1f}% (static probe, balanced accuracy), M_rnd = 1/{k}, B = ln(M/M_rnd) = {shown}")
    return 0


def _sweep(args) -> int:
    import yaml

    from synapt.bench.sweep import metric, run_sweep
    from synapt.bench.training import train_trial
    from synapt.config import config_to_dict, load_config

    path = Path(args.config)
    try:
        spec = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise UserError(f"sweep config {path} not found") from None
    unknown = sorted(set(spec) - {"base", "overrides", "grid", "select"})
    if unknown:
        raise UserError(f"sweep config {path}: unknown key {unknown[0]!r} (keys: base, overrides, grid, select)")
    if "base" not in spec or "grid" not in spec:
        raise UserError(f"sweep config {path}: needs 'base' (a training YAML) and 'grid' ({{key: [values]}})")
    base_path = (path.parent / spec["base"]) if not Path(spec["base"]).is_absolute() else Path(spec["base"])
    base = config_to_dict(load_config(base_path, spec.get("overrides") or []))
    out = Path(args.out or f"runs/sweep-{path.stem}")
    result = run_sweep(base, spec["grid"], out, trial_fn=train_trial, select=spec.get("select", "val.top1"),
                       workers=args.parallel_trials, ray_address=args.ray)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=float))
    else:
        for trial in result.trials:
            val = "failed: " + trial.error if trial.error else f"{result.select} {100 * metric(trial.result, result.select):.1f}%"
            mark = "*" if trial is result.best else " "
            print(f"{mark} {trial.key} {trial.point} {val}")
        print(f"best on {result.select}: {result.best.point} -> {out / 'sweep.json'}")
    return 0


def _benchmark(args) -> int:
    import yaml

    from synapt.bench.job import run_benchmark
    from synapt.bench.plan import format_plan
    from synapt.bench.presets import get_preset, with_real_datasets, with_static_weights
    from synapt.bench.progress import json_lines
    from synapt.report.write import load_results, write_report

    out = Path(args.out or f"runs/benchmark-{args.preset}")
    if args.json_progress and (args.dry_run or args.report_only):
        raise UserError("--json-progress reports the stages of a run, and --dry-run and --report-only run none: "
                        "drop one of them")
    if args.report_only:
        results_path = out / "results.json"
        if not results_path.is_file():
            raise UserError(f"{results_path} not found: run `synapt benchmark --preset {args.preset} --out {out}` first")
        md, html = write_report(load_results(results_path), out)
        print(f"report: {md} and {html}")
        return 0
    preset = get_preset(args.preset)
    if args.models:
        from dataclasses import replace

        from synapt.models.registry import MODELS

        models = tuple(m.strip() for m in args.models.split(",") if m.strip())
        unknown = [m for m in models if m not in MODELS]
        if unknown or not models:
            raise UserError(f"--models {args.models}: unknown model {unknown[0] if unknown else '(none)'!r}; "
                            f"choose from: {', '.join(sorted(MODELS))}")
        preset = replace(preset, models=models)
    if args.datasets:
        try:
            datasets = yaml.safe_load(Path(args.datasets).read_text()) or {}
        except FileNotFoundError:
            raise UserError(f"--datasets {args.datasets} not found") from None
        preset = with_real_datasets(preset, datasets)
    if args.static_weights:
        preset = with_static_weights(preset, args.static_weights)
    with contextlib.ExitStack() as stack:
        events = None
        if args.json_progress == "-":
            events = json_lines(sys.stdout)
            # stdout carries the events and nothing else: any other line goes to stderr.
            stack.enter_context(contextlib.redirect_stdout(sys.stderr))
        elif args.json_progress:
            try:
                events = json_lines(stack.enter_context(open(args.json_progress, "w")))
            except OSError as err:
                raise UserError(f"--json-progress {args.json_progress}: {err.strerror} (give a file in a folder "
                                f"that exists, or no FILE for stdout)") from None
        result = run_benchmark(preset, out, dry_run=args.dry_run, seed=args.seed, fresh=args.fresh,
                               json_progress=events)
        if args.dry_run:
            print(f"plan for preset {preset.name} in {out} (nothing was run):")
            print(format_plan(result))
            return 0
        print(f"benchmark {preset.name} finished in {result['wall_seconds'] / 60:.1f} min: "
              f"{out / 'report.md'}, {out / 'report.html'}, {out / 'results.json'}")
    return 0
