"""The multipliers' report figures (gen.approx.figures) on a small made-up report: traces, values,
axes, the front, JSON types only."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gen.approx.figures import EXACT_AT, FAMILY_STYLE, deviation_figure, pareto_figure


def _record(design: str, module: str, width: int, signed: bool, mred: float, energy: float,
            dev: tuple[float, float] | None) -> dict:
    return {"module": module, "design": design, "label": module, "width": width,
            "signed": signed, "params": {"width": width}, "errors": {"mred_pct": mred},
            "energy_per_op_fj": energy, "area_um2": energy / 2,
            "compare": None if dev is None else {"area_deviation_pct": dev[0],
                                                 "energy_deviation_pct": dev[1]}}


def _report(compare: bool) -> dict:
    rng = np.random.default_rng(3)

    def dev():
        return tuple(float(v) for v in rng.uniform(-10, 10, 2)) if compare else None

    recs = [_record("exact", "mul_array_u8", 8, False, 0.0, 2300.0, dev()),
            _record("drum", "drum_u8_k4", 8, False, 5.2, 700.0, dev()),
            _record("drum", "drum_u8_k6", 8, False, 1.4, 1200.0, dev()),
            _record("roup", "roup_s8_p1_r0", 8, True, 0.3, 2500.0, dev()),
            _record("exact", "mul_array_u16", 16, False, 0.0, 10000.0, dev()),
            _record("drum", "drum_u16_k6", 16, False, 1.5, 2500.0, dev())]
    return {"records": recs,
            "pareto": {"fronts": {"8": ["mul_array_u8", "drum_u8_k6", "drum_u8_k4"],
                                  "16": ["mul_array_u16", "drum_u16_k6"]},
                       "symlog_linthresh_pct": 0.1},
            "deviation": {"limit_pct": 15.0} if compare else None}


def test_pareto_figure_panels_families_and_front():
    rep = _report(False)
    fig = pareto_figure(rep)
    json.dumps(fig)  # JSON types only
    data, layout = fig["data"], fig["layout"]
    # 8 bits: exact, DRUM, ROUP and the front; 16 bits: exact, DRUM and the front
    assert [(t["name"], t["xaxis"]) for t in data] == [
        ("exact", "x"), ("DRUM", "x"), ("ROUP", "x"), ("Pareto front", "x"),
        ("exact", "x2"), ("DRUM", "x2"), ("Pareto front", "x2")]
    assert [t["showlegend"] for t in data] == [True] * 4 + [False] * 3
    floor = 0.1 * EXACT_AT
    exact8, drum8, roup8, front8 = data[:4]
    assert exact8["x"] == [floor] and exact8["y"] == [2300.0]  # MRED 0 at the axis' left end
    assert drum8["x"] == [5.2, 1.4] and drum8["y"] == [700.0, 1200.0]
    assert drum8["marker"]["symbol"] == ["circle-open"] * 2  # unsigned: hollow
    assert roup8["marker"]["symbol"] == [FAMILY_STYLE["roup"][0]]  # signed: filled
    assert "drum_u8_k4" in drum8["hovertext"][0] and "MRED 5.2 %" in drum8["hovertext"][0]
    assert front8["x"] == [floor, 1.4, 5.2] and front8["y"] == [2300.0, 1200.0, 700.0]
    assert front8["mode"] == "lines" and front8["line"]["shape"] == "hv"
    for axis in ("xaxis", "xaxis2"):
        assert layout[axis]["type"] == "log" and layout[axis]["title"]["text"] == "MRED (%)"
        assert layout[axis]["ticktext"][0] == "0"
        assert layout[axis]["tickvals"][0] == pytest.approx(floor)
    assert layout["yaxis"]["title"]["text"] == "energy per operation (fJ)"
    titles = [a["text"] for a in layout["annotations"]]
    assert titles == ["8-bit multipliers", "16-bit multipliers"]
    assert pareto_figure({"records": []}) is None


def test_deviation_figure_bars_and_limits():
    rep = _report(True)
    fig = deviation_figure(rep)
    json.dumps(fig)
    area, energy = fig["data"]
    assert (area["type"], area["name"], energy["name"]) == ("bar", "area", "energy")
    assert area["x"] == [r["module"] for r in rep["records"]]
    assert area["y"] == [r["compare"]["area_deviation_pct"] for r in rep["records"]]
    assert energy["y"] == [r["compare"]["energy_deviation_pct"] for r in rep["records"]]
    assert sorted(s["y0"] for s in fig["layout"]["shapes"]) == [-15.0, 15.0]
    assert fig["layout"]["yaxis"]["title"]["text"] == "deviation (%)"
    assert deviation_figure(_report(False)) is None
