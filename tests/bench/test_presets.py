"""datasets.yaml: real suites, their group pattern and the k-fold protocol, every key checked."""

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
