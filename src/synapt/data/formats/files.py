"""Finding and reading the official annotation files of a dataset.

Each dataset keeps its annotation files in a usual place under its root (``ucfTrainTestlist/``,
``testTrainMulti_7030_splits/``...); ``annotations=DIR`` overrides it. Errors name what was
looked for and where.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from synapt.errors import UserError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv")


def search_dirs(root: Path, annotations: Path | None, subdirs: Sequence[str]) -> list[Path]:
    """Where to look for annotation files, in order.

    ``annotations`` and its official sub-folders (an archive unpacked as is, e.g. the folder that
    holds HMDB51's ``testTrainMulti_7030_splits/``) if given; else ``root/<subdir>`` and ``root``.
    """
    if annotations is not None:
        return [Path(annotations)] + [Path(annotations) / sub for sub in subdirs]
    return [root / sub for sub in subdirs] + [root]


def find_annotation(
    names: Sequence[str], *, root: Path, annotations: Path | None, subdirs: Sequence[str] = (), what: str
) -> Path:
    """The first of ``names`` found in the search dirs; a UserError saying where it looked otherwise."""
    dirs = search_dirs(root, annotations, subdirs)
    for folder in dirs:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    where = ", ".join(str(d) for d in dirs)
    raise UserError(f"{what} {' or '.join(names)} not found under {where} (pass --annotations DIR)")


def find_optional(names: Sequence[str], *, root: Path, annotations: Path | None, subdirs: Sequence[str] = ()) -> Path | None:
    for folder in search_dirs(root, annotations, subdirs):
        for name in names:
            if (folder / name).is_file():
                return folder / name
    return None


def video_dir(root: Path, candidates: Sequence[str], *, marker: str | None = None) -> Path:
    """Where the videos are: the first ``root/<candidate>`` that exists; else ``root`` itself when
    it holds ``marker`` (a class folder or file the listing names); else ``root/<first candidate>``
    (videos absent: every record is then reported missing)."""
    for name in candidates:
        if (root / name).is_dir():
            return root / name
    if marker is not None and (root / marker).exists():
        return root
    return root / candidates[0] if candidates else root


def read_lines(path: Path) -> list[tuple[int, str]]:
    """Non-empty stripped lines with their 1-based line numbers (CRLF, BOM and trailing spaces handled)."""
    with open(path, encoding="utf-8-sig", newline=None) as handle:
        return [(number, line.strip()) for number, line in enumerate(handle, start=1) if line.strip()]


def index_videos(folders: Iterable[Path], suffixes: Sequence[str] = VIDEO_SUFFIXES) -> dict[str, Path]:
    """File stem -> path of every video under ``folders`` (one walk, instead of a stat per record)."""
    found: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for dirpath, _dirnames, filenames in os.walk(folder):
            for name in filenames:
                stem, suffix = os.path.splitext(name)
                if suffix.lower() in suffixes and not name.startswith("._"):
                    found.setdefault(stem, Path(dirpath) / name)
    return found
