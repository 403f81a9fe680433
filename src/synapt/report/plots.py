"""Plots of the report: bias vs transfer gap, and the sensitivity studies.

Each function writes one PNG and returns its path; matplotlib runs headless (Agg).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from synapt.io import atomic_open  # noqa: E402


def _save(fig, path: Path) -> Path:
    with atomic_open(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def bias_vs_gap(points: list[dict], path: Path, *, title: str) -> Path:
    """Scatter of representation bias (x) against the real-like / synthetic accuracy ratio (y).

    Args:
        points: [{"label", "B", "ratio", "mode" (optional: "FT" | "LP")}]; ratio > 1 means context-biased ("real-like")
            pre-training transferred better than debiased synthetic pre-training.
    """
    fig, ax = plt.subplots(figsize=(5.5, 4))
    styles = {"FT": ("o", "tab:blue"), "LP": ("s", "tab:orange")}
    for mode, (marker, colour) in styles.items():
        mine = [p for p in points if p.get("mode") == mode]
        if mine:
            ax.scatter([p["B"] for p in mine], [p["ratio"] for p in mine], marker=marker, color=colour,
                       label=mode, zorder=3)
    other = [p for p in points if p.get("mode") not in styles]
    if other:
        ax.scatter([p["B"] for p in other], [p["ratio"] for p in other], color="tab:green", zorder=3)
    for p in points:
        dy = -12 if p.get("mode") == "LP" else 4
        ax.annotate(p["label"], (p["B"], p["ratio"]), textcoords="offset points", xytext=(5, dy), fontsize=8)
    if any(p.get("mode") in styles for p in points):
        ax.legend(fontsize=8)
    ax.axhline(1.0, color="grey", lw=1, ls="--")
    ax.set_xlabel("representation bias B = ln(M / M_rnd)")
    ax.set_ylabel("top-1 ratio: context-biased / synthetic")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def study_curves(points: list[dict], path: Path, *, x_key: str, x_label: str, title: str) -> Path:
    """Top-1 against a studied quantity, one line per (pre-training, downstream suite, mode)."""
    series: dict[tuple, list[tuple]] = defaultdict(list)
    for p in points:
        series[(p["pretrain"], p["downstream"], p["mode"])].append((p[x_key], p["top1"]))
    fig, ax = plt.subplots(figsize=(6, 4))
    for (pretrain, downstream, mode), values in sorted(series.items()):
        values.sort()
        style = "-" if mode == "ft" else "--"
        ax.plot([v[0] for v in values], [100 * v[1] for v in values], style, marker="o",
                label=f"{pretrain} → {downstream} ({mode.upper()})")
    ax.set_xlabel(x_label)
    ax.set_ylabel("top-1 (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    return _save(fig, path)
