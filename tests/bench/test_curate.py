"""Curation: class-map parsing, the linter, balanced nested sampling, grouped splits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synapt.bench.curate import (
    Clip,
    Source,
    curate,
    duplicate_clips,
    grouped_split,
    lint,
    load_class_map,
    parse_source_spec,
)
from synapt.errors import UserError


def make_source(root: Path, name: str, per_action: dict[str, int], *, shared_actor_every: int = 0) -> Source:
    """A generated-format dataset folder with tiny placeholder files (curation reads no pixels)."""
    rows = []
    for action, count in per_action.items():
        for i in range(count):
            rel = f"videos/{action}/{name}_{action}_{i:04d}.mp4"
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(f"{name}/{action}/{i}".encode())
            params = {"actor_seed": (i // shared_actor_every) if shared_actor_every else f"{action}{i}"}
            rows.append({"clip_id": f"{action}_{i:04d}", "path": rel, "label": 0, "class_name": action,
                         "family": "human", "seed": i, "frames": 16, "fps": 30, "width": 32, "height": 32,
                         "params": params, "sha256": f"{abs(hash((name, action, i))):064x}"[-64:]})
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return Source(name=name, format="synapt", root=root)


def test_parse_source_spec_and_errors():
    src = parse_source_spec("gen=synapt:runs/gen")
    assert (src.name, src.format, str(src.root)) == ("gen", "synapt", "runs/gen")
    with pytest.raises(UserError, match="NAME=FORMAT:ROOT"):
        parse_source_spec("runs/gen")


def test_class_map_yaml(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text("waving: [a:wave, b:hello]\nfalling: a:fall\n")
    assert load_class_map(path) == {"waving": [("a", "wave"), ("b", "hello")], "falling": [("a", "fall")]}
    path.write_text("waving: [wave]\n")
    with pytest.raises(UserError, match="not 'source:action'"):
        load_class_map(path)


def test_lint_refuses_one_action_in_two_classes_and_shared_clips():
    clip = Clip(source="a", action="push", path=Path("/x/push1.mp4"), identity="h1")
    twin = Clip(source="b", action="shove", path=Path("/y/shove1.mp4"), identity="h1")
    report = lint(
        {"push_left": [("a", "push")], "push_right": [("a", "push"), ("b", "shove")]},
        {("a", "push"): [clip], ("b", "shove"): [twin]},
    )
    assert any("a:push is mapped to two classes" in e for e in report.errors)
    assert any("same clip is listed in two classes" in e for e in report.errors)
    with pytest.raises(UserError, match="curation refused"):
        report.raise_if_errors()


def test_lint_names_unknown_actions_with_a_hint():
    report = lint({"wave": [("a", "wav")]}, {("a", "wave"): [Clip("a", "wave", Path("/w.mp4"), "w")]})
    assert report.errors == ["class 'wave': source action a:wav has no clips (did you mean a:wave?)"]


def test_real_synapt_list_has_clips_in_two_classes(realdata):
    lines = (realdata / "synapt" / "sim150_val.txt").read_text().splitlines()
    dupes = duplicate_clips(lines)
    # The released list files 16 renderings under two class folders each.
    assert len(dupes) == 16
    assert all(len({entry.split("/")[0] for entry in entries}) == 2 for entries in dupes.values())


def test_grouped_split_keeps_shared_actors_together():
    clips = []
    for i in range(40):
        clip = Clip("g", "walk", Path(f"/c{i}.mp4"), f"id{i}", groups=(f"actor={i // 4}",))
        clip.meta["target"] = "walk"
        clips.append(clip)
    side = grouped_split(clips, fractions={"val": 0.25}, seed=3)
    # Quota is 10 clips; whole groups of 4 never overshoot it, so val holds two groups.
    assert sum(v == "val" for v in side.values()) == 8
    for actor in range(10):
        assert len({side[f"id{i}"] for i in range(actor * 4, actor * 4 + 4)}) == 1


def test_generated_mocap_clips_of_one_take_stay_on_one_side():
    from synapt.bench.curate import MIN_TAKES_TO_GROUP, _generated_groups

    def row(i, takes):
        action = {"motion": "mocap:cmu", "library": "cmu", "clip_id": f"take{i % takes}", "takes": takes}
        return {"clip_id": f"c{takes}_{i}", "params": {"action": action}}

    many, one = MIN_TAKES_TO_GROUP + 2, 1
    clips = []
    for takes in (many, one):
        for i in range(60):
            r = row(i, takes)
            clip = Clip("g", f"class{takes}", Path(f"/{r['clip_id']}.mp4"), r["clip_id"], groups=_generated_groups("g", r))
            clip.meta["target"] = f"class{takes}"
            clips.append(clip)
    side = grouped_split(clips, fractions={"val": 0.2}, seed=0)
    by_take = {}
    for clip in clips[:60]:  # the class with many takes: a take never straddles the split
        by_take.setdefault(clip.groups, set()).add(side[clip.identity])
    assert len(by_take) == many and all(len(sides) == 1 for sides in by_take.values())
    assert 0 < sum(side[c.identity] == "val" for c in clips[:60]) <= 12
    # One take (DeepMimic): clips are their own groups, so the class still gets its 20% of val.
    assert sum(side[c.identity] == "val" for c in clips[60:]) == 12
    assert _generated_groups("g", {"clip_id": "p1", "params": {"action": {"motion": "procedural"}}}) == ("g:clip=p1",)


def test_curate_balances_sources_and_nests_subsets(tmp_path):
    a = make_source(tmp_path / "a", "a", {"wave": 30, "jump": 30, "sit": 30, "fall": 30})
    b = make_source(tmp_path / "b", "b", {"hello": 30, "hop": 30, "sit_down": 30, "tumble": 30})
    class_map = {"wave": [("a", "wave"), ("b", "hello")], "jump": [("a", "jump"), ("b", "hop")],
                 "sit": [("a", "sit"), ("b", "sit_down")], "fall": [("a", "fall"), ("b", "tumble")]}
    result = curate(class_map=class_map, sources=[a, b], out_dir=tmp_path / "cur", clips_per_class=20,
                    class_subsets=(2,), clip_subsets=(10,), val_fraction=0.2, seed=1)
    rows = [json.loads(l) for l in (tmp_path / "cur" / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == 80 and result.counts == {"train": 64, "val": 16}
    for name in class_map:
        mine = [r for r in rows if r["class_name"] == name]
        assert sum(r["source"] == "a" for r in mine) == sum(r["source"] == "b" for r in mine) == 10
        assert sum(r["split"] == "val" for r in mine) == 4
    # Paths are relative to the curated folder and point at the source files.
    assert all((tmp_path / "cur" / r["path"]).resolve().is_file() for r in rows)
    assert sorted(result.subsets) == ["c2_n10", "c2_n20", "c4_n10"]
    small = [json.loads(l) for l in (tmp_path / "cur/subsets/c2_n10/manifest.jsonl").read_text().splitlines()]
    mid = [json.loads(l) for l in (tmp_path / "cur/subsets/c2_n20/manifest.jsonl").read_text().splitlines()]
    small_ids, mid_ids, all_ids = ({r["clip_id"] for r in x} for x in (small, mid, rows))
    assert small_ids < mid_ids < all_ids
    assert len(small) == 20 and {r["label"] for r in small} == {0, 1}
    # Every prefix is balanced: the 10-clip subset has 5 from each source per class.
    for name in {r["class_name"] for r in small}:
        assert sum(r["source"] == "a" for r in small if r["class_name"] == name) == 5
    # A subset keeps each clip on the side of the split it has in the full set.
    side = {r["clip_id"]: r["split"] for r in rows}
    assert all(side[r["clip_id"]] == r["split"] for r in small)


def test_curate_refuses_short_classes_and_missing_sources(tmp_path):
    a = make_source(tmp_path / "a", "a", {"wave": 5, "jump": 3})
    with pytest.raises(UserError, match="class 'jump' has 3 clips but clips_per_class=5"):
        curate(class_map={"wave": [("a", "wave")], "jump": [("a", "jump")]}, sources=[a],
               out_dir=tmp_path / "o", clips_per_class=5)
    with pytest.raises(UserError, match="--source b=FORMAT:ROOT"):
        curate(class_map={"wave": [("b", "wave")]}, sources=[a], out_dir=tmp_path / "o")


def test_curate_is_deterministic(tmp_path):
    a = make_source(tmp_path / "a", "a", {"wave": 12, "jump": 12})
    cm = {"wave": [("a", "wave")], "jump": [("a", "jump")]}
    curate(class_map=cm, sources=[a], out_dir=tmp_path / "x", clips_per_class=8, seed=5)
    curate(class_map=cm, sources=[a], out_dir=tmp_path / "y", clips_per_class=8, seed=5)
    assert (tmp_path / "x/manifest.jsonl").read_text() == (tmp_path / "y/manifest.jsonl").read_text()


def test_grouped_split_carves_val_and_test_per_class():
    clips = []
    for name in ("a", "b"):
        for i in range(20):
            clip = Clip("g", name, Path(f"/{name}{i}.mp4"), f"{name}{i}")
            clip.meta["target"] = name
            clips.append(clip)
    side = grouped_split(clips, fractions={"val": 0.2, "test": 0.3}, seed=0)
    for name in ("a", "b"):
        mine = [side[f"{name}{i}"] for i in range(20)]
        assert (mine.count("train"), mine.count("val"), mine.count("test")) == (10, 4, 6)
    with pytest.raises(UserError, match="nothing to train on"):
        grouped_split(clips, fractions={"val": 0.5, "test": 0.5}, seed=0)


def test_keep_splits_preserves_the_source_split(tmp_path):
    src = make_source(tmp_path / "a", "a", {"wave": 6, "jump": 6})
    rows = [json.loads(l) for l in (src.root / "manifest.jsonl").read_text().splitlines()]
    for i, row in enumerate(rows):
        row["split"] = ("train", "val", "test")[i % 3]
    (src.root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    curate(class_map={"wave": [("a", "wave")]}, sources=[src], out_dir=tmp_path / "o", keep_splits=True)
    out = [json.loads(l) for l in (tmp_path / "o" / "manifest.jsonl").read_text().splitlines()]
    expected = {r["clip_id"]: r["split"] for r in rows if r["class_name"] == "wave"}
    assert {r["clip_id"].removeprefix("a-"): r["split"] for r in out} == expected


def test_resample_indices_keep_duration():
    from synapt.bench.curate import resample_indices

    assert resample_indices(8, 15, 30) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]
    assert resample_indices(8, 60, 30) == [0, 2, 4, 6]
    assert resample_indices(10, 30, 30) == list(range(10))
    assert resample_indices(5, 25, 30) == [0, 0, 1, 2, 3, 4]  # 0.2 s -> 6 frames at 30 fps


def test_curation_normalises_other_frame_rates_to_30_fps(tmp_path):
    import numpy as np

    from synapt.data.video import open_video
    from synapt.sim.video import write_clip

    # A "real" one-folder-per-class source at 15 fps: frame k is uniformly grey level 20 * k.
    for name in ("wave", "jump"):
        for i in range(4):
            frames = np.stack([np.full((32, 48, 3), 20 * k, np.uint8) for k in range(8)])
            (tmp_path / "src" / name).mkdir(parents=True, exist_ok=True)
            write_clip(tmp_path / "src" / name / f"{name}{i}.mp4", frames, fps=15)
    source = Source(name="real", format="folder", root=tmp_path / "src")
    curate(class_map={"wave": [("real", "wave")], "jump": [("real", "jump")]}, sources=[source],
           out_dir=tmp_path / "out", val_fraction=0.25, seed=0)
    rows = [json.loads(l) for l in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == 8 and all(r["fps"] == 30 and r["frames"] == 16 and r["sha256"] is None for r in rows)
    for row in rows:
        path = (tmp_path / "out" / row["path"]).resolve()
        assert path.is_relative_to((tmp_path / "out" / "videos").resolve())
        with open_video(path) as reader:
            assert reader.fps == 30 and reader.num_frames == 16
            grey = reader.get_frames(list(range(16))).float().mean(dim=(1, 2, 3))
        # Each source frame is shown twice, in order.
        assert np.allclose(grey.numpy(), np.repeat(20 * np.arange(8), 2), atol=3)
    summary = json.loads((tmp_path / "out" / "curation.json").read_text())
    assert summary["resampled_to_fps"] == 8
    # Rerunning reuses the re-encoded files.
    curate(class_map={"wave": [("real", "wave")], "jump": [("real", "jump")]}, sources=[source],
           out_dir=tmp_path / "out", val_fraction=0.25, seed=0)
    assert (tmp_path / "out" / "manifest.jsonl").read_text().count('"fps": 30') == 8


def write_group_folder(root: Path, *, groups: int, classes=("boxing", "waving"), per_group: int = 1,
                       name: str = "person{g:02d}_{c}_d{i}.mp4") -> Path:
    """A one-folder-per-class dataset of real H.264 clips whose file names carry a group id, like KTH's
    ``person01_boxing_d1_uncomp.avi``: ``groups`` actors x ``classes`` x ``per_group`` clips, 4 frames of
    32 px; class k is a bright bar moving along axis k, the actor sets the background level."""
    import numpy as np

    from synapt.sim.video import write_clip

    for k, cls in enumerate(classes):
        (root / cls).mkdir(parents=True, exist_ok=True)
        for g in range(1, groups + 1):
            for i in range(1, per_group + 1):
                frames = np.full((4, 32, 32, 3), 20 + 7 * g, np.uint8)
                for t in range(4):
                    if k % 2:
                        frames[t, :, 6 * t + i:6 * t + i + 6] = 230
                    else:
                        frames[t, 6 * t + i:6 * t + i + 6, :] = 230
                write_clip(root / cls / name.format(g=g, c=cls, i=i), frames, fps=8)
    return root


def test_group_id_takes_the_first_capture_group_of_the_file_name():
    import re

    from synapt.bench.curate import group_id

    kth = re.compile(r"person(\d+)")
    assert group_id("/data/kth/boxing/person01_boxing_d1_uncomp.avi", kth) == "01"
    assert group_id(Path("/data/weizmann/bend/daria_bend.avi"), re.compile(r"^([a-z]+)_")) == "daria"
    # No capture group: the whole match is the id. The folder is never searched, only the file name.
    assert group_id("/data/person99/boxing/person07_boxing_d2.avi", re.compile(r"person\d+")) == "person07"
    with pytest.raises(UserError) as err:
        group_id("/data/kth/boxing/actor3_boxing.avi", kth)
    message = str(err.value)
    assert "\n" not in message and "/data/kth/boxing/actor3_boxing.avi" in message
    assert r"group pattern 'person(\d+)' does not match the file name 'actor3_boxing.avi'" in message
    assert "'group:' in datasets.yaml" in message
    with pytest.raises(UserError, match="captures nothing"):
        group_id("/x/person_boxing.avi", re.compile(r"person(\d*)"))


def test_compile_group_pattern_names_the_key():
    from synapt.bench.curate import compile_group_pattern

    assert compile_group_pattern(r"person(\d+)", where="w").groups == 1
    with pytest.raises(UserError, match=r"datasets.downstream.kth.group: 'person\(\\d\+' is not a regular expression"):
        compile_group_pattern(r"person(\d+", where="datasets.downstream.kth.group")


def _actor_clips(sizes: dict[str, int]) -> list[Clip]:
    clips = []
    for actor, count in sizes.items():
        for i in range(count):
            clip = Clip("kth", f"class{i % 3}", Path(f"/{actor}_{i}.avi"), f"{actor}_{i}", groups=(f"kth:group={actor}",))
            clip.meta["target"] = clip.action
            clips.append(clip)
    return clips


def test_group_folds_are_disjoint_balanced_and_seeded():
    from synapt.bench.curate import group_folds

    sizes = {f"p{a:02d}": 4 + a % 3 for a in range(25)}  # 25 actors of 4-6 clips, 124 clips
    clips = _actor_clips(sizes)
    folds = group_folds(clips, folds=5, seed=0)
    assert set(folds) == {c.identity for c in clips} and set(folds.values()) == set(range(5))
    fold_of_actor = {}
    for clip in clips:  # every actor's clips in one fold
        assert fold_of_actor.setdefault(clip.groups[0], folds[clip.identity]) == folds[clip.identity]
    counts = [list(folds.values()).count(f) for f in range(5)]
    assert sum(counts) == 124 and max(counts) - min(counts) <= max(sizes.values())
    assert max(counts) - min(counts) <= 1  # 124 clips in groups of 4-6 deal out to 24-25 per fold
    assert group_folds(list(reversed(clips)), folds=5, seed=0) == folds  # the clips' order does not matter
    assert group_folds(clips, folds=5, seed=1) != folds  # the seed orders actors of equal size
    with pytest.raises(UserError, match="needs at least 2 folds"):
        group_folds(clips, folds=1, seed=0)
    with pytest.raises(UserError, match="26 folds need at least 26 groups, but its 124 clips form 25"):
        group_folds(clips, folds=26, seed=0)


def test_curate_fold_tests_one_fold_and_carves_a_grouped_val_from_the_others(tmp_path):
    root = write_group_folder(tmp_path / "kth", groups=12)
    source = Source("kth", "folder", root, group_pattern=r"person(\d+)")
    class_map = {"boxing": [("kth", "boxing")], "waving": [("kth", "waving")]}
    tested = {}
    for i in range(3):
        result = curate(class_map=class_map, sources=[source], out_dir=tmp_path / f"fold{i}", val_fraction=0.1,
                        fps=None, seed=0, fold=(i, 3))
        rows = [json.loads(l) for l in (tmp_path / f"fold{i}" / "manifest.jsonl").read_text().splitlines()]
        assert result.class_names == ["boxing", "waving"] and len(rows) == 24
        side = {}
        for row in rows:  # no actor on two sides
            actor = Path(row["path"]).name.split("_")[0]
            assert side.setdefault(actor, row["split"]) == row["split"]
        assert list(side.values()).count("test") == 4 and list(side.values()).count("val") == 1
        for row in rows:
            if row["split"] == "test":
                tested.setdefault(Path(row["path"]).name, []).append(i)
        summary = json.loads((tmp_path / f"fold{i}" / "curation.json").read_text())
        assert summary["fold"] == {"test_fold": i + 1, "folds": 3, "clips_per_fold": [8, 8, 8]}
    # Every clip is tested exactly once over the folds.
    assert len(tested) == 24 and all(len(folds) == 1 for folds in tested.values())
    # 4 actors in 2 folds leave 2 training clips per class: a 10% val quota rounds to no clip.
    small = Source("small", "folder", write_group_folder(tmp_path / "small", groups=4), group_pattern=r"person(\d+)")
    with pytest.raises(UserError, match="fold 1 of 2: no group fits a grouped val split of 10%"):
        curate(class_map={c: [("small", c)] for c in ("boxing", "waving")}, sources=[small], out_dir=tmp_path / "x",
               val_fraction=0.1, fps=None, seed=0, fold=(0, 2))
    with pytest.raises(UserError, match="does not match the file name"):
        bad = Source("kth", "folder", root, group_pattern=r"actor(\d+)")
        curate(class_map=class_map, sources=[bad], out_dir=tmp_path / "y", fps=None, fold=(0, 3))
