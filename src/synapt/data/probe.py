"""What is in a video file, and whether every frame of it decodes.

``probe`` reads the header through the PyAV reader and, by default, decodes the whole file:
a corrupt file often has a valid header and fails only in the middle.
"""

from __future__ import annotations

import os
from dataclasses import replace

from synapt.data.video import PyAVReader, VideoInfo


def probe(path: str | os.PathLike, *, decode: bool = True) -> VideoInfo:
    """Header facts of a video; with ``decode`` the frame count is the number of decoded frames.

    Raises:
        VideoDecodeError: the file is missing, not a video, or fails to decode (message names
            the file and the reason).
    """
    with PyAVReader(path) as reader:
        info = reader.info()
        if decode:
            info = replace(info, num_frames=reader.count_decoded())
    return info


def check_readable(path: str | os.PathLike, *, decode: bool = False) -> str | None:
    """None if the video opens (and, with ``decode``, decodes to the end); else the reason."""
    from synapt.data.video import VideoDecodeError, open_video

    try:
        with open_video(path) as reader:
            if decode and isinstance(reader, PyAVReader):
                reader.count_decoded()
            else:
                reader.get_frames([0])
    except VideoDecodeError as err:
        return str(err)
    return None
