"""``synapt models``: list the backbones."""

from __future__ import annotations

import argparse
import json


def register(commands) -> None:
    p = commands.add_parser(
        "models",
        help="list the model registry: parameters, GMACs per clip at the default input, input layout",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--num-classes", type=int, default=None,
                   help="head size for the parameter counts (default: 400 for video models, 1000 for images)")
    p.set_defaults(func=list_models)


def describe_models(*, num_classes: int | None = None) -> list[dict]:
    """One dict per registered model: name, arch, parameters, GMACs per clip, input layout, mean/std."""
    import torch

    from synapt.models.flops import clip_shape, count_macs, count_parameters
    from synapt.models.registry import IMAGE_MODELS, MODELS, build_model

    rows = []
    for name in MODELS:
        video = name not in IMAGE_MODELS
        head = num_classes or (400 if video else 1000)  # Kinetics-400 / ImageNet heads, as published
        with torch.device("meta"):  # no memory, no initialisation: TimeSformer-B lists instantly
            model = build_model(name, head)
        shape = clip_shape(model)
        rows.append({
            "name": name,
            "arch": model.arch,
            "kind": "video" if video else "image",
            "num_classes": head,
            "params": count_parameters(model),
            "gmacs_per_clip": count_macs(model, shape) / 1e9,
            "input": ("(B, C, T, H, W)" if video else "(B, C, H, W)"),
            "default_input": list(shape[1:]),
            "feature_dim": model.feature_dim,
            "mean": list(model.default_mean),
            "std": list(model.default_std),
        })
    return rows


def list_models(args: argparse.Namespace) -> int:
    rows = describe_models(num_classes=args.num_classes)
    if args.json:
        print(json.dumps({"unit": "GMACs (multiply-adds; fvcore's 'GFLOPs'); FLOPs = 2 x MACs",
                          "models": rows}, indent=2))
        return 0
    print(f"{'name':<17} {'head':>5} {'params':>12} {'GMACs/clip':>10}  {'input':<16} {'default':<14} {'D':>5}"
          "  mean/std")
    for r in rows:
        default = "x".join(str(v) for v in r["default_input"])
        norm = f"{r['mean'][0]:g}.../{r['std'][0]:g}..."
        print(f"{r['name']:<17} {r['num_classes']:>5} {r['params']:>12,} {r['gmacs_per_clip']:>10.2f}  {r['input']:<16}"
              f" {default:<14}"
              f" {r['feature_dim']:>5}  {norm}")
    print("GMACs = 1e9 multiply-adds per clip (one image for 2-D ResNets) at the default input, what fvcore "
          "and papers print as GFLOPs; real FLOPs are 2x")
    return 0
