"""Representation bias inside the benchmark: the static encoders, M for each dataset, Figure 2.

A static encoder maps frames to features with no notion of time; M(D, phi) is the balanced (mean
class) test accuracy of a linear probe on them, and B = ln(M / M_rnd) with M_rnd = 1 / classes.
The benchmark measures B under every encoder it has, each row naming its encoder:

- ``appearance`` (the generic default, offline): classic appearance descriptors of three frames
  (16 x 16 grey pixels, their edge magnitudes, a 4x4x4 colour histogram; ``validity.frame_features``)
  averaged over time, probed by an L2-regularised softmax regression. Never trained on any
  labels, so it cannot have learned the generator's variables; crude, so B under it is a floor
  for what a stronger encoder would find.
- ``imagenet:<model>`` with ``--static-weights FILE`` (or ``static_encoder: {weights: FILE}`` in
  ``datasets.yaml``): a TSN whose 2-D ResNet-50 carries torchvision ImageNet weights, frozen, probed
  by the training engine's cached linear probe: what the paper measured.
- ``static-context:<model>``: a TSN trained on single generated frames to name the scene kind and
  the distractor objects. Trained on the very variables ``--context-bias`` ties to the label, it
  is an in-domain diagnostic of those variables; it is never used on real suites.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from synapt.bench.bias import bias_or_none, bias_ranked_subsets
from synapt.bench.curate import Source, curate
from synapt.bench.presets import Preset
from synapt.bench.runner import Runner
from synapt.bench.training import clip_gflops, train_config, train_trial
from synapt.bench.validity import frame_features, softmax_predict
from synapt.io import atomic_write_text


def context_label(params: dict) -> str:
    """What a single frame shows besides the action: the scene kind and the first distractor's shape.

    A class's own context pool (``--context-bias``) fixes the scene kind, its textures and two
    distractor shapes, so an encoder that names these from one frame has learned context.
    """
    scene = params.get("scene") or {}
    distractors = scene.get("distractors") or []
    shape = distractors[0].get("shape", "object") if distractors else "none"
    return f"{scene.get('kind', 'unknown')}+{shape}"


def write_context_dataset(sources: list[Path], out: Path, *, val_fraction: float = 0.15, seed: int = 0) -> Path:
    """A dataset over generated clips labelled by :func:`context_label` instead of the action."""
    rows = []
    for source in sources:
        for line in (source / "manifest.jsonl").read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append((source, row))
    labels = sorted({context_label(r.get("params") or {}) for _, r in rows})
    label_of = {name: i for i, name in enumerate(labels)}
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for (source, row), u in zip(rows, rng.random(len(rows))):
        name = context_label(row.get("params") or {})
        lines.append(json.dumps({
            "clip_id": f"{source.name}-{row['clip_id']}", "path": os.path.relpath(source / row["path"], out),
            "label": label_of[name], "class_name": name, "family": "context",
            "split": "val" if u < val_fraction else "train", "fps": row.get("fps"), "frames": row.get("frames"),
        }))
    atomic_write_text(out / "manifest.jsonl", "\n".join(lines) + "\n")
    atomic_write_text(out / "classes.json", json.dumps(
        [{"id": i, "name": n, "family": "context", "description": f"scene kind and distractors: {n}"}
         for i, n in enumerate(labels)], indent=2) + "\n")
    return out


def static_encoder(run: Runner, *, preset: Preset, sources: list[Path], seed: int = 0, clips: int = 0) -> dict:
    """Train (or name) the static encoder; returns {"encoder", "model", "checkpoint", "weights_source"}.

    Everything returned follows from the stage's folder, so a dry run plans the probes that
    use the encoder exactly as the real run will key them. ``clips`` (in ``sources`` together)
    only prices the training in the plan.
    """
    model = preset.static_encoder
    if preset.static_weights:
        return {"encoder": f"imagenet:{model}",
                "description": f"{model} from {Path(preset.static_weights).name} (torchvision ImageNet weights)",
                "model": model, "checkpoint": preset.static_weights, "weights_source": "torchvision"}

    config = {"sources": [str(s) for s in sources], "model": model, "epochs": preset.static_encoder_epochs,
              "size": preset.train_size, "seed": seed}

    def work(folder: Path) -> dict:
        data = write_context_dataset(sources, folder / "data", seed=seed)
        cfg = train_config(preset, mode="pretrain", data_root=data, model=model, epochs=preset.static_encoder_epochs,
                           seed=seed, hparams={"optim.name": "sgd", "optim.lr": 0.05, "optim.batch_size": 32,
                                               "optim.weight_decay": 1e-4, "optim.label_smoothing": 0.0})
        cfg["data"]["num_frames"] = 1  # single frames: the encoder never sees motion
        cfg["data"]["flip"] = True  # context does not change under a mirror
        cfg["eval"] = {"num_clips": 1, "num_crops": 1}
        result = train_trial(cfg, folder)
        classes = json.loads((data / "classes.json").read_text())
        return {"context_classes": len(classes), "val_top1": result["val"].get("top1")}

    passes = clips * preset.static_encoder_epochs  # single frames, forward and backward
    estimate = {"clips": passes, "gflop": 3 * passes * clip_gflops(model, 1, preset.train_size)} if clips else None
    folder = run.stage("static-encoder", config, work, estimate=estimate)
    return {"encoder": f"static-context:{model}",
            "description": f"static context encoder: {model} trained on single generated frames to recognise the "
                           f"scene kind and the distractor shape (context, never motion)",
            "model": model, "checkpoint": str(folder / "run" / "checkpoints" / "best.pt"), "weights_source": "synapt"}


APPEARANCE = {"encoder": "appearance", "kind": "appearance", "model": None,
              "description": "appearance descriptors (grey pixels, edges, colour histogram of 3 frames, averaged; "
                             "never trained on any labels)"}
TRAINED_ON_GENERATOR = "static-context"  # encoders of this family learned generator labels
# The one probe recipe of every TSN-encoder B, in the benchmark and in `synapt bias`: B compares
# datasets, so no dataset's probe may be tuned harder than another's.
BIAS_PROBE = {"cache": True, "epochs": 50, "lrs": [0.05], "batch_sizes": [32], "weight_decays": [1e-4]}


def balanced_accuracy(matrix) -> float:
    """Mean per-class recall over the classes present in a confusion matrix (rows = true class)."""
    matrix = np.asarray(matrix, dtype=float)
    present = matrix.sum(axis=1) > 0
    return float(np.mean(np.diag(matrix)[present] / matrix.sum(axis=1)[present])) if present.any() else 0.0


def clip_appearance(path: Path, *, frames: int = 3) -> np.ndarray:
    """The appearance descriptor of one clip: ``frame_features`` of ``frames`` evenly spaced frames, averaged."""
    from synapt.data.video import open_video

    reader = open_video(path)
    n = max(reader.num_frames, 1)
    picks = sorted({min(n - 1, round((i + 0.5) * n / frames)) for i in range(frames)})
    video = reader.get_frames(picks).permute(0, 2, 3, 1).numpy()
    return np.mean([frame_features(frame) for frame in video], axis=0)


def appearance_probe(data_root: Path, *, test_split: str, l2: float = 1e-2) -> dict:
    """Softmax probe on appearance descriptors: train on ``train``, score on ``test_split``.

    Returns ``{"top1", "balanced", "num_classes", "per_class"}`` like the TSN probes' results.
    """
    from synapt.sim.verify import read_manifest

    root = Path(data_root)
    classes = json.loads((root / "classes.json").read_text())
    rows = read_manifest(root)
    feats = {split: [(clip_appearance(root / r["path"]), int(r["label"])) for r in rows if r.get("split") == split]
             for split in ("train", test_split)}
    if not feats["train"] or not feats[test_split]:
        raise ValueError(f"{root}: the appearance probe needs train and {test_split} clips")
    x, y = np.stack([f for f, _ in feats["train"]]), np.array([label for _, label in feats["train"]])
    xt, yt = np.stack([f for f, _ in feats[test_split]]), np.array([label for _, label in feats[test_split]])
    pred = softmax_predict(x, y, xt, len(classes), l2=l2)
    per_class = {int(c): float((pred[yt == c] == c).mean()) for c in np.unique(yt)}
    return {"top1": float((pred == yt).mean()), "balanced": float(np.mean(list(per_class.values()))),
            "num_classes": len(classes), "per_class": per_class}


def _probe_config(preset: Preset, *, data_root: Path, encoder: dict, test_split: str) -> dict:
    cfg = train_config(preset, mode="linear_probe", data_root=data_root, model=encoder["model"],
                       epochs=preset.downstream_epochs, weights=Path(encoder["checkpoint"]))
    cfg["model"]["weights_source"] = encoder.get("weights_source", "synapt")
    cfg["data"]["test_split"] = test_split
    cfg["probe"] = dict(BIAS_PROBE)
    return cfg


def _probe(run: Runner, name: str, cfg: dict, *, clips: int = 0) -> Path:
    """A linear probe run; its result has test top-1 and per-class recall (from the confusion matrix).

    ``clips`` (in its dataset) prices it in the plan: one forward pass per clip, cached.
    """
    def work(folder: Path) -> dict:
        result = train_trial(cfg, folder)
        matrix = np.asarray(json.loads((folder / "run" / "confusion_test.json").read_text())["matrix"])
        present = matrix.sum(axis=1) > 0
        per_class = {int(c): float(matrix[c, c] / matrix[c].sum()) for c in np.flatnonzero(present)}
        return {"top1": result["test"]["top1"], "balanced": balanced_accuracy(matrix),
                "num_classes": int(matrix.shape[0]), "per_class": per_class}

    estimate = None
    if clips:
        data = cfg["data"]
        estimate = {"clips": clips, "gflop": clips * clip_gflops(cfg["model"]["name"], data["num_frames"], data["size"])}
    return run.stage(name, {"probe": cfg}, work, estimate=estimate)


def static_probe(run: Runner, name: str, *, data_root: Path, encoder: dict, preset: Preset, test_split: str,
                 clips: int = 0) -> Path:
    """The static probe of ``encoder`` on one dataset as a stage (``bias-appearance-<name>`` for
    the appearance descriptors, ``bias-probe-<name>`` for a TSN encoder); its result has top-1,
    balanced accuracy, the class count and per-class recall."""
    if encoder.get("kind") == "appearance":
        config = {"data": str(data_root), "test_split": test_split, "encoder": encoder["encoder"]}
        return run.stage(f"bias-appearance-{name}", config, lambda folder: appearance_probe(data_root, test_split=test_split))
    return _probe(run, f"bias-probe-{name}", _probe_config(preset, data_root=data_root, encoder=encoder,
                                                           test_split=test_split), clips=clips)


def measure_bias(run: Runner, *, dataset: str, data_root: Path, encoder: dict, preset: Preset, test_split: str,
                 clips: int = 0) -> dict | None:
    """{"dataset", "encoder", "M", "M_rnd", "B", "B_log2", "top1"} of one dataset (None in a dry run).

    M is the probe's balanced (mean class) accuracy on ``test_split``, so that a dataset's class
    imbalance cannot raise it above what chance (1 / classes) means. ``clips`` (in the dataset)
    prices a TSN probe in the plan.
    """
    probe = static_probe(run, _slug(dataset), data_root=data_root, encoder=encoder, preset=preset,
                         test_split=test_split, clips=clips)
    if run.dry_run:
        return None
    measured = run.result(probe)
    k = measured["num_classes"]
    balanced = measured.get("balanced")
    if balanced is None:  # a TSN probe: mean of the per-class recalls of the classes present
        balanced = float(np.mean(list(measured["per_class"].values()))) if measured["per_class"] else 0.0
    b, bits = bias_or_none(balanced, k)
    return {"dataset": dataset, "encoder": encoder["encoder"], "M": balanced, "top1": measured["top1"],
            "M_rnd": 1.0 / k, "B": b, "B_log2": bits, "split": test_split}


def kfold_bias(fold_rows: list[dict], *, dataset: str) -> dict:
    """A k-fold suite's bias row from its folds' rows (:func:`measure_bias` on each fold).

    M is the mean of the folds' balanced accuracies, as a k-fold suite's top-1 is the mean of its
    folds'; every fold has the suite's full class list, so M_rnd is the same in each.
    """
    m = float(np.mean([r["M"] for r in fold_rows]))
    k = round(1.0 / fold_rows[0]["M_rnd"])
    b, bits = bias_or_none(m, k)
    return {"dataset": dataset, "encoder": fold_rows[0]["encoder"], "M": m,
            "top1": float(np.mean([r["top1"] for r in fold_rows])), "M_rnd": 1.0 / k, "B": b, "B_log2": bits,
            "split": f"test of each of {len(fold_rows)} folds", "folds": [r["M"] for r in fold_rows]}


def bias_subset_stage(run: Runner, *, data_root: Path, encoder: dict, preset: Preset,
                      checkpoints: dict[str, Path], clips: int = 0, num_classes: int = 0) -> Path:
    """Figure 2: class subsets from low to high static bias, and the transfer ratio on each.

    The classes of the mixed proxy suite are ranked by the static probe's per-class accuracy on
    its **val** split (so the ranking never sees the test clips each subset is then scored on);
    each subset gets its own B on test and the linear-probe top-1 of context-biased over
    synthetic pre-training. ``encoder`` is the run's primary static encoder (the appearance
    descriptors offline). ``clips`` and ``num_classes`` (of the mixed suite) price the probes.
    """
    size, count = preset.bias_subsets
    config = {"data": str(data_root), "size": size, "count": count, "checkpoints": {k: str(v) for k, v in checkpoints.items()}}
    mixed = static_probe(run, "mixed-val", data_root=data_root, encoder=encoder, preset=preset, test_split="val",
                         clips=clips)
    # Inside its work: per subset, a static probe and a linear probe from every pre-training.
    passes = count * round(clips * size / num_classes) if num_classes else 0
    estimate = None
    if passes:
        per_clip = len(checkpoints) * clip_gflops(preset.models[0], preset.num_frames, preset.train_size)
        if encoder.get("model"):
            per_clip += clip_gflops(encoder["model"], preset.num_frames, preset.train_size)
        estimate = {"clips": passes * (1 + len(checkpoints)), "gflop": passes * per_clip}
    if run.dry_run:
        return run.stage("bias-subsets", config, lambda f: {}, estimate=estimate)
    full = run.result(mixed)
    info = encoder
    classes = [c["name"] for c in json.loads((data_root / "classes.json").read_text())]
    subsets = bias_ranked_subsets({int(c): a for c, a in full["per_class"].items()}, subset_size=size,
                                  num_subsets=count)

    def work(folder: Path) -> dict:
        points = []
        for i, ids in enumerate(subsets):
            names = [classes[c] for c in ids]
            subset = curate(class_map={n: [("mixed", n)] for n in names},
                            sources=[Source("mixed", "synapt", data_root)], out_dir=folder / f"subset{i}",
                            val_fraction=0.0, seed=0, keep_splits=True)
            static = run.result(static_probe(run, f"subset{i}", data_root=subset.out_dir, encoder=info, preset=preset,
                                             test_split="test"))
            top1 = {}
            for name, ckpt in checkpoints.items():
                cfg = train_config(preset, mode="linear_probe", data_root=subset.out_dir, model=preset.models[0],
                                   epochs=preset.downstream_epochs, weights=ckpt)
                top1[name] = run.result(_probe(run, f"subset{i}-lp-{name}", cfg))["top1"]
            m = static.get("balanced", static["top1"])
            b, _ = bias_or_none(m, len(ids))
            points.append({"subset": f"S{i + 1}", "classes": names, "B": b, "M": m,
                           "synthetic": top1.get("synthetic"), "context_biased": top1.get("context_biased"),
                           "ratio": (top1["context_biased"] / top1["synthetic"]) if top1.get("synthetic") else math.inf})
        return {"subsets": points}

    return run.stage("bias-subsets", config, work, estimate=estimate)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text).strip("_")
