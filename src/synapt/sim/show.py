"""Contact sheets and GIFs of a generated dataset: a row per class, frames across time."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synapt.errors import UserError
from synapt.sim.verify import read_manifest

LABEL_WIDTH = 170  # pixels of class-name column


def pick_rows(rows: list[dict], *, class_name: str | None, per_class: int) -> list[dict]:
    """The first ``per_class`` clips of each class (or of ``class_name`` only)."""
    if class_name is not None:
        names = sorted({r["class_name"] for r in rows})
        if class_name not in names:
            raise UserError(f"class {class_name!r} has no clips in this dataset (it has: {', '.join(names[:8])}...)")
    seen: dict[str, int] = {}
    out = []
    for r in rows:
        if class_name is not None and r["class_name"] != class_name:
            continue
        if seen.get(r["class_name"], 0) < per_class:
            seen[r["class_name"]] = seen.get(r["class_name"], 0) + 1
            out.append(r)
    return out


def contact_sheet(root: Path, out: Path, *, class_name: str | None = None, columns: int = 8, gif: bool = False) -> Path:
    """Write a PNG contact sheet (or, with ``gif``, an animated GIF of the grid) to ``out``."""
    from PIL import Image, ImageDraw

    from synapt.sim.video import read_frames

    rows = pick_rows(read_manifest(root), class_name=class_name, per_class=6 if class_name else 1)
    if not rows:
        raise UserError(f"{root}/manifest.jsonl has no clips to show")
    clips = [read_frames(Path(root) / r["path"]) for r in rows]
    h, w = clips[0].shape[1:3]
    if gif:
        t = min(c.shape[0] for c in clips)
        cols = int(np.ceil(np.sqrt(len(clips))))
        grid_rows = int(np.ceil(len(clips) / cols))
        images = []
        for f in range(t):
            canvas = np.zeros((grid_rows * h, cols * w, 3), dtype=np.uint8)
            for k, c in enumerate(clips):
                y, x = divmod(k, cols)
                canvas[y * h : (y + 1) * h, x * w : (x + 1) * w] = c[f]
            images.append(Image.fromarray(canvas))
        out.parent.mkdir(parents=True, exist_ok=True)
        images[0].save(out, save_all=True, append_images=images[1:], duration=int(1000 / rows[0]["fps"]), loop=0)
        return out
    sheet = Image.new("RGB", (LABEL_WIDTH + columns * w, len(clips) * h), (20, 20, 20))
    draw = ImageDraw.Draw(sheet)
    for k, (row, clip) in enumerate(zip(rows, clips)):
        idx = np.linspace(0, clip.shape[0] - 1, columns).round().astype(int)
        strip = np.concatenate([clip[i] for i in idx], axis=1)
        sheet.paste(Image.fromarray(strip), (LABEL_WIDTH, k * h))
        draw.text((6, k * h + h // 2 - 12), row["class_name"], fill=(240, 240, 240))
        draw.text((6, k * h + h // 2 + 2), row["clip_id"].rsplit("_", 1)[-1], fill=(150, 150, 150))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out
