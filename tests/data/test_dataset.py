"""VideoClipDataset and make_loader on tiny known videos."""

from __future__ import annotations

import pytest
import torch

from synapt.data import transforms as T
from synapt.data.dataset import VideoClipDataset, collate_skip, make_loader
from synapt.data.records import VideoRecord
from synapt.data.video import VideoDecodeError


def grey(video: torch.Tensor) -> list[float]:
    """Per-frame grey level of a (C, T, H, W) clip normalised with 0.5/0.5."""
    return ((video * 0.5 + 0.5) * 255).mean(dim=(0, 2, 3)).tolist()


def test_test_mode_tsn_clip_has_segment_centre_frames(clip16, brightness):
    ds = VideoClipDataset([VideoRecord(str(clip16), 3)], num_frames=4, train=False, size=16, mean=T.HALF_MEAN, std=T.HALF_STD)
    video, label, index = ds[0]
    assert video.shape == (3, 4, 16, 16) and video.dtype == torch.float32
    assert (label, index) == (3, 0)
    assert grey(video) == pytest.approx([brightness(i) for i in (2, 6, 10, 14)], abs=2)


def test_record_frame_range_is_respected(clip16, brightness):
    record = VideoRecord(str(clip16), 0, start_frame=8, end_frame=12)
    ds = VideoClipDataset([record], num_frames=4, sampling="dense", train=False, size=16, mean=T.HALF_MEAN, std=T.HALF_STD)
    assert grey(ds[0][0]) == pytest.approx([brightness(i) for i in (8, 9, 10, 11)], abs=2)


def test_multi_view_shape(clip16):
    ds = VideoClipDataset([VideoRecord(str(clip16), 0)], num_frames=4, sampling="dense", train=False, num_clips=2, num_crops=3, size=16)
    video, _, _ = ds[0]
    assert video.shape == (6, 3, 4, 16, 16)


def test_train_is_seeded_and_flip_follows_the_flip_map(make_video):
    path = make_video("halves.mp4", frames=8, split_halves=True)
    records = [VideoRecord(str(path), 0)] * 16
    ds = VideoClipDataset(records, num_frames=2, train=True, size=16, flip_map={0: 1}, seed=5, mean=T.HALF_MEAN, std=T.HALF_STD)
    again = VideoClipDataset(records, num_frames=2, train=True, size=16, flip_map={0: 1}, seed=5, mean=T.HALF_MEAN, std=T.HALF_STD)
    labels = set()
    for i in range(16):
        video, label, _ = ds[i]
        assert torch.equal(video, again[i][0])
        left, right = video[..., :6].mean(), video[..., 10:].mean()
        # the dark half is on the left exactly when the clip was not flipped
        assert (left < right) == (label == 0)
        labels.add(label)
    assert labels == {0, 1}


def test_never_flip_class_keeps_orientation(make_video):
    path = make_video("halves.mp4", frames=4, split_halves=True)
    ds = VideoClipDataset([VideoRecord(str(path), 0)] * 8, num_frames=2, size=16, flip_map={0: None})
    for i in range(8):
        video, label, _ = ds[i]
        assert label == 0 and video[..., :6].mean() < video[..., 10:].mean()


def test_failed_video_raises_with_path_or_is_skipped_and_counted(clip16, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 1000)
    records = [VideoRecord(str(clip16), 0), VideoRecord(str(bad), 1)]
    with pytest.raises(VideoDecodeError, match="broken.mp4"):
        VideoClipDataset(records, num_frames=4, size=16)[1]
    ds = VideoClipDataset(records, num_frames=4, size=16, on_error="skip")
    assert ds[1] is None and ds.errors == 1
    videos, labels, indices = collate_skip([ds[0], ds[1]])
    assert videos.shape == (1, 3, 4, 16, 16) and labels.tolist() == [0] and indices.tolist() == [0]
    assert collate_skip([None, None]) is None
    assert ds.reset_errors() == 2 and ds.errors == 0


def test_loader_with_workers_counts_errors_across_processes(clip16, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 1000)
    records = [VideoRecord(str(clip16), i % 3) for i in range(6)] + [VideoRecord(str(bad), 0)] * 2
    ds = VideoClipDataset(records, num_frames=4, size=16, on_error="skip")
    loader = make_loader(ds, batch_size=4, shuffle=True, workers=2, seed=1)
    seen = []
    for batch in loader:
        if batch is not None:
            seen += batch[2].tolist()
    assert sorted(seen) == list(range(6))
    assert loader.errors == 2


def test_loader_is_reproducible_and_reshuffles_per_epoch(clip16):
    ds = VideoClipDataset([VideoRecord(str(clip16), i) for i in range(8)], num_frames=2, size=16)
    order = lambda loader: [i for batch in loader for i in batch[2].tolist()]
    a = make_loader(ds, batch_size=4, shuffle=True, workers=0, seed=7)
    b = make_loader(ds, batch_size=4, shuffle=True, workers=0, seed=7)
    first = order(a)
    assert first == order(b)
    assert order(a) != first  # second epoch, new order


def test_bad_arguments_are_rejected(clip16):
    with pytest.raises(ValueError, match="sampling"):
        VideoClipDataset([], sampling="uniform")
    with pytest.raises(ValueError, match="num_crops"):
        VideoClipDataset([], num_crops=2)


def test_frame_folder_records_with_a_frame_range(tmp_path, brightness):
    import numpy as np
    from PIL import Image

    folder = tmp_path / "frames"
    folder.mkdir()
    for number in range(1, 21):  # files 00001..00020 hold frames 0..19
        Image.fromarray(np.full((16, 16, 3), brightness(number - 1), np.uint8)).save(folder / f"{number:05d}.jpg", quality=95)
    record = VideoRecord(str(folder), 0, start_frame=4, end_frame=12)
    ds = VideoClipDataset([record], num_frames=4, train=False, size=16, mean=T.HALF_MEAN, std=T.HALF_STD, frame_template="{:05d}.jpg")
    # TSN centres of 8 frames in 4 segments: 1, 3, 5, 7 -> frames 5, 7, 9, 11
    assert grey(ds[0][0]) == pytest.approx([brightness(i) for i in (5, 7, 9, 11)], abs=2)


def test_distributed_loader_uses_a_distributed_sampler_and_advances_its_epoch(clip16, tmp_path):
    import torch.distributed as dist
    from torch.utils.data import DistributedSampler

    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'rendezvous'}", rank=0, world_size=1)
    try:
        ds = VideoClipDataset([VideoRecord(str(clip16), i) for i in range(6)], num_frames=2, size=16)
        loader = make_loader(ds, batch_size=3, shuffle=True, workers=0, distributed=True, seed=2)
        assert isinstance(loader.sampler, DistributedSampler)
        first = [i for batch in loader for i in batch[2].tolist()]
        second = [i for batch in loader for i in batch[2].tolist()]
        assert sorted(first) == sorted(second) == list(range(6))
        assert loader.sampler.epoch == 1 and first != second  # reshuffled for the second epoch
    finally:
        dist.destroy_process_group()


def test_decode_cache_gives_the_same_clips_without_reopening_the_file(clip16, tmp_path):
    import shutil

    path = tmp_path / "clip.mp4"
    shutil.copy(clip16, path)
    kwargs = dict(num_frames=4, train=True, size=16, train_crop="light", seed=3)
    plain = VideoClipDataset([VideoRecord(str(path), 0)], **kwargs)
    cached = VideoClipDataset([VideoRecord(str(path), 0)], cache_mb=10, **kwargs)
    for epoch in range(2):
        plain.set_epoch(epoch)
        cached.set_epoch(epoch)
        if epoch == 1:
            path.unlink()  # a cached clip is cut from memory: the file is not read again
            with pytest.raises(VideoDecodeError):
                plain[0]
            continue
        assert torch.equal(plain[0][0], cached[0][0])
    expected = VideoClipDataset([VideoRecord(str(clip16), 0)], **kwargs)
    expected.set_epoch(1)
    assert torch.equal(cached[0][0], expected[0][0])


def test_decode_cache_stops_at_its_budget(clip16):
    records = [VideoRecord(str(clip16), 0), VideoRecord(str(clip16), 1)]
    ds = VideoClipDataset(records, num_frames=4, train=False, size=16, cache_mb=1e-6)
    ds[0], ds[1]
    assert len(ds._cache) == 1  # the first clip passes the tiny budget; the second is decoded each time


def test_temporal_jitter_off_trains_on_segment_centres(clip16, brightness):
    ds = VideoClipDataset([VideoRecord(str(clip16), 0)], num_frames=4, train=True, temporal_jitter=False,
                          train_crop="none", size=16, mean=T.HALF_MEAN, std=T.HALF_STD, flip=False)
    for epoch in range(3):
        ds.set_epoch(epoch)
        assert grey(ds[0][0]) == pytest.approx([brightness(i) for i in (2, 6, 10, 14)], abs=2)
