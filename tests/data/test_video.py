"""Decoding by value: tiny known videos, and every real sample video."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from PIL import Image

from synapt.data.video import (
    FrameFolderReader,
    PyAVReader,
    VideoDecodeError,
    display_size,
    open_video,
    to_display,
    yuv420_to_rgb,
)


def grey_levels(frames: torch.Tensor) -> list[float]:
    return frames.float().mean(dim=(1, 2, 3)).tolist()


def test_frames_come_back_by_index_in_request_order(clip16, brightness):
    with PyAVReader(clip16) as reader:
        assert reader.num_frames == 16
        frames = reader.get_frames([5, 0, 15, 5])
    assert frames.dtype == torch.uint8 and frames.shape == (4, 3, 32, 32)
    assert grey_levels(frames) == pytest.approx([brightness(i) for i in (5, 0, 15, 5)], abs=2)


def test_fast_path_matches_ffmpeg_rgb24(make_video):
    path = make_video("halves.mp4", frames=8, split_halves=True)
    fast = PyAVReader(path).get_frames(range(8))
    slow = PyAVReader(path, convert="rgb24").get_frames(range(8))
    assert (fast.int() - slow.int()).abs().max() <= 3


def test_yuv_conversion_of_known_values():
    # TV-range BT.601: Y=16 is black, Y=235 white, (Y=81, Cb=90, Cr=240) is pure red.
    luma = torch.tensor([[[16, 235], [81, 81]]], dtype=torch.uint8)
    cb = torch.tensor([[[90]]], dtype=torch.uint8)
    cr = torch.tensor([[[240]]], dtype=torch.uint8)
    rgb = yuv420_to_rgb(luma, cb, cr)
    assert rgb.shape == (1, 3, 2, 2)
    assert rgb[0, :, 1, 0].tolist() == pytest.approx([255, 0, 0], abs=2)
    grey = yuv420_to_rgb(luma, torch.full((1, 1, 1), 128, dtype=torch.uint8), torch.full((1, 1, 1), 128, dtype=torch.uint8))
    assert grey[0, :, 0, 0].tolist() == [0, 0, 0] and grey[0, :, 0, 1].tolist() == [255, 255, 255]


def test_seeking_gives_the_same_frames_as_decoding_through(make_video, brightness):
    path = make_video("long.mp4", frames=40, gop=5)
    indices = [1, 20, 33, 39]
    sequential = PyAVReader(path, seek_threshold=10_000).get_frames(indices)
    reader = PyAVReader(path, seek_threshold=3)
    seeking = reader.get_frames(indices)
    assert reader.seeks == 3 and reader._can_seek
    assert torch.equal(sequential, seeking)
    assert grey_levels(seeking) == pytest.approx([brightness(i) for i in indices], abs=2)


def test_indices_past_the_end_repeat_the_last_frame(clip16):
    frames = PyAVReader(clip16).get_frames([15, 40])
    assert torch.equal(frames[0], frames[1])


def test_non_square_pixels_are_stretched_to_display_aspect(make_video):
    path = make_video("sar.mp4", frames=2, width=32, height=32, sample_aspect=Fraction(2, 1), split_halves=True)
    reader = PyAVReader(path)
    assert reader.sample_aspect == 2.0
    frames = reader.get_frames([1])
    assert frames.shape == (1, 3, 32, 64)
    # the dark half stays the left half, now 32 px wide
    assert frames[0, :, :, :28].float().mean() < frames[0, :, :, 36:].float().mean() - 5


def test_rotation_turns_frames_counter_clockwise():
    frame = torch.arange(6, dtype=torch.uint8).view(1, 1, 2, 3)
    turned = to_display(frame, sample_aspect=1.0, rotation=90)
    assert turned.shape == (1, 1, 3, 2)
    # top-right pixel (2) ends up top-left after a quarter turn counter-clockwise
    assert turned[0, 0, 0, 0] == 2
    assert display_size(568, 320, 1.0, 270) == (320, 568)


def test_frame_folder_starts_at_one_and_counts_files(tmp_path, brightness):
    for number in range(1, 6):
        Image.fromarray(np.full((8, 10, 3), brightness(number - 1), np.uint8)).save(tmp_path / f"img_{number:05d}.jpg")
    reader = open_video(tmp_path)
    assert isinstance(reader, FrameFolderReader)
    assert reader.template == "img_{:05d}.jpg" and reader.num_frames == 5
    assert grey_levels(reader.get_frames([0, 4])) == pytest.approx([brightness(0), brightness(4)], abs=2)


def test_frame_folder_with_plain_numbers_and_other_start(tmp_path, brightness):
    for number in range(3):
        Image.fromarray(np.full((8, 8, 3), brightness(number), np.uint8)).save(tmp_path / f"{number:05d}.jpg")
    reader = FrameFolderReader(tmp_path, start_index=0)
    assert reader.template == "{:05d}.jpg" and reader.num_frames == 3
    assert grey_levels(reader.get_frames([2])) == pytest.approx([brightness(2)], abs=2)


def test_missing_and_garbage_files_raise_with_the_path(tmp_path):
    with pytest.raises(VideoDecodeError, match="nothere.mp4"):
        open_video(tmp_path / "nothere.mp4")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00not a video" * 50)
    with pytest.raises(VideoDecodeError, match="garbage.mp4"):
        open_video(garbage).get_frames([0])


REAL_VIDEOS = {
    # name: (display height, width, frames)
    "test.avi": (240, 320, 164),
    "demo.mp4": (256, 427, 280),
    "test.mp4": (256, 455, 300),
    "S001C001P001R001A001_rgb.avi": (1080, 1920, 103),
    "flipping_a_pancake.mkv": (240, 426, 310),
    "bbb_480p_vp9_opus_1second.webm": (480, 854, 24),
    "video_90.mov": (568, 320, 3),
}


@pytest.mark.parametrize("name", sorted(REAL_VIDEOS))
def test_every_real_sample_video_decodes_as_displayed(realdata, name):
    height, width, frames = REAL_VIDEOS[name]
    with PyAVReader(realdata / "videos" / name) as reader:
        assert reader.num_frames == frames
        clip = reader.get_frames([0, frames // 2, frames - 1])
        info = reader.info()
    assert clip.shape == (3, 3, height, width)
    assert (info.display_height, info.display_width) == (height, width)
    assert clip.float().std() > 5  # real picture content, not a blank frame


def test_real_rotation_and_aspect_metadata(realdata):
    assert PyAVReader(realdata / "videos" / "video_90.mov").info().rotation == 270
    assert PyAVReader(realdata / "videos" / "demo.mp4").info().sample_aspect == pytest.approx(64 / 51)


@pytest.mark.parametrize("name", ["flipping_a_pancake.mkv", "demo.mp4", "test.mp4", "bbb_480p_vp9_opus_1second.webm"])
def test_seeking_in_real_videos_matches_decoding_through(realdata, name):
    path = realdata / "videos" / name
    frames = REAL_VIDEOS[name][2]
    indices = np.linspace(0, frames - 1, 8).round().astype(int).tolist()  # TSN-like sparse frames
    reader = PyAVReader(path, seek_threshold=2)
    seeking = reader.get_frames(indices)
    assert reader.seeks >= 3 and reader._can_seek  # really sought, never fell back to a full decode
    assert torch.equal(seeking, PyAVReader(path, seek_threshold=10_000).get_frames(indices))


def test_corrupted_real_video_errors_clearly(realdata):
    path = realdata / "videos" / "corrupted.mp4"
    with pytest.raises(VideoDecodeError, match=r"corrupted\.mp4: decoding failed"):
        PyAVReader(path).get_frames(range(50))


@pytest.mark.parametrize("name", ["demo.mp4", "video_90.mov", "test.avi"])
def test_decord_backend_matches_pyav_where_installed(realdata, name):
    pytest.importorskip("decord")
    path = realdata / "videos" / name
    a = open_video(path, backend="decord").get_frames([0, 2])
    b = open_video(path).get_frames([0, 2])
    # same geometry (aspect, rotation); colours within FFmpeg's bilinear-vs-nearest chroma rounding
    assert a.shape == b.shape and (a.float() - b.float()).abs().mean() < 3


def test_a_file_whose_suffix_lies_still_opens(make_video, brightness):
    path = make_video("really_matroska.mkv", frames=6)
    liar = path.rename(path.with_suffix(".mp4"))
    with PyAVReader(liar) as reader:
        assert "matroska" in reader.info().container
        assert grey_levels(reader.get_frames([4])) == pytest.approx([brightness(4)], abs=2)
