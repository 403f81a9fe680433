"""Which frames to read: pure functions from a video length to frame indices.

The vocabulary is mmaction2's ``clip_len x frame_interval x num_clips``:

- **TSN segment sampling** (``1 x 1 x K`` in mmaction2 terms, here ``num_frames=K``): the video is
  cut into K equal segments and one frame is taken from each; training takes a random offset
  in every segment, testing the segment centres. Several test views shift the offset evenly
  inside each segment.
- **Dense sampling** (``clip_len x frame_interval x num_clips``, e.g. I3D's ``8 x 8 x 1``): a clip
  of ``clip_len`` frames, ``frame_interval`` apart, starting at a random frame in training or at
  ``num_clips`` evenly spaced starts in testing.

Short videos: TSN segments shrink below one frame and repeat frames, which is what TSN does.
A dense clip longer than the video follows ``short_policy``: ``"loop"`` wraps around to the
start (mmaction2's default), ``"repeat_last"`` holds the last frame.

Every function returns an int64 array of shape ``(num_clips, clip_len)`` of 0-based indices
into ``[0, num_frames)``.
"""

from __future__ import annotations

import numpy as np

SHORT_POLICIES = ("loop", "repeat_last")


def segment_indices(
    num_frames: int, *, num_segments: int, train: bool, num_clips: int = 1, rng: np.random.Generator | None = None
) -> np.ndarray:
    """TSN sampling: one frame from each of ``num_segments`` equal segments.

    Args:
        num_frames: frames in the video (or in the record's frame range), >= 1.
        num_segments: K, the frames per clip.
        train: random offset per segment if True, else evenly placed offsets (the centre for one view).
        num_clips: test views; view ``v`` takes offset ``(v + 0.5) / num_clips`` of each segment.
            Ignored in training (one clip).
        rng: random generator (training only).

    Returns:
        ``(num_clips, num_segments)`` int64 indices (``(1, K)`` in training).
    """
    _check(num_frames, num_segments, 1)
    segment = num_frames / num_segments
    starts = np.arange(num_segments) * segment
    if train:
        rng = rng if rng is not None else np.random.default_rng()
        offsets = rng.random(num_segments)[None, :]
    else:
        offsets = ((np.arange(num_clips) + 0.5) / num_clips)[:, None]
    indices = np.floor(starts[None, :] + offsets * segment).astype(np.int64)
    return np.clip(indices, 0, num_frames - 1)


def dense_indices(
    num_frames: int,
    *,
    clip_len: int,
    frame_interval: int = 1,
    train: bool,
    num_clips: int = 1,
    rng: np.random.Generator | None = None,
    short_policy: str = "loop",
) -> np.ndarray:
    """Dense sampling: ``clip_len`` frames ``frame_interval`` apart from one start per clip.

    Args:
        num_frames: frames in the video (or record range), >= 1.
        clip_len: frames per clip.
        frame_interval: step between consecutive frames of a clip, in frames.
        train: one clip from a uniformly random start if True; else ``num_clips`` clips whose
            starts are evenly spaced over the video (mmaction2's test mode).
        num_clips: test clips (ignored in training).
        rng: random generator (training only).
        short_policy: what indices past the end become: ``"loop"`` or ``"repeat_last"``.

    Returns:
        ``(num_clips, clip_len)`` int64 indices (``(1, clip_len)`` in training).
    """
    _check(num_frames, clip_len, frame_interval)
    span = (clip_len - 1) * frame_interval + 1
    room = max(num_frames - span + 1, 1)  # number of possible starts
    if train:
        rng = rng if rng is not None else np.random.default_rng()
        starts = np.array([rng.integers(room)])
    else:
        starts = np.floor((np.arange(num_clips) + 0.5) * room / num_clips).astype(np.int64)
    indices = starts[:, None] + np.arange(clip_len)[None, :] * frame_interval
    return wrap_indices(indices, num_frames, short_policy)


def wrap_indices(indices: np.ndarray, num_frames: int, short_policy: str) -> np.ndarray:
    """Map indices past the last frame according to ``short_policy`` (``loop`` or ``repeat_last``)."""
    if short_policy == "loop":
        return np.asarray(indices, dtype=np.int64) % num_frames
    if short_policy == "repeat_last":
        return np.minimum(np.asarray(indices, dtype=np.int64), num_frames - 1)
    raise ValueError(f"short_policy must be one of {SHORT_POLICIES}, not {short_policy!r}")


def sample_indices(
    num_frames: int,
    *,
    sampling: str,
    clip_len: int,
    frame_interval: int = 1,
    train: bool,
    num_clips: int = 1,
    rng: np.random.Generator | None = None,
    short_policy: str = "loop",
) -> np.ndarray:
    """Dispatch to :func:`segment_indices` (``sampling="tsn"``) or :func:`dense_indices` (``"dense"``)."""
    if sampling == "tsn":
        if frame_interval != 1:
            raise ValueError("TSN sampling takes one frame per segment: frame_interval must be 1")
        return segment_indices(num_frames, num_segments=clip_len, train=train, num_clips=num_clips, rng=rng)
    if sampling == "dense":
        return dense_indices(
            num_frames,
            clip_len=clip_len,
            frame_interval=frame_interval,
            train=train,
            num_clips=num_clips,
            rng=rng,
            short_policy=short_policy,
        )
    raise ValueError(f"sampling must be 'tsn' or 'dense', not {sampling!r}")


def _check(num_frames: int, clip_len: int, frame_interval: int) -> None:
    if num_frames < 1:
        raise ValueError(f"a video needs at least one frame (got {num_frames})")
    if clip_len < 1 or frame_interval < 1:
        raise ValueError(f"clip_len and frame_interval must be >= 1 (got {clip_len}, {frame_interval})")
