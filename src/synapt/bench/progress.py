"""The progress of a whole benchmark: stage i of N, elapsed time and an ETA.

    dry-run plan (N stages, each's estimate) ──► RunProgress ◄── Runner.stage (start, end; reused)
                                                   │
                        one bar on stderr ◄────────┴────────► events: stage_start, stage_end, run_end

The benchmark plans its stages first (``Runner(dry_run=True)``, which trains and generates
nothing), so N and every stage's estimated cost are known before the first stage starts. The
per-stage bars (generation, sweeps) stay as they are; the overall bar sits above them.

ETA rule (:meth:`RunProgress.eta`). Each stage costs units of one kind, read from its estimate:
GFLOP when it has one (training, probes), else clips (generation), else one ``stage`` (curation,
appearance probes, gates: cheap). A kind's rate is seconds per unit over the stages of that kind
that ran in this run. The ETA sums cost x rate over the stages still to run; the current stage
counts what is left of its own estimate (never below zero), and a stage planned as reused counts
zero, as it is done instantly. A kind no finished stage has measured yet is priced at one mean
finished stage per stage; before any stage has run, the ETA is unknown (``None``), unless nothing
is left to run. Estimates are the plan's, so the ETA is as good as they are, and it is recalibrated
after every stage.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import datetime, timezone
from typing import IO, Callable


def stage_cost(estimate: dict) -> tuple[str, float]:
    """(kind, units) of a planned stage's estimate: GFLOP, else clips, else one cheap stage."""
    if estimate.get("gflop"):
        return "gflop", float(estimate["gflop"])
    if estimate.get("clips"):
        return "clips", float(estimate["clips"])
    return "stage", 1.0


def json_lines(stream: IO[str]) -> Callable[[dict], None]:
    """An event callback that writes each event as one JSON line and flushes it at once."""

    def write(event: dict) -> None:
        stream.write(json.dumps(event) + "\n")
        stream.flush()

    return write


class RunProgress:
    """Counts the top-level stages of one run against its plan; drives the bar and the events.

    Args:
        plan: the dry run's ``plan`` (dicts with ``name``, ``folder``, ``reused``, ``estimate``).
        bar: show the overall tqdm bar on stderr.
        on_event: called with each event, a JSON-able dict: ``event`` (``stage_start``,
            ``stage_end`` or ``run_end``), ``stage`` (its name; ``None`` at ``run_end``), ``index``
            (1-based; stages finished at ``run_end``), ``total`` (N), ``reused`` (``None`` at
            ``run_end``), ``elapsed_s`` (seconds since the run started), ``eta_s`` (seconds,
            ``None`` while unknown) and ``time`` (ISO 8601, UTC).
        clock: seconds, monotonic (tests pass a fake one).
    """

    def __init__(self, plan: list[dict], *, bar: bool = True, on_event: Callable[[dict], None] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.on_event = on_event
        self.started = clock()
        # Folder -> (kind, units, reused) of every stage not finished yet, in plan order.
        self.todo = {str(p["folder"]): (*stage_cost(p["estimate"]), bool(p["reused"])) for p in plan}
        self.total = len(self.todo)
        self.index = 0
        self.measured: list[tuple[str, float, float]] = []  # (kind, units, seconds) of stages that ran
        self.current: tuple[str, str, bool, float] | None = None  # (name, folder, reused, start)
        self._lock = threading.Lock()  # the bar's refresh thread reads what the run's thread writes
        self._bar = self._ticker = None
        if bar:
            self._open_bar()

    # ----------------------------------------------------------------- what Runner.stage calls

    def stage_start(self, name: str, folder, *, reused: bool) -> None:
        folder = str(folder)
        with self._lock:
            if folder not in self.todo:  # not in the plan: count it rather than lose it
                self.todo[folder] = ("stage", 1.0, reused)
                self.total += 1
            kind, units, _ = self.todo[folder]
            self.todo[folder] = (kind, units, reused)  # what happens now, not what the plan thought
            self.index += 1
            self.current = (name, folder, reused, self.clock())
        self._emit("stage_start", name, reused)

    def stage_end(self) -> None:
        with self._lock:
            name, folder, reused, start = self.current
            kind, units, _ = self.todo.pop(folder)
            if not reused:  # a reused stage took no time: it would only skew the rates
                self.measured.append((kind, units, self.clock() - start))
            self.current = None
        self._emit("stage_end", name, reused)

    def run_end(self) -> None:
        """The run finished: every stage it asked for is done (``index == total``)."""
        with self._lock:
            self.total = self.index
            self.todo.clear()
        self._emit("run_end", None, None)

    # ----------------------------------------------------------------- the estimate

    def eta(self) -> float | None:
        """Seconds until the last stage ends, by the rule in the module docstring; ``None`` if unknown."""
        seconds: dict[str, float] = {}
        units: dict[str, float] = {}
        for kind, amount, took in self.measured:
            seconds[kind] = seconds.get(kind, 0.0) + took
            units[kind] = units.get(kind, 0.0) + amount
        mean_stage = sum(seconds.values()) / len(self.measured) if self.measured else None

        def cost(kind: str, amount: float) -> float | None:
            if units.get(kind):
                return amount * seconds[kind] / units[kind]
            return mean_stage

        left = 0.0
        current = self.current[1] if self.current else None
        for folder, (kind, amount, reused) in self.todo.items():
            if reused:
                continue
            c = cost(kind, amount)
            if c is None:
                return None
            if folder == current:
                c = max(0.0, c - (self.clock() - self.current[3]))
            left += c
        return left

    # ----------------------------------------------------------------- output

    def _emit(self, event: str, stage: str | None, reused: bool | None) -> None:
        with self._lock:
            eta = self.eta()
            record = {"event": event, "stage": stage, "index": self.index, "total": self.total, "reused": reused,
                      "elapsed_s": round(self.clock() - self.started, 3),
                      "eta_s": None if eta is None else round(eta, 3),
                      "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if self.on_event is not None:
            self.on_event(record)
        self._refresh()

    def _open_bar(self) -> None:
        from tqdm import tqdm

        # Created before any stage's bar, it takes the top line; theirs open and close below it.
        self._bar = tqdm(total=self.total, desc=f"benchmark: 0 of {self.total} stages", postfix="ETA ?", unit="stage",
                         file=sys.stderr, dynamic_ncols=True,
                         bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} done "
                                    "[{elapsed} elapsed{postfix}]")
        if sys.stderr.isatty():  # a long stage moves no bar: keep the clock and the ETA ticking
            self._stop = threading.Event()
            self._ticker = threading.Thread(target=self._tick, name="benchmark-progress", daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            self._refresh()

    def _refresh(self) -> None:
        if self._bar is None:
            return
        with self._lock:
            eta = self.eta()
            if self.current:
                desc = f"benchmark: stage {self.index} of {self.total} ({self.current[0]})"
            else:
                desc = f"benchmark: {self.index} of {self.total} stages"
            self._bar.total = self.total
            self._bar.n = self.index - (self.current is not None)  # stages finished
            self._bar.set_description_str(desc, refresh=False)
            self._bar.set_postfix_str("ETA ?" if eta is None else f"ETA {self._bar.format_interval(eta)}",
                                      refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        """Stop the bar (on success or failure); events already sent stay sent."""
        if self._ticker is not None:
            self._stop.set()
            self._ticker.join()
            self._ticker = None
        if self._bar is not None:
            self._refresh()
            self._bar.close()
            self._bar = None

