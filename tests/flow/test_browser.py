"""The report page and the sweep explorer in a real browser (headless Debian Chromium).

Both pages are opened from ``file://`` with no network: any console error, page error or request
leaving the file system fails the test, every figure must be drawn by plotly with a non-zero
size, and the explorer's controls must work (axis choice redraws the plot, a header click sorts
the table, the filter applies to plot and table). Screenshots: build/screenshots/.
"""

from __future__ import annotations

import random
from pathlib import Path

import browser_check
import plotly.graph_objects as go
import pytest

from gen.flow.explorer import write_explorer
from gen.flow.render import render_html

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots"
DESIGNS = ("exact", "drum", "roup")


def _report_blocks() -> list[tuple]:
    rng = random.Random(3)
    err = [rng.uniform(0.01, 8) for _ in range(12)]
    energy = [rng.uniform(50, 400) for _ in range(12)]
    scatter = go.Figure(go.Scatter(x=err, y=energy, mode="markers", name="points <b>"),
                        layout={"xaxis": {"title": {"text": "MRED %"}, "type": "log"},
                                "yaxis": {"title": {"text": "energy/op fJ"}}}).to_plotly_json()
    bars = {"data": [{"type": "bar", "name": part, "x": ["fir", "gemm", "conv"],
                      "y": [rng.uniform(1, 9) for _ in range(3)]}
                     for part in ("MUL tiles", "other tiles", "network")],
            "layout": {"barmode": "stack", "height": 380, "yaxis": {"title": {"text": "pJ"}}}}
    wide = [f"column {i} with a long name" for i in range(18)]
    return [
        ("h1", "edgeforge report"),
        ("h2", "Multipliers"),
        ("p", "Energy per operation versus error <not a tag>."),
        ("table", ["design point", *wide],
         [[f"{d}_u8", *(f"{rng.uniform(-50, 900):.2f}" for _ in wide)] for d in DESIGNS * 4]),
        ("figure", "pareto", scatter, "energy versus MRED"),
        ("h2", "CGRA"),
        ("h3", "Energy by part"),
        ("figure", "cgra-parts", bars, "energy by part, stacked"),
        ("ul", ["one limit", "another limit"]),
    ]


def _rows(n: int = 40) -> list[dict]:
    rng = random.Random(11)
    rows = []
    for i in range(n):
        design = DESIGNS[i % 3]
        rows.append({"module": f"{design}_u{8 * (1 + i % 2)}_{i}", "design": design,
                     "width": 8 * (1 + i % 2), "mred_pct": round(rng.uniform(0.01, 9), 4),
                     "energy_per_op_fj": round(rng.uniform(40, 500), 2),
                     "area_um2": round(rng.uniform(300, 4000), 1), "passed": i % 7 != 0,
                     "note": None if i % 5 else "</script><b>odd</b>"})
    return rows


def _pareto(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points no other point beats on both axes (x ascending), computed independently."""
    return sorted(p for p in set(points)
                  if not any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in points))


def _plot(page) -> dict:
    return page.evaluate("""() => { const gd = document.getElementById('ef-plot');
      return {x: gd.layout.xaxis.title.text, y: gd.layout.yaxis.title.text,
              traces: gd.data.map((t) => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y),
                                           text: t.text ? Array.from(t.text) : null}))}; }""")


def _column(page, name: str) -> list[str]:
    j = page.evaluate("(n) => Array.from(document.querySelectorAll('#ef-table thead th'),"
                      " (th) => th.textContent).indexOf(n)", name)
    return page.evaluate("(j) => Array.from(document.querySelectorAll('#ef-table tbody tr'))"
                         ".filter((tr) => !tr.hidden).map((tr) => tr.children[j].textContent)", j)


def _explore(page) -> dict:
    before = _plot(page)
    page.select_option("#ef-x", "area_um2")
    after_x = _plot(page)
    order0 = _column(page, "energy_per_op_fj")
    page.click("#ef-table thead th:text-is('energy_per_op_fj')")
    order1 = _column(page, "energy_per_op_fj")
    page.click("#ef-table thead th:text-is('energy_per_op_fj')")
    order2 = _column(page, "energy_per_op_fj")
    page.fill("#ef-filter", "drum")
    out = {"before": before, "after_x": after_x, "orders": (order0, order1, order2),
           "filtered": _plot(page), "count": page.text_content("#ef-count"),
           "drum_rows": _column(page, "design")}
    page.fill("#ef-filter", "")  # the screenshot shows every row again
    out["unfiltered"] = len(_column(page, "design"))
    return out


def test_report_page(tmp_path):
    index = tmp_path / "index.html"
    timing = [{"step": f"step {i}", "seconds": 0.5 * i, "cached": i % 2 == 0,
               "family": "approx"} for i in range(6)]
    index.write_text(render_html(_report_blocks(), "edgeforge report", timing=timing))
    r = browser_check.check_page(index, SHOTS / "report.png")
    assert browser_check.problems(r) == []
    assert [f["id"] for f in r["figures"]] == ["fig-pareto", "fig-cgra-parts"]
    assert r["tables"] == 2 and r["title"] == "edgeforge report"
    assert Path(r["screenshot"]).stat().st_size > 10_000


def test_explorer_page(tmp_path):
    rows = _rows()
    page = write_explorer(tmp_path / "explorer.html", rows, title="sweep <demo>",
                          default_x="mred_pct", default_y="energy_per_op_fj")
    r = browser_check.check_page(page, SHOTS / "explorer.png", interact=_explore)
    assert browser_check.problems(r) == []
    assert len(r["figures"]) == 1 and r["title"] == "sweep <demo>"
    it = r["interaction"]
    before, after = it["before"], it["after_x"]
    assert (before["x"], before["y"]) == ("mred_pct", "energy_per_op_fj")
    assert (after["x"], after["y"]) == ("area_um2", "energy_per_op_fj")
    groups = [t for t in before["traces"] if not t["name"].startswith("Pareto front")]
    assert sorted(t["name"] for t in groups) == sorted(DESIGNS)  # coloured by design
    assert sum(len(t["x"]) for t in groups) == len(rows)
    assert all(c in groups[0]["text"][0] for c in rows[0])  # hover names every column
    for state, xcol in ((before, "mred_pct"), (after, "area_um2")):
        front = next(t for t in state["traces"] if t["name"].startswith("Pareto front"))
        want = _pareto([(row[xcol], row["energy_per_op_fj"]) for row in rows])
        assert list(zip(front["x"], front["y"], strict=True)) == want
    energies = [str(row["energy_per_op_fj"]) for row in rows]
    order0, order1, order2 = it["orders"]
    assert [float(v) for v in order0] == [float(v) for v in energies]
    assert [float(v) for v in order1] == sorted(float(v) for v in energies) != \
        [float(v) for v in order0]
    assert [float(v) for v in order2] == sorted((float(v) for v in energies), reverse=True)
    n_drum = sum(row["design"] == "drum" for row in rows)
    assert it["count"] == f"{n_drum} of {len(rows)} rows"
    assert set(it["drum_rows"]) == {"drum"} and len(it["drum_rows"]) == n_drum
    shown = [t for t in it["filtered"]["traces"] if not t["name"].startswith("Pareto front")]
    assert [t["name"] for t in shown] == ["drum"] and len(shown[0]["x"]) == n_drum
    assert it["unfiltered"] == len(rows)


@pytest.mark.parametrize("ci", ["", "1"])
def test_missing_chromium_skips_only_outside_ci(monkeypatch, ci):
    monkeypatch.setattr(browser_check, "chromium_path", lambda: None)
    monkeypatch.setenv("CI", ci)
    outcome = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(outcome, match="chromium is not installed"):
        browser_check.need_chromium()
