"""Figures of the ternary report sections: pure functions from ``report.json`` parts to plotly
figures as plain dicts (the report's ``("figure", id, figure, caption)`` blocks).

* :func:`energy_vs_density`: energy per MAC versus zero density of the ternary OCUs (one line
  per design point), the binary OCUs (one dashed level each: their +1/-1 operands have no
  zeros) and the whole engine's sweep.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io as pio

__all__ = ["FIGURE_ID", "energy_vs_density", "plain"]

#: The figure's id on the report page.
FIGURE_ID = "ternary-energy-density"
X_TITLE = "zero density (probability that a trit is 0)"
Y_TITLE = "energy per MAC (fJ)"


def plain(fig: go.Figure) -> dict:
    """``fig`` as a JSON-clean dict without plotly's default template (the page sets its own
    look)."""
    out = json.loads(pio.to_json(fig, validate=True))
    out.get("layout", {}).pop("template", None)
    return out


def _by_module(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in records:
        out.setdefault(r["module"], []).append(r)
    return {m: sorted(rs, key=lambda r: r["density"]) for m, rs in out.items()}


def _line(name: str, recs: list[dict], dash: str | None = None) -> go.Scatter:
    return go.Scatter(x=[r["density"] for r in recs], y=[r["energy_per_mac_fj"] for r in recs],
                      mode="lines+markers", name=name, line={"dash": dash} if dash else None,
                      hovertemplate="%{x:.0%} zeros: %{y:.1f} fJ/MAC<extra>" + name + "</extra>")


def energy_vs_density(ocu: dict | None, engine: dict | None) -> dict:
    """Energy per MAC (fJ) versus zero density.

    Parameters
    ----------
    ocu
        report.json's ``ocu`` (its ``records``), or None.
    engine
        report.json's ``engine`` (its ``sweep``), or None.

    Returns
    -------
    dict
        A plotly figure: one line per ternary OCU and per engine module (x: the measured
        points' zero densities), one dashed level per binary OCU across the densities shown.
    """
    ocu_recs = (ocu or {}).get("records") or []
    sweep = (engine or {}).get("sweep") or []
    ternary = [r for r in ocu_recs if r["density"] is not None]
    densities = [r["density"] for r in ternary + sweep] or [0.0, 1.0]
    lo, hi = min(densities), max(densities)
    traces = [_line(f"{m} (ternary OCU)", rs) for m, rs in _by_module(ternary).items()]
    for r in ocu_recs:
        if r["density"] is None:
            name = f"{r['module']} (binary OCU, no zeros)"
            traces.append(go.Scatter(
                x=[lo, hi], y=[r["energy_per_mac_fj"]] * 2, mode="lines", name=name,
                line={"dash": "dash"},
                hovertemplate="%{y:.1f} fJ/MAC at any density<extra>" + name + "</extra>"))
    traces += [_line(f"{m} (whole engine)", rs, "dot") for m, rs in _by_module(sweep).items()]
    fig = go.Figure(traces)
    fig.update_layout(xaxis={"title": {"text": X_TITLE}, "tickformat": ".0%"},
                      yaxis={"title": {"text": Y_TITLE}, "rangemode": "tozero"},
                      legend={"orientation": "h", "y": -0.25})
    return plain(fig)
