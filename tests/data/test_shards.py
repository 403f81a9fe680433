"""Packing records into WebDataset tars and streaming them back across workers."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader

from synapt.cli import main
from synapt.data import transforms as T
from synapt.data.records import DatasetIndex, VideoRecord
from synapt.data.shards import ShardDataset, iterate_samples, shard_paths, write_shards


@pytest.fixture
def packed(tmp_path, make_video):
    records = [VideoRecord(str(make_video(f"v{i}.mp4", frames=8 + i)), i % 2, meta={"n": i}) for i in range(5)]
    records.append(VideoRecord(str(tmp_path / "gone.mp4"), 0))
    index = DatasetIndex("list", ["a", "b"], {"train": records})
    index.find_missing()
    summary = write_shards(index, tmp_path / "shards", shard_size=2, progress=False)
    return tmp_path / "shards", summary, records


def test_pack_writes_webdataset_members_and_index(packed):
    out, summary, records = packed
    assert summary["splits"]["train"] == {"clips": 5, "shards": ["train-000000.tar", "train-000001.tar", "train-000002.tar"], "skipped_missing": 1}
    assert json.loads((out / "index.json").read_text())["class_names"] == ["a", "b"]
    with tarfile.open(out / "train-000000.tar") as tar:
        assert tar.getnames() == ["train00000000.mp4", "train00000000.cls", "train00000000.json", "train00000001.mp4", "train00000001.cls", "train00000001.json"]
    first = next(iterate_samples(str(out / "train-000000.tar")))
    assert first["mp4"] == Path(records[0].path).read_bytes()  # bytes untouched
    assert json.loads(first["json"])["meta"] == {"n": 0} and first["cls"] == b"0"
    assert not list(out.glob("*.tmp"))


def test_streamed_clips_match_the_files(packed, brightness):
    out, _, records = packed
    ds = ShardDataset(shard_paths(out, split="train"), num_frames=4, sampling="dense", train=False, size=16, mean=T.HALF_MEAN, std=T.HALF_STD)
    items = list(ds)
    assert [key for _, _, key in items] == [f"train{i:08d}" for i in range(5)]
    assert [label for _, label, _ in items] == [r.label for r in records[:5]]
    video = items[3][0]  # 11 frames, 4 dense test frames from start floor(0.5 * 8) = 4
    grey = ((video * 0.5 + 0.5) * 255).mean(dim=(0, 2, 3)).tolist()
    assert grey == pytest.approx([brightness(i) for i in (4, 5, 6, 7)], abs=2)


def test_workers_split_the_shards_and_read_each_clip_once(packed):
    out, _, _ = packed
    ds = ShardDataset(shard_paths(out, split="train"), num_frames=2, train=True, size=16, shuffle_buffer=3)
    loader = DataLoader(ds, batch_size=2, num_workers=2)
    keys = [key for batch in loader for key in batch[2]]
    assert sorted(keys) == [f"train{i:08d}" for i in range(5)]
    assert all(isinstance(batch[0], torch.Tensor) for batch in loader)


def test_make_loader_streams_shards_with_skip_collate(packed, tmp_path):
    from synapt.data.dataset import make_loader

    out, _, _ = packed
    broken = tmp_path / "broken.tar"
    with tarfile.open(broken, "w") as tar:
        for name, data in (("bad00000000.mp4", b"\x00" * 64), ("bad00000000.cls", b"1")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    ds = ShardDataset(shard_paths(out, split="train") + [str(broken)], num_frames=2, size=16, on_error="skip")
    loader = make_loader(ds, batch_size=2, shuffle=True, workers=2, seed=3)
    keys = sorted(key for batch in loader if batch is not None for key in batch[2])
    assert keys == [f"train{i:08d}" for i in range(5)]
    assert ds.errors == 1


def test_pack_command(tmp_path, make_video, capsys):
    root = tmp_path / "ds"
    make_video("ds/walk/a.mp4", frames=4)
    make_video("ds/run/b.mp4", frames=4)
    assert main(["data", "pack", "--format", "folder", "--root", str(root), "--out", str(tmp_path / "out"), "--shard-size", "1"]) == 0
    assert "train: 2 clips in 2 shards (0 missing skipped)" in capsys.readouterr().out
    assert main(["data", "pack", "--format", "folder", "--root", str(root), "--out", str(tmp_path / "out"), "--splits", "val"]) == 2
    assert "not a split" in capsys.readouterr().err
