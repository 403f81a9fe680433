"""Tiny videos with known content, written with PyAV into a temp folder.

Frame ``i`` of a "brightness" video is flat grey at :func:`brightness` (i), so a decoded frame
tells which index it came from. The left half can be made darker than the right, so a
horizontal flip is visible too.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest


def grey_of(index: int) -> int:
    """Grey level of frame ``index`` in the test videos (distinct for indices 0..39)."""
    return 10 + 6 * index


@pytest.fixture
def brightness():
    """The grey level of frame i of the test videos, as a function."""
    return grey_of


def write_video(
    path: Path,
    *,
    frames: int = 16,
    height: int = 32,
    width: int = 32,
    fps: int = 30,
    gop: int | None = None,
    split_halves: bool = False,
    sample_aspect: Fraction | None = None,
    codec: str = "libx264",
) -> Path:
    """Write an H.264 (or other codec) clip whose frame i has brightness(i) grey."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        options = {"crf": "1", "preset": "ultrafast"} if codec == "libx264" else {}
        if gop:
            stream.codec_context.gop_size = gop
            if codec == "libx264":
                options.update({"keyint": str(gop), "min-keyint": str(gop), "scenecut": "0"})
        stream.options = options
        if sample_aspect is not None:
            stream.codec_context.sample_aspect_ratio = sample_aspect
        for i in range(frames):
            image = np.full((height, width, 3), grey_of(i) % 256, np.uint8)
            if split_halves:
                image[:, : width // 2] //= 2
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture
def make_video(tmp_path):
    def make(name: str = "clip.mp4", **options) -> Path:
        return write_video(tmp_path / name, **options)

    return make


@pytest.fixture
def clip16(make_video) -> Path:
    return make_video("clip16.mp4", frames=16)
