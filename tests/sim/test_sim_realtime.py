"""Real time: a clip lasts frames / fps seconds and an action keeps its natural duration."""

import numpy as np
import pytest

from synapt.sim.actions.motion import sample_timing
from synapt.sim.motion_quality import stance_foot_speed


def test_a_short_clip_shows_a_window_of_a_long_action():
    rng = np.random.default_rng(0)
    long = sample_timing(rng, nominal=1.5, seconds=0.5, speed=1.0)
    assert long.duration == pytest.approx(1.5) and -1.0 <= long.start <= 0.0
    short = sample_timing(rng, nominal=1.0, seconds=4.0, speed=2.0)
    assert short.duration == pytest.approx(0.5) and 0.0 <= short.start <= 3.5 * 0.8


def test_clip_seconds_follow_frames_and_fps():
    from synapt.sim.catalog import BY_NAME
    from synapt.sim.clip import plan_clip

    for frames, fps in ((8, 4), (16, 30)):
        plan = plan_clip(BY_NAME["clap"], seed=1, frames=frames, size=16, fps=fps)
        assert plan.params["clip_seconds"] == pytest.approx(frames / fps) and plan.params["fps"] == fps


def test_stance_foot_speed_counts_only_planted_frames():
    t = np.arange(30) / 30.0
    joints = np.zeros((30, 2, 3))
    joints[:, 0, 0] = 0.5 * t  # foot_l slides at 0.5 m/s on the floor
    joints[:, 1, 0] = 2.0 * t  # foot_r moves fast but in the air except at the start
    joints[:, 1, 2] = np.where(np.arange(30) < 2, 0.0, 0.3)
    speeds = stance_foot_speed(joints, ["foot_l", "foot_r"], 30)
    assert len(speeds) == 29 + 1 and np.allclose(speeds[:29], 0.5) and speeds[29] == pytest.approx(2.0)
