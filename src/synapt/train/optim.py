"""The optimizer of a run, from the ``optim`` config section.

    sgd    momentum SGD with L2 weight decay on every parameter: the paper's (and mmaction2's
           TSN/I3D) recipe, kept exactly so its numbers stay comparable.
    adamw  Adam with decoupled weight decay (Loshchilov & Hutter) applied to weights only: norm
           layers' scales and shifts, biases and the parameters a model names in
           ``no_weight_decay()`` (TimeSformer's embeddings) are never decayed, as in timm's and
           pytorchvideo's recipes. Decaying a BatchNorm scale only shrinks the features the next
           layer's weights then have to grow back.
"""

from __future__ import annotations

import torch
from torch import nn

from synapt.config import OptimConfig


def parameter_groups(model: nn.Module, *, weight_decay: float) -> list[dict]:
    """Trainable parameters split into a decayed group (weights) and an undecayed one.

    A parameter is undecayed when it is one-dimensional (biases, norm scales and shifts) or its
    name is in ``model.no_weight_decay()``. Frozen parameters (a linear probe's backbone) are left
    out. Returns ``[{"params": [...], "weight_decay": wd}, {"params": [...], "weight_decay": 0.0}]``
    with empty groups dropped.
    """
    skip = set(model.no_weight_decay()) if hasattr(model, "no_weight_decay") else set()
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (no_decay if param.ndim <= 1 or name in skip else decay).append(param)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return [g for g in groups if g["params"]]


def build_optimizer(model: nn.Module, config: OptimConfig) -> torch.optim.Optimizer:
    """``torch.optim.SGD`` or ``torch.optim.AdamW`` over the model's trainable parameters.

    The learning rate set here is the base rate; the training loop sets every group's ``lr``
    from the schedule at each step.
    """
    if config.name == "adamw":
        return torch.optim.AdamW(parameter_groups(model, weight_decay=config.weight_decay), lr=config.lr,
                                 betas=tuple(config.betas))
    trainable = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.SGD(trainable, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
