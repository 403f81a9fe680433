"""H.264 test clips encoded like the generator's (libx264 ultrafast, CRF 23, yuv420p, 30 fps)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np


def write_h264(path: Path, frames: Iterable[np.ndarray], *, width: int, height: int, gop: int | None = None) -> Path:
    """Encode ``(height, width, 3)`` uint8 RGB frames to ``path``; returns ``path``.

    ``gop`` is the key-frame interval in frames (x264's default when None).
    """
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "23", **({"keyint": str(gop)} if gop else {})}
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
