"""Motion libraries: a folder of motion files plus an index (clip id -> label, subject, fps).

``open_library("deepmimic")`` is the default library: the DeepMimic humanoid clips that the
``pybullet`` wheel ships in ``pybullet_data/data/motions`` (``pip install 'synapt[mocap]'``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from synapt.errors import UserError
from synapt.sim.mocap.deepmimic import pybullet_data_root, read_deepmimic
from synapt.sim.mocap.skeleton import Motion

READERS = {"deepmimic": read_deepmimic}


@dataclass(frozen=True)
class ClipEntry:
    """One motion file of a library."""

    clip_id: str
    file: str  # relative to the library root
    format: str  # "bvh" | "amc" | "deepmimic"
    label: str
    subject: str
    fps: float
    frames: int
    skeleton: str | None = None  # AMC: its ASF file, relative to the root


@dataclass
class MotionLibrary:
    """A folder of motion clips and their index."""

    name: str
    root: Path
    entries: list[ClipEntry]

    def get(self, clip_id: str, format: str | None = None) -> ClipEntry:
        for e in self.entries:
            if e.clip_id == clip_id and (format is None or e.format == format):
                return e
        raise UserError(f"motion library {self.name}: no clip {clip_id!r} (run `synapt mocap info {self.name}`)")

    def find(self, query: str) -> list[ClipEntry]:
        """Entries matching ``query``: label words (all must appear), ``id:a,b``, ``subject:s``; ``|`` = or."""
        out: list[ClipEntry] = []
        for alt in (q.strip() for q in query.split("|")):
            if not alt:
                continue
            if alt.startswith("id:"):
                ids = {i.strip() for i in alt[3:].split(",")}
                hits = [e for e in self.entries if e.clip_id in ids]
            elif alt.startswith("subject:"):
                hits = [e for e in self.entries if e.subject == alt[8:].strip()]
            else:
                words = alt.lower().split()
                hits = [e for e in self.entries if all(re.search(rf"\b{re.escape(w)}\b", e.label.lower()) for w in words)]
            out += [e for e in hits if e not in out]
        return out

    def load(self, entry: ClipEntry | str) -> Motion:
        if isinstance(entry, str):
            entry = self.get(entry)
        return _load(str(self.root), entry)


@lru_cache(maxsize=64)
def _load(root: str, entry: ClipEntry) -> Motion:
    motion = READERS[entry.format](Path(root) / entry.file)
    motion.meta.update(library=root, clip_id=entry.clip_id, subject=entry.subject, label=entry.label)
    return motion


def _deepmimic_label(path: Path) -> str:
    stem = path.stem.removeprefix("humanoid3d_")
    stem = re.sub(r"^\d+", "", stem)  # walker/0walk_forward
    stem = re.sub(r"\d+$", "", stem)  # walker/turn_left0
    return stem.replace("_", " ").strip()


def _deepmimic_library() -> MotionLibrary:
    data = pybullet_data_root()
    if data is None:
        raise UserError("the default motion library (DeepMimic clips) needs pybullet: pip install 'synapt[mocap]'")
    root = data / "data" / "motions"
    entries = []
    for path in sorted(root.rglob("*.txt")):
        if not path.name.startswith("humanoid3d_") and path.parent.name != "walker":
            continue  # laikago_walk is a quadruped
        rel = path.relative_to(root).as_posix()
        entries.append(ClipEntry(clip_id=rel.removesuffix(".txt").removeprefix("humanoid3d_"), file=rel, format="deepmimic",
                                 label=_deepmimic_label(path), subject="deepmimic", fps=30.0, frames=0))  # fmt: skip
    return MotionLibrary(name="deepmimic", root=root, entries=entries)


@lru_cache(maxsize=8)
def open_library(spec: str) -> MotionLibrary:
    """The library named ``spec`` (``deepmimic``) or the folder ``spec``."""
    if spec == "deepmimic":
        return _deepmimic_library()
    raise UserError(f"motion library {spec!r}: only the default library 'deepmimic' is readable in this build")


def default_library_names() -> list[str]:
    return ["deepmimic"] if pybullet_data_root() is not None else []


__all__ = ["ClipEntry", "MotionLibrary", "READERS", "default_library_names", "open_library"]
