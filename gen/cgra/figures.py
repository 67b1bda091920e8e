"""Figures of the CGRA report section: plotly figures as plain dicts (report data in, figure out).

* :func:`energy_by_part`: energy per kernel run split by part of the fabric, one stack per
  kernel and MUL tile variant (grouped by kernel);
* :func:`area_by_type`: the synthesised area of a fabric by FU type.

Both take the section's ``report.json`` value (the ``cgra`` key, :mod:`gen.cgra.report`) and
return ``{"data": [...], "layout": {...}}`` of JSON types only, or None when the report has
nothing to plot.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.colors import qualitative

__all__ = ["energy_by_part", "area_by_type", "part_label", "MUL_PART", "MUL_COLOUR",
           "PALETTE"]

#: The part every MUL tile variant's energy is shown as (exact, DRUM and ROUP tiles alike).
MUL_PART = "MUL tiles"
#: The MUL tiles' colour in both figures; the other parts take :data:`PALETTE` in turn.
MUL_COLOUR = "#d62728"
PALETTE = tuple(qualitative.Safe)
_FU_NAMES = {"abu": "ABU", "alu": "ALU", "iu": "IU", "lsu": "LSU (scratchpads)", "rf": "RF"}


def part_label(category: str) -> str:
    """How a figure names a category of :func:`gen.cgra.fabric.by_category`."""
    if category.startswith("mul"):
        return MUL_PART
    return _FU_NAMES.get(category, category)


def _mul_label(mul: str) -> str:
    return {"": "exact", "drum": "DRUM", "roup": "ROUP"}.get(mul, mul)


def _parts_pj(run: dict) -> dict[str, float]:
    """A run's energy by part (MUL variants merged), in pJ."""
    out: dict[str, float] = {}
    for cat, fj in run["per_type"].items():
        label = part_label(cat)
        out[label] = out.get(label, 0.0) + fj / 1000.0
    return out


def energy_by_part(cgra: dict | None) -> dict | None:
    """Energy per kernel run by part: a stacked bar per (kernel, MUL variant), grouped by kernel.

    One trace per part (the MUL tiles at the bottom, the others largest first), x a two-level
    category axis (kernel, MUL variant), y in pJ per run.
    """
    runs = (cgra or {}).get("runs") or []
    if not runs:
        return None
    split = [_parts_pj(r) for r in runs]
    totals: dict[str, float] = {}
    for s in split:
        for part, pj in s.items():
            totals[part] = totals.get(part, 0.0) + pj
    parts = sorted(totals, key=lambda p: (p != MUL_PART, -totals[p]))
    x = [[r["kernel"] for r in runs], [_mul_label(r["params"]["mul"]) for r in runs]]
    others = iter(PALETTE * (1 + len(parts) // len(PALETTE)))
    fig = go.Figure([go.Bar(name=p, x=x, y=[round(s.get(p, 0.0), 3) for s in split],
                            marker_color=MUL_COLOUR if p == MUL_PART else next(others),
                            hovertemplate=f"{p}: %{{y:,.1f}} pJ<extra>%{{x}}</extra>")
                     for p in parts])
    fig.update_layout(barmode="stack", legend_title_text="part",
                      xaxis_title="kernel, MUL tiles", yaxis_title="energy per run (pJ)")
    return fig.to_plotly_json()


def area_by_type(area: dict | None) -> dict | None:
    """The area of one synthesised fabric (an item of the ``areas`` list) by FU type.

    Horizontal bars, largest at the top, in um^2, each labelled with its share of the total;
    the MUL tile types in their own colour.
    """
    per = (area or {}).get("per_type") or {}
    if not per:
        return None
    cats = sorted(per, key=lambda c: per[c])
    total = area["area_um2"]
    values = [round(per[c], 1) for c in cats]
    fig = go.Figure(go.Bar(
        x=values, y=cats, orientation="h",
        text=[f"{v:,.0f} ({100.0 * v / total:.1f} %)" for v in values], textposition="auto",
        marker_color=[MUL_COLOUR if c.startswith("mul") else PALETTE[0] for c in cats],
        hovertemplate="%{y}: %{x:,.0f} um^2<extra></extra>"))
    fig.update_layout(xaxis_title="area (um^2)", yaxis_title="FU type or part",
                      showlegend=False, title_text=f"{area['module']}: "
                                                   f"{total:,.0f} um^2 in all")
    return fig.to_plotly_json()
