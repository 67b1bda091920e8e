"""The ternary report sections (gen.ternary.report) on the report's contract: spec points of a
tiny OCU and engine measured through the sweep's run_point, then the sections' adapt, jobs,
collect and blocks (the report's figure included)."""

import json

import pytest

from gen.flow.bench import EnergyError
from gen.flow.family import ReportContext
from gen.flow.render import render_html, render_md
from gen.flow.sweep import SweepPoint, run_point
from gen.ternary.family import FAMILY
from gen.ternary.figures import FIGURE_ID

SEED = 20261124
OCU = {"n_i": 4, "k": 3, "latency": 1, "pooling": "none", "weight_storage": "ff"}
ENGINE = {"n_i": 4, "n_o": 4, "k": 3, "image_width": 6, "latency": 1, "weight_layers": 1}


def _section(name: str):
    return next(s for s in FAMILY.report_sections() if s.name == name)


def _ctx(tmp_path, options=None) -> ReportContext:
    return ReportContext(tmp_path / "rep", None, None, SEED, 1, options or {}, None)


def _point(design: str, params: dict, **workload) -> SweepPoint:
    return SweepPoint(design, tuple(sorted(params.items())), None,
                      tuple(sorted(workload.items())), ("energy",), SEED)


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """The spec points of both sections, adapted by their options (OCU windows 16, engine one
    frame), measured in a private build and cache directory."""
    root = tmp_path_factory.mktemp("ternary_report")
    ocu, engine = _section("ocu"), _section("engine")
    ocu_ctx = _ctx(root, {"windows": 16})
    eng_ctx = _ctx(root, {"frames": 1, "digits": False})
    ocu_points = [ocu.adapt(ocu_ctx, p) for p in (
        _point("ternary_ocu", OCU, density=0.0, windows=32),
        _point("ternary_ocu", OCU, density=0.9, windows=32),
        _point("binary_ocu", OCU, windows=32))]
    eng_points = [engine.adapt(eng_ctx, _point("ternary_engine", ENGINE, density=0.0,
                                               frames=2))]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.delenv("EDGEFORGE_CACHE", raising=False)
        return {"ocu": (ocu_ctx, [(p, run_point(p)) for p in ocu_points]),
                "engine": (eng_ctx, [(p, run_point(p)) for p in eng_points])}


def test_options_change_the_points_workload(measured, tmp_path):
    _, pairs = measured["ocu"]
    assert [p.workload_dict for p, _ in pairs] == [
        {"density": 0.0, "windows": 16}, {"density": 0.9, "windows": 16}, {"windows": 16}]
    _, pairs = measured["engine"]
    assert pairs[0][0].workload_dict == {"density": 0.0, "frames": 1}
    point = _point("binary_ocu", OCU, windows=32)
    assert _section("ocu").adapt(_ctx(tmp_path), point) is point  # no option: unchanged


def test_ocu_section_collects_and_renders(measured):
    ctx, pairs = measured["ocu"]
    section = _section("ocu")
    assert section.designs == ("ternary_ocu", "binary_ocu") and section.jobs(ctx) == []
    part = section.collect(ctx, pairs, [])
    assert list(part) == ["ocu"]
    ocu = part["ocu"]
    assert {k: ocu[k] for k in ("windows", "densities", "seed", "ops_per_mac")} == {
        "windows": 16, "densities": [0.0, 0.9], "seed": SEED, "ops_per_mac": 2}
    recs = ocu["records"]
    assert [(r["design"], r["density"], r["windows"]) for r in recs] == [
        ("ternary_ocu", 0.0, 16), ("ternary_ocu", 0.9, 16), ("binary_ocu", None, 16)]
    energy = [res["records"]["energy"] for _, res in pairs]
    assert [r["energy_per_mac_fj"] for r in recs] == [e["energy_per_mac_fj"] for e in energy]
    assert recs[1]["datapath_per_mac_fj"] < recs[0]["datapath_per_mac_fj"]
    assert recs[0]["binary_baseline"] == recs[2]["module"]
    assert recs[2]["energy_vs_binary_pct"] == 0
    blocks = section.blocks(part, ctx)
    (fig,) = [b for b in blocks if b[0] == "figure"]
    assert fig[1] == FIGURE_ID and len(fig[2]["data"]) == 2  # the ternary line, binary level
    json.dumps(fig[2])
    table = next(b for b in blocks if b[0] == "table")
    assert len(table[1]) == 10 and len(table[2]) == 3
    md = render_md(blocks)
    assert "Ternary output-channel unit" in md and recs[2]["module"] in md
    assert "1 MAC = 2 operations" in md and "% less" in md
    assert FIGURE_ID in render_html(blocks, "t")


def test_engine_section_collects_and_renders(measured):
    ctx, pairs = measured["engine"]
    section = _section("engine")
    assert section.designs == ("ternary_engine",) and section.jobs(ctx) == []
    part = section.collect(ctx, pairs, [])
    eng = part["engine"]
    rec = pairs[0][1]["records"]["energy"]
    assert eng["module"] == rec["module"] and eng["point"] == ENGINE
    assert eng["frames"] == 1 and eng["densities"] == [0.0] and eng["seed"] == SEED
    assert eng["sweep"] == [rec] and eng["digits"] is None and eng["digits_rtl"] is None
    alone = section.blocks(part, ctx)  # without the OCU section: the figure is here
    figs = [b for b in alone if b[0] == "figure"]
    assert len(figs) == 1 and figs[0][2]["data"][0]["y"] == [rec["energy_per_mac_fj"]]
    assert not any(b[0] == "figure" for b in section.blocks({**part, "ocu": {}}, ctx))
    table = next(b for b in alone if b[0] == "table")
    assert table[2][0][0].split()[0] == "0"
    assert table[2][0][1] == f"{rec['energy_per_mac_fj']:.2f}"
    md = render_md(alone)
    assert "Ternary engine: energy per MAC versus zero density" in md
    assert f"({rec['checked_pixels']} per point)" in md
    assert section.collect(ctx, [], []) == {"engine": None}


def test_engine_section_digits_studies(tmp_path):
    """The digits studies are the section's jobs, each with a cost and a progress text."""
    section = _section("engine")
    jobs = section.jobs(_ctx(tmp_path, {"ocu_windows": 32}))
    assert [j.name for j in jobs] == ["digits RTL", "digits per image"]
    assert all(j.cost > 0 for j in jobs) and jobs[1].args[2] == 32
    assert jobs[0].describe({"module": "m", "images": 3, "rtl_accuracy": 0.5}) == \
        "m digits RTL x3: 50.00 %, RTL == golden"
    assert jobs[1].describe({"ocu_estimate": {"ternary_fj": 2e3, "binary_fj": 4e3}}) == \
        "2 pJ ternary, 4 pJ binary"
    part = section.collect(_ctx(tmp_path), [], [{"module": "rtl"}, {"seed": 1}])
    assert part["engine"]["digits_rtl"] == {"module": "rtl"}
    assert part["engine"]["digits"] == {"seed": 1} and part["engine"]["sweep"] == []


def test_a_nonpositive_energy_fails_the_section(measured):
    ctx, pairs = measured["ocu"]
    point, res = pairs[0]
    bad = {**res, "records": {"energy": {**res["records"]["energy"],
                                         "energy_per_mac_fj": 0.0}}}
    with pytest.raises(EnergyError, match="came out as 0.0 fJ/MAC"):
        _section("ocu").collect(ctx, [(point, bad)], [])


@pytest.mark.parametrize("name, options, match", [
    ("ocu", {"windows": 15}, "OCU windows must be an integer between 16 and 8192"),
    ("engine", {"frames": 0}, "Engine frames must be an integer between 1 and 256"),
    ("engine", {"ocu_windows": 9000}, "OCU windows must be an integer between 16 and 8192"),
])
def test_sections_check_their_options(tmp_path, name, options, match):
    with pytest.raises(ValueError, match=match):
        _section(name).check(_ctx(tmp_path, options))


def test_sections_claim_no_title():
    assert all(s.title is None for s in FAMILY.report_sections())
