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


def prepare_model(config: ModelConfig, *, mode: str, num_classes: int, builder: ModelBuilder | None = None) -> nn.Module:
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
    if mode in ("finetune", "linear_probe"):
        model = _from_checkpoint(config, builder=builder, options=options)
        model.reset_classifier(num_classes)
    else:
        model = builder(config.name, num_classes, **options)
        if config.weights:
            from synapt.models import load_weights

            load_weights(model, config.weights, source=config.weights_source)
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


def _from_checkpoint(config: ModelConfig, *, builder: ModelBuilder, options: dict) -> nn.Module:
    path = Path(config.weights)
    if config.weights_source != "synapt":
        # A foreign checkpoint (e.g. Kinetics weights from another codebase): the models stage
        # knows its key names; the head it brings is replaced anyway.
        from synapt.models import load_weights

        head = _foreign_head_size(path)
        model = builder(config.name, head, **options)
        load_weights(model, path, source=config.weights_source)
        return model
    state = load_checkpoint(path)
    weights = model_state_dict(state, path=path)
    meta = state.get("meta", {})
    if meta.get("arch") and meta["arch"] != config.name:
        raise UserError(f"checkpoint {path} is a {meta['arch']}, but model.name is {config.name}: set model.name={meta['arch']}")
    if "fc.weight" not in weights:
        raise UserError(f"checkpoint {path} has no 'fc.weight'; is it a synapt checkpoint? (set model.weights_source)")
    model = builder(config.name, int(weights["fc.weight"].shape[0]), **options)
    # Strict: every backbone key must match, or the "pre-trained" model would be partly random.
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise UserError(
            f"checkpoint {path} does not fit {config.name} with options {config.options}: "
            f"missing keys {missing[:5]}, unexpected keys {unexpected[:5]}"
        )
    return model


def _foreign_head_size(path: Path) -> int:
    weights = model_state_dict(load_checkpoint(path), path=path)
    for key in ("fc.weight", "head.weight", "cls_head.fc_cls.weight"):
        if key in weights:
            return int(weights[key].shape[0])
    return 1000
