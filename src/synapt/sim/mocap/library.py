"""A motion library: a folder of mocap clips and an index of them (id, file, format, label).

``open_library("deepmimic")`` is the humanoid clips of the ``pybullet`` wheel; any other spec
is a folder (or an index file in one). A folder's index is, first found:

1. ``synapt_mocap_index.tsv`` (written by :func:`write_index` / ``synapt mocap index``);
2. an ``index.tsv`` with at least CMU's columns ``clip_id subject file format frames fps label``;
3. a scan of the folder: ``*.bvh``, ``*.amc`` with their ``.asf``, DeepMimic humanoid
   ``*.txt``/``*.json``, labelled from a CMU ``cmu-mocap-index-text.txt`` beside them or else
   from the file names.

A clip may be there in several formats (CMU's BVH and AMC of one capture share the id);
:meth:`MotionLibrary.get` then prefers :data:`FORMAT_PREFERENCE`.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from synapt.errors import UserError
from synapt.sim.mocap.asf_amc import CMU_FPS, count_amc_frames, find_asf, read_amc
from synapt.sim.mocap.bvh import cmu_subject, read_bvh, read_bvh_header
from synapt.sim.mocap.deepmimic import FRAME_LAYOUT, pybullet_data_root, read_deepmimic
from synapt.sim.mocap.skeleton import Motion

READERS: dict[str, Callable[..., Motion]] = {"bvh": read_bvh, "amc": read_amc, "deepmimic": read_deepmimic}
# The AMC is CMU's own capture; the BVH is cgspeed's conversion of it (an added rest frame and
# a torso one bone shorter), so when a clip is there in both, the AMC is the one to use.
FORMAT_PREFERENCE = ("amc", "bvh", "deepmimic")
INDEX_NAME = "synapt_mocap_index.tsv"
INDEX_COLUMNS = ("clip_id", "subject", "file", "format", "frames", "fps", "label", "skeleton")
CMU_LABELS = "cmu-mocap-index-text.txt"
DEEPMIMIC_WIDTH = 1 + 3 + 4 + sum(n for _, _, n in FRAME_LAYOUT)  # values per humanoid frame
QUERY_KEYS = ("id", "subject", "format")


@dataclass(frozen=True)
class ClipEntry:
    """One motion file of a library.

    Attributes:
        clip_id: the clip's id (CMU ``02_01``, DeepMimic ``walk``); shared by the formats of one clip.
        file: path relative to the library root, ``/``-separated.
        format: a :data:`READERS` name.
        label: what the clip shows (CMU's description, or words of the file name).
        subject: performer (CMU subject number) or source folder.
        fps: frames per second.
        frames: motion frames in the file (a cgspeed BVH counts its rest frame too).
        skeleton: for AMC, the ASF relative to the library root.
    """

    clip_id: str
    file: str
    format: str
    label: str
    subject: str
    fps: float
    frames: int
    skeleton: str | None = None

    @property
    def seconds(self) -> float:
        return self.frames / self.fps


@dataclass
class MotionLibrary:
    """Clips under one root folder.

    Attributes:
        name: ``deepmimic`` or the folder's name.
        root: the folder that ``ClipEntry.file`` is relative to.
        entries: one per file, in index order.
        skipped: files a scan could not read, as one-line reasons.
    """

    name: str
    root: Path
    entries: list[ClipEntry]
    skipped: list[str] = field(default_factory=list)

    def clip_ids(self) -> list[str]:
        """Distinct clip ids, in index order."""
        return list(dict.fromkeys(e.clip_id for e in self.entries))

    def get(self, clip_id: str, format: str | None = None) -> ClipEntry:
        """The entry of ``clip_id``: in ``format``, or else the first of :data:`FORMAT_PREFERENCE` present.

        Raises:
            UserError: no such clip (naming close ids) or not in that format.
        """
        matches = [e for e in self.entries if e.clip_id == clip_id]
        if not matches:
            import difflib

            close = difflib.get_close_matches(clip_id, self.clip_ids(), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else f" ({len(self.clip_ids())} clips; list them with synapt mocap info)"
            raise UserError(f"motion library {self.name}: no clip {clip_id!r}{hint}")
        if format is not None:
            for e in matches:
                if e.format == format:
                    return e
            raise UserError(f"motion library {self.name}: clip {clip_id} is not there as {format} (it is: {', '.join(e.format for e in matches)})")
        return min(matches, key=lambda e: FORMAT_PREFERENCE.index(e.format) if e.format in FORMAT_PREFERENCE else len(FORMAT_PREFERENCE))

    def find(self, query: str) -> list[ClipEntry]:
        """Entries matching ``query``, in index order (every format of a clip).

        ``walk`` matches labels holding the word walk ("walk", "walk, turn", not "sidewalk");
        several words must all appear; ``id:02_01,02_02``, ``subject:02`` and ``format:bvh``
        filter on those fields; ``|`` separates alternatives (``walk|run``). An empty query
        matches everything.

        Raises:
            UserError: an unknown ``key:`` in the query.
        """
        alternatives = [parse_query(part) for part in query.split("|")] if query.strip() else [parse_query("")]
        return [e for e in self.entries if any(_matches(e, alt) for alt in alternatives)]

    def summary(self) -> dict:
        """Counts: clips, files, subjects, files per format, minutes and clips per label.

        Minutes and labels count each clip once, in the format :meth:`get` would load.
        """
        clips = [self.get(clip_id) for clip_id in self.clip_ids()]
        formats: dict[str, int] = {}
        for e in self.entries:
            formats[e.format] = formats.get(e.format, 0) + 1
        labels: dict[str, int] = {}
        for e in clips:
            labels[e.label] = labels.get(e.label, 0) + 1
        return {
            "library": self.name, "root": str(self.root), "clips": len(clips), "files": len(self.entries),
            "subjects": len({e.subject for e in self.entries}), "formats": dict(sorted(formats.items())),
            "minutes": round(sum(e.seconds for e in clips) / 60, 2),
            "labels": dict(sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))),
        }  # fmt: skip

    def path(self, entry: ClipEntry) -> Path:
        return self.root / entry.file

    def load(self, entry_or_id: ClipEntry | str) -> Motion:
        """Read a clip (cached per process: the arrays are shared and read-only).

        ``meta`` gains ``library``, ``clip_id``, ``subject`` and ``label``; ``name`` is the clip id.
        """
        entry = self.get(entry_or_id) if isinstance(entry_or_id, str) else entry_or_id
        if entry.format not in READERS:
            raise UserError(f"motion library {self.name}: clip {entry.clip_id} has unknown format {entry.format!r} (formats: {', '.join(READERS)})")
        path = self.path(entry)
        skeleton = str(self.root / entry.skeleton) if entry.skeleton else None
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            raise UserError(f"motion library {self.name}: clip {entry.clip_id}: file {path} not found (rebuild the index with synapt mocap index)") from None
        motion = _read_cached(entry.format, str(path), skeleton, mtime)
        meta = {**motion.meta, "library": self.name, "clip_id": entry.clip_id, "subject": entry.subject, "label": entry.label}
        return replace(motion, name=entry.clip_id, sites=dict(motion.sites), markers=dict(motion.markers), meta=meta)


@functools.lru_cache(maxsize=64)
def _read_cached(format: str, path: str, skeleton: str | None, mtime_ns: int) -> Motion:
    # mtime_ns is part of the key so that an edited file is read again.
    motion = READERS[format](path, skeleton) if skeleton else READERS[format](path)
    for array in (motion.parents, motion.offsets, motion.rotations, motion.root_pos):
        array.setflags(write=False)  # shared by every load of this clip
    return motion


def parse_query(text: str) -> tuple[dict[str, set[str]], list[str]]:
    """One alternative of a query: (``key`` -> allowed values, label words that must all appear)."""
    filters: dict[str, set[str]] = {}
    words: list[str] = []
    for term in text.split():
        key, sep, value = term.partition(":")
        if sep:
            if key.lower() not in QUERY_KEYS:
                raise UserError(f"query term {term!r}: unknown key {key!r} (keys: {', '.join(QUERY_KEYS)}; plain words match labels)")
            filters.setdefault(key.lower(), set()).update(v.lower() for v in value.split(",") if v)
        else:
            words += label_words(term)
    return filters, words


def label_words(text: str) -> list[str]:
    """Lower-case words of a label or query (``"run/jog, 90-degree"`` -> run, jog, 90, degree)."""
    return re.findall(r"[a-z0-9]+", text.lower())


def _same(value: str, wanted: set[str]) -> bool:
    value = value.lower()
    # subject:2 finds CMU's "02".
    return value in wanted or (value.isdigit() and any(w.isdigit() and int(w) == int(value) for w in wanted))


def _matches(entry: ClipEntry, alternative: tuple[dict[str, set[str]], list[str]]) -> bool:
    filters, words = alternative
    fields = {"id": entry.clip_id, "subject": entry.subject, "format": entry.format}
    if any(not _same(fields[k], wanted) for k, wanted in filters.items()):
        return False
    label = set(label_words(entry.label))
    return all(w in label for w in words)


# --- reading headers, scanning folders -------------------------------------------------------


def deepmimic_header(path: Path) -> tuple[int, float] | None:
    """(frames, fps) of a DeepMimic humanoid clip, or None when the file is not one.

    Other JSON (laikago's dog clip, 20 values a frame) and other text give None.
    """
    try:
        with path.open("rb") as f:
            if not f.read(64).lstrip().startswith(b"{"):
                return None
        frames = np.asarray(json.loads(path.read_text())["Frames"], dtype=float)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if frames.ndim != 2 or frames.shape[1] != DEEPMIMIC_WIDTH or len(frames) < 2:
        return None
    dt = frames[:-1, 0]
    fps = 1.0 / float(np.median(dt[dt > 0])) if np.any(dt > 0) else 30.0
    return len(frames), round(fps, 4)


def deepmimic_label(stem: str) -> str:
    """``humanoid3d_walk`` -> ``walk``; ``turn_left0`` -> ``turn left``; ``0walk_forward`` -> ``walk forward``."""
    return " ".join(re.sub(r"\d+", " ", stem.removeprefix("humanoid3d_")).replace("_", " ").split())


def cmu_labels(root: Path) -> dict[str, str]:
    """Clip id -> description from CMU's ``cmu-mocap-index-text.txt`` in ``root``, if there."""
    path = root / CMU_LABELS
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = re.match(r"(\d+_\d+)\t(.*)", line)
        if match:
            out[match.group(1)] = match.group(2).strip()
    return out


def _file_id_and_label(stem: str) -> tuple[str, str]:
    # CMU names, whatever a source repo appended: "02_01", "07_05-walk", "16_08  - run".
    match = re.match(r"(\d+_\d+)\b(.*)", stem)
    if match:
        return match.group(1), " ".join(label_words(match.group(2)))
    return stem, " ".join(re.sub(r"[_\-.]+", " ", stem).split())


def scan_folder(root: Path) -> tuple[list[ClipEntry], list[str]]:
    """Entries for every motion file under ``root`` (recursively), and the files skipped, with why.

    Reads each file's header for frames and fps (AMC: counts frame lines; 120 fps, CMU's rate).
    """
    labels = cmu_labels(root)
    entries: list[ClipEntry] = []
    skipped: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".bvh", ".amc", ".txt", ".json")):
        rel = path.relative_to(root).as_posix()
        suffix = path.suffix.lower()
        skeleton = None
        try:
            if suffix == ".bvh":
                head = read_bvh_header(path)
                fmt, frames, fps = "bvh", head.frames, head.fps
            elif suffix == ".amc":
                skeleton = find_asf(path).relative_to(root).as_posix()
                fmt, frames, fps = "amc", count_amc_frames(path), CMU_FPS
            else:
                header = deepmimic_header(path)
                if header is None:
                    continue  # READMEs, label lists, non-humanoid clips
                fmt, (frames, fps) = "deepmimic", header
        except UserError as err:
            skipped.append(str(err))
            continue
        if fmt == "deepmimic":
            clip_id, label = path.stem.removeprefix("humanoid3d_"), deepmimic_label(path.stem)
            subject = "humanoid3d" if path.stem.startswith("humanoid3d_") else path.parent.name
        else:
            clip_id, label = _file_id_and_label(path.stem)
            label = labels.get(clip_id, label)
            subject = cmu_subject(clip_id) or (path.parent.name if path.parent != root else "")
        entries.append(ClipEntry(clip_id, rel, fmt, label, subject, float(fps), int(frames), skeleton))
    # Two files of one format with one id (walk.bvh in two folders): tell them apart by path.
    seen: dict[tuple[str, str], int] = {}
    for e in entries:
        seen[(e.clip_id, e.format)] = seen.get((e.clip_id, e.format), 0) + 1
    entries = [replace(e, clip_id=e.file.rsplit(".", 1)[0]) if seen[(e.clip_id, e.format)] > 1 else e for e in entries]
    return entries, skipped


def read_index(path: Path, root: Path) -> list[ClipEntry] | None:
    """Entries of an index TSV (ours, or CMU's ``index.tsv``), or None without the columns.

    Raises:
        UserError: a row with a bad number or format (naming the file and line).
    """
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        if not set(INDEX_COLUMNS[:-1]) <= set(reader.fieldnames or ()):
            return None
        entries = []
        for row in reader:
            line = reader.line_num
            fmt = row["format"]
            if fmt not in READERS:
                raise UserError(f"{path}:{line}: format {fmt!r} is not one of {', '.join(READERS)}")
            try:
                frames, fps = int(row["frames"]), float(row["fps"])
            except (TypeError, ValueError):
                raise UserError(f"{path}:{line}: frames {row['frames']!r} and fps {row['fps']!r} must be numbers") from None
            skeleton = row.get("skeleton") or None
            if fmt == "amc" and skeleton is None:
                try:
                    skeleton = os.path.relpath(find_asf(root / row["file"]), root).replace(os.sep, "/")
                except UserError:
                    skeleton = None  # read_amc says what is missing when the clip is loaded
            entries.append(ClipEntry(row["clip_id"], row["file"], fmt, row["label"], row["subject"], fps, frames, skeleton))
    return entries


def open_library(spec: str | Path = "deepmimic") -> MotionLibrary:
    """A motion library: ``"deepmimic"`` (pybullet_data's humanoid clips), a folder, or an index file.

    Raises:
        UserError: pybullet missing for deepmimic, no such folder, or no motion files in it.
    """
    if str(spec) == "deepmimic":
        data = pybullet_data_root()
        if data is None:
            raise UserError("motion library deepmimic needs pybullet_data: pip install 'synapt[mocap]'")
        root = data / "data" / "motions"
        entries, skipped = scan_folder(root)
        return MotionLibrary("deepmimic", root, [e for e in entries if e.format == "deepmimic"], skipped)
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".tsv":
        entries = read_index(path, path.parent)
        if entries is None:
            raise UserError(f"{path}: not a motion index (needs columns {' '.join(INDEX_COLUMNS[:-1])})")
        return MotionLibrary(path.parent.name, path.parent, entries)
    if not path.is_dir():
        names = ", ".join(default_library_names()) or "none installed"
        raise UserError(f"motion library {spec}: no such folder (give a folder of mocap files, or a default library: {names})")
    for name in (INDEX_NAME, "index.tsv"):
        if (path / name).is_file():
            entries = read_index(path / name, path)
            if entries is not None:
                return MotionLibrary(path.name, path, entries)
    return index_folder(path)


def index_folder(root: str | Path) -> MotionLibrary:
    """A library of everything a scan of ``root`` finds, whatever index files it holds.

    Raises:
        UserError: no such folder, or no motion files in it.
    """
    path = Path(root).expanduser()
    if not path.is_dir():
        raise UserError(f"{path}: no such folder (give a folder of .bvh, .amc/.asf or DeepMimic files)")
    entries, skipped = scan_folder(path)
    if not entries:
        why = f"; skipped: {skipped[0]}" if skipped else ""
        raise UserError(f"{path}: no motion files found (looked recursively for *.bvh, *.amc with their .asf, DeepMimic humanoid *.txt/*.json){why}")
    return MotionLibrary(path.name, path, entries, skipped)


def default_library_names() -> list[str]:
    """The libraries :func:`open_library` knows by name and can open here."""
    return ["deepmimic"] if pybullet_data_root() is not None else []


def write_index(library: MotionLibrary, out_path: str | Path | None = None) -> Path:
    """Write the library's index as TSV (default ``<root>/synapt_mocap_index.tsv``), atomically.

    File paths are written relative to the index's folder, so the index opens wherever it is.
    """
    out = Path(out_path) if out_path is not None else library.root / INDEX_NAME
    out.parent.mkdir(parents=True, exist_ok=True)

    def rel(name: str | None) -> str:
        if not name:
            return ""
        return os.path.relpath(library.root / name, out.parent).replace(os.sep, "/")

    def clean(text: str) -> str:
        return " ".join(str(text).split())  # no tabs or newlines inside a TSV field

    rows = ["\t".join(INDEX_COLUMNS)]
    for e in library.entries:
        fps = f"{e.fps:g}"
        rows.append("\t".join([clean(e.clip_id), clean(e.subject), rel(e.file), e.format, str(e.frames), fps, clean(e.label), rel(e.skeleton)]))
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write("\n".join(rows) + "\n")
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


__all__ = ["ClipEntry", "FORMAT_PREFERENCE", "INDEX_NAME", "MotionLibrary", "READERS", "default_library_names",
           "index_folder", "open_library", "read_index", "scan_folder", "write_index"]  # fmt: skip
