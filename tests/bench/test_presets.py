"""datasets.yaml: real suites, their group pattern, the k-fold protocol and published weights, every key checked."""

import re

import pytest

from synapt.bench.presets import get_preset, with_real_datasets
from synapt.errors import UserError


def downstream(**spec):
    return with_real_datasets(get_preset("tiny"), {"downstream": {"kth": {"format": "folder", "root": "/data/kth", **spec}}})


def test_kfold_suite_with_a_group_pattern():
    (suite,) = downstream(group=r"person(\d+)", protocol="kfold", folds=4).suites
    assert (suite.group, suite.folds, suite.split) == (r"person(\d+)", 4, 1)
    assert suite.protocol == r"k-fold (k=4, group-disjoint by person(\d+))"
    assert downstream(group=r"person(\d+)", protocol="kfold").suites[0].folds == 5  # the default k
    split = downstream(group=r"^([a-z]+)_").suites[0]  # a group also keeps actors together in the val carve
    assert (split.folds, split.group, split.protocol) == (0, r"^([a-z]+)_", "official split")
    assert downstream(protocol="split").suites[0].folds == 0


@pytest.mark.parametrize("spec, message", [
    ({"groups": "p(\\d+)"}, "datasets.downstream.kth: unknown key 'groups' (keys: format, root, annotations, split, "
                            "description, group, protocol, folds)"),
    ({"protocol": "loso"}, "datasets.downstream.kth.protocol: 'loso' is not a protocol (protocols: split"),
    ({"protocol": "kfold"}, "protocol: kfold needs 'group', a regex whose first capture group"),
    ({"group": "person(\\d+", "protocol": "kfold"}, "datasets.downstream.kth.group: 'person(\\d+' is not a regular"),
    ({"group": "p(\\d+)", "protocol": "kfold", "folds": 1}, "datasets.downstream.kth.folds: 1 is not a fold count"),
    ({"group": "p(\\d+)", "protocol": "kfold", "folds": "5"}, "datasets.downstream.kth.folds: '5' is not a fold count"),
    ({"group": "p(\\d+)", "folds": 5}, "datasets.downstream.kth.folds: folds are for 'protocol: kfold'"),
])
def test_bad_keys_are_one_line_errors_naming_the_key(spec, message):
    with pytest.raises(UserError) as err:
        downstream(**spec)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_kfold_is_for_downstream_suites_only():
    with pytest.raises(UserError, match="datasets.pretrain.k150.protocol: kfold evaluates a downstream suite"):
        with_real_datasets(get_preset("tiny"), {"pretrain": {"k150": {"format": "folder", "root": "/x",
                                                                      "group": "p(\\d+)", "protocol": "kfold"}}})
    (source,) = with_real_datasets(get_preset("tiny"), {"pretrain": {"k150": {"format": "folder", "root": "/x",
                                                                             "group": "p(\\d+)"}}}).real_pretrain
    assert source.group == "p(\\d+)" and source.folds == 0


def _weights_file(path, model="tsn_tiny"):
    """A weights file in torchvision's layout (synapt's 2-D ResNets share it): a bare state dict."""
    import torch

    from synapt.models import build_model

    torch.save(build_model(model, num_classes=5).state_dict(), path)
    return path


def test_pretrained_weights_entries_are_checked_and_digested(tmp_path):
    import hashlib

    weights = _weights_file(tmp_path / "k400.pth")
    (entry,) = with_real_datasets(get_preset("tiny"), {"pretrained": {"kinetics400": {
        "weights": str(weights), "models": ["r2plus1d_w16"], "description": "torchvision K400"}}}).pretrained
    assert entry.sha256 == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert entry.fits("r2plus1d_w16") and not entry.fits("tsn_tiny") and entry.description == "torchvision K400"
    for spec, message in [
        ({"kinetics400": {"models": ["x"]}}, "datasets.pretrained.kinetics400: needs 'weights'"),
        ({"kinetics400": {"weights": str(tmp_path / "none.pth")}}, "datasets.pretrained.kinetics400.weights: "),
        ({"kinetics400": {"weights": str(weights), "model": "x"}}, "unknown key 'model'"),
        ({"kinetics400": {"weights": str(weights), "models": "r2plus1d_18"}}, "a list of model names"),
        ({"synthetic": {"weights": str(weights)}}, "names one of the benchmark's own rows"),
    ]:
        with pytest.raises(UserError, match=re.escape(message)) as err:
            with_real_datasets(get_preset("tiny"), {"pretrained": spec})
        assert "\n" not in str(err.value)


def test_pretrained_weights_must_load_into_the_models_they_are_for(tmp_path):
    from dataclasses import replace

    from synapt.bench.job import check_pretrained

    weights = _weights_file(tmp_path / "tsn.pth")
    preset = replace(get_preset("tiny"), models=("tsn_tiny", "r2plus1d_tiny"))
    check_pretrained(with_real_datasets(preset, {"pretrained": {"p": {"weights": str(weights), "models": ["tsn_tiny"]}}}))
    with pytest.raises(UserError, match=r"datasets.pretrained.p: .* does not load into r2plus1d_tiny .*list the models"):
        check_pretrained(with_real_datasets(preset, {"pretrained": {"p": {"weights": str(weights)}}}))
    with pytest.raises(UserError, match="are none of preset tiny's"):
        check_pretrained(with_real_datasets(preset, {"pretrained": {"p": {"weights": str(weights), "models": ["x3d_s"]}}}))
