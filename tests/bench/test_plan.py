"""The benchmark's class plan: suites disjoint from pre-training, stratified, stable."""

from dataclasses import dataclass, replace

import pytest

from synapt.bench.classes import _allocate, plan_classes
from synapt.bench.presets import PRESETS, get_preset
from synapt.errors import UserError


@dataclass(frozen=True)
class Spec:
    name: str
    family: str


CATALOG = [Spec(f"h{i}", "human") for i in range(30)] + [Spec(f"o{i}", "object") for i in range(12)]


def test_allocate_is_proportional_and_exact():
    assert _allocate(6, {"human": 30, "object": 12}) == {"human": 4, "object": 2}
    assert sum(_allocate(7, {"a": 1, "b": 1, "c": 1}).values()) == 7


def test_suites_are_disjoint_from_pretraining_and_stratified():
    plan = plan_classes(get_preset("tiny"), CATALOG)
    motion, context = (set(s.classes) for s in plan.suites)
    assert len(motion) == len(context) == 6
    assert not motion & context and not (motion | context) & set(plan.pretrain)
    assert len(plan.pretrain) == get_preset("tiny").pretrain_classes == 12
    assert {c[0] for c in motion} == {"h", "o"}  # both families in each suite
    assert plan_classes(get_preset("tiny"), CATALOG) == plan
    assert plan.suites[0].context_bias == 0.0 and plan.suites[1].context_bias == 1.0


def test_paper_preset_takes_every_remaining_class_and_too_many_is_an_error():
    plan = plan_classes(get_preset("paper"), CATALOG)
    assert len(plan.pretrain) == len(CATALOG) - sum(len(s.classes) for s in plan.suites)
    with pytest.raises(UserError, match="pre-training classes asked"):
        plan_classes(replace(PRESETS["tiny"], pretrain_classes=40), CATALOG)
    with pytest.raises(UserError, match="unknown preset"):
        get_preset("huge")


def test_paper_preset_keeps_most_of_the_catalogue_for_pre_training():
    from synapt.sim.catalog import CLASSES

    plan = plan_classes(get_preset("paper"), CLASSES)
    assert [len(s.classes) for s in plan.suites] == [8, 8]
    assert len(plan.pretrain) == len(CLASSES) - 16
