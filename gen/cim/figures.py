"""Figures of the compute-in-memory report section: pure functions from report.json's ``cim``
to plotly figures as plain dicts (the report's ``("figure", id, figure, caption)`` blocks).

* :func:`binary_vs_fibbinary`: grouped bars, binary versus fibbinary weights at the same input
  and weight bits, tree and input zeros: energy per MAC, TOPS/W and cycles per input vector
  (three subplots sharing the configurations).
"""

from __future__ import annotations

import json

import plotly.io as pio
from plotly.subplots import make_subplots

__all__ = ["FIGURE_ID", "METRICS", "binary_vs_fibbinary", "configurations"]

#: The figure's id on the report page.
FIGURE_ID = "cim-binary-fibbinary"
#: (record key, axis title) of the subplots, top to bottom.
METRICS = (("energy_per_mac_fj", "fJ/MAC"), ("tops_per_w", "TOPS/W"),
           ("cycles_per_vector", "cycles/vector"))
ENCODINGS = (("binary", "binary weights", "#636efa"),
             ("fibbinary", "fibbinary weights", "#ef553b"))
HEIGHT_PX = 720


def _key(r: dict) -> tuple:
    p = r["params"]
    return (p["ib"], p["wb"], p.get("approx_bits", 0), r["input_zero"])


def _label(key: tuple) -> str:
    ib, wb, approx, zero = key
    tree = f", tree -{approx} bits" if approx else ""
    zeros = "dense" if zero == 0 else f"{100 * zero:.0f} % zero inputs"
    return f"{ib}b x {wb}b{tree}<br>{zeros}"


def configurations(cim: dict) -> list[tuple[str, dict[str, dict]]]:
    """``(label, {encoding: record})`` per configuration (input and weight bits, tree, input
    zeros) in the records' order; only records with the encoding's own weights (a binary
    macro given fibbinary-codebook weights is the table's, not a bar)."""
    out: dict[tuple, dict[str, dict]] = {}
    for r in cim.get("records") or []:
        if r.get("weights", "encoding") == "encoding":
            out.setdefault(_key(r), {})[r["params"]["encoding"]] = r
    return [(_label(k), v) for k, v in out.items()]


def binary_vs_fibbinary(cim: dict) -> dict:
    """Grouped bars of :data:`METRICS`, binary versus fibbinary, per configuration.

    Parameters
    ----------
    cim
        report.json's ``cim`` (its ``records``).

    Returns
    -------
    dict
        A plotly figure (JSON-clean): one subplot per metric, two bar traces each (binary,
        fibbinary; None where an encoding has no point of that configuration).
    """
    configs = configurations(cim)
    labels = [label for label, _ in configs]
    fig = make_subplots(rows=len(METRICS), cols=1, shared_xaxes=True, vertical_spacing=0.05)
    for row, (key, title) in enumerate(METRICS, start=1):
        for enc, name, color in ENCODINGS:
            values = [recs[enc][key] if enc in recs else None for _, recs in configs]
            fig.add_bar(x=labels, y=values, name=name, legendgroup=enc, showlegend=row == 1,
                        marker_color=color, row=row, col=1,
                        hovertemplate="%{x}: %{y:.4g} " + title + "<extra>" + name
                        + "</extra>")
        fig.update_yaxes(title_text=title, rangemode="tozero", row=row, col=1)
    fig.update_layout(barmode="group", height=HEIGHT_PX,
                      legend={"orientation": "h", "y": 1.06, "x": 0})
    out = json.loads(pio.to_json(fig, validate=True))
    out["layout"].pop("template", None)
    return out
