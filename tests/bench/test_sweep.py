"""Sweeps: grid expansion, selection on val, resume, failures, process pools."""

import json
import os
import sys
from pathlib import Path

import pytest
from sweep_trials import logistic_trial

from synapt.bench.sweep import PAPER_DOWNSTREAM_GRID, PAPER_PRETRAIN_GRID, apply_overrides, grid_points, run_sweep
from synapt.errors import UserError

BASE = {"seed": 0, "epochs": 30, "optim": {"lr": 0.1, "weight_decay": 0.0}}
SPACE = {"optim.lr": [1e-4, 0.5], "optim.weight_decay": [0.0, 5.0]}


def test_paper_grids_have_the_papers_sizes():
    assert len(grid_points(PAPER_PRETRAIN_GRID)) == 12
    assert len(grid_points(PAPER_DOWNSTREAM_GRID)) == 18
    assert grid_points({"a": [1, 2], "b": [3]}) == [{"a": 1, "b": 3}, {"a": 2, "b": 3}]


def test_overrides_reject_unknown_keys():
    assert apply_overrides(BASE, {"optim.lr": 1.0})["optim"]["lr"] == 1.0
    assert BASE["optim"]["lr"] == 0.1
    with pytest.raises(UserError, match="no key 'lrr'"):
        apply_overrides(BASE, {"optim.lrr": 1.0})


def test_sweep_selects_on_val_and_resumes(tmp_path):
    result = run_sweep(BASE, SPACE, tmp_path, trial_fn=logistic_trial, progress=False)
    assert len(result.trials) == 4
    vals = [t.result["val"]["top1"] for t in result.trials]
    tests = [t.result["test"]["top1"] for t in result.trials]
    # On this problem val prefers the small step (0.96) while test would prefer lr=0.5 (1.0):
    # the sweep must follow val and report the test number it gets, not the best test number.
    assert result.best.point == {"optim.lr": 1e-4, "optim.weight_decay": 0.0}
    assert result.best.result["val"]["top1"] == max(vals) == pytest.approx(0.96)
    assert result.best.result["test"]["top1"] == pytest.approx(0.88)
    assert max(tests) == pytest.approx(1.0)
    saved = json.loads((tmp_path / "sweep.json").read_text())
    assert saved["best"]["point"] == result.best.point and len(saved["trials"]) == 4
    # Rerun: nothing runs again; a changed base makes new trials.
    run_sweep(BASE, SPACE, tmp_path, trial_fn=logistic_trial, progress=False)
    assert all((t.folder / "calls.txt").read_text() == "run\n" for t in result.trials)
    changed = run_sweep({**BASE, "epochs": 31}, SPACE, tmp_path, trial_fn=logistic_trial, progress=False)
    assert {t.key for t in changed.trials}.isdisjoint({t.key for t in result.trials})


def test_sweep_refuses_test_selection_and_keeps_going_after_a_failure(tmp_path):
    with pytest.raises(UserError, match="select on a val metric"):
        run_sweep(BASE, SPACE, tmp_path, trial_fn=logistic_trial, select="test.top1", progress=False)
    result = run_sweep(BASE, {"optim.lr": [-1.0, 0.5]}, tmp_path, trial_fn=logistic_trial, progress=False)
    failed = [t for t in result.trials if t.error]
    assert len(failed) == 1 and "negative learning rate" in failed[0].error
    assert (failed[0].folder / "error.txt").is_file()
    assert result.best.point == {"optim.lr": 0.5} and result.best.result["val"]["top1"] == pytest.approx(0.94)


def test_process_pool_gives_the_same_results(tmp_path):
    one = run_sweep(BASE, SPACE, tmp_path / "a", trial_fn=logistic_trial, progress=False)
    two = run_sweep(BASE, SPACE, tmp_path / "b", trial_fn=logistic_trial, workers=2, progress=False)
    assert [t.result for t in one.trials] == [t.result for t in two.trials]


@pytest.mark.slow
def test_ray_gives_the_same_results_as_local(tmp_path):
    ray = pytest.importorskip("ray")
    local = run_sweep(BASE, SPACE, tmp_path / "a", trial_fn=logistic_trial, progress=False)
    # In real use the trial function is synapt's own (importable on every node); this test's
    # lives beside it, so the local cluster's workers get the test folder on their path.
    ray.init(address="local", log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}})
    try:
        on_ray = run_sweep(BASE, SPACE, tmp_path / "b", trial_fn=logistic_trial, ray_address="local", progress=False)
    finally:
        ray.shutdown()
    assert [t.result for t in local.trials] == [t.result for t in on_ray.trials]
    assert on_ray.best.point == local.best.point
