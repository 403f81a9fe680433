"""Markdown tables in the layout of the paper's Tables 1 and 2, built from ``results.json`` rows."""

from __future__ import annotations

from collections import defaultdict

PRETRAIN_ORDER = ("synthetic", "context_biased", "random_init", "scratch")
FLOORS = ("random_init", "scratch")  # rows that had no pre-training: listed last


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _cell(row: dict | None, chance: float | None = None) -> str:
    if row is None:
        return "–"
    ci = row.get("top1_ci")
    text = f"{_pct(row['top1'])} [{_pct(ci[0])}, {_pct(ci[1])}]" if ci else _pct(row["top1"])
    return text + " †" if ci and chance is not None and ci[0] <= chance else text


def pretrain_order(rows: list[dict]) -> list[str]:
    """synthetic, context_biased, configured real sources, then the floors: random_init, scratch."""
    names = list(dict.fromkeys(r["pretrain"] for r in rows))
    known = [p for p in PRETRAIN_ORDER if p in names and p not in FLOORS]
    real = [p for p in names if p not in PRETRAIN_ORDER]
    return known + real + [p for p in FLOORS if p in names]


def table1(rows: list[dict], suite_names: dict[str, str] | None = None,
           chance: dict[str, float] | None = None) -> str:
    """FT and LP top-1 per downstream suite (columns) per pre-training (rows), for each model.

    Each cell is the top-1 accuracy in percent with its 95% bootstrap interval over test clips,
    marked † when that interval reaches down to chance (``chance[suite]``, a fraction).
    ``random_init`` LP is a linear probe on the network's features at initialisation (never
    trained): what pre-trained features must beat; ``scratch`` FT trains the network on the suite.
    """
    suite_names = suite_names or {}
    chance = chance or {}
    suites = list(dict.fromkeys(r["downstream"] for r in rows))
    by_key = {(r["model"], r["pretrain"], r["mode"], r["downstream"]): r for r in rows}
    lines = []
    for model in dict.fromkeys(r["model"] for r in rows):
        header = ["model", "pre-training", "mode", *(suite_names.get(s, s) for s in suites)]
        lines += [f"**{model}**", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for pretrain in pretrain_order([r for r in rows if r["model"] == model]):
            for mode in ("ft", "lp"):
                cells = [by_key.get((model, pretrain, mode, s)) for s in suites]
                if all(c is None for c in cells):
                    continue
                shown = [_cell(c, chance.get(s)) for c, s in zip(cells, suites)]
                lines.append("| " + " | ".join([model, pretrain, mode.upper(), *shown]) + " |")
        lines.append("")
    return "\n".join(lines)


def folds_table(rows: list[dict], suite_names: dict[str, str] | None = None) -> str:
    """The k-fold suites' rows fold by fold: each fold's test top-1, then the mean over folds with
    its t-based 95% interval over folds (the number Table 1 shows)."""
    suite_names = suite_names or {}
    kfold = [r for r in rows if r.get("folds")]
    if not kfold:
        return ""
    k = max(len(r["folds"]) for r in kfold)
    header = ["model", "suite", "pre-training", "mode", *(f"fold {i}" for i in range(1, k + 1)),
              "mean [95% CI over folds]"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in kfold:
        folds = [_pct(f["top1"]) for f in r["folds"]] + ["–"] * (k - len(r["folds"]))
        lines.append("| " + " | ".join([r["model"], suite_names.get(r["downstream"], r["downstream"]), r["pretrain"],
                                         r["mode"].upper(), *folds, _cell(r)]) + " |")
    return "\n".join(lines)


def comparisons_table(comparisons: list[dict], suite_names: dict[str, str] | None = None) -> str:
    """Paired differences A - B (points) with their 95% intervals and what they say."""
    suite_names = suite_names or {}
    lines = ["| model | suite | A | B | mode | A - B [95% CI] | clips | verdict |", "|---|---|---|---|---|---|---|---|"]
    for c in comparisons:
        low, high = c["ci"]
        lines.append(f"| {c['model']} | {suite_names.get(c['downstream'], c['downstream'])} | {c['a']} | {c['b']} | "
                     f"{c['mode'].upper()} | {100 * c['difference']:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}] | "
                     f"{c['clips']} | {c['verdict']} |")
    return "\n".join(lines)


def table2(bias_rows: list[dict]) -> str:
    """Representation bias per dataset: M, M_rnd, B (nats) and B in bits (the paper's unit)."""
    lines = [
        "| dataset | encoder | M (static probe, balanced) | M_rnd | B = ln(M/M_rnd) | B in bits |",
        "|---|---|---|---|---|---|",
    ]
    for r in bias_rows:
        b = "−∞" if r["B"] is None else f"{r['B']:.2f}"
        bits = "−∞" if r.get("B_log2") is None else f"{r['B_log2']:.2f}"
        lines.append(f"| {r['dataset']} | {r['encoder']} | {_pct(r['M'])}% | {_pct(r['M_rnd'])}% | {b} | {bits} |")
    return "\n".join(lines)


def study_table(points: list[dict], *, x_key: str, x_label: str) -> str:
    """Top-1 per downstream suite and mode as the studied quantity grows (Figures 3-4 as a table)."""
    series: dict[tuple, dict] = defaultdict(dict)
    xs = sorted({p[x_key] for p in points})
    for p in points:
        series[(p["pretrain"], p["downstream"], p["mode"])][p[x_key]] = p["top1"]
    header = ["pre-training", "downstream", "mode", *(f"{x_label}={x}" for x in xs)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (pretrain, downstream, mode), values in sorted(series.items()):
        cells = [_pct(values.get(x)) for x in xs]
        lines.append("| " + " | ".join([pretrain, downstream, mode.upper(), *cells]) + " |")
    return "\n".join(lines)


def pretraining_table(rows: list[dict]) -> str:
    """Each pre-training's best val top-1 against chance: did it learn at all?

    A row whose 95% interval reaches chance is marked "at chance"; its transfer rows measure an
    untrained network, whatever they show.
    """
    lines = ["| model | pre-training | classes | val clips | val top-1 [95% CI] | chance | learned? |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        ci = r.get("val_top1_ci")
        acc = f"{_pct(r['val_top1'])} [{_pct(ci[0])}, {_pct(ci[1])}]" if ci else _pct(r["val_top1"])
        verdict = f"yes, {r['val_top1'] / r['chance']:.1f}x chance" if r["above_chance"] else "**no: at chance**"
        lines.append(f"| {r['model']} | {r['pretrain']} | {r['classes']} | {r['val_clips']} | {acc} | "
                     f"{_pct(r['chance'])} | {verdict} |")
    return "\n".join(lines)
