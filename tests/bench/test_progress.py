"""The overall progress of a benchmark: counts against the dry-run plan, the ETA rule, JSON lines."""

import io
import json
from datetime import datetime

import pytest

from synapt.bench.runner import Runner
from synapt.bench.progress import RunProgress, json_lines, stage_cost


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def planned(name, estimate, reused=False):
    return {"name": name, "folder": f"/out/stages/{name}", "reused": reused, "estimate": estimate}


def run_through(progress, clock, stages):
    """Start and end each (name, seconds, reused) in turn; returns the ETA after each end."""
    etas = []
    for name, seconds, reused in stages:
        progress.stage_start(name, f"/out/stages/{name}", reused=reused)
        clock.now += seconds
        progress.stage_end()
        etas.append(progress.eta())
    return etas


def test_stage_cost_is_gflop_else_clips_else_one_cheap_stage():
    assert stage_cost({"clips": 720, "gflop": 480.0}) == ("gflop", 480.0)
    assert stage_cost({"clips": 240, "frames": 1920}) == ("clips", 240.0)
    assert stage_cost({}) == stage_cost({"clips": 0}) == ("stage", 1.0)


def test_eta_prices_each_kind_by_its_measured_rate_and_reused_stages_at_zero():
    clock, events = FakeClock(), []
    plan = [planned("generate", {"clips": 100}), planned("curate", {}),
            planned("pretrain", {"clips": 50, "gflop": 1000.0}), planned("transfer-old", {"gflop": 500.0}, reused=True),
            planned("transfer", {"gflop": 2000.0}), planned("gate", {})]
    progress = RunProgress(plan, bar=False, on_event=events.append, clock=clock)
    assert progress.eta() is None  # nothing measured yet
    # 0.1 s per clip, 2 s per cheap stage, 0.01 s per GFLOP.
    etas = run_through(progress, clock, [("generate", 10, False), ("curate", 2, False), ("pretrain", 10, False),
                                         ("transfer-old", 0, True), ("transfer", 20, False), ("gate", 2, False)])
    # After generate, no GFLOP and no cheap stage measured: one mean stage (10 s) each; the reused one is free.
    # After curate: 2 s per cheap stage, the GFLOP stages at the mean stage (12 s / 2).
    # After pretrain: 0.01 s per GFLOP, so 20 s for transfer and 2 s for the gate.
    assert etas == pytest.approx([40.0, 6.0 + 6.0 + 2.0, 22.0, 22.0, 2.0, 0.0])
    progress.run_end()
    assert [e["index"] for e in events] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6]
    assert {e["total"] for e in events} == {6}
    assert events[0]["eta_s"] is None and events[-1] == events[-1] | {"event": "run_end", "eta_s": 0.0, "stage": None}
    assert [e["reused"] for e in events if e["stage"] == "transfer-old"] == [True, True]
    assert events[-1]["elapsed_s"] == pytest.approx(44.0)


def test_eta_counts_down_to_zero_with_the_current_stage_running():
    clock = FakeClock()
    plan = [planned(f"train{i}", {"gflop": gflop}) for i, gflop in enumerate((100.0, 300.0, 200.0, 400.0))]
    progress = RunProgress(plan, bar=False, clock=clock)
    # Every stage takes 0.05 s per GFLOP: once calibrated, the ETA is the time left, to the second.
    etas = run_through(progress, clock, [("train0", 5, False), ("train1", 15, False)])
    assert etas == pytest.approx([45.0, 30.0])
    progress.stage_start("train2", "/out/stages/train2", reused=False)
    clock.now += 4
    assert progress.eta() == pytest.approx(26.0)  # 6 s left of train2's 10, then train3's 20
    clock.now += 6
    progress.stage_end()
    etas.append(progress.eta())
    progress.stage_start("train3", "/out/stages/train3", reused=False)
    clock.now += 25  # train3 overruns its estimate: what is left of it stays at zero, never below
    assert progress.eta() == 0.0
    progress.stage_end()
    etas.append(progress.eta())
    assert etas == pytest.approx([45.0, 30.0, 20.0, 0.0])
    assert all(b <= a for a, b in zip(etas, etas[1:])) and min(etas) >= 0 and etas[-1] == 0.0


def test_a_run_where_every_stage_is_reused_is_done_at_once():
    progress = RunProgress([planned("a", {"gflop": 5.0}, reused=True), planned("b", {}, reused=True)], bar=False,
                           clock=FakeClock())
    assert progress.eta() == 0.0  # nothing left to run, though nothing was measured


def small_job(run):
    """A fake benchmark: a stage asked for twice, a study that runs a stage inside its own work."""
    calls = []

    def work(name):
        def run_it(folder):
            calls.append(name)
            return {"ran": name}
        return run_it

    def study(folder):
        calls.append("study")
        run.stage("study-probe", {"subset": 1}, work("study-probe"))  # part of the study
        return {}

    run.stage("generate", {"n": 3}, work("generate"), estimate={"clips": 3})
    run.stage("curate", {"n": 3}, work("curate"))
    run.stage("generate", {"n": 3}, work("generate"), estimate={"clips": 3})  # asked again: done once
    run.stage("pretrain", {"lr": 0.1}, work("pretrain"), estimate={"clips": 6, "gflop": 2.0})
    run.stage("study", {"k": 2}, study)
    return calls


def test_the_overall_count_is_the_dry_run_plan_and_reused_stages_count(tmp_path, capsys):
    dry = Runner(tmp_path, dry_run=True)
    assert small_job(dry) == [] and not tmp_path.joinpath("stages").exists()  # planning runs nothing
    plan = dry.plan()
    assert [p["name"] for p in plan] == ["generate", "curate", "pretrain", "study"]

    events = []
    progress = RunProgress(plan, bar=False, on_event=events.append)
    assert small_job(Runner(tmp_path, progress=False, tracker=progress)) == [
        "generate", "curate", "pretrain", "study", "study-probe"]
    progress.run_end()
    starts = [e for e in events if e["event"] == "stage_start"]
    assert [e["stage"] for e in starts] == [p["name"] for p in plan]  # the nested probe is the study's
    assert [e["index"] for e in starts] == [1, 2, 3, 4] and {e["total"] for e in events} == {len(plan)}
    assert events[-1]["event"] == "run_end" and events[-1]["index"] == len(plan)
    assert not any(e["reused"] for e in starts)

    # Run again: every stage is reused, announced as before, and counted as done at once.
    rerun, events = Runner(tmp_path, dry_run=True), []
    small_job(rerun)
    progress = RunProgress(rerun.plan(), bar=False, on_event=events.append)
    assert small_job(Runner(tmp_path, progress=False, tracker=progress)) == []
    progress.run_end()
    assert capsys.readouterr().err.count("reusing finished stage") == 4
    assert [e["index"] for e in events if e["event"] == "stage_end"] == [1, 2, 3, 4]
    assert all(e["reused"] for e in events if e["event"] != "run_end")
    assert [e["eta_s"] for e in events] == [0.0] * len(events)


def test_json_lines_are_valid_json_flushed_one_by_one():
    class Stream(io.StringIO):
        flushed = []

        def flush(self):
            self.flushed.append(self.getvalue())

    stream = Stream()
    progress = RunProgress([planned("a", {}), planned("b", {})], bar=False, on_event=json_lines(stream))
    progress.stage_start("a", "/out/stages/a", reused=False)
    assert stream.flushed[-1].count("\n") == 1  # on its way before the stage's work begins
    progress.stage_end()
    progress.stage_start("b", "/out/stages/b", reused=False)
    progress.stage_end()
    progress.run_end()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(stream.flushed) == len(lines) == 5
    assert [e["event"] for e in lines] == ["stage_start", "stage_end", "stage_start", "stage_end", "run_end"]
    for e in lines:
        assert set(e) == {"event", "stage", "index", "total", "reused", "elapsed_s", "eta_s", "time"}
        assert datetime.fromisoformat(e["time"]).utcoffset().total_seconds() == 0
        assert e["elapsed_s"] >= 0 and (e["eta_s"] is None or e["eta_s"] >= 0)


def test_the_bar_counts_stages_on_stderr(capsys):
    progress = RunProgress([planned("a", {}), planned("b", {"clips": 4})], bar=True)
    progress.stage_start("a", "/out/stages/a", reused=False)
    progress.stage_end()
    progress.stage_start("b", "/out/stages/b", reused=True)
    progress.stage_end()
    progress.run_end()
    progress.close()
    out, err = capsys.readouterr()
    assert out == "" and "benchmark: stage 1 of 2 (a)" in err and "2/2 done" in err and "ETA 00:00" in err
