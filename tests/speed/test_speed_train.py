"""`synapt speed train --quick --json` runs end to end and reports sane ratios."""

from __future__ import annotations

import json
import math

import pytest

from synapt.cli import main


@pytest.mark.slow
def test_bench_train_quick(capsys):
    assert main(["speed", "train", "--quick", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert math.isfinite(results["loop_overhead"]["overhead"])
    assert results["loop_overhead"]["steps"] == 8
    assert 0.0 <= results["data_wait"]["data_wait_share"] <= 1.0
    assert results["data_wait"]["clips"] == 4 * 24  # the epoch passes over the 24 videos 4 times
    grid = results["probe_grid"]
    assert grid["points"] == 2 and grid["train_clips"] == 16 and grid["val_clips"] == 8
    assert grid["independent_s"] > 0 and grid["cached_s"] > 0
