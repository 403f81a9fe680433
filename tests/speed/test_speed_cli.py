"""``synapt speed <stage>``, and ``synapt bench <stage>`` as its deprecated spelling: same stages, flags
and output, one warning line on stderr."""

import argparse
import json

import pytest

from synapt.cli import build_parser, main

WARNING = "synapt: warning: `synapt bench {0}` is deprecated, use `synapt speed {0}` (the old spelling goes in the next release)"


def _stages(command: str) -> dict[str, list[str]]:
    """Each stage under ``synapt <command>`` with its sorted option strings."""
    (commands,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    (stages,) = [a for a in commands.choices[command]._actions if isinstance(a, argparse._SubParsersAction)]
    return {name: sorted(o for a in p._actions for o in a.option_strings) for name, p in stages.choices.items()}


def test_bench_has_every_stage_and_flag_of_speed():
    speed = _stages("speed")
    assert set(speed) == {"generate", "data", "models", "train"}
    assert "--json" in speed["data"] and "--quick" in speed["train"] and "--worker-clips" in speed["generate"]
    assert _stages("bench") == speed


def test_bench_data_runs_speed_data_and_warns_once(monkeypatch, capsys):
    import synapt.speed.data

    calls = []

    def fake_run(**kwargs):
        calls.append(kwargs)
        return {"decode": {"speedup": 2.6}}

    monkeypatch.setattr(synapt.speed.data, "run_benchmark", fake_run)
    assert main(["speed", "data", "--json", "--clips", "5"]) == 0
    new = capsys.readouterr()
    assert main(["bench", "data", "--json", "--clips", "5"]) == 0
    old = capsys.readouterr()
    assert calls == [{"clips": 5, "repeats": 3}] * 2  # same handler, same arguments
    assert old.out == new.out and json.loads(old.out) == {"decode": {"speedup": 2.6}}
    assert new.err == "" and old.err.splitlines() == [WARNING.format("data")]


def test_bench_keeps_errors_and_help_of_speed(capsys):
    assert main(["bench", "models", "--iters", "0"]) == 2  # the handler's own check, through the alias
    err = capsys.readouterr().err.splitlines()
    assert err == [WARNING.format("models"), "synapt: error: --iters must be >= 1 and --warmup >= 0"]

    assert main(["bench"]) == 2  # no stage: the stage list, as `synapt speed` prints it
    old = capsys.readouterr()
    assert main(["speed"]) == 2
    new = capsys.readouterr()
    assert old.out.replace("synapt bench", "synapt speed") == new.out and "generate" in new.out
    assert old.err.strip() == ("synapt: warning: `synapt bench` is deprecated, use `synapt speed` "
                               "(the old spelling goes in the next release)") and new.err == ""

    with pytest.raises(SystemExit) as exit_:  # --help still answers, from the same parser
        main(["bench", "train", "--help"])
    assert exit_.value.code == 0 and "--quick" in capsys.readouterr().out
