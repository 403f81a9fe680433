"""Benchmark presets: what ``synapt benchmark --preset tiny|small|paper`` runs.

A preset is data: the scale of every stage, the grids, the downstream suites and the studies.
``tiny`` fits in 20 minutes on two CPU cores; ``small`` is an overnight CPU run; ``paper``
states the paper's scale and expects GPUs and the real datasets under configured roots
(see ``docs/reproduce-paper.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from synapt.bench.sweep import PAPER_DOWNSTREAM_GRID, PAPER_PRETRAIN_GRID
from synapt.errors import UserError


@dataclass(frozen=True)
class PretrainedWeights:
    """A weights file someone else pre-trained (``datasets.yaml``'s ``pretrained:`` section).

    Its rows in Table 1 are FT and LP from the file, paired against synthetic pre-training on the
    same test clips. ``models``: the preset's models the file fits (None: every one, checked
    when the benchmark starts). ``sha256`` keys its stages, so a replaced file is not reused.
    """

    name: str
    weights: str
    sha256: str
    models: tuple[str, ...] | None = None
    description: str = ""

    def fits(self, model: str) -> bool:
        return self.models is None or model in self.models


@dataclass(frozen=True)
class Suite:
    """A downstream task.

    A *proxy* suite is generated (``classes`` from the generator catalog, disjoint from
    pre-training); a *real* suite names a data-layer format and its root.
    """

    name: str
    title: str
    kind: str  # shown in the report: "proxy, low bias", "real", ...
    description: str
    # proxy suites
    classes: tuple[str, ...] = ()
    per_class: int = 0
    context_bias: float = 0.0
    scene_kinds: tuple[str, ...] | None = None
    # real suites
    format: str | None = None
    root: str | None = None
    annotations: str | None = None
    split: int = 1
    group: str | None = None  # regex: its first capture group in a video's file name is the actor id
    folds: int = 0  # k of the k-fold protocol (group-disjoint folds); 0 = the dataset's official split

    @property
    def is_proxy(self) -> bool:
        return self.format is None

    @property
    def protocol(self) -> str:
        """How the suite is evaluated, as the report says it."""
        if self.folds:
            return f"k-fold (k={self.folds}, group-disjoint by {self.group})"
        return "official split" if self.format else "generated split"


@dataclass(frozen=True)
class Preset:
    name: str
    models: tuple[str, ...]
    # generation
    frames: int  # frames rendered per clip
    size: int  # rendered side in pixels
    pretrain_classes: int  # synthetic pre-training classes (from the catalog, suites excluded)
    clips_per_class: int
    # training
    num_frames: int  # frames a model sees per clip
    train_size: int  # crop side the model sees
    pretrain_epochs: int
    downstream_epochs: int
    pretrain_grid: dict = field(default_factory=dict)
    downstream_grid: dict = field(default_factory=dict)
    probe_grid: dict = field(default_factory=dict)  # linear probes: lr/batch/wd on cached features
    # Dotted training-config values for every run (optimizer, augmentation, regularisation); the
    # grids' values override them.
    recipe: dict = field(default_factory=dict)
    eval_clips: int = 1
    eval_crops: int = 1
    # suites and studies
    suites: tuple[Suite, ...] = ()
    class_study: tuple[int, ...] = ()  # pre-training class counts (nested)
    clip_study: tuple[int, ...] = ()  # clips per class (nested)
    scene_study: tuple[int, ...] = ()  # number of scene kinds
    suite_classes: int = 6  # classes of each proxy suite, held out of pre-training
    suite_clips: int | None = None  # clips per class of each proxy suite (None: clips_per_class)
    bias_subsets: tuple[int, int] = (4, 3)  # (classes per subset, number of subsets; windows may overlap)
    static_encoder_epochs: int = 4
    static_encoder: str = "tsn_tiny"  # a TSN on frames is a 2-D encoder with features averaged over time
    # Also train the static-context TSN (single frames -> scene kind and distractor shape): an
    # in-domain diagnostic of the context knob, never the primary B and never on real suites.
    static_context_diagnostic: bool = True
    static_weights: str | None = None  # a torchvision ImageNet ResNet-50 file: measure what the paper measured
    real_pretrain: tuple[Suite, ...] = ()  # configured real pre-training sources (e.g. Kinetics-150)
    # Published pre-trained weights (e.g. torchvision's Kinetics-400 R(2+1)D-18): transferred like
    # a pre-training of the benchmark's own, for the models they fit.
    pretrained: tuple[PretrainedWeights, ...] = ()
    workers: int = 2  # generation processes
    clip_seconds: float = 2.0  # seconds of action a generated clip covers (fps = frames / clip_seconds)
    data_workers: int | None = None  # DataLoader workers per training run (None: the engine's default)
    precision: str = "fp32"

    @property
    def fps(self) -> int:
        """Frame rate of the generated clips: ``frames`` spread over ``clip_seconds`` in real time."""
        return max(1, round(self.frames / self.clip_seconds))


def _grid(lrs, batches, wds) -> dict:
    return {"optim.lr": list(lrs), "optim.batch_size": list(batches), "optim.weight_decay": list(wds)}


# The small-frame recipe (docs/training.md, measured on 12 generated classes at 64 px): AdamW with
# decay on weights only, label smoothing, no crop at <= 112 px (data.train_crop=auto), a short
# warm-up, light dropout, decoded clips kept in memory.
SMALL_FRAME_RECIPE = {"optim.name": "adamw", "optim.label_smoothing": 0.1, "model.dropout": 0.2,
                      "schedule.warmup_epochs": 0.3, "data.train_crop": "auto", "data.cache_mb": 1024.0}
# The paper's recipe: SGD with momentum, TSN's multi-scale crops, dropout 0.5.
PAPER_RECIPE = {"optim.name": "sgd", "optim.label_smoothing": 0.0, "model.dropout": 0.5,
                "data.train_crop": "multiscale"}

PRESETS: dict[str, Preset] = {
    # Sized from runs on a 2-core box (docs/training.md). r2plus1d_w16 (a width-16 R(2+1)D: it
    # sees the order of frames, TSN cannot) trains at about 45 clips/s on 8 frames at 64 px once
    # 3-D convolutions run as 2-D ones (models.conv; width 8 runs at about 85 but reached 43.2% val
    # where width 16 reached 53.8%, on 12 classes x 110 clips in 8 epochs). Generation makes about
    # 14 clips/s at 64 px x 8 frames with two workers. Epochs past 8 do not help at this size
    # (width 8: 43.2% at 8, 44.7% at 14); more clips help a little (width 8, 160 clips: 48.4%;
    # width 16, 160 clips x 6 epochs: 51.0%), within the +-8 points of one 132-192 clip val split:
    # 12 x 120 clips x 8 epochs gave 47.2% in a 17.9 min benchmark. Pre-training gets most of the
    # 20 minutes (1,188 clips x 8 epochs, twice). The class, clip and scene studies cost a
    # pre-training each and are left to `small`.
    "tiny": Preset(
        name="tiny",
        models=("r2plus1d_w16",),
        frames=8,
        size=64,
        pretrain_classes=12,
        clips_per_class=110,
        num_frames=8,
        train_size=64,
        pretrain_epochs=8,
        downstream_epochs=5,  # 6 fitted the 20 minutes before camera effects made generation slower
        pretrain_grid=_grid([2e-3], [16], [0.05]),
        downstream_grid=_grid([1e-3], [16], [0.05]),
        probe_grid={"lrs": [0.01, 0.1], "batch_sizes": [16], "weight_decays": [1e-4, 1e-3]},
        recipe=SMALL_FRAME_RECIPE,
        suite_clips=40,
        class_study=(),
        clip_study=(),
        scene_study=(),
        bias_subsets=(3, 4),
        # B comes from the appearance descriptors; the static-context TSN (a diagnostic, about 1.5
        # min of the 20 with its probes) is left to `small` and `paper`.
        static_context_diagnostic=False,
        data_workers=0,
    ),
    "small": Preset(
        name="small",
        models=("tsn_tiny", "i3d_tiny", "r2plus1d_tiny"),
        frames=16,
        size=112,
        pretrain_classes=28,
        clips_per_class=200,
        num_frames=8,
        train_size=112,
        pretrain_epochs=30,
        downstream_epochs=30,
        pretrain_grid=_grid([1e-3, 2e-3], [32], [0.05]),
        downstream_grid=_grid([5e-4, 1e-3], [16], [0.05]),
        probe_grid={"lrs": [1e-3, 1e-2, 1e-1], "batch_sizes": [32], "weight_decays": [1e-4, 1e-3]},
        recipe=SMALL_FRAME_RECIPE,
        eval_clips=2,
        eval_crops=3,
        class_study=(7, 14, 28),
        clip_study=(50, 100, 200),
        scene_study=(1, 2, 4),
        suite_classes=8,
        bias_subsets=(5, 4),
        static_encoder_epochs=10,
    ),
    "paper": Preset(
        name="paper",
        models=("tsn_r50", "i3d_r50", "r2plus1d_r50", "timesformer_b"),
        frames=16,
        size=224,
        pretrain_classes=0,  # 0 = every catalog class not held out for the proxy suites
        clips_per_class=1000,
        num_frames=8,
        train_size=224,
        pretrain_epochs=100,
        downstream_epochs=100,
        pretrain_grid=PAPER_PRETRAIN_GRID,
        recipe=PAPER_RECIPE,
        downstream_grid=PAPER_DOWNSTREAM_GRID,
        probe_grid={"lrs": [1e-4, 5e-4, 1e-3], "batch_sizes": [32, 64], "weight_decays": [1e-4, 5e-4, 1e-3]},
        eval_clips=2,
        eval_crops=3,
        class_study=(10, 20, 0),
        clip_study=(250, 750, 1000),
        scene_study=(1, 2, 4),
        suite_classes=8,
        bias_subsets=(5, 8),
        static_encoder_epochs=30,
        static_encoder="tsn_r50",
        workers=8,
        precision="auto",
    ),
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise UserError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    return PRESETS[name]


def with_real_datasets(preset: Preset, datasets: dict) -> Preset:
    """Add real downstream suites and real pre-training sources from a user YAML mapping.

    ``datasets`` looks like ``{"downstream": {"ucf101": {"format": "ucf101", "root": "/data/ucf101",
    "split": 1}, ...}, "pretrain": {"kinetics150": {"format": "synapt_list", "root": ...}}}``. A
    downstream entry may add ``group`` (a regex naming the actor in each file name) and
    ``protocol: kfold`` with ``folds`` (default 5): k group-disjoint folds instead of the official
    split (``protocol: split``, the default). Every key is checked here; whether the data have
    enough groups for the folds is checked when the benchmark indexes them.
    """
    def suites(section: str, kind: str) -> tuple[Suite, ...]:
        out = []
        for name, spec in (datasets.get(section) or {}).items():
            where = f"datasets.{section}.{name}"
            if not isinstance(spec, dict) or "format" not in spec or "root" not in spec:
                raise UserError(f"{where}: needs 'format' and 'root'")
            unknown = sorted(set(spec) - set(SUITE_KEYS))
            if unknown:
                raise UserError(f"{where}: unknown key {unknown[0]!r} (keys: {', '.join(SUITE_KEYS)})")
            out.append(Suite(name=name, title=name, kind=kind, description=spec.get("description", ""),
                             format=spec["format"], root=spec["root"], annotations=spec.get("annotations"),
                             split=int(spec.get("split", 1)), **_protocol(spec, where=where, section=section)))
        return tuple(out)

    unknown = sorted(set(datasets) - {"downstream", "pretrain", "pretrained", "static_encoder"})
    if unknown:
        raise UserError(f"datasets: unknown key {unknown[0]!r} (keys: downstream, pretrain, pretrained, static_encoder)")
    preset = replace(preset, suites=preset.suites + suites("downstream", "real"),
                     real_pretrain=preset.real_pretrain + suites("pretrain", "real"),
                     pretrained=preset.pretrained + pretrained_weights(datasets.get("pretrained") or {}))
    static = datasets.get("static_encoder")
    if static is not None:
        if not isinstance(static, dict) or "weights" not in static or set(static) - {"weights", "model"}:
            raise UserError("datasets.static_encoder: needs 'weights' (a torchvision ImageNet ResNet-50 file) and "
                            "optionally 'model' (default tsn_r50); no other keys")
        preset = with_static_weights(preset, static["weights"], model=static.get("model", "tsn_r50"))
    return preset


SUITE_KEYS = ("format", "root", "annotations", "split", "description", "group", "protocol", "folds")
PRETRAINED_KEYS = ("weights", "models", "description")


def pretrained_weights(section: dict) -> tuple[PretrainedWeights, ...]:
    """``datasets.yaml``'s ``pretrained:`` entries, checked: ``{name: {weights, models?, description?}}``."""
    from synapt.report.tables import PRETRAIN_ORDER  # the benchmark's own rows
    from synapt.sim.video import sha256_file

    out = []
    for name, spec in section.items():
        where = f"datasets.pretrained.{name}"
        if name in PRETRAIN_ORDER:
            raise UserError(f"{where}: {name!r} names one of the benchmark's own rows; choose another name")
        if not isinstance(spec, dict) or "weights" not in spec:
            raise UserError(f"{where}: needs 'weights' (a weights file, e.g. torchvision's r2plus1d_18-91a641e6.pth)")
        unknown = sorted(set(spec) - set(PRETRAINED_KEYS))
        if unknown:
            raise UserError(f"{where}: unknown key {unknown[0]!r} (keys: {', '.join(PRETRAINED_KEYS)})")
        path = Path(spec["weights"]).expanduser()
        if not path.is_file():
            raise UserError(f"{where}.weights: {path} not found")
        models = spec.get("models")
        if models is not None and (not isinstance(models, list) or not all(isinstance(m, str) for m in models)):
            raise UserError(f"{where}.models: a list of model names (e.g. [r2plus1d_18]), not {models!r}")
        out.append(PretrainedWeights(name=name, weights=str(path.resolve()), sha256=sha256_file(path),
                                     models=tuple(models) if models is not None else None,
                                     description=str(spec.get("description", ""))))
    return tuple(out)
PROTOCOLS = ("split", "kfold")


def _protocol(spec: dict, *, where: str, section: str) -> dict:
    """``group`` and the k-fold protocol of one datasets.yaml entry, validated: {"group", "folds"}."""
    from synapt.bench.curate import compile_group_pattern

    group = spec.get("group")
    if group is not None:
        compile_group_pattern(group, where=f"{where}.group")
    protocol = spec.get("protocol", "split")
    if protocol not in PROTOCOLS:
        raise UserError(f"{where}.protocol: {protocol!r} is not a protocol (protocols: split = the dataset's "
                        "official split, kfold = k group-disjoint folds)")
    if protocol == "split":
        if "folds" in spec:
            raise UserError(f"{where}.folds: folds are for 'protocol: kfold' (this entry uses the official split)")
        return {"group": group, "folds": 0}
    if section != "downstream":
        raise UserError(f"{where}.protocol: kfold evaluates a downstream suite; a {section} source is trained on, "
                        "never tested (drop 'protocol')")
    if group is None:
        raise UserError(f"{where}: protocol: kfold needs 'group', a regex whose first capture group in each video's "
                        r"file name is its actor id (e.g. group: 'person(\d+)' for KTH's person01_boxing_d1_uncomp.avi)")
    folds = spec.get("folds", 5)
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise UserError(f"{where}.folds: {folds!r} is not a fold count (an integer of at least 2; default 5)")
    return {"group": group, "folds": folds}


def with_static_weights(preset: Preset, weights: str | Path, *, model: str = "tsn_r50") -> Preset:
    """The preset measuring B with a TSN whose 2-D trunk carries ``weights`` (torchvision ImageNet layout)."""
    path = Path(weights)
    if not path.is_file():
        raise UserError(f"static encoder weights {path} not found (a torchvision ImageNet ResNet-50 file, e.g. "
                        "resnet50-11ad3fa6.pth)")
    return replace(preset, static_weights=str(path.resolve()), static_encoder=model)
