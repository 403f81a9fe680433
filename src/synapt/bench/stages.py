"""Stages of a long job, each keyed by its configuration and reused when it already finished.

A stage's folder is ``<root>/stages/<name>-<key>/`` where ``key`` hashes the stage's config;
``result.json`` in it marks the stage finished. Rerunning an interrupted benchmark therefore
redoes only the stages that had not finished, and changing a stage's config runs it afresh
instead of reusing a result that no longer matches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from synapt.bench.sweep import config_key
from synapt.io import atomic_write_text


def stage_key(config: dict) -> dict:
    """What a stage's folder hashes: its config, the package version and the generator version.

    A new release, or a generator change that alters pixels (``sim.GENERATOR_VERSION``), gives
    new folders, so a rerun into the same ``--out`` never reuses clips or models made by older code.
    """
    from synapt import __version__
    from synapt.sim import GENERATOR_VERSION

    return {"config": config, "synapt": __version__, "generator": GENERATOR_VERSION}


def stage_folder(root: Path, name: str, config: dict) -> Path:
    return Path(root) / "stages" / f"{name}-{config_key(stage_key(config))}"


def run_stage(root: Path, name: str, config: dict, work: Callable[[Path], dict], *, fresh: bool = False) -> dict:
    """Run ``work(folder)`` unless this (name, config) already finished; return its result.

    A reused stage is announced on stderr; ``fresh=True`` runs it again.
    """
    import sys

    from tqdm import tqdm

    folder = stage_folder(root, name, config)
    done = folder / "result.json"
    if done.is_file() and not fresh:
        # Through tqdm, so that a progress bar on the terminal is cleared and drawn again below.
        tqdm.write(f"reusing finished stage {folder.name} (--fresh reruns it)", file=sys.stderr)
        return json.loads(done.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "stage.json", json.dumps({"name": name, **stage_key(config)}, indent=2, default=str) + "\n")
    result = work(folder)
    atomic_write_text(done, json.dumps(result, indent=2, default=float) + "\n")
    return result
