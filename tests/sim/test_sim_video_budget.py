"""The H.264 writer keeps every clip within its size budget, deterministically."""

import numpy as np

from synapt.sim.video import BUDGET_BYTES, _encode, encode_h264, encode_h264_crf, read_frames, size_budget, write_clip


def test_budget_is_16_kb_up_to_16x112_and_grows_beyond():
    assert size_budget(16, 112, 112) == size_budget(4, 32, 32) == BUDGET_BYTES
    assert size_budget(32, 224, 224) == 8 * BUDGET_BYTES


def test_a_clip_of_noise_is_re_encoded_until_it_fits(tmp_path):
    # Uniform noise is the worst case for the encoder: at CRF 23 it needs far more than 16 KB.
    frames = np.random.default_rng(0).integers(0, 256, size=(16, 112, 112, 3), dtype=np.uint8)
    data = encode_h264(frames, fps=30)
    assert len(data) <= BUDGET_BYTES
    assert encode_h264(frames, fps=30) == data  # the retries are deterministic too
    sha, crf = write_clip(tmp_path / "noise.mp4", frames, fps=30)
    assert len(sha) == 64 and read_frames(tmp_path / "noise.mp4").shape == (16, 112, 112, 3)
    # The CRF reported is the one the bytes have, raised from the asked 23 in steps of 2.
    assert crf > 23 and (crf - 23) % 2 == 0
    assert encode_h264_crf(frames, fps=30) == (data, crf) and _encode(frames, fps=30, crf=crf) == data
    assert len(_encode(frames, fps=30, crf=crf - 2)) > BUDGET_BYTES


def test_a_clip_within_budget_keeps_its_crf():
    frames = np.full((4, 32, 32, 3), 90, dtype=np.uint8)
    assert encode_h264_crf(frames, fps=8, crf=27)[1] == 27
