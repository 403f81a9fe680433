"""The four training modes as model preparation: which weights to start from, what trains.

    pretrain      random init, or a foreign file (an ImageNet ResNet, inflated where the
                  model allows) through ``synapt.models.load_weights``
    finetune      every layer from a synapt checkpoint, a new head for the new label set
    linear_probe  as finetune, then backbone frozen AND BatchNorm in eval mode: only ``fc`` trains
    scratch       random init, trained with the fine-tuning recipe
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from torch import nn

from synapt.config import ModelConfig
from synapt.errors import UserError
from synapt.train.checkpoint import load_checkpoint, model_state_dict

ModelBuilder = Callable[..., nn.Module]


def default_builder() -> ModelBuilder:
    from synapt.models import build_model

    return build_model


def prepare_model(config: ModelConfig, *, mode: str, num_classes: int,
                  builder: ModelBuilder | None = None) -> nn.Module:
    """Build the network for ``mode`` and load its starting weights.

    Args:
        config: the ``model`` section (name, options, dropout, weights, weights_source).
        mode: one of ``pretrain``, ``finetune``, ``linear_probe``, ``scratch``.
        num_classes: size of the head for the data being trained on.
        builder: ``build_model(name, num_classes, **options)``; synapt's registry by default.

    Returns:
        The model, on CPU, with ``requires_grad`` set for the mode.
    """
    builder = builder or default_builder()
    options = {"dropout": config.dropout, **config.options}
    if config.weights and config.weights_source in ("auto", "synapt") and _is_synapt_checkpoint(config.weights):
        # Our own checkpoint: rebuilt with its head, loaded strictly, then given a new head.
        model = _from_checkpoint(config, builder=builder, options=options)
        model.reset_classifier(num_classes)
    else:
        model = builder(config.name, num_classes, **options)
        if config.weights:
            _load_foreign(model, config)
    if mode == "linear_probe":
        freeze_backbone(model)
    return model


def freeze_backbone(model: nn.Module) -> None:
    """Only the head (``model.fc``) keeps ``requires_grad``."""
    head = {id(p) for p in model.fc.parameters()}
    for p in model.parameters():
        p.requires_grad_(id(p) in head)


def set_train_mode(model: nn.Module, mode: str) -> None:
    """``model.train()``, except that a linear probe keeps every BatchNorm in eval mode.

    A frozen backbone whose BatchNorm still updated its running statistics would not be frozen:
    its features would drift with the probe's data. Call this at every epoch start and after
    every evaluation (``model.eval()`` there, ``train()`` here).
    """
    model.train()
    if mode == "linear_probe":
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()


def _is_synapt_checkpoint(path: str) -> bool:
    state = load_checkpoint(path)
    return isinstance(state.get("meta"), dict) and isinstance(state.get("model"), dict)


def _load_foreign(model: nn.Module, config: ModelConfig) -> None:
    """A published file (ImageNet ResNet, mmaction2, IBM, TimeSformer...) through the models
    stage's converters; its head is left out (another label set), everything else must land."""
    from synapt.models import load_weights

    report = load_weights(model, config.weights, source=config.weights_source, exclude=("fc.",))
    missing = [key for key in report.missing if not key.startswith("fc.")]
    # An I3D inflated from a 2-D file legitimately lacks nothing; a model half-filled is a mistake.
    if missing:
        raise UserError(f"weights {config.weights} (read as {report.source}) leave {len(missing)} keys of "
                        f"{config.name} random, e.g. {missing[:3]}; check model.name and model.weights_source")


def _from_checkpoint(config: ModelConfig, *, builder: ModelBuilder, options: dict) -> nn.Module:
    path = Path(config.weights)
    state = load_checkpoint(path)
    weights = model_state_dict(state, path=path)
    meta = state.get("meta", {})
    if meta.get("arch") and meta["arch"] != config.name:
        raise UserError(f"checkpoint {path} is a {meta['arch']}, but model.name is {config.name}: "
                        f"set model.name={meta['arch']}")
    if "fc.weight" not in weights:
        raise UserError(f"checkpoint {path} has no 'fc.weight'; is it a synapt checkpoint? (set model.weights_source)")
    model = builder(config.name, int(weights["fc.weight"].shape[0]), **options)
    # Every backbone key must match, or the "pre-trained" model would be partly random.
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise UserError(
            f"checkpoint {path} does not fit {config.name} with options {config.options}: "
            f"missing keys {missing[:5]}, unexpected keys {unexpected[:5]}"
        )
    return model
