"""The generator's own output (format name ``synapt``): ``manifest.jsonl`` + ``classes.json``.

One JSON object per clip (``clip_id``, ``path`` relative to the folder, ``label``,
``class_name``, ``split`` when present...). Clips without ``split`` are in ``train``. A label that
disagrees with ``classes.json`` is an error, never silently used. Direction classes come from the
generator's ``synapt.sim.catalog.flip_map()`` when it is installed.
"""

from __future__ import annotations

import json
from pathlib import Path

from synapt.data.records import DatasetIndex, VideoRecord
from synapt.errors import UserError


def _flip_map(class_names: list[str]) -> dict[int, int | None]:
    try:
        from synapt.sim.catalog import flip_map
    except ImportError:
        return {}
    index = {name: i for i, name in enumerate(class_names)}
    return {index[a]: (index.get(b) if b is not None else None) for a, b in flip_map().items() if a in index}


def load(root: Path, *, annotations: Path | None = None, split: int = 1) -> DatasetIndex:
    base = Path(annotations) if annotations is not None else root
    manifest = base / "manifest.jsonl"
    classes_file = base / "classes.json"
    for file in (manifest, classes_file):
        if not file.is_file():
            raise UserError(f"{file} not found: a synapt dataset folder holds manifest.jsonl and classes.json (make one with `synapt generate`)")
    with open(classes_file, encoding="utf-8") as handle:
        classes = sorted(json.load(handle), key=lambda c: c["id"])
    if [c["id"] for c in classes] != list(range(len(classes))):
        raise UserError(f"{classes_file}: class ids must be 0..{len(classes) - 1} without gaps")
    class_names = [c["name"] for c in classes]
    splits: dict[str, list[VideoRecord]] = {}
    with open(manifest, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                clip = json.loads(line)
                label, path = int(clip["label"]), clip["path"]
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
                raise UserError(f"{manifest} line {number}: not a clip record ({err})") from err
            if not 0 <= label < len(class_names):
                raise UserError(f"{manifest} line {number}: label {label} outside 0..{len(class_names) - 1} of {classes_file.name}")
            if "class_name" in clip and clip["class_name"] != class_names[label]:
                raise UserError(
                    f"{manifest} line {number}: label {label} is {class_names[label]!r} in {classes_file.name} "
                    f"but the clip says {clip['class_name']!r}"
                )
            meta = {k: clip[k] for k in ("clip_id", "family", "seed", "frames", "fps", "params", "sha256") if k in clip}
            splits.setdefault(clip.get("split") or "train", []).append(VideoRecord(str(root / path), label, meta=meta))
    return DatasetIndex("synapt", class_names, splits, flip_map=_flip_map(class_names))
