"""The runner of the benchmark's stages: each keyed by its config, reused once finished, or only planned.

A stage is asked for by name, config and a ``work(folder)`` function. In a dry run the runner
only records it (with what it will cost); otherwise it runs the work once per (name, config), or
reuses the finished stage (``stages.run_stage``), and tells a progress tracker. Every stage
builder (``generated``, ``real``, ``training``, ``bias_stage``) goes through one ``Runner``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from synapt.bench.progress import RunProgress
from synapt.bench.stages import run_stage, stage_folder


@dataclass
class PlannedStage:
    name: str
    folder: Path
    reused: bool
    estimate: dict  # {"clips": int, "gflop": float, ...}: what the stage will cost


@dataclass
class Runner:
    """Runs (or, in a dry run, only plans) stages keyed by their config.

    A ``tracker`` (:class:`synapt.bench.progress.RunProgress`) hears when each top-level stage
    starts and ends, reused ones included; a stage asked for inside another's work is part of it.
    """

    root: Path
    dry_run: bool = False
    progress: bool = True
    fresh: bool = False  # rerun stages that already finished (once each in this run)
    tracker: RunProgress | None = None
    planned: list[PlannedStage] = field(default_factory=list)
    _ran: set = field(default_factory=set)
    _depth: int = 0  # stages running now, one inside another

    def stage(self, name: str, config: dict, work: Callable[[Path], dict], *, estimate: dict | None = None) -> Path:
        """Run ``work(folder)`` once per (name, config); returns the stage folder.

        ``work`` writes its outputs under the folder and returns a JSON-able summary, kept in
        ``result.json``; read it back with :meth:`result`.
        """
        folder = stage_folder(self.root, name, config)
        if all(p.folder != folder for p in self.planned):  # a stage asked for twice is planned once
            self.planned.append(PlannedStage(name, folder, self.will_reuse(folder), estimate or {}))
        if not self.dry_run and folder not in self._ran:  # a stage asked for twice runs (or is reused) once
            tracked = self.tracker is not None and self._depth == 0
            if tracked:
                self.tracker.stage_start(name, folder, reused=self.will_reuse(folder))
            self._depth += 1
            try:
                run_stage(self.root, name, config, work, fresh=self.fresh)
            finally:
                self._depth -= 1
            self._ran.add(folder)
            if tracked:
                self.tracker.stage_end()
        return folder

    def plan(self) -> list[dict]:
        """Every stage planned so far, in order, as JSON-able dicts (a dry run's ``plan``)."""
        return [asdict(p) | {"folder": str(p.folder)} for p in self.planned]

    def will_reuse(self, folder: Path) -> bool:
        """Whether the stage in ``folder`` finished earlier and will be reused (never with ``fresh``)."""
        return (folder / "result.json").is_file() and not self.fresh

    @staticmethod
    def result(folder: Path) -> dict:
        return json.loads((folder / "result.json").read_text())
