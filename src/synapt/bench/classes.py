"""The benchmark's class split: the generator's catalog into pre-training classes and two proxy suites."""

from __future__ import annotations

import random
from dataclasses import dataclass

from synapt.bench.presets import Preset, Suite
from synapt.errors import UserError


@dataclass(frozen=True)
class ClassPlan:
    pretrain: tuple[str, ...]
    suites: tuple[Suite, ...]


def plan_classes(preset: Preset, catalog: list, *, seed: int = 0) -> ClassPlan:
    """Split the generator's catalog into pre-training classes and the two proxy suites.

    The split is stratified by family (each suite gets human and object classes) and seeded,
    so it is the same on every machine. Suite classes never appear in pre-training.
    """
    per_suite = preset.suite_classes
    if 2 * per_suite < preset.bias_subsets[0]:
        raise UserError(f"preset {preset.name}: bias subsets of {preset.bias_subsets[0]} classes need at least "
                        f"that many classes in the two proxy suites together (suite_classes={per_suite})")
    by_family: dict[str, list[str]] = {}
    for spec in catalog:
        by_family.setdefault(spec.family.split("/")[0], []).append(spec.name)
    rng = random.Random(f"{seed}:suites")
    share = _allocate(per_suite, {family: len(names) for family, names in by_family.items()})
    motion, context, rest = [], [], []
    for family in sorted(by_family):
        names = sorted(by_family[family])
        rng.shuffle(names)
        k = share[family]
        motion += names[:k]
        context += names[k:2 * k]
        rest += names[2 * k:]
    if preset.pretrain_classes and preset.pretrain_classes > len(rest):
        raise UserError(f"preset {preset.name}: {preset.pretrain_classes} pre-training classes asked, "
                        f"the catalog leaves {len(rest)} after the proxy suites")
    order = sorted(rest)
    random.Random(f"{seed}:pretrain").shuffle(order)
    pretrain = tuple(sorted(order[: preset.pretrain_classes or len(order)]))
    per_class = max(12, preset.suite_clips or preset.clips_per_class)
    suites = (
        Suite(name="proxy-motion", title="proxy-motion (low bias)", kind="proxy, low bias",
              description="generated; context independent of the label, one shared scene kind: only motion "
                          "tells the classes apart (the role of Diving48 / IkeaFA)",
              classes=tuple(sorted(motion)), per_class=per_class, context_bias=0.0, scene_kinds=None),
        Suite(name="proxy-context", title="proxy-context (high bias)", kind="proxy, high bias",
              description="generated; scene kind, textures and distractor objects tied to each class "
                          "(the role of UCF101 / HMDB51)",
              classes=tuple(sorted(context)), per_class=per_class, context_bias=1.0, scene_kinds=None),
    )
    return ClassPlan(pretrain=pretrain, suites=suites)


def _allocate(total: int, sizes: dict[str, int]) -> dict[str, int]:
    """Split ``total`` over groups in proportion to their sizes (largest remainder first)."""
    whole = sum(sizes.values())
    exact = {name: total * size / whole for name, size in sizes.items()}
    share = {name: int(value) for name, value in exact.items()}
    for name in sorted(exact, key=lambda n: (share[n] - exact[n], n))[: total - sum(share.values())]:
        share[name] += 1
    return share
