"""Every class shows a visible subject that moves (a sample clip per class, 6 frames at 32 px)."""

import numpy as np
import pytest

from synapt.sim.catalog import CLASSES
from synapt.sim.dataset import ClipTask, clip_seed, make_clip


@pytest.mark.parametrize("spec", CLASSES, ids=[c.name for c in CLASSES])
def test_class_has_motion_and_a_visible_subject(spec):
    task = ClipTask(spec.name, 0, 0, clip_seed(7, spec.id, 0), 6, 30, 32, "fast", 0.0, 7, None, ("rgb", "segmentation"))
    plan, clip = make_clip(task)
    rgb = clip.rgb.astype(float)
    assert rgb.std() > 5.0, "flat image"
    inst = clip.extras["instance"]
    # The subject: the actor for human classes, the hand(s) and objects for object classes.
    subject = inst == 1 if spec.family == "human" else (inst >= 2) & (inst < 100)
    area = subject.mean(axis=(1, 2))
    assert area.max() > 0.004, f"subject covers only {area.max():.4f} of the frame"
    # Motion: the pixels or the subject's mask change between some consecutive frames.
    change = np.abs(np.diff(rgb, axis=0)).mean(axis=(1, 2, 3)).max()
    mask_change = (subject[1:] != subject[:-1]).mean(axis=(1, 2)).max()
    assert change > 0.5 or mask_change > 0.002, f"no motion (pixel {change:.3f}, mask {mask_change:.4f})"
