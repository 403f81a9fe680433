"""Stages of the generated data: a generated dataset, its curated (split, balanced, nested) set, the
mixed proxy suite."""

from __future__ import annotations

from pathlib import Path

from synapt.bench.curate import Source, curate
from synapt.bench.presets import Preset
from synapt.bench.runner import Runner


def generate_stage(run: Runner, name: str, *, preset: Preset, classes, per_class: int, context_bias: float,
                   scene_kinds, seed: int) -> Path:
    """A generated dataset; returns its folder."""
    config = {"classes": list(classes), "per_class": per_class, "frames": preset.frames, "size": preset.size,
              "fps": preset.fps, "context_bias": context_bias, "scene_kinds": list(scene_kinds) if scene_kinds else None,
              "seed": seed}

    def work(folder: Path) -> dict:
        from synapt.sim import generate_dataset

        generate_dataset(folder / "data", classes=list(classes), per_class=per_class, frames=preset.frames,
                         fps=preset.fps, size=preset.size, seed=seed, context_bias=context_bias,
                         workers=preset.workers, scene_kinds=config["scene_kinds"], progress=run.progress)
        return {"clips": len(classes) * per_class}

    folder = run.stage(f"generate-{name}", config, work,
                       estimate={"clips": len(classes) * per_class, "frames": len(classes) * per_class * preset.frames})
    return folder / "data"


def curate_stage(run: Runner, name: str, *, source: Path, classes, per_class: int, val: float, test: float,
                 class_subsets=(), clip_subsets=(), seed: int = 0) -> Path:
    """A curated (split, balanced, nested) set over one generated dataset; returns its folder."""
    config = {"source": str(source), "classes": list(classes), "per_class": per_class, "val": val, "test": test,
              "class_subsets": list(class_subsets), "clip_subsets": list(clip_subsets), "seed": seed}

    def work(folder: Path) -> dict:
        result = curate(class_map={c: [("gen", c)] for c in classes}, sources=[Source("gen", "synapt", source)],
                        out_dir=folder / "data", clips_per_class=per_class, class_subsets=tuple(class_subsets),
                        clip_subsets=tuple(clip_subsets), val_fraction=val, test_fraction=test, seed=seed,
                        fps=None)  # generated clips share one rate (the preset's); none is re-encoded
        return {"counts": result.counts, "subsets": result.subsets}

    return run.stage(f"curate-{name}", config, work) / "data"


def subset_root(curated: Path, *, num_classes: int, clips: int, full: tuple[int, int]) -> Path:
    """The folder of a nested subset of a curated set (the set itself for its full size)."""
    return curated if (num_classes, clips) == full else curated / "subsets" / f"c{num_classes}_n{clips}"


def curate_mixed_suite(run: Runner, *, suite_roots: dict[str, Path], suites, seed: int) -> Path:
    """Both proxy suites as one task: low- and high-bias classes side by side, like HMDB51's mix."""
    config = {"suites": {s.name: str(suite_roots[s.name]) for s in suites}, "seed": seed}

    def work(folder: Path) -> dict:
        class_map = {c: [(s.name, c)] for s in suites for c in s.classes}
        sources = [Source(s.name, "synapt", suite_roots[s.name]) for s in suites]
        result = curate(class_map=class_map, sources=sources, out_dir=folder / "data", val_fraction=0.2,
                        test_fraction=0.3, seed=seed)
        return {"counts": result.counts}

    return run.stage("curate-mixed", config, work) / "data"
