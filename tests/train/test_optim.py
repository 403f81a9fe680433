"""The optimizer recipes: SGD as the paper ran it, AdamW with decay on weights only."""

import pytest
import torch

from torch import nn

from synapt.config import load_config
from synapt.errors import UserError
from synapt.models import build_model
from synapt.train.optim import build_optimizer, parameter_groups


def test_sgd_is_the_paper_recipe_on_every_parameter():
    model = build_model("tsn_tiny", 5)
    opt = build_optimizer(model, load_config(None, ["optim.lr=0.02"]).optim)
    assert isinstance(opt, torch.optim.SGD)
    (group,) = opt.param_groups
    assert group["momentum"] == 0.9 and group["weight_decay"] == 1e-4 and group["lr"] == 0.02
    assert len(group["params"]) == len(list(model.parameters()))


def test_adamw_decays_weights_but_not_norms_biases_or_listed_embeddings():
    model = build_model("timesformer_tiny", 5)
    opt = build_optimizer(model, load_config(None, ["optim.name=adamw", "optim.lr=1e-3", "optim.weight_decay=0.05",
                                                    "optim.betas=[0.9, 0.99]"]).optim)
    assert isinstance(opt, torch.optim.AdamW)
    decayed, undecayed = opt.param_groups
    assert decayed["weight_decay"] == 0.05 and undecayed["weight_decay"] == 0.0 and decayed["betas"] == (0.9, 0.99)
    names = {id(p): n for n, p in model.named_parameters()}
    undecayed_names = {names[id(p)] for p in undecayed["params"]}
    assert set(model.no_weight_decay()) <= undecayed_names
    assert all(p.ndim >= 2 for p in decayed["params"])
    assert {n for n in names.values() if n.endswith(".bias") or "norm" in n} <= undecayed_names
    assert len(decayed["params"]) + len(undecayed["params"]) == len(names)


def test_frozen_parameters_stay_out_of_every_group():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    model[0].requires_grad_(False)
    groups = parameter_groups(model, weight_decay=0.1)
    kept = [p for g in groups for p in g["params"]]
    assert len(kept) == 4 and all(p.requires_grad for p in kept)


def test_adamw_step_leaves_a_zero_gradient_bias_alone_but_shrinks_weights():
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    before_w, before_b = model.weight.detach().clone(), model.bias.detach().clone()
    opt = build_optimizer(model, load_config(None, ["optim.name=adamw", "optim.lr=0.1", "optim.weight_decay=0.5"]).optim)
    model.weight.grad = torch.zeros_like(model.weight)
    model.bias.grad = torch.zeros_like(model.bias)
    opt.step()
    assert torch.allclose(model.weight, before_w * (1 - 0.1 * 0.5))  # decoupled decay alone
    assert torch.equal(model.bias, before_b)


@pytest.mark.parametrize("override, message", [
    ("optim.name=adam", "optim.name must be one of sgd, adamw"),
    ("optim.label_smoothing=1.0", "optim.label_smoothing must be in [0, 1)"),
    ("optim.betas=[0.9]", "optim.betas needs two values"),
    ("data.train_crop=corner", "data.train_crop must be one of auto, multiscale"),
    ("data.cache_mb=-1", "data.cache_mb must be 0"),
])
def test_bad_recipe_values_name_the_key(override, message):
    with pytest.raises(UserError) as err:
        load_config(None, [override])
    assert message in str(err.value)
