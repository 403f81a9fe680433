"""Renderer lifetime: dropping one renderer never changes what another one draws (issue 14)."""

import gc

import numpy as np

from synapt.sim.catalog import BY_NAME
from synapt.sim.clip import plan_clip, render_clip
from synapt.sim.render import FrameRenderer


def test_a_dropped_renderer_does_not_touch_another_ones_frames():
    plan = plan_clip(BY_NAME["clap"], seed=3, frames=3, size=32, fps=2)
    first = FrameRenderer(size=32)
    second = FrameRenderer(size=32)
    before = render_clip(plan, second).rgb
    del first
    gc.collect()
    after = render_clip(plan, second).rgb
    assert before.std() > 5 and np.array_equal(before, after)
    with FrameRenderer(size=32) as third:
        assert np.array_equal(render_clip(plan, third).rgb, before)
    assert np.array_equal(render_clip(plan, second).rgb, before)  # a closed renderer left no trace
    second.close()
    second.close()  # idempotent
