"""Plain list files: SynAPT ``class/video`` lists, ``path label`` and PPMA-style ``path;label``.

- ``synapt_list``: the SynAPT benchmark lists (``kinetics150_train.txt``: ``peeling apples/2gNp...``,
  ``sim150_val.txt``: ``a27/PRE_a27_...`` or ``pushing_interaction/S009...``) with a class-name file
  (``kinetics_labels.txt``, ``syn_labels.txt``). The class is the first path part: a class name
  (``_`` for spaces allowed), or ``a<k>`` for class k.
  Lines carry no suffix; the video is found by its name under ``root``.
- ``list`` / ``ppma``: ``<path> <label>`` or ``<path>;<label>`` per line (paths relative to
  ``root``), the label an integer or a class name; four fields ``<path> <start> <end> <label>``
  are IBM-style frame lists (first and last frame file numbers, inclusive, files from 00001). Class names come from ``classes.txt``/``labels.txt``/``classInd.txt``
  when present.

Split files are found by name: ``*train*``, ``*val*``, ``*test*`` ``.txt``/``.csv``.
"""

from __future__ import annotations

import re
from pathlib import Path

from synapt.data.formats.files import index_videos, read_lines, search_dirs
from synapt.data.records import DatasetIndex, VideoRecord
from synapt.errors import UserError

SPLIT_WORDS = {"train": "train", "val": "val", "test": "test"}
CLASS_FILES = ("classes.txt", "labels.txt", "classInd.txt", "label_map.txt", "kinetics_labels.txt", "syn_labels.txt")
_NUMBERED_CLASS = re.compile(r"^a(\d+)$")
# Folder names of the official SynAPT lists that misspell their class (checked one by one
# against syn_labels.txt); anything else unknown is an error, never a guess.
FOLDER_ALIASES = {"wipping_off_the_dinning_table": "wiping off the dinning table"}


def split_files(root: Path, annotations: Path | None, *, what: str) -> dict[str, Path]:
    """``{"train": file, "val": file, "test": file}`` by file name, from the first folder holding any."""
    for folder in search_dirs(root, annotations, ("annotations", "lists")):
        if not folder.is_dir():
            continue
        found = {}
        for file in sorted(folder.iterdir()):
            if file.suffix not in (".txt", ".csv") or file.name in CLASS_FILES or "label" in file.name:
                continue
            for split_name, word in SPLIT_WORDS.items():
                if word in file.stem.lower() and split_name not in found:
                    found[split_name] = file
        if found:
            return found
    raise UserError(f"no {what} split files (*train*.txt, *val*.txt, *test*.txt) found under {', '.join(map(str, search_dirs(root, annotations, ('annotations', 'lists'))))}")


def read_class_file(path: Path) -> list[str]:
    """Class names, one per line (``<id> <name>`` lines as in classInd.txt are accepted)."""
    names = []
    for _, line in read_lines(path):
        fields = line.split(maxsplit=1)
        names.append(fields[1] if len(fields) == 2 and fields[0].isdigit() else line)
    return names


def class_file(root: Path, annotations: Path | None) -> Path | None:
    for folder in search_dirs(root, annotations, ("annotations", "lists")):
        for name in CLASS_FILES:
            if (folder / name).is_file():
                return folder / name
    return None


def load_synapt_list(root: Path, *, annotations: Path | None = None, split: int = 1) -> DatasetIndex:
    names_file = class_file(root, annotations)
    if names_file is None:
        raise UserError(f"SynAPT list needs a class-name file ({', '.join(CLASS_FILES)}) under {annotations or root}")
    # syn_labels.txt has trailing spaces on some names: names are compared stripped.
    class_names = [line for _, line in read_lines(names_file)]
    label_of = {name: i for i, name in enumerate(class_names)}
    # Folders name a class as written, with '_' for spaces (pushing_interaction), or as a<k>.
    label_of.update({name.replace(" ", "_"): i for i, name in enumerate(class_names)})
    label_of.update({alias: label_of[name] for alias, name in FOLDER_ALIASES.items() if name in label_of})
    found = index_videos([root])
    splits = {}
    for split_name, path in split_files(root, annotations, what="SynAPT list").items():
        records = []
        for number, line in read_lines(path):
            folder, _, video = line.partition("/")
            if folder in label_of:
                label = label_of[folder]
            elif (match := _NUMBERED_CLASS.match(folder)) and int(match.group(1)) < len(class_names):
                label = int(match.group(1))
            else:
                raise UserError(f"{path} line {number}: class {folder!r} is neither a name in {names_file.name} nor a<k>")
            stem = Path(video).name
            file = found.get(stem, found.get(Path(stem).stem, root / line))
            records.append(VideoRecord(str(file), label, meta={"name": line}))
        splits[split_name] = records
    return DatasetIndex("synapt_list", class_names, splits)


def _parse_line(line: str, separator: str | None) -> list[str]:
    if separator == ";":
        return [field.strip() for field in line.split(";")]
    fields = line.split()
    if len(fields) >= 4 and all(f.lstrip("-").isdigit() for f in fields[-3:]):
        return [" ".join(fields[:-3]), *fields[-3:]]  # IBM frame list: path start end label
    return line.rsplit(maxsplit=1)


def _load_list(name: str, root: Path, annotations: Path | None, separator: str | None) -> DatasetIndex:
    names_file = class_file(root, annotations)
    class_names = read_class_file(names_file) if names_file else None
    label_of = {n: i for i, n in enumerate(class_names or [])}
    splits = {}
    max_label = -1
    for split_name, path in split_files(root, annotations, what=f"{name} list").items():
        records = []
        for number, line in read_lines(path):
            fields = _parse_line(line, separator)
            if len(fields) not in (2, 4):
                raise UserError(f"{path} line {number}: expected '<path>{separator or ' '}<label>' (got {line!r})")
            raw = fields[-1]
            if raw.lstrip("-").isdigit():
                label = int(raw)
                if label < 0 or (class_names is not None and label >= len(class_names)):
                    raise UserError(f"{path} line {number}: label {label} outside 0..{len(class_names or []) - 1}")
            elif raw in label_of:
                label = label_of[raw]
            else:
                where = names_file.name if names_file else "no class file (classes.txt)"
                raise UserError(f"{path} line {number}: unknown class {raw!r} ({where})")
            max_label = max(max_label, label)
            # IBM lists give the first and last frame FILE numbers, inclusive, of a folder whose
            # files start at 00001: 0-based frame indices [start - 1, end).
            start, end = (int(fields[1]) - 1, int(fields[2])) if len(fields) == 4 else (0, None)
            records.append(VideoRecord(str(root / fields[0]), label, start, end))
        splits[split_name] = records
    if class_names is None:
        class_names = [f"class_{i}" for i in range(max_label + 1)]
    return DatasetIndex(name, class_names, splits)


def load_list(root: Path, *, annotations: Path | None = None, split: int = 1) -> DatasetIndex:
    return _load_list("list", root, annotations, None)


def load_ppma(root: Path, *, annotations: Path | None = None, split: int = 1) -> DatasetIndex:
    return _load_list("ppma", root, annotations, ";")
