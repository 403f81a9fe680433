"""Load published weights into synapt models: pure key converters plus one checked loader.

Sources (``load_weights(..., source=...)``; ``"auto"`` recognises each from its keys):

========================  ==========================================================================
``torchvision``           ImageNet ResNet file, e.g. ``resnet50-11ad3fa6.pth``: loads as is into a
                          2-D ResNet or TSN, and is inflated (``synapt.models.inflate``) into I3D or
                          R(2+1)D. Also torchvision's Kinetics video ResNets (``r3d_18-b3b3357e.pth``,
                          ``stem.`` keys): as is into ``r3d_18`` / ``mc3_18`` / ``r2plus1d_18``.
``pytorchvideo``          pytorchvideo hub ``.pyth`` (``X3D_XS.pyth``): ``model_state`` with
                          ``blocks.N.`` keys; the head ``blocks.5.proj`` becomes ``fc``.
``mmaction2``             mmaction2 TSN / I3D checkpoint: ``state_dict`` with ``backbone.`` keys,
                          ``convK.conv`` / ``convK.bn`` ConvModules, ``downsample.conv/bn``, and
                          ``cls_head.fc_cls``.
``ibm``                   IBM/action-recognition-pytorch ``.pth.tar`` (SynAPT trained with it):
                          ``state_dict`` saved from ``DataParallel``, every key prefixed ``module.``.
``timesformer``           official TimeSformer ``.pyth``: ``model_state`` with ``model.`` keys and
                          a ``head``.
``vit``                   a 2-D ViT in timm/DeiT layout, to initialise a TimeSformer: temporal
                          attention and its norm copied from the spatial ones, ``temporal_fc``
                          zeroed, time embedding zero, position embedding resized.
``synapt``                synapt's own checkpoint (``{"model": state_dict, "meta": ...}``) or a bare
                          state_dict in synapt's layout.
========================  ==========================================================================

Every load reports the keys it loaded, the model's keys the file did not provide (``missing``)
and the file's keys the model does not have (``unexpected``). A tensor whose shape differs from
the model's is refused with its key named, except position and time embeddings, which are
interpolated. Files are read with ``torch.load(..., weights_only=True)``: a file that needs to
unpickle code is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from synapt.errors import UserError
from synapt.io import torch_load_safely
from synapt.models.inflate import inflate_state_dict
from synapt.models.resnet3d import ResNet3d
from synapt.models.timesformer import TimeSformer, resize_pos_embed, resize_time_embed

StateDict = dict[str, torch.Tensor]

SOURCES = ("auto", "torchvision", "mmaction2", "ibm", "timesformer", "pytorchvideo", "vit", "synapt")


@dataclass
class LoadReport:
    """What ``load_weights`` did.

    Attributes:
        source: the layout the file was read as.
        loaded: model keys that received a tensor from the file.
        missing: model keys the file did not provide (left at their current values).
        unexpected: file keys (after conversion) the model does not have (ignored).
        skipped: keys left out on purpose, with the reason (``exclude``, shapes inflation cannot map).
        resized: keys interpolated to the model's shape (position / time embeddings).
        identity: (2+1)-D temporal keys set to the identity in time by inflation (also in ``loaded``).
    """

    source: str
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    resized: list[str] = field(default_factory=list)
    identity: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for logs."""
        parts = [f"{self.source}: loaded {len(self.loaded)} tensors"]
        for name in ("missing", "unexpected", "resized", "identity"):
            keys = getattr(self, name)
            if keys:
                parts.append(f"{name} {len(keys)} ({', '.join(keys[:6])}{', ...' if len(keys) > 6 else ''})")
        if self.skipped:
            parts.append(f"skipped {len(self.skipped)} ({', '.join(list(self.skipped)[:6])})")
        return "; ".join(parts)


# ----------------------------------------------------------------------------- pure converters


def _rename(state_dict: StateDict, rules: list[tuple[str, str]]) -> StateDict:
    out = {}
    for key, value in state_dict.items():
        for pattern, replacement in rules:
            key = re.sub(pattern, replacement, key)
        out[key] = value
    return out


def torchvision_to_synapt(state_dict: StateDict) -> StateDict:
    """torchvision ResNet -> synapt 2-D ResNet / TSN: the layouts are the same (a shallow copy)."""
    return dict(state_dict)


MMACTION2_RULES = [
    (r"^backbone\.", ""),
    (r"^cls_head\.fc_cls\.", "fc."),
    (r"\.downsample\.conv\.", ".downsample.0."),
    (r"\.downsample\.bn\.", ".downsample.1."),
    (r"(^|\.)conv(\d)\.conv\.", r"\1conv\2."),
    (r"(^|\.)conv(\d)\.bn\.", r"\1bn\2."),
]


def mmaction2_to_synapt(state_dict: StateDict) -> StateDict:
    """mmaction2 ResNet / ResNet3d recognizer -> synapt keys.

    ``backbone.layer1.0.conv1.conv.weight`` -> ``layer1.0.conv1.weight``,
    ``backbone.layer1.0.conv1.bn.running_mean`` -> ``layer1.0.bn1.running_mean``,
    ``backbone.layer1.0.downsample.conv.weight`` -> ``layer1.0.downsample.0.weight``,
    ``cls_head.fc_cls.weight`` -> ``fc.weight``.
    """
    return _rename(state_dict, MMACTION2_RULES)


def ibm_to_synapt(state_dict: StateDict) -> StateDict:
    """IBM/action-recognition-pytorch (DataParallel) -> synapt: drop the ``module.`` prefix.

    Their ``resnet`` (TSN), ``i3d_resnet`` and ``s3d_resnet`` use torchvision's names, and the
    (2+1)-D ``conv2_t`` / ``bn2_t``, exactly as synapt's ``tsn_r50``, ``i3d_r50(style="ibm")`` and
    ``r2plus1d_r50(mid_channels="planes")``.
    """
    return _rename(state_dict, [(r"^module\.", "")])


def timesformer_official_to_synapt(state_dict: StateDict) -> StateDict:
    """Official TimeSformer -> synapt: drop the wrapper's ``model.`` prefix, ``head`` -> ``fc``."""
    return _rename(state_dict, [(r"^model\.", ""), (r"^head\.", "fc.")])


# pytorchvideo's heads (``ResNetBasicHead``) sit in the last block and name their linear layer ``proj``.
PYTORCHVIDEO_HEAD = re.compile(r"^blocks\.\d+\.proj\.")


def pytorchvideo_to_synapt(state_dict: StateDict) -> StateDict:
    """pytorchvideo (``create_x3d``) -> synapt X3D: the head ``blocks.5.proj`` -> ``fc``, the rest as is."""
    return {PYTORCHVIDEO_HEAD.sub("fc.", key): value for key, value in state_dict.items()}


def vit_to_timesformer(state_dict: StateDict, *, num_frames: int) -> StateDict:
    """2-D ViT (timm/DeiT keys) -> TimeSformer with divided attention, as the official init does.

    Temporal attention and ``temporal_norm1`` start as copies of the spatial ``attn`` and ``norm1``;
    ``temporal_fc`` is zero, so each block first computes exactly the image model's block; the time
    embedding is zero. A linear patch embedding (JAX-ported files) becomes the 2-D convolution.

    Args:
        state_dict: ViT weights (``cls_token``, ``pos_embed``, ``patch_embed.proj``, ``blocks.N.*``,
            ``norm``, ``head``).
        num_frames: T of the target TimeSformer's time embedding.
    """
    out: StateDict = {}
    for key, value in state_dict.items():
        if key.startswith("head."):
            out["fc." + key[len("head."):]] = value
            continue
        if key == "patch_embed.proj.weight" and value.dim() == 2:
            patch = int(round((value.shape[1] / 3) ** 0.5))
            value = value.reshape(value.shape[0], 3, patch, patch)
        out[key] = value
        block = re.match(r"^blocks\.(\d+)\.(attn|norm1)\.(.+)$", key)
        if block:
            index, part, rest = block.groups()
            temporal = "temporal_attn" if part == "attn" else "temporal_norm1"
            out[f"blocks.{index}.{temporal}.{rest}"] = value.clone()
            if part == "attn" and rest.startswith("proj."):
                out[f"blocks.{index}.temporal_fc.{rest[len('proj.'):]}"] = torch.zeros_like(value)
    if "cls_token" in state_dict:
        dim = state_dict["cls_token"].shape[-1]
        out["time_embed"] = torch.zeros(1, num_frames, dim, dtype=state_dict["cls_token"].dtype)
    return out


CONVERTERS = {
    "torchvision": torchvision_to_synapt,
    "mmaction2": mmaction2_to_synapt,
    "ibm": ibm_to_synapt,
    "timesformer": timesformer_official_to_synapt,
    "pytorchvideo": pytorchvideo_to_synapt,
    "synapt": dict,
}


def detect_source(state_dict: StateDict) -> str:
    """Guess the layout of a state_dict from its keys (one of ``SOURCES`` minus ``"auto"``)."""
    keys = list(state_dict)
    if any(k.startswith(("backbone.", "cls_head.")) for k in keys):
        return "mmaction2"
    official = any(k.startswith("model.") for k in keys)
    if official and any(".temporal_attn." in k or k.endswith("time_embed") for k in keys):
        return "timesformer"
    if keys and all(k.startswith("module.") for k in keys):
        return "ibm"
    if any(PYTORCHVIDEO_HEAD.match(k) for k in keys):
        return "pytorchvideo"
    if "blocks.0.conv.conv_t.weight" in state_dict:  # an X3D already in synapt's layout (head at fc)
        return "synapt"
    if "stem.0.weight" in state_dict:  # torchvision's video ResNets: synapt's layout as well
        return "torchvision"
    if "blocks.0.attn.qkv.weight" in state_dict:
        return "synapt" if "blocks.0.temporal_attn.qkv.weight" in state_dict else "vit"
    conv1 = state_dict.get("conv1.weight")
    if conv1 is not None:
        return "torchvision" if conv1.dim() == 4 else "synapt"
    raise UserError(
        "cannot tell which layout these weights are in (first keys: "
        f"{', '.join(keys[:4])}); pass source= one of {', '.join(SOURCES[1:])}"
    )


# ----------------------------------------------------------------------------- files


def read_checkpoint(path: str | Path) -> StateDict:
    """Read a weights file safely and return its state_dict (unwrapping the usual containers).

    Containers: ``state_dict`` (mmaction2, IBM), ``model_state`` (TimeSformer), ``model``
    (DeiT, synapt checkpoints); a bare state_dict is returned as is.
    """
    path = Path(path)
    obj = torch_load_safely(path, what="weights file")
    if isinstance(obj, dict):
        for container in ("state_dict", "model_state", "model"):
            inner = obj.get(container)
            if isinstance(inner, dict) and inner and all(isinstance(v, torch.Tensor) for v in inner.values()):
                return dict(inner)
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return dict(obj)
    raise UserError(
        f"{path}: no state_dict found (looked for a tensor dict at the top level and under "
        "'state_dict', 'model_state', 'model')"
    )


# ----------------------------------------------------------------------------- fitting to a model


def _fit_embeddings(state_dict: StateDict, model: nn.Module, report: LoadReport, *, path: Path) -> StateDict:
    """Interpolate TimeSformer position / time embeddings to the model's grid and frame count."""
    if not isinstance(model, TimeSformer):
        return state_dict
    out = dict(state_dict)
    pos = out.get("pos_embed")
    if pos is not None and pos.shape != model.pos_embed.shape:
        side = int(round((model.pos_embed.shape[1] - 1) ** 0.5))
        try:
            out["pos_embed"] = resize_pos_embed(pos, (side, side))
        except ValueError as err:  # e.g. DeiT-distilled: two class tokens before the grid
            raise UserError(f"{path}: key 'pos_embed' of shape {tuple(pos.shape)} cannot be resized: {err}") from None
        report.resized.append("pos_embed")
    time = out.get("time_embed")
    if time is not None and time.shape != model.time_embed.shape:
        out["time_embed"] = resize_time_embed(time, model.time_embed.shape[1])
        report.resized.append("time_embed")
    return out


def _check_shapes(state_dict: StateDict, target: StateDict, *, path: Path, arch: str) -> None:
    for key, value in state_dict.items():
        if key in target and tuple(value.shape) != tuple(target[key].shape):
            hint = (
                " (a different number of classes: pass exclude=('fc.',) to keep the model's fresh head)"
                if key.startswith("fc.")
                else " (a different architecture or width; check the model name and its options)"
            )
            raise UserError(
                f"{path}: key {key!r} has shape {tuple(value.shape)} in the file but "
                f"{tuple(target[key].shape)} in {arch}{hint}"
            )


def load_weights(
    model: nn.Module,
    path: str | Path,
    *,
    source: str = "auto",
    exclude: tuple[str, ...] = (),
) -> LoadReport:
    """Load a published weights file into a synapt model, converting its keys, and report.

    Args:
        model: a model from ``synapt.models.build_model``.
        path: the weights file (``.pth``, ``.pth.tar``, ``.pyth``, ``.pt``).
        source: the file's layout (see the module docstring) or ``"auto"`` to detect it.
        exclude: key prefixes to leave out, e.g. ``("fc.",)`` to keep a fresh head for a new label set.

    Returns:
        A ``LoadReport``; tensors are copied into ``model`` in place.

    Raises:
        UserError: unknown source, unreadable or unsafe file, or a shape mismatch (naming the key).
    """
    if source not in SOURCES:
        raise UserError(f"unknown weights source {source!r}; choose one of {', '.join(SOURCES)}")
    path = Path(path)
    raw = read_checkpoint(path)
    if source == "auto":
        source = detect_source(raw)
    report = LoadReport(source=source)
    target = model.state_dict()
    arch = getattr(model, "arch", type(model).__name__)

    if source == "vit":
        if not isinstance(model, TimeSformer):
            raise UserError(f"{path}: ViT weights initialise a TimeSformer, not {arch}")
        converted = vit_to_timesformer(raw, num_frames=model.time_embed.shape[1])
    else:
        converted = CONVERTERS[source](raw)

    for key in [k for k in converted if exclude and k.startswith(tuple(exclude))]:
        converted.pop(key)
        report.skipped[key] = "excluded"

    # A 2-D ResNet (ImageNet, a TSN) into a 3-D model: inflate rather than refuse the 4-D kernels.
    conv1 = converted.get("conv1.weight")
    if isinstance(model, ResNet3d) and conv1 is not None and conv1.dim() == 4:
        # Inflation skips kernels it cannot map (reported), but a head of another size is the
        # user's choice to make, as for every other source.
        _check_shapes({k: v for k, v in converted.items() if k.startswith("fc.")}, target, path=path, arch=arch)
        tensors, inflation = inflate_state_dict(converted, {k: v.shape for k, v in target.items()})
        report.skipped.update(inflation.skipped)
        report.identity = list(inflation.identity)
        converted = tensors
        report.unexpected = list(inflation.unused)
        report.source = f"{source} (inflated)"

    converted = _fit_embeddings(converted, model, report, path=path)
    _check_shapes(converted, target, path=path, arch=arch)
    loadable = {k: v for k, v in converted.items() if k in target}
    if converted and not loadable:
        # A file of another family (e.g. a TimeSformer into r3d_18) would otherwise load nothing and
        # leave the model at its random initialisation without a word.
        raise UserError(
            f"{path}: none of its {len(converted)} tensors (read as {source}; e.g. {', '.join(list(converted)[:3])}) "
            f"has a key of {arch} (e.g. {', '.join(list(target)[:3])}); check the model name and source="
        )
    report.unexpected += [k for k in converted if k not in target]
    report.missing = [k for k in target if k not in loadable and k not in report.skipped]
    report.loaded = list(loadable)
    model.load_state_dict(loadable, strict=False)
    return report
