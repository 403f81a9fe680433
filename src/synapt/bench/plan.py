"""The dry run's plan, printed."""

from __future__ import annotations


def format_plan(plan: dict) -> str:
    """The dry run's job plan as a table, with totals."""
    lines = [f"{'stage':60s} {'status':8s} {'clips':>10s} {'GFLOP':>12s}"]
    total_clips, total_gflop = 0, 0.0
    for stage in plan["plan"]:
        est = stage["estimate"]
        clips, gflop = est.get("clips") or 0, est.get("gflop")
        total_clips += clips
        total_gflop += gflop or 0.0
        status = "done" if stage["reused"] else "to run"
        lines.append(f"{stage['name'][:60]:60s} {status:8s} {clips:>10,d} {'' if gflop is None else f'{gflop:,.0f}':>12s}")
    lines.append(f"{'total':60s} {'':8s} {total_clips:>10,d} {total_gflop:>12,.0f}")
    lines.append(f"clips = clip passes (clips x epochs x grid points); compute = {total_gflop / 1e6:,.1f} PFLOP "
                 f"(forward FLOPs per clip from `synapt models`, x3 when training)")
    return "\n".join(lines)
