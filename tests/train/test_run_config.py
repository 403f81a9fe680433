"""Typed configs: YAML, dotted overrides, unknown keys with suggestions, type checks."""

from __future__ import annotations

import pytest
import yaml

from synapt.config import (
    TrainConfig,
    config_from_dict,
    config_to_dict,
    differing_keys,
    flatten,
    load_config,
)
from synapt.errors import UserError


def write(tmp_path, data) -> str:
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_defaults_are_the_paper_recipe():
    config = load_config(None)
    assert config.optim.momentum == 0.9
    assert config.model.dropout == 0.5
    assert config.data.num_frames == 8
    assert config.mode == "pretrain"


def test_yaml_then_overrides_with_yaml_scalars(tmp_path):
    path = write(tmp_path, {"mode": "scratch", "optim": {"lr": 0.5, "batch_size": 4}})
    config = load_config(path, ["optim.lr=1e-3", "schedule.epochs=3", "model.options={width: 16}",
                                "data.workers=null", "data.mean=[0.5, 0.5, 0.5]"])
    assert config.mode == "scratch"
    assert config.optim.lr == pytest.approx(1e-3) and isinstance(config.optim.lr, float)
    assert config.optim.batch_size == 4
    assert config.schedule.epochs == 3
    assert config.model.options == {"width": 16}
    assert config.data.workers is None
    assert config.data.mean == [0.5, 0.5, 0.5]


def test_int_is_accepted_for_float():
    config = load_config(None, ["optim.lr=1"])
    assert config.optim.lr == 1.0 and isinstance(config.optim.lr, float)


@pytest.mark.parametrize(
    "override, message",
    [
        ("optim.lrr=0.1", "unknown key 'optim.lrr' (did you mean 'optim.lr'?)"),
        ("lr=0.1", "unknown key 'lr' (did you mean 'optim.lr'?)"),
        ("data.num_frame=8", "unknown key 'data.num_frame' (did you mean 'data.num_frames'?)"),
        ("optim.batch_size=2.5", "optim.batch_size must be int, got 2.5"),
        ("data.flip=1", "data.flip must be bool, got 1"),
        ("optim.batch_size=true", "optim.batch_size must be int, got True"),
        ("mode=pretrian", "mode must be one of pretrain, finetune, linear_probe, scratch"),
        ("optim.loss_scale=0", "optim.loss_scale must be positive"),
        ("optim", "override 'optim' is not key=value"),
    ],
)
def test_bad_keys_and_values_name_the_key(override, message):
    with pytest.raises(UserError) as err:
        load_config(None, [override])
    assert message in str(err.value)


def test_unknown_key_in_file_names_the_file(tmp_path):
    path = write(tmp_path, {"optim": {"momentun": 0.9}})
    with pytest.raises(UserError) as err:
        load_config(path)
    assert str(err.value) == f"config {path}: unknown key 'optim.momentun' (did you mean 'optim.momentum'?)"


def test_mode_needs_or_forbids_weights():
    with pytest.raises(UserError, match="model.weights is required in finetune mode"):
        load_config(None, ["mode=finetune"])
    with pytest.raises(UserError, match="model.weights must be null in scratch mode"):
        load_config(None, ["mode=scratch", "model.weights=a.pt"])


def test_round_trip_and_differing_keys():
    config = load_config(None, ["optim.lr=0.3", "model.options={width: 4}"])
    again = config_from_dict(config_to_dict(config))
    assert again == config
    other = config_to_dict(load_config(None, ["optim.lr=0.2", "seed=3", "model.options={width: 4}"]))
    assert differing_keys(config_to_dict(config), other) == ["optim.lr", "seed"]
    assert "model.options" in flatten(config_to_dict(TrainConfig()))


def test_every_example_config_loads():
    from pathlib import Path

    configs = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))
    assert len(configs) >= 5
    modes = {load_config(path).mode for path in configs}
    assert modes == {"pretrain", "finetune", "linear_probe", "scratch"}


def test_print_config_shows_the_resolved_keys(capsys):
    from synapt.cli import main

    assert main(["train", "optim.lr=0.5", "mode=scratch", "--print-config"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["optim"]["lr"] == 0.5 and printed["mode"] == "scratch"
    assert load_config(None, ["optim.lr=0.5", "mode=scratch"]) == config_from_dict(printed)
