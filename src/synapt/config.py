"""Typed run configs: dataclasses filled from YAML, then from dotted ``key=value`` overrides.

    config = load_config("configs/tsn_tiny_1x1x8_synapt-pretrain.yaml", ["optim.lr=0.02"])

Every key is checked against the dataclass fields: an unknown key is an error that names the
key and the closest valid one (``unknown key 'optim.lrr' (did you mean 'optim.lr'?)``), and a
value of the wrong type is an error that names the key and the expected type. Override values
are parsed as YAML scalars, so ``optim.lr=1e-3`` is a float, ``model.weights=null`` is None and
``eval.num_clips=[1,3]`` would be a list (and is refused, because the field is an int).
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from synapt.errors import UserError

MODES = ("pretrain", "finetune", "linear_probe", "scratch")
PRECISIONS = ("fp32", "bf16", "fp16", "auto")
OPTIMIZERS = ("sgd", "adamw")

# ImageNet statistics in 0-1 pixel units: what torchvision-compatible weights expect.
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


@dataclass
class DataConfig:
    """Where the clips come from and how one view is cut from a video.

    ``num_frames x frame_interval x num_clips`` is mmaction2's sampling vocabulary; ``size`` is
    the square crop side in pixels; ``workers`` None means one per spare core (at most 4).

    ``train_crop`` is the training-time spatial augmentation, and it also sets the evaluation
    crop (see ``synapt.data.transforms.CROP_POLICIES``): ``multiscale`` is TSN's corner crops of
    66-100% of the short side (the 224 px recipe), ``light`` a square of 80-100% of the short side
    placed anywhere, ``none`` the whole centred square. ``auto`` (default) is ``none`` at
    ``size <= 112`` px and ``multiscale`` above: at small sizes a corner crop of 66% cuts a small
    subject out of the clip, and every crop measured slowed learning (``docs/training.md``). ``temporal_jitter`` draws TSN's frame in
    each segment at random (training); off, training takes the segment centres as testing does.
    ``cache_mb`` keeps decoded train and val clips in memory up to that many MB per loading
    process (0: decode every time): short generated clips then decode once, not once an epoch.
    Training starts new loader workers every epoch, so the cache pays with ``workers: 0``
    (decoding in the training process, the right choice for small clips on a few cores).
    """

    format: str = "synapt"
    root: str = ""
    annotations: str | None = None
    split: int = 1
    train_split: str = "train"
    val_split: str = "val"
    test_split: str = "test"
    num_frames: int = 8
    sampling: str = "tsn"
    frame_interval: int = 1
    size: int = 112
    mean: list[float] = field(default_factory=lambda: list(IMAGENET_MEAN))
    std: list[float] = field(default_factory=lambda: list(IMAGENET_STD))
    flip: bool = True
    train_crop: str = "auto"
    temporal_jitter: bool = True
    cache_mb: float = 0.0
    workers: int | None = None
    on_error: str = "raise"


@dataclass
class ModelConfig:
    """The network: a ``synapt.models`` name, its options, and the weights it starts from.

    ``weights`` is a synapt checkpoint (``finetune``, ``linear_probe``) or a foreign file such
    as a torchvision ImageNet ResNet (``pretrain``, inflated where the model allows);
    ``weights_source`` tells ``synapt.models.load_weights`` what the file is (``auto`` detects
    it; a synapt checkpoint is recognised by its ``meta``).
    """

    name: str = "tsn_tiny"
    options: dict[str, Any] = field(default_factory=dict)
    dropout: float = 0.5
    weights: str | None = None
    weights_source: str = "auto"


@dataclass
class OptimConfig:
    """The optimizer; ``batch_size`` is clips per process per step.

    ``sgd`` (default) is the paper's recipe: momentum, L2 weight decay on every parameter.
    ``adamw`` decouples the weight decay and applies it to weights only: never to norm layers,
    biases, or the parameters a model lists in ``no_weight_decay()`` (embeddings). ``momentum``
    is SGD's; AdamW uses ``betas``. ``label_smoothing`` mixes the one-hot target with the uniform
    distribution (0.1 in most video recipes; 0 is plain cross-entropy).
    """

    name: str = "sgd"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 1e-4
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    label_smoothing: float = 0.0
    batch_size: int = 8
    grad_clip: float | None = None
    loss_scale: float = 2.0**16  # fp16 only: the dynamic GradScaler's starting scale (halved on overflow)


@dataclass
class ScheduleConfig:
    """Linear warm-up then cosine decay to ``min_lr``, in optimizer steps derived from epochs."""

    epochs: int = 10
    warmup_epochs: float = 0.0
    min_lr: float = 0.0


@dataclass
class EvalConfig:
    """Single-view validation every ``every`` epochs; multi-view test at the end.

    The test protocol is ``num_clips x num_crops`` views per video (uniform clips, three
    spatial crops when ``num_crops`` is 3), softmax averaged per video.
    """

    every: int = 1
    batch_size: int = 8
    test: bool = True
    num_clips: int = 1
    num_crops: int = 1


@dataclass
class ProbeConfig:
    """Linear probing on cached features (``mode: linear_probe`` with ``cache: true``).

    Features are extracted once per (checkpoint, dataset, view protocol); the head is trained
    for every combination of ``lrs x batch_sizes x weight_decays`` and the best on validation
    is kept. Caching removes augmentation from the probe (every epoch sees the same views).
    ``standardize`` trains the head on features standardised with the training set's
    per-dimension statistics (folded into the saved head; see ``probe.train_head``).
    """

    cache: bool = True
    standardize: bool = True
    cache_dir: str | None = None
    epochs: int = 20
    lrs: list[float] = field(default_factory=lambda: [0.1])
    batch_sizes: list[int] = field(default_factory=lambda: [32])
    weight_decays: list[float] = field(default_factory=lambda: [0.0])


@dataclass
class TrainConfig:
    """One training run. ``checkpoint_every`` (optimizer steps, 0 = epoch ends only) bounds the
    work lost to a crash; ``precision`` ``auto`` is bf16 autocast where the CPU or GPU supports
    it and fp32 elsewhere."""

    mode: str = "pretrain"
    seed: int = 0
    precision: str = "fp32"
    checkpoint_every: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)


def load_config(path: str | Path | None, overrides: list[str] | tuple[str, ...] = ()) -> TrainConfig:
    """Read a YAML file (or start from defaults when ``path`` is None) and apply overrides.

    Args:
        path: a YAML mapping whose nested keys mirror :class:`TrainConfig`.
        overrides: ``"dotted.key=value"`` strings, values parsed as YAML scalars.

    Returns:
        The validated config.
    """
    raw: dict[str, Any] = {}
    where = "defaults"
    if path is not None:
        path = Path(path)
        where = f"config {path}"
        if not path.is_file():
            raise UserError(f"config file {path} not found")
        loaded = yaml.safe_load(path.read_text())
        if loaded is not None and not isinstance(loaded, dict):
            raise UserError(f"config {path}: the top level must be a mapping of keys, got {type(loaded).__name__}")
        raw = loaded or {}
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"override {item!r} is not key=value (e.g. optim.lr=0.01)")
        _set_dotted(raw, key.strip(), yaml.safe_load(text) if text.strip() else None, where="override")
    return config_from_dict(raw, where=where)


def config_from_dict(raw: dict[str, Any], *, where: str = "config") -> TrainConfig:
    """Build a validated :class:`TrainConfig` from a nested dict (e.g. a saved ``config.yaml``)."""
    config = _build(TrainConfig, raw, prefix="", where=where)
    validate(config, where=where)
    return config


def config_to_dict(config: Any) -> dict[str, Any]:
    """The nested plain-dict form, as saved in ``config.yaml`` and in checkpoints."""
    return dataclasses.asdict(config)


def flatten(nested: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"optim": {"lr": 0.1}}`` -> ``{"optim.lr": 0.1}`` (dicts that are field values stay whole)."""
    flat: dict[str, Any] = {}
    for key, value in nested.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and key not in _FREE_FORM:
            flat.update(flatten(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def differing_keys(a: dict[str, Any], b: dict[str, Any], *, ignore: tuple[str, ...] = ()) -> list[str]:
    """Dotted keys whose values differ between two nested config dicts (sorted)."""
    fa, fb = flatten(a), flatten(b)
    return sorted(k for k in set(fa) | set(fb) if k not in ignore and fa.get(k, _MISSING) != fb.get(k, _MISSING))


def valid_keys() -> list[str]:
    """Every dotted key a config may set."""
    return sorted(flatten(config_to_dict(TrainConfig())))


def validate(config: TrainConfig, *, where: str = "config") -> None:
    """Value checks that the types alone cannot express."""
    from synapt.data.transforms import CROP_POLICIES

    crops = ("auto", *CROP_POLICIES)
    checks = [
        (config.mode in MODES, "mode", f"must be one of {', '.join(MODES)}"),
        (config.precision in PRECISIONS, "precision", f"must be one of {', '.join(PRECISIONS)}"),
        (config.data.num_frames >= 1, "data.num_frames", "must be at least 1"),
        (config.data.size >= 8, "data.size", "must be at least 8 pixels"),
        (len(config.data.mean) == 3 and len(config.data.std) == 3, "data.mean/std", "need 3 values (RGB)"),
        (config.data.on_error in ("raise", "skip"), "data.on_error", "must be raise or skip"),
        (config.data.cache_mb >= 0, "data.cache_mb", "must be 0 (no cache) or a number of MB"),
        (config.data.train_crop in crops, "data.train_crop", f"must be one of {', '.join(crops)}"),
        (config.optim.name in OPTIMIZERS, "optim.name", f"must be one of {', '.join(OPTIMIZERS)}"),
        (config.optim.lr > 0, "optim.lr", "must be positive"),
        (len(config.optim.betas) == 2 and all(0 <= b < 1 for b in config.optim.betas), "optim.betas",
         "needs two values in [0, 1), e.g. [0.9, 0.999]"),
        (0 <= config.optim.label_smoothing < 1, "optim.label_smoothing", "must be in [0, 1)"),
        (config.optim.batch_size >= 1, "optim.batch_size", "must be at least 1"),
        (config.optim.loss_scale > 0, "optim.loss_scale", "must be positive (2^16 is the usual start)"),
        (config.schedule.epochs >= 1, "schedule.epochs", "must be at least 1"),
        (config.schedule.warmup_epochs >= 0, "schedule.warmup_epochs", "must be 0 or more"),
        (config.eval.every >= 1, "eval.every", "must be at least 1"),
        (config.eval.num_clips >= 1 and config.eval.num_crops in (1, 3), "eval.num_clips/num_crops",
         "num_clips must be at least 1 and num_crops 1 or 3"),
        (config.checkpoint_every >= 0, "checkpoint_every", "must be 0 (epoch ends) or a number of steps"),
        (config.mode != "scratch" or config.model.weights is None, "model.weights",
         "must be null in scratch mode (random init); use finetune to start from weights"),
        (config.mode not in ("finetune", "linear_probe") or config.model.weights, "model.weights",
         f"is required in {config.mode} mode (a checkpoint to start from)"),
        (bool(config.probe.lrs and config.probe.batch_sizes and config.probe.weight_decays), "probe",
         "lrs, batch_sizes and weight_decays need at least one value each"),
    ]
    for ok, key, message in checks:
        if not ok:
            raise UserError(f"{where}: {key} {message}")


# --------------------------------------------------------------------------------------------
# Building dataclasses from dicts, with type checks.

_MISSING = object()
# Fields whose value is a free-form mapping (passed through to a builder), not a nested config.
_FREE_FORM = {"options"}


def _set_dotted(raw: dict[str, Any], key: str, value: Any, *, where: str) -> None:
    parts = key.split(".")
    node = raw
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise UserError(f"{where}: {'.'.join(parts[: i + 1])} is a value, not a section; cannot set {key}")
        node = child
    node[parts[-1]] = value


def _build(cls: type, raw: Any, *, prefix: str, where: str) -> Any:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise UserError(f"{where}: {prefix.rstrip('.') or 'top level'} must be a mapping, got {raw!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if key not in names:
            raise UserError(f"{where}: unknown key '{dotted}'{_suggestion(dotted)}")
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            kwargs[key] = _build(hint, value, prefix=f"{dotted}.", where=where)
        else:
            kwargs[key] = _coerce(value, hint, key=dotted, where=where)
    return cls(**kwargs)


def _suggestion(dotted: str) -> str:
    keys = valid_keys()
    close = difflib.get_close_matches(dotted, keys, n=1, cutoff=0.5)
    if not close:
        # A key given at the wrong level ("lr" for "optim.lr") matches on its last part.
        last = dotted.rsplit(".", 1)[-1]
        close = [k for k in keys if k.rsplit(".", 1)[-1] == last][:1]
        if not close:
            close = difflib.get_close_matches(last, keys, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _coerce(value: Any, hint: Any, *, key: str, where: str) -> Any:
    """Check ``value`` against a type hint; ints are accepted where floats are expected."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, arg, key=key, where=where)
            except UserError as err:
                errors.append(err)
        raise errors[0]
    if origin is list:
        if not isinstance(value, (list, tuple)):
            raise UserError(f"{where}: {key} must be a list, got {value!r}")
        return [_coerce(v, args[0], key=f"{key}[{i}]", where=where) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise UserError(f"{where}: {key} must be a mapping, got {value!r}")
        return dict(value)
    if hint is Any:
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str):
        # PyYAML reads "1e-3" (no dot) as a string; accept any text that is a number.
        try:
            return float(value)
        except ValueError:
            pass
    if hint is int and isinstance(value, bool) or not isinstance(value, hint):
        raise UserError(f"{where}: {key} must be {hint.__name__}, got {value!r}")
    return value
