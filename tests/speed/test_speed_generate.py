"""`synapt speed generate` runs and reports consistent numbers (speed itself is not asserted here)."""

import json

import pytest


def test_bench_generate_reports_ratios(capsys):
    from synapt.cli import main

    assert main(["speed", "generate", "--json", "--clips", "3", "--worker-clips", "0", "--frames", "4", "--size", "32",
                 "--option-clips", "2"]) == 0
    r = json.loads(capsys.readouterr().out)
    from synapt.speed.generate import option_variants

    # every option priced on the same clips, as a rate and as a ratio to no effects
    assert r["option_clips"] == 2
    for name in option_variants():
        assert r[f"clips_per_s_{name}"] > 0
        if name != "none":
            assert r[f"{name}_over_none"] == pytest.approx(r[f"clips_per_s_{name}"] / r["clips_per_s_none"], rel=0.02)
    assert r["clips"] == 3 and r["worker_clips_per_run"] == 0 and r["two_over_one_worker"] is None
    assert r["end_to_end_over_bare"] == pytest.approx(r["end_to_end_fps"] / r["bare_fps"], rel=0.01)
    assert r["step_render_only_fps"] >= r["bare_fps"]  # the bare loop's setup is on top
    assert 0 < r["end_to_end_over_bare"] < 5
    assert 0 < r["kb_per_clip_mean"] <= r["kb_per_clip_max"] < 16


def test_warm_pool_rate(tmp_path):
    from synapt.speed.generate import _steady_rate
    from synapt.sim.dataset import plan_tasks

    _, tasks = plan_tasks(classes="clap,bow", per_class=1, frames=2, fps=30, size=16, seed=0, context_bias=0.0,
                          quality="fast", scene_kinds=None, modalities=("rgb",))  # fmt: skip
    rate = _steady_rate(tasks, tmp_path, workers=2)
    assert rate > 0
    assert len(list(tmp_path.glob("videos/*/*.mp4"))) == 2
