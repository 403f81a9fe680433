"""``synapt benchmark``: the paper's whole method as one resumable job.

    generate ──► curate ──► pre-train (synthetic | context-biased | real) ──► transfer (FT, LP)
        │                                          scratch ───────────────────────┘    │
        └──► static encoder ──► representation bias ◄──────── suites ◄──────────────────┘
                                       │
                studies: classes, clips per class, scene kinds, class subsets (Figure 2)
                                       │
                         results.json ──► report.md, report.html

Every stage runs through ``runner.Runner``, which keys it by its configuration
(``stages/<name>-<hash>/``). A finished stage is reused on rerun, so an interrupted benchmark
resumes where it stopped; a stage's output paths depend only on its folder, so ``--dry-run``
walks the same code, validates every training config and data path, and prints the plan
with its estimated compute without running anything. A run makes that plan first, to count its
stages against it: one bar over the whole run and ``--json-progress`` events (``bench/progress.py``).

Offline, the downstream tasks are *proxy suites* made by the generator with classes disjoint
from pre-training: ``proxy-motion`` (context independent of the label: low bias, like
Diving48) and ``proxy-context`` (scene kind, textures and distractors tied to the class: high
bias, like UCF101). Context-biased synthetic pre-training stands in for real pre-training;
real datasets join through ``--datasets FILE.yaml``, tested on their official split or, for small
labelled sets (KTH, Weizmann), by k group-disjoint folds: one curated folder and one run per fold,
the folds' rows combined into the suite's row (``rows.kfold_row``).

This module holds the order of the stages; each comes from the module that knows it:
``classes`` (the class split), ``generated`` and ``real`` (datasets), ``training`` (pre-training,
transfer, the random-init floor), ``bias_stage`` (static encoders, B, Figure 2), ``studies``
(the sensitivity studies' data), ``validity`` (the gates); ``rows`` turns finished stages into
results.json's rows, and ``plan`` prints a dry run.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import time
from pathlib import Path
from typing import Callable

from synapt.bench import bias_stage
from synapt.bench.classes import ClassPlan, plan_classes
from synapt.bench.generated import curate_mixed_suite, curate_stage, generate_stage
from synapt.bench.presets import Preset
from synapt.bench.progress import RunProgress
from synapt.bench.real import check_real_data, curate_real_stage, fold_name
from synapt.bench.rows import paired_comparisons, pretrain_row, transfer_row
from synapt.bench.runner import Runner
from synapt.bench.studies import study_sets
from synapt.bench.training import pretrain_stage, random_init_stage, transfer_stage, transfer_suite
from synapt.bench.validity import suite_gates
from synapt.errors import UserError
from synapt.io import atomic_write_text


def run_benchmark(preset: Preset, out_dir: str | Path, *, dry_run: bool = False, progress: bool = True,
                  seed: int = 0, fresh: bool = False, json_progress: Callable[[dict], None] | None = None) -> dict:
    """Run (or plan) the benchmark; returns results.json's content (the plan in a dry run).

    A run with ``progress`` or ``json_progress`` first plans its stages (the dry run, which trains
    and generates nothing), so that it knows how many there are and what each costs. ``progress``
    then shows one bar over the whole run on stderr, above the stages' own bars; ``json_progress``
    is called with every event of :class:`synapt.bench.progress.RunProgress` (a stage starts or
    ends, reused ones included; the run ends), e.g. ``progress.json_lines(sys.stdout)``.
    """
    from synapt.sim.catalog import CLASSES

    started = time.time()
    out_dir = Path(out_dir)
    # Classes whose motion library is not installed (no pybullet_data) cannot be generated here.
    classes = plan_classes(preset, [c for c in CLASSES if c.available], seed=seed)
    suites = classes.suites + tuple(s for s in preset.suites if not s.is_proxy)
    real_counts = check_real_data(suites + preset.real_pretrain, seed=seed)
    check_pretrained(preset)
    job = functools.partial(_benchmark, preset=preset, classes=classes, real_counts=real_counts, seed=seed,
                            started=started)
    if dry_run or not (progress or json_progress):
        return job(Runner(out_dir, dry_run=dry_run, progress=progress, fresh=fresh))
    tracker = RunProgress(job(Runner(out_dir, dry_run=True, fresh=fresh))["plan"], bar=progress,
                          on_event=json_progress)
    try:
        results = job(Runner(out_dir, progress=progress, fresh=fresh, tracker=tracker))
        tracker.run_end()
    finally:
        tracker.close()
    return results


def check_pretrained(preset: Preset) -> None:
    """Every ``pretrained:`` file loads into the preset's models it is to fit, before anything runs.

    An entry without ``models`` must fit every model of the preset; an entry whose models are
    none of the preset's is an error too (it would add no row).
    """
    from synapt.config import ModelConfig
    from synapt.train.modes import prepare_model

    for entry in preset.pretrained:
        where = f"datasets.pretrained.{entry.name}"
        models = [m for m in preset.models if entry.fits(m)]
        if not models:
            raise UserError(f"{where}: models {list(entry.models or [])} are none of preset {preset.name}'s "
                            f"({', '.join(preset.models)}): it would add no row")
        for model in models:
            try:
                prepare_model(ModelConfig(name=model, weights=entry.weights), mode="finetune", num_classes=2)
            except (UserError, RuntimeError, KeyError, ValueError) as err:
                raise UserError(f"{where}: {entry.weights} does not load into {model} ({str(err).splitlines()[0]}); "
                                "list the models it fits under 'models:'") from None


def _benchmark(run: Runner, *, preset: Preset, classes: ClassPlan, real_counts: dict[str, int], seed: int,
               started: float) -> dict:
    """The benchmark's stages through ``run``: results.json's content, or the plan in a dry run."""
    out_dir, dry_run = run.root, run.dry_run
    suites = classes.suites + tuple(s for s in preset.suites if not s.is_proxy)
    n_pre, m_pre = len(classes.pretrain), preset.clips_per_class

    # 1. Generate: debiased and context-biased pre-training pools, the proxy suites.
    gen_synthetic = generate_stage(run, "synthetic", preset=preset, classes=classes.pretrain, per_class=m_pre,
                                   context_bias=0.0, scene_kinds=None, seed=seed + 1)
    gen_context = generate_stage(run, "context_biased", preset=preset, classes=classes.pretrain, per_class=m_pre,
                                 context_bias=1.0, scene_kinds=None, seed=seed + 2)
    suite_roots: dict[str, Path] = {}
    suite_clips: dict[str, int] = {}
    for i, suite in enumerate(classes.suites):
        generated = generate_stage(run, suite.name, preset=preset, classes=suite.classes, per_class=suite.per_class,
                                   context_bias=suite.context_bias, scene_kinds=suite.scene_kinds, seed=seed + 10 + i)
        suite_roots[suite.name] = curate_stage(run, suite.name, source=generated, classes=suite.classes,
                                               per_class=suite.per_class, val=0.2, test=0.3, seed=seed)
        suite_clips[suite.name] = round(0.5 * len(suite.classes) * suite.per_class)
    fold_roots: dict[str, list[Path]] = {}  # k-fold suites: one curated folder per fold
    for suite in suites:
        if suite.is_proxy:
            continue
        if suite.folds:
            fold_roots[suite.name] = [curate_real_stage(run, suite, seed=seed, fold=i) for i in range(suite.folds)]
        else:
            suite_roots[suite.name] = curate_real_stage(run, suite, seed=seed)
        suite_clips[suite.name] = real_counts[suite.name]

    # 2. Curate pre-training sets, with the nested subsets of the class and clip studies.
    class_study = tuple(n or n_pre for n in preset.class_study)
    clip_study = tuple(preset.clip_study)
    synthetic = curate_stage(run, "synthetic", source=gen_synthetic, classes=classes.pretrain, per_class=m_pre,
                             val=0.1, test=0.0, class_subsets=class_study, clip_subsets=clip_study, seed=seed)
    context = curate_stage(run, "context_biased", source=gen_context, classes=classes.pretrain, per_class=m_pre,
                           val=0.1, test=0.0, seed=seed)

    rows, pretraining, studies = [], [], {"num_classes": [], "clips_per_class": [], "scene_kinds": []}
    first_checkpoints: dict[str, Path] = {}
    for model in preset.models:
        # 3. Pre-train.
        checkpoints = {
            "synthetic": pretrain_stage(run, "synthetic", preset=preset, model=model, data_root=synthetic,
                                        clips=n_pre * m_pre),
            "context_biased": pretrain_stage(run, "context_biased", preset=preset, model=model, data_root=context,
                                             clips=n_pre * m_pre),
        }
        for source in preset.real_pretrain:
            checkpoints[source.name] = pretrain_stage(run, source.name, preset=preset, model=model,
                                                      data_root=curate_real_stage(run, source, seed=seed),
                                                      clips=real_counts[source.name])
        if not dry_run:
            for pretrain, ckpt in checkpoints.items():
                pretraining.append(pretrain_row(run, ckpt, model=model, pretrain=pretrain))
        # Published weights (datasets.yaml's pretrained:) transfer like the pre-trainings above;
        # they have no val split of ours, so no row in the pre-training table.
        digests = {}
        for entry in preset.pretrained:
            if entry.fits(model):
                checkpoints[entry.name], digests[entry.name] = Path(entry.weights), entry.sha256

        # 4. Transfer: FT and LP from every pre-training, LP on random-init features, and scratch,
        # on every suite.
        random_init = random_init_stage(run, preset=preset, model=model, num_classes=n_pre, seed=seed)
        for suite in suites:
            rows += transfer_suite(run, preset=preset, model=model, suite=suite, checkpoints=checkpoints,
                                   roots=fold_roots.get(suite.name) or [suite_roots[suite.name]],
                                   clips=suite_clips[suite.name], random_init=random_init, digests=digests)

        # 5. Sensitivity studies (first model only: they are about the data, not the network).
        if model != preset.models[0]:
            continue
        first_checkpoints = checkpoints
        for study, value, label, data_root, clips in study_sets(run, preset, classes, synthetic, gen_synthetic,
                                                                 class_study, clip_study, seed=seed):
            # The full-size point of a study is the main synthetic pre-training: same data,
            # same stage name and config, so it is reused rather than trained again.
            ckpt = pretrain_stage(run, label, preset=preset, model=model, data_root=data_root, clips=clips)
            if not dry_run and all((p["model"], p["pretrain"]) != (model, label) for p in pretraining):
                pretraining.append(pretrain_row(run, ckpt, model=model, pretrain=label) | {"study": study})
            for suite in classes.suites:
                for mode in ("ft", "lp"):
                    folder = transfer_stage(run, preset=preset, model=model, pretrain=label, checkpoint=ckpt,
                                            suite=suite, data_root=suite_roots[suite.name], mode=mode,
                                            clips=suite_clips[suite.name])
                    if not dry_run:
                        row = transfer_row(run, folder, model=model, pretrain="synthetic", suite=suite, mode=mode)
                        studies[study].append({**row, study: value})

    # 6. Representation bias with the static encoder, and the class-subset study.
    # Every encoder it has: the generic appearance descriptors, ImageNet weights when given, and
    # (when the preset keeps the diagnostic) the static-context TSN, which learned generator
    # labels and so never measures a real suite. The first is the primary one (Figure 2 too).
    encoders = [bias_stage.APPEARANCE]
    if preset.static_weights or preset.static_context_diagnostic:
        encoder = bias_stage.static_encoder(run, preset=preset, sources=[gen_synthetic, gen_context], seed=seed,
                                            clips=2 * n_pre * m_pre)
        # ImageNet weights: what the paper measured comes first
        encoders = encoders + [encoder] if encoder["encoder"].startswith(bias_stage.TRAINED_ON_GENERATOR) else [encoder] + encoders
    real_names = {s.name for s in suites if not s.is_proxy}
    bias_rows = []
    # Clips in each measured set, only to price its probe in the plan (a real suite's: its train split).
    all_clips = {s.name: len(s.classes) * s.per_class for s in classes.suites}
    measured = [(name, root, "test", all_clips.get(name, suite_clips[name])) for name, root in suite_roots.items()]
    measured += [("synthetic (pre-training)", synthetic, "val", n_pre * m_pre),
                 ("context_biased (pre-training)", context, "val", n_pre * m_pre)]
    for enc in encoders:
        for name, root, split, clips in measured:
            if name in real_names and enc["encoder"].startswith(bias_stage.TRAINED_ON_GENERATOR):
                continue  # an encoder trained on generator labels says nothing about real footage
            row = bias_stage.measure_bias(run, dataset=name, data_root=root, encoder=enc, preset=preset,
                                          test_split=split, clips=clips)
            if row is not None:
                bias_rows.append(row)
        for suite in (s for s in suites if s.folds):  # real, so never under the static-context encoder
            if enc["encoder"].startswith(bias_stage.TRAINED_ON_GENERATOR):
                continue
            per_fold = [bias_stage.measure_bias(run, dataset=fold_name(suite, i), data_root=root, encoder=enc,
                                                preset=preset, test_split="test", clips=suite_clips[suite.name])
                        for i, root in enumerate(fold_roots[suite.name])]
            if not dry_run:
                bias_rows.append(bias_stage.kfold_bias(per_fold, dataset=suite.name))
    mixed = curate_mixed_suite(run, suite_roots=suite_roots, suites=classes.suites, seed=seed)
    subset_folder = bias_stage.bias_subset_stage(run, data_root=mixed, encoder=encoders[0], preset=preset,
                                                 checkpoints=first_checkpoints, clips=sum(all_clips.values()),
                                                 num_classes=sum(len(s.classes) for s in classes.suites))
    if not dry_run:
        studies["bias_subsets"] = run.result(subset_folder)["subsets"]

    # 7. Validity gates: can one frame name a suite's classes; which suite classes are twins of
    # pre-training classes; which suites come from the pre-training generator (in-domain).
    validity = {}
    for suite in classes.suites:
        config = {"root": str(suite_roots[suite.name]), "pretrain": list(classes.pretrain), "low": suite.context_bias == 0.0}

        def gates(folder: Path, suite=suite, config=config) -> dict:
            return suite_gates(config["root"], classes=suite.classes, pretrain=config["pretrain"],
                               low_bias=config["low"], in_domain=True)

        folder = run.stage(f"validity-{suite.name}", config, gates)
        if not dry_run:
            validity[suite.name] = run.result(folder)

    # The plan holds every stage the run will ask for at the top level; the stages the bias-subset
    # study asks for inside its own work are part of it (their configs follow from its probe).
    if dry_run:
        return {"preset": preset.name, "plan": run.plan()}

    # 8. Contact sheets and the report.
    sheets = contact_sheets(run, {"synthetic": gen_synthetic, "context_biased": gen_context,
                                  **{s.name: suite_roots[s.name] for s in classes.suites}}, out_dir=out_dir)
    results = {
        "preset": preset.name,
        "wall_seconds": round(time.time() - started, 1),
        # A rerun reuses finished stages, so its wall time alone would understate the work.
        "stages": {"total": len(run.planned), "reused": sum(p.reused for p in run.planned)},
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}",
        "rows": rows,
        "comparisons": paired_comparisons(rows, real_pretrain=[s.name for s in preset.real_pretrain]
                                          + [w.name for w in preset.pretrained]),
        "pretraining": pretraining,
        "pretrained_weights": [{"name": w.name, "weights": w.weights, "sha256": w.sha256, "description": w.description,
                                "models": [m for m in preset.models if w.fits(m)]} for w in preset.pretrained],
        "bias": bias_rows,
        # The first encoder is the one the bias-vs-gap figure uses; every row names its own.
        "bias_encoder": encoders[0]["description"],
        "bias_primary": encoders[0]["encoder"],
        "bias_encoders": {e["encoder"]: e["description"] for e in encoders},
        "studies": studies,
        "suites": {s.name: {"title": s.title, "kind": s.kind, "description": s.description,
                            "classes": len(s.classes) if s.is_proxy else None, "protocol": s.protocol,
                            "folds": s.folds or None, "group": s.group} for s in suites},
        "pretrain_classes": list(classes.pretrain),
        "validity": validity,
        "contact_sheets": sheets,
    }
    atomic_write_text(out_dir / "results.json", json.dumps(results, indent=2, default=float) + "\n")
    from synapt.report.write import write_report

    write_report(results, out_dir)
    return results


def contact_sheets(run: Runner, datasets: dict[str, Path], *, out_dir: Path) -> list[str]:
    """One contact sheet per generated dataset, for the report."""
    from synapt.sim.show import contact_sheet

    sheets = []
    for name, root in datasets.items():
        path = out_dir / "figures" / f"sheet_{name}.png"
        if not path.is_file():
            contact_sheet(root, path)
        sheets.append(path.relative_to(out_dir).as_posix())
    return sheets
