"""Renamed flags: the old spelling sets the same value as the new one, says so in one stderr line,
and is marked deprecated in --help; the handlers use the value whichever spelling gave it."""

import json

import pytest

from synapt.cli import build_parser, main

# (command and its required arguments, old flag, new flag, destination, default)
RENAMED = [
    (["bias", "--data", "synapt:d", "--weights", "w.pt"], "--frames", "--average-frames", "average_frames", 8),
    (["sweep", "--config", "s.yaml"], "--workers", "--parallel-trials", "parallel_trials", 1),
    (["curate", "--map", "m.yaml", "--out", "o"], "--classes", "--num-classes", "num_classes", None),
    (["curate", "--map", "m.yaml", "--out", "o"], "--clips", "--per-class", "per_class", None),
    (["eval", "--checkpoint", "c.pt", "--data", "d"], "--clips", "--clips-per-video", "clips_per_video", 1),
]


def warning(old: str, new: str) -> str:
    return f"synapt: warning: {old} is deprecated, use {new} (the old spelling goes in the next release)"


@pytest.mark.parametrize("command, old, new, dest, default", RENAMED, ids=[f"{c[0][0]} {c[1]}" for c in RENAMED])
def test_old_flag_sets_the_new_flags_value_and_warns(command, old, new, dest, default, capsys):
    parser = build_parser()
    assert getattr(parser.parse_args(command), dest) == default  # neither given: the new flag's default
    assert getattr(parser.parse_args(command + [new, "3"]), dest) == 3
    assert capsys.readouterr().err == ""
    assert getattr(parser.parse_args(command + [old, "3"]), dest) == 3
    assert capsys.readouterr().err.splitlines() == [warning(old, new)]
    with pytest.raises(SystemExit):
        parser.parse_args([command[0], "--help"])
    shown = " ".join(capsys.readouterr().out.split())  # argparse wraps help lines
    assert f"{old} N deprecated spelling of {new}" in shown and new in shown


def test_sweep_runs_as_many_trials_at_once_under_either_spelling(tmp_path, monkeypatch, capsys):
    import synapt.bench.sweep

    (tmp_path / "train.yaml").write_text("mode: pretrain\n")
    (tmp_path / "sweep.yaml").write_text("base: train.yaml\ngrid: {optim.lr: [0.01, 0.05]}\n")
    seen = []

    class Result:
        def to_json(self):
            return {"trials": []}

    def fake_sweep(base, grid, out, *, trial_fn, select, workers, ray_address):
        seen.append(workers)
        return Result()

    monkeypatch.setattr(synapt.bench.sweep, "run_sweep", fake_sweep)
    args = ["sweep", "--config", str(tmp_path / "sweep.yaml"), "--out", str(tmp_path / "sw"), "--json"]
    assert main(args + ["--parallel-trials", "2"]) == 0 and main(args + ["--workers", "2"]) == 0
    assert seen == [2, 2]
    assert capsys.readouterr().err.splitlines() == [warning("--workers", "--parallel-trials")]


def test_bias_averages_as_many_frames_under_either_spelling(tmp_path, monkeypatch, capsys):
    import synapt.bench.training

    weights = tmp_path / "resnet.pth"
    weights.write_bytes(b"")
    frames = []

    def fake_trial(config, folder):
        frames.append(config["data"]["num_frames"])
        (folder / "run").mkdir(parents=True, exist_ok=True)
        (folder / "run" / "confusion_test.json").write_text(json.dumps({"matrix": [[2, 0], [1, 1]]}))
        return {"test": {"top1": 0.75}}

    monkeypatch.setattr(synapt.bench.training, "train_trial", fake_trial)
    args = ["bias", "--data", f"synapt:{tmp_path}", "--weights", str(weights), "--out", str(tmp_path / "b"), "--json"]
    assert main(args + ["--average-frames", "3"]) == 0
    new = capsys.readouterr()
    assert main(args + ["--frames", "3"]) == 0
    old = capsys.readouterr()
    assert frames == [3, 3] and old.out == new.out and json.loads(old.out)["M"] == pytest.approx(0.75)
    assert new.err == "" and old.err.splitlines() == [warning("--frames", "--average-frames")]
