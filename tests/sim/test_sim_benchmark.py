"""The benchmark runs and reports consistent numbers (speed itself is not asserted here)."""

import pytest


@pytest.mark.slow
def test_bench_generate_reports_ratios(capsys):
    from synapt.cli import main

    assert main(["bench", "generate", "--json", "--clips", "4", "--worker-clips", "4", "--frames", "4", "--size", "32"]) == 0
    import json

    r = json.loads(capsys.readouterr().out)
    assert r["clips"] == 4 and r["worker_clips_per_run"] == 2
    assert r["end_to_end_over_bare"] == pytest.approx(r["end_to_end_fps"] / r["bare_fps"], rel=0.01)
    assert 0 < r["end_to_end_over_bare"] < 5 and r["two_over_one_worker"] > 0
    assert 0 < r["kb_per_clip_mean"] <= r["kb_per_clip_max"] < 16
