"""The sensitivity studies' data points: pre-training classes, clips per class, scene kinds."""

from __future__ import annotations

from pathlib import Path

from synapt.bench.classes import ClassPlan
from synapt.bench.generated import curate_stage, generate_stage, subset_root
from synapt.bench.presets import Preset
from synapt.bench.runner import Runner


def study_sets(run: Runner, preset: Preset, classes: ClassPlan, synthetic: Path, gen_synthetic: Path,
                class_study, clip_study, *, seed: int):
    """(study, value, pre-training label, data root, clips) for every point of the three studies."""
    n_pre, m_pre = len(classes.pretrain), preset.clips_per_class
    for n in class_study:
        root = subset_root(synthetic, num_classes=n, clips=m_pre, full=(n_pre, m_pre))
        yield "num_classes", n, "synthetic" if root == synthetic else f"synthetic-{root.name}", root, n * m_pre
    for m in clip_study:
        root = subset_root(synthetic, num_classes=n_pre, clips=m, full=(n_pre, m_pre))
        yield "clips_per_class", m, "synthetic" if root == synthetic else f"synthetic-{root.name}", root, n_pre * m
    kinds = scene_kinds()
    for k in preset.scene_study:
        if k >= len(kinds):  # every scene kind: the main synthetic set
            yield "scene_kinds", k, "synthetic", synthetic, n_pre * m_pre
            continue
        generated = generate_stage(run, f"scenes{k}", preset=preset, classes=classes.pretrain, per_class=m_pre,
                                   context_bias=0.0, scene_kinds=kinds[:k], seed=seed + 1)
        root = curate_stage(run, f"scenes{k}", source=generated, classes=classes.pretrain, per_class=m_pre,
                            val=0.1, test=0.0, seed=seed)
        yield "scene_kinds", k, f"scenes{k}", root, n_pre * m_pre


def scene_kinds() -> list[str]:
    from synapt.sim.scenes import SCENE_KINDS

    return list(SCENE_KINDS)
