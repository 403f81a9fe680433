"""The generic static encoder (appearance descriptors), balanced M, and the static-weights settings."""

import json

import numpy as np
import pytest

from synapt.bench.bias_stage import APPEARANCE, appearance_probe, balanced_accuracy
from synapt.bench.presets import get_preset, with_real_datasets, with_static_weights
from synapt.errors import UserError
from synapt.sim.video import encode_h264


def _dataset(root, *, colour_tells_class: bool, clips: int = 24, seed: int = 0):
    """Two classes of 4-frame 32 px H.264 clips: a square moving right (class 0) or left (class 1)
    on a background whose colour is the class's own, or drawn independently of the class. The
    probe's three frames (1-3) show the square at the same places in both classes, in opposite order."""
    rng = np.random.default_rng(seed)
    rows = []
    (root / "videos").mkdir(parents=True)
    for label in (0, 1):
        for i in range(clips):
            side = label if colour_tells_class else int(rng.integers(2))
            background = np.array([200, 40, 40] if side == 0 else [40, 40, 200], dtype=np.uint8)
            frames = np.tile(background, (4, 32, 32, 1))
            frames = np.clip(frames + rng.normal(0, 8, frames.shape), 0, 255).astype(np.uint8)
            for t in range(4):
                x = 2 + 6 * t if label == 0 else 26 - 6 * t
                frames[t, 12:20, x:x + 6] = 255
            name = f"videos/c{label}_{i:02d}.mp4"
            (root / name).write_bytes(encode_h264(frames, fps=4))
            rows.append({"clip_id": f"c{label}_{i}", "path": name, "label": label, "class_name": f"c{label}",
                         "split": "test" if i >= clips - 8 else "train", "frames": 4, "fps": 4})
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "classes.json").write_text(json.dumps([{"id": c, "name": f"c{c}"} for c in (0, 1)]))
    return root


def test_appearance_probe_reads_colour_but_not_motion(tmp_path):
    biased = appearance_probe(_dataset(tmp_path / "biased", colour_tells_class=True), test_split="test")
    assert biased["balanced"] >= 0.9 and biased["num_classes"] == 2
    # Same motions, colour independent of the class: the descriptors cannot tell left from right.
    fair = appearance_probe(_dataset(tmp_path / "fair", colour_tells_class=False, seed=1), test_split="test")
    assert fair["balanced"] <= 0.75
    assert "never trained" in APPEARANCE["description"]


def test_balanced_accuracy_ignores_class_imbalance():
    # 90 clips of class 0 all right, 10 of class 1 all wrong: top-1 0.9, balanced 0.5 (chance).
    assert balanced_accuracy([[90, 0], [10, 0]]) == 0.5
    assert balanced_accuracy([[3, 1, 0], [0, 0, 0], [1, 1, 2]]) == pytest.approx((0.75 + 0.5) / 2)


def test_static_weights_from_the_cli_flag_or_datasets_yaml(tmp_path):
    weights = tmp_path / "resnet50-11ad3fa6.pth"
    weights.write_bytes(b"not read here")
    preset = with_static_weights(get_preset("tiny"), weights)
    assert preset.static_weights == str(weights.resolve()) and preset.static_encoder == "tsn_r50"
    same = with_real_datasets(get_preset("tiny"), {"static_encoder": {"weights": str(weights)}})
    assert same.static_weights == preset.static_weights
    with pytest.raises(UserError, match="not found"):
        with_static_weights(get_preset("tiny"), tmp_path / "missing.pth")
    with pytest.raises(UserError, match="datasets.static_encoder"):
        with_real_datasets(get_preset("tiny"), {"static_encoder": {"file": str(weights)}})
    with pytest.raises(UserError, match="unknown key 'downsteam'"):
        with_real_datasets(get_preset("tiny"), {"downsteam": {}})
