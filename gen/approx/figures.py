"""Figures of the multipliers' report section: plotly figures as plain dicts (report data in,
figure out).

* :func:`pareto_figure`: energy per operation versus MRED, one panel per operand width, a marker
  per design family (exact, DRUM, ROUP; hollow: unsigned operands) and the Pareto front as a
  line;
* :func:`deviation_figure`: the deviation of the report's library from the comparison library
  per design point, area and energy.

Both take the section's ``report.json`` keys (``records``, ``pareto``, ``deviation``, as
:mod:`gen.approx.report` writes them) and return ``{"data": [...], "layout": {...}}`` of JSON
types only, or None when there is nothing to plot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = ["pareto_figure", "deviation_figure", "FAMILY_STYLE", "EXACT_AT"]

#: Marker symbol, colour and legend name of each design family.
FAMILY_STYLE = {"exact": ("square", "#222222", "exact"), "drum": ("circle", "#1f77b4", "DRUM"),
                "roup": ("triangle-up", "#ff7f0e", "ROUP")}
#: Where the exact points (MRED 0) sit on the logarithmic MRED axis, as a fraction of the
#: report's ``symlog_linthresh_pct`` (a decade below the smallest nonzero MRED).
EXACT_AT = 0.1
_FRONT_COLOUR = "#2ca02c"


def _params_text(params: Mapping) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def _hover(r: Mapping) -> str:
    mode = f"{r['width']}-bit {'signed' if r['signed'] else 'unsigned'}"
    return (f"<b>{r['module']}</b><br>{r['design']}: {_params_text(r['params'])}<br>{mode}<br>"
            f"MRED {r['errors']['mred_pct']:.4g} %<br>{r['energy_per_op_fj']:,.1f} fJ/op<br>"
            f"{r['area_um2']:,.1f} um^2")


def _x(r: Mapping, floor: float) -> float:
    mred = r["errors"]["mred_pct"]
    return mred if mred > 0 else floor


def _ticks(floor: float, top: float) -> tuple[list[float], list[str]]:
    """Tick positions of the MRED axis: the exact points' place (labelled 0), then decades."""
    vals, text = [floor], ["0"]
    t = floor * 10
    while t <= top * 10:
        vals.append(t)
        text.append(f"{t:g}")
        t *= 10
    return vals, text


def pareto_figure(report: Mapping) -> dict | None:
    """Energy per operation versus MRED per width (one panel each), the Pareto front a line.

    x: MRED in % on a logarithmic axis (the exact multipliers, MRED 0, at
    ``EXACT_AT * symlog_linthresh_pct``, ticked "0"); y: energy per operation in fJ. One trace
    per family and width (legend entries shared by the panels), one front line per width
    (``report["pareto"]["fronts"]``); hover: module, parameters, MRED, energy and area.
    """
    records: Sequence[Mapping] = report.get("records") or []
    if not records:
        return None
    fronts = report["pareto"]["fronts"]
    floor = report["pareto"]["symlog_linthresh_pct"] * EXACT_AT
    widths = sorted({r["width"] for r in records})
    fig = make_subplots(rows=1, cols=len(widths), horizontal_spacing=0.08,
                        subplot_titles=[f"{w}-bit multipliers" for w in widths])
    top = max(r["errors"]["mred_pct"] for r in records) or floor
    vals, text = _ticks(floor, top)
    for col, w in enumerate(widths, 1):
        pts = [r for r in records if r["width"] == w]
        for fam, (symbol, colour, label) in FAMILY_STYLE.items():
            sel = [r for r in pts if r["design"] == fam]
            if not sel:
                continue
            fig.add_trace(go.Scatter(
                x=[_x(r, floor) for r in sel], y=[r["energy_per_op_fj"] for r in sel],
                mode="markers", name=label, legendgroup=fam, showlegend=col == 1,
                marker={"symbol": [symbol if r["signed"] else f"{symbol}-open" for r in sel],
                        "color": colour, "size": 10, "line": {"width": 1.5, "color": colour}},
                text=[r["label"] for r in sel], hovertext=[_hover(r) for r in sel],
                hoverinfo="text"), row=1, col=col)
        by_module = {r["module"]: r for r in pts}
        front = [by_module[m] for m in fronts.get(str(w), []) if m in by_module]
        fig.add_trace(go.Scatter(
            x=[_x(r, floor) for r in front], y=[r["energy_per_op_fj"] for r in front],
            mode="lines", line={"shape": "hv", "color": _FRONT_COLOUR, "width": 2},
            name="Pareto front", legendgroup="front", showlegend=col == 1,
            hovertext=[f"front: {r['module']}" for r in front], hoverinfo="text"),
            row=1, col=col)
        fig.update_xaxes(type="log", tickvals=vals, ticktext=text, title_text="MRED (%)",
                         range=[math.log10(floor) - 0.3, math.log10(max(top, floor)) + 0.3],
                         row=1, col=col)
        fig.update_yaxes(title_text="energy per operation (fJ)" if col == 1 else None,
                         rangemode="tozero", row=1, col=col)
    fig.update_layout(height=480, legend={"orientation": "h", "y": -0.18},
                      hovermode="closest")
    return fig.to_plotly_json()


def deviation_figure(report: Mapping) -> dict | None:
    """The deviation of the report's library from the comparison library per design point:
    grouped bars of area and energy deviation in %, dotted lines at +- the report's limit.

    None when the report has no comparison (``report["deviation"]`` is None).
    """
    dev = report.get("deviation")
    records = [r for r in report.get("records") or [] if r.get("compare")]
    if dev is None or not records:
        return None
    modules = [r["module"] for r in records]
    fig = go.Figure([
        go.Bar(name=f"{q}", x=modules, y=[r["compare"][f"{q}_deviation_pct"] for r in records],
               hovertemplate=f"%{{x}}: {q} %{{y:+.2f}} %<extra></extra>")
        for q in ("area", "energy")])
    lim = dev["limit_pct"]
    for y in (lim, -lim):
        fig.add_hline(y=y, line={"dash": "dot", "color": "#d62728", "width": 1})
    fig.update_layout(barmode="group", height=420, xaxis_title="design point",
                      yaxis_title="deviation (%)", xaxis_tickangle=-45,
                      legend_title_text="quantity")
    return fig.to_plotly_json()
