"""Hyperparameter sweeps: grids, one folder per trial, selection on validation, resumable.

A trial is a resolved configuration (a nested dict) with one grid point applied as dotted
overrides. Its folder name is a hash of that configuration, so rerunning a sweep finds the
trials it already finished (their ``result.json``) and runs only the rest; changing anything
in the configuration makes a new trial rather than silently reusing an old one.

Selection uses a validation metric (``val.top1`` by default). The test metrics of every trial
are kept in the results but never looked at to choose; choosing on test inflates results.

The paper's grids (section 3.3):
  pre-training: lr {0.01, 0.02} x batch {64, 128} x weight decay {1e-4, 5e-4, 1e-3}  (12 trials)
  downstream:   lr {1e-4, 5e-4, 1e-3} x batch {32, 64} x weight decay {1e-4, 5e-4, 1e-3}  (18 trials)
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from synapt.errors import UserError
from synapt.io import atomic_write_text

PAPER_PRETRAIN_GRID = {
    "optim.lr": [0.01, 0.02],
    "optim.batch_size": [64, 128],
    "optim.weight_decay": [1e-4, 5e-4, 1e-3],
}
PAPER_DOWNSTREAM_GRID = {
    "optim.lr": [1e-4, 5e-4, 1e-3],
    "optim.batch_size": [32, 64],
    "optim.weight_decay": [1e-4, 5e-4, 1e-3],
}

# A trial function takes (resolved config, trial folder) and returns its metrics, a nested
# dict such as {"val": {"top1": ...}, "test": {"top1": ...}}. It must be a module-level
# function so that process pools and Ray can ship it by name.
TrialFn = Callable[[dict, Path], dict]


def grid_points(space: dict[str, list]) -> list[dict]:
    """All combinations of a grid, in a stable order (the first key varies slowest)."""
    for key, values in space.items():
        if not isinstance(values, (list, tuple)) or not values:
            raise UserError(f"sweep grid key {key!r} needs a non-empty list of values")
    keys = list(space)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(space[k] for k in keys))]


def apply_overrides(config: dict, overrides: dict) -> dict:
    """A copy of ``config`` with dotted keys set (``optim.lr`` -> config["optim"]["lr"])."""
    out = copy.deepcopy(config)
    for dotted, value in overrides.items():
        node = out
        *parents, leaf = dotted.split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                raise UserError(f"sweep override {dotted!r}: {part!r} is not a section of the config")
            node = node[part]
        if leaf not in node:
            raise UserError(f"sweep override {dotted!r}: the config has no key {leaf!r} there")
        node[leaf] = value
    return out


def config_key(config: dict) -> str:
    """A short stable hash of a configuration (the trial's folder name)."""
    canonical = json.dumps(config, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def metric(result: dict, dotted: str) -> float:
    """``metric({"val": {"top1": .5}}, "val.top1") == .5``."""
    node = result
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"result has no metric {dotted!r}")
        node = node[part]
    return float(node)


@dataclass
class Trial:
    key: str
    point: dict  # the grid point (dotted key -> value)
    config: dict  # the resolved config
    folder: Path
    result: dict | None = None
    error: str | None = None


@dataclass
class SweepResult:
    trials: list[Trial]
    best: Trial
    select: str

    def to_json(self) -> dict:
        return {
            "select": self.select,
            "best": {"key": self.best.key, "point": self.best.point, "result": self.best.result},
            "trials": [
                {"key": t.key, "point": t.point, "result": t.result, "error": t.error} for t in self.trials
            ],
        }


def _run_one(trial_fn: TrialFn, config: dict, folder: str) -> dict:
    folder_path = Path(folder)
    folder_path.mkdir(parents=True, exist_ok=True)
    result = trial_fn(config, folder_path)
    atomic_write_text(folder_path / "result.json", json.dumps(result, indent=2, default=float) + "\n")
    return result


def run_sweep(
    base_config: dict,
    space: dict[str, list],
    out_dir: str | Path,
    *,
    trial_fn: TrialFn,
    select: str = "val.top1",
    workers: int = 1,
    ray_address: str | None = None,
    progress: bool = True,
) -> SweepResult:
    """Run every grid point not finished yet; pick the best on ``select``.

    Args:
        base_config: the resolved configuration every trial starts from.
        space: {dotted key: [values]}.
        out_dir: the sweep folder; trials go to ``out_dir/trials/<key>/``.
        trial_fn: runs one trial (see TrialFn).
        select: the validation metric that chooses the best trial (higher is better).
        workers: trials run at once in a local process pool (1 = in this process).
        ray_address: run trials as Ray tasks on this cluster (``auto``, ``ray://host:port``).
    """
    if select.split(".")[0] == "test":
        raise UserError(f"sweep select={select!r}: selecting on test inflates results; select on a val metric")
    out_dir = Path(out_dir)
    trials = []
    for point in grid_points(space):
        config = apply_overrides(base_config, point)
        key = config_key(config)
        trial = Trial(key=key, point=point, config=config, folder=out_dir / "trials" / key)
        done = trial.folder / "result.json"
        if done.is_file():
            trial.result = json.loads(done.read_text())
        else:
            atomic_write_text(trial.folder / "trial.json", json.dumps({"point": point, "config": config}, indent=2) + "\n")
        trials.append(trial)
    todo = [t for t in trials if t.result is None]

    bar = tqdm(total=len(trials), initial=len(trials) - len(todo), desc="sweep", unit="trial", disable=not progress)
    if ray_address:
        _run_on_ray(todo, trial_fn, ray_address, bar)
    elif workers <= 1:
        for trial in todo:
            _finish(trial, lambda t=trial: _run_one(trial_fn, t.config, str(t.folder)), bar)
    else:
        # Spawned workers: forking a process that already holds torch's thread pools can hang.
        import multiprocessing

        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(_run_one, trial_fn, t.config, str(t.folder)): t for t in todo}
            for future in as_completed(futures):
                _finish(futures[future], future.result, bar)
    bar.close()

    finished = [t for t in trials if t.result is not None]
    if not finished:
        raise UserError(f"every trial of the sweep in {out_dir} failed; first error: {trials[0].error}")
    best = max(finished, key=lambda t: metric(t.result, select))
    result = SweepResult(trials=trials, best=best, select=select)
    atomic_write_text(out_dir / "sweep.json", json.dumps(result.to_json(), indent=2, default=float) + "\n")
    return result


def _finish(trial: Trial, get_result: Callable[[], dict], bar) -> None:
    try:
        trial.result = get_result()
    except Exception as err:  # one failed trial must not lose the others' results
        trial.error = f"{type(err).__name__}: {err}"
        atomic_write_text(trial.folder / "error.txt", traceback.format_exc())
    bar.update(1)


def _run_on_ray(todo: list[Trial], trial_fn: TrialFn, address: str, bar) -> None:
    try:
        import ray
    except ImportError:
        raise UserError("--ray needs the ray extra: pip install 'synapt[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=False)
    remote = ray.remote(_run_one)
    refs = {remote.remote(trial_fn, t.config, str(t.folder)): t for t in todo}
    pending = list(refs)
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        _finish(refs[ready[0]], lambda ref=ready[0]: ray.get(ref), bar)
