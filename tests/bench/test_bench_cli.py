import json
import math

from test_curate import make_source

import pytest

from synapt.cli import main
from synapt.errors import UserError


def test_curate_command(tmp_path, capsys):
    make_source(tmp_path / "a", "a", {"wave": 10, "jump": 10})
    (tmp_path / "map.yaml").write_text("waving: [a:wave]\njumping: [a:jump]\n")
    code = main(["curate", "--map", str(tmp_path / "map.yaml"), "--source", f"a=synapt:{tmp_path / 'a'}",
                 "--out", str(tmp_path / "cur"), "--per-class", "8", "--clip-subsets", "4", "--val-fraction", "0.25"])
    assert code == 0
    out = capsys.readouterr().out
    assert "curated 2 classes x 8 clips" in out and "train 12, val 4" in out
    classes = json.loads((tmp_path / "cur" / "classes.json").read_text())
    assert [c["name"] for c in classes] == ["jumping", "waving"]


def test_curate_command_bad_map_is_one_line(tmp_path, capsys):
    (tmp_path / "map.yaml").write_text("waving: [a:wave]\n")
    code = main(["curate", "--map", str(tmp_path / "map.yaml"), "--source", "a=synapt:/nonexistent",
                 "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "manifest.jsonl not found" in err


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """3 classes x 10 clips of real generated H.264 (the manifest puts index 8 in val, 9 in test)."""
    from synapt.sim import generate_dataset

    root = tmp_path_factory.mktemp("gen") / "data"
    return generate_dataset(root, classes="clap,squat,drop_object", per_class=10, frames=4, size=32, seed=3,
                            progress=False)


def test_bias_command_with_a_torchvision_layout_encoder(generated, tmp_path, capsys):
    import torch

    from synapt.models import build_model

    weights = tmp_path / "resnet_tiny_imagenet.pth"
    torch.save(build_model("resnet_tiny", num_classes=1000).state_dict(), weights)
    code = main(["bias", "--data", f"synapt:{generated}", "--encoder", "tsn_tiny", "--weights", str(weights),
                 "--average-frames", "2", "--size", "32", "--out", str(tmp_path / "bias"), "--json"])
    assert code == 0
    row = json.loads(capsys.readouterr().out)
    assert row["M_rnd"] == pytest.approx(1 / 3)
    if row["M"] > 0:
        assert row["B"] == pytest.approx(math.log(row["M"] * 3))
    else:  # no test clip right: B = ln(0) is minus infinity, reported as null
        assert row["B"] is None
    assert (tmp_path / "bias" / "run" / "confusion_test.json").is_file()


def test_bias_command_refuses_a_missing_weights_file(generated, capsys):
    assert main(["bias", "--data", f"synapt:{generated}", "--weights", "/nope/resnet50.pth"]) == 2
    assert "--weights /nope/resnet50.pth not found" in capsys.readouterr().err


def test_sweep_command_runs_the_grid_and_skips_finished_trials(generated, tmp_path, capsys):
    (tmp_path / "train.yaml").write_text(
        f"mode: pretrain\ndata: {{format: synapt, root: {generated}, num_frames: 2, size: 32, flip: false, workers: 0}}\n"
        "model: {name: tsn_tiny}\noptim: {batch_size: 8}\nschedule: {epochs: 1}\n")
    (tmp_path / "sweep.yaml").write_text("base: train.yaml\ngrid: {optim.lr: [0.01, 0.05]}\nselect: val.top1\n")
    args = ["sweep", "--config", str(tmp_path / "sweep.yaml"), "--out", str(tmp_path / "sw"), "--json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert [t["point"] for t in first["trials"]] == [{"optim.lr": 0.01}, {"optim.lr": 0.05}]
    assert all(t["result"]["test"]["num_videos"] == 3 for t in first["trials"])
    stamps = sorted(p.stat().st_mtime_ns for p in (tmp_path / "sw").glob("trials/*/result.json"))
    assert main(args) == 0
    assert sorted(p.stat().st_mtime_ns for p in (tmp_path / "sw").glob("trials/*/result.json")) == stamps


def test_sweep_config_with_an_unknown_key_is_one_line(tmp_path, capsys):
    (tmp_path / "sweep.yaml").write_text("base: train.yaml\ngird: {optim.lr: [0.1]}\n")
    assert main(["sweep", "--config", str(tmp_path / "sweep.yaml")]) == 2
    assert "unknown key 'gird'" in capsys.readouterr().err


def test_real_datasets_join_the_plan_and_are_indexed_first(generated, tmp_path):
    from synapt.bench.job import run_benchmark
    from synapt.bench.presets import with_real_datasets
    from test_benchmark import micro_preset

    # A "real" downstream dataset in the one-folder-per-class format, made of real H.264 files.
    real = tmp_path / "real"
    for video in generated.glob("videos/*/*.mp4"):
        (real / video.parent.name).mkdir(parents=True, exist_ok=True)
        (real / video.parent.name / video.name).symlink_to(video)
    preset = with_real_datasets(micro_preset(), {"downstream": {"myreal": {"format": "folder", "root": str(real)}}})
    plan = run_benchmark(preset, tmp_path / "bench", dry_run=True, progress=False)
    names = {stage["name"] for stage in plan["plan"]}
    assert {"transfer-synthetic-myreal-ft-tsn_tiny", "transfer-scratch-myreal-scratch-tsn_tiny",
            "transfer-random_init-myreal-lp-tsn_tiny", "bias-appearance-myreal"} <= names
    # The static-context encoder learned generator labels: it never measures a real suite.
    assert "bias-probe-myreal" not in names and "bias-probe-proxy-motion" in names
    missing = with_real_datasets(micro_preset(), {"downstream": {"ucf": {"format": "ucf101", "root": str(tmp_path / "no")}}})
    with pytest.raises(UserError):
        run_benchmark(missing, tmp_path / "bench2", dry_run=True, progress=False)
    with pytest.raises(UserError, match="needs 'format' and 'root'"):
        with_real_datasets(micro_preset(), {"downstream": {"ucf": {"root": "/x"}}})


def test_benchmark_dry_run_plans_every_fold_of_a_kfold_suite(tmp_path, capsys):
    from test_curate import write_group_folder

    kth = write_group_folder(tmp_path / "kth", groups=5)
    datasets = tmp_path / "datasets.yaml"
    datasets.write_text(f"downstream:\n  kth: {{format: folder, root: {kth}, group: 'person(\\d+)', protocol: kfold}}\n")
    args = ["benchmark", "--preset", "tiny", "--datasets", str(datasets), "--out", str(tmp_path / "b"), "--dry-run"]
    assert main(args) == 0
    plan = capsys.readouterr().out
    for fold in range(1, 6):
        assert f"curate-kth-fold{fold}of5 " in plan
        assert f"transfer-synthetic-kth-fold{fold}of5-ft-r2plus1d_w16 " in plan
        assert f"transfer-scratch-kth-fold{fold}of5-scratch-r2plus1d_w16 " in plan
        assert f"bias-appearance-kth-fold{fold}of5 " in plan
    assert "transfer-synthetic-kth-ft-" not in plan and not (tmp_path / "b" / "stages").exists()
    assert "validity-proxy-motion " in plan and "validity-proxy-context " in plan  # every stage the run asks for
    # tiny measures B and ranks Figure 2's subsets (on val) with the appearance descriptors only
    assert "static-encoder " not in plan and "bias-probe-" not in plan and "bias-appearance-mixed-val " in plan
    assert not (tmp_path / "b").exists()  # the dry run writes nothing at all

    # More folds than actors, and a file the pattern misses: one line each, before anything runs.
    datasets.write_text(f"downstream:\n  kth: {{format: folder, root: {kth}, group: 'person(\\d+)', protocol: kfold, "
                        "folds: 6}\n")
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "dataset kth" in err and "6 folds need at least 6 groups" in err
    (kth / "boxing" / "intruder_boxing_d1.mp4").symlink_to(kth / "boxing" / "person01_boxing_d1.mp4")
    datasets.write_text(f"downstream:\n  kth: {{format: folder, root: {kth}, group: 'person(\\d+)', protocol: kfold, "
                        "folds: 5}\n")
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "intruder_boxing_d1.mp4: group pattern 'person(\\d+)' does not match" in err


def test_benchmark_models_and_published_weights_from_the_command_line(tmp_path, capsys):
    import torch

    from synapt.models import build_model

    torch.save(build_model("tsn_tiny", num_classes=3).state_dict(), tmp_path / "k.pth")
    datasets = tmp_path / "datasets.yaml"
    datasets.write_text(f"pretrained:\n  k400: {{weights: {tmp_path / 'k.pth'}, models: [tsn_tiny]}}\n")
    args = ["benchmark", "--preset", "tiny", "--models", "tsn_tiny", "--datasets", str(datasets),
            "--out", str(tmp_path / "b"), "--dry-run"]
    assert main(args) == 0
    plan = capsys.readouterr().out
    for suite in ("proxy-motion", "proxy-context"):
        for mode in ("ft", "lp"):
            assert f"transfer-k400-{suite}-{mode}-tsn_tiny " in plan
    assert "pretrain-k400" not in plan and "r2plus1d_w16" not in plan
    # The file must fit: under the preset's own model it leaves tensors random.
    datasets.write_text(f"pretrained:\n  k400: {{weights: {tmp_path / 'k.pth'}}}\n")
    assert main(args[:3] + args[5:]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "datasets.pretrained.k400" in err and "does not load into r2plus1d_w16" in err
    assert main(["benchmark", "--models", "resnet_nope", "--dry-run"]) == 2
    assert "--models resnet_nope: unknown model 'resnet_nope'" in capsys.readouterr().err


def fake_benchmark(run, *, preset, classes, real_counts, seed, started):
    """Stands in for the benchmark's stages: three quick ones, and a stray line on stdout."""
    for i, estimate in enumerate(({"clips": 8}, {}, {"clips": 16, "gflop": 2.0})):
        run.stage(f"stage{i}", {"i": i}, lambda folder: {}, estimate=estimate)
    print("a stage that prints")
    if run.dry_run:
        return {"preset": preset.name, "plan": run.plan()}
    return {"preset": preset.name, "wall_seconds": 1.0}


def test_benchmark_json_progress_on_stdout_or_in_a_file(tmp_path, capsys, monkeypatch):
    import synapt.bench.job

    monkeypatch.setattr(synapt.bench.job, "_benchmark", fake_benchmark)
    args = ["benchmark", "--preset", "tiny", "--out", str(tmp_path / "b")]
    assert main(args + ["--json-progress"]) == 0
    out, err = capsys.readouterr()
    events = [json.loads(line) for line in out.splitlines()]  # stdout is JSON lines and nothing else
    assert [(e["event"], e["stage"]) for e in events] == [
        ("stage_start", "stage0"), ("stage_end", "stage0"), ("stage_start", "stage1"), ("stage_end", "stage1"),
        ("stage_start", "stage2"), ("stage_end", "stage2"), ("run_end", None)]
    assert [e["index"] for e in events] == [1, 1, 2, 2, 3, 3, 3] and {e["total"] for e in events} == {3}
    assert all(e["eta_s"] is None or e["eta_s"] >= 0 for e in events) and events[-1]["eta_s"] == 0.0
    assert "a stage that prints" in err and "benchmark tiny finished" in err and "3/3 done" in err

    # Into a file, afresh: stdout is as without the flag. Rerun, every stage is reused.
    assert main(args + ["--json-progress", str(tmp_path / "events.jsonl")]) == 0
    out, err = capsys.readouterr()
    assert "benchmark tiny finished" in out and "reusing finished stage stage0-" in err
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert len(events) == 7 and all(e["reused"] for e in events[:-1]) and events[-1]["event"] == "run_end"

    assert main(args + ["--json-progress", "--dry-run"]) == 2
    assert "--json-progress reports the stages of a run" in capsys.readouterr().err
    assert main(args + ["--json-progress", str(tmp_path / "no" / "events.jsonl")]) == 2
    assert "No such file or directory" in capsys.readouterr().err
