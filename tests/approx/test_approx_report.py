"""The multipliers' report section (gen.approx.report): error records, the Pareto front, the
report spec's points, the section's options, its records from sweep results, its documents and a
failing point.

The section's records are built here from made-up sweep results (area and energy records of the
shape gen.flow.sweep.run_point returns, numbers drawn from a seeded generator) and checked by
relations: savings against the reference, deviations, the front. The end-to-end run through the
real flow is tests/approx/test_approx_report_build.py.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import re
import shutil

import numpy as np
import pytest

import gen.approx.multiplier
from gen.approx.family import DEFAULT_POINTS, FAMILY
from gen.approx.report import (
    DEVIATION_LIMIT_PCT,
    LIMITS,
    ApproxSection,
    error_record,
    pareto_front,
)
from gen.eda import synth
from gen.flow import sweep
from gen.flow.bench import EnergyError
from gen.flow.family import ReportContext, instantiate
from gen.flow.render import render_html, render_md
from gen.flow.report import DEFAULT_SPEC, ReportError, build_report


def test_pareto_front_excludes_dominated_points():
    pts = [(0.0, 10.0), (1.0, 5.0), (2.0, 6.0), (1.5, 5.0), (3.0, 1.0), (0.5, 12.0),
           (3.0, 1.0)]
    # (2, 6) is beaten by (1, 5); (1.5, 5) ties on energy but has more error; (0.5, 12) is
    # beaten by (0, 10); the two equal points (3, 1) dominate neither each other
    assert pareto_front(pts) == [0, 1, 4, 6]
    assert pareto_front([]) == []
    assert pareto_front([(2.0, 2.0)]) == [0]
    assert pareto_front([(0.0, 3.0), (1.0, 2.0), (2.0, 1.0)]) == [0, 1, 2]  # all on the front


def test_error_records_exhaustive_up_to_8_bits_when_sampled(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the metrics cache lives under ./build/cache
    r8 = error_record(instantiate("drum", {"width": 8, "k": 4}), samples=2000)
    assert r8["exhaustive"] and r8["samples"] == 65536
    r16 = error_record(instantiate("drum", {"width": 16, "k": 6}), samples=2000)
    assert not r16["exhaustive"] and r16["samples"] == 2000 and r16["mred_pct"] > 0
    exact = error_record(instantiate("exact", {"width": 16, "arch": "booth"}), samples=2000)
    assert exact["ep_pct"] == 0 and exact["wce"] == 0


def test_error_records_are_cached_and_a_damaged_entry_recomputed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inst = instantiate("drum", {"width": 8, "k": 4})
    first = error_record(inst)
    (entry,) = (tmp_path / "build" / "cache" / "errors").iterdir()
    assert entry.name == "drum-k=4-sign_mode=twos-signed=False-width=8-exhaustive.json"
    assert error_record(inst) == first
    entry.write_text("{")
    assert error_record(inst) == first


# -- the report spec's points ----------------------------------------------------------------

def _approx_region(compare: str | None) -> list[sweep.SweepPoint]:
    """The points of the approx region of the report's spec (the other regions are other
    families' business)."""
    text = DEFAULT_SPEC.read_text()
    (region,) = re.findall(r"# --- approx ---\n(.*?)# --- end approx ---", text, re.S)
    return sweep.parse_spec('[sweep]\nname = "approx"\n' + region,
                            substitutions={"liberty": "default", "compare": compare}).points


def test_the_spec_measures_the_default_points_with_both_libraries():
    lib = str(synth.check_liberty(None))
    points = _approx_region(lib)
    modules = [instantiate(n, p).module for n, p in DEFAULT_POINTS]
    assert sorted(instantiate(p.design, p.param_dict).module for p in points) == \
        sorted(modules * 2)
    assert {p.library for p in points} == {None, lib}
    for p in points:
        assert set(p.metrics) == {"area", "energy", "errors"}
        # what `edgeforge energy` measures without options
        assert p.workload_dict == {"workload": "uniform", "ops": gen.approx.multiplier.DEFAULT_OPS}
    assert len(_approx_region(None)) == len(DEFAULT_POINTS)  # no $compare: one library


# -- options ---------------------------------------------------------------------------------

def _ctx(tmp_path, options=None, args=None, compare=None) -> ReportContext:
    return ReportContext(tmp_path / "report", None, compare, 1, 1, options or {}, args)


def _point(design: str, params: dict, library: str | None = None, **workload) -> sweep.SweepPoint:
    inst = instantiate(design, params)
    work = {"workload": "uniform", "ops": 4000, **workload}
    return sweep.SweepPoint(design, tuple(sorted(inst.params.items())), library,
                            tuple(sorted(work.items())), ("area", "energy", "errors"), 1)


def test_section_options_from_the_command_line_and_the_api(tmp_path):
    (section,) = FAMILY.report_sections()
    assert isinstance(section, ApproxSection) and section.name == "approx" and section.default
    assert section.title is None  # the core titles the report
    assert set(section.designs) == {"exact", "drum", "roup"}
    p = argparse.ArgumentParser()
    FAMILY.add_report_options(p)
    assert p.parse_args([]).ops is None  # not given: the spec's
    args = p.parse_args(["--ops", "7"])
    point = _point("drum", {"width": 8, "k": 4})
    assert section.adapt(_ctx(tmp_path), point) == point
    adapted = section.adapt(_ctx(tmp_path, args=args), point)
    assert adapted.workload_dict == {"workload": "uniform", "ops": 7}
    assert dataclasses.replace(adapted, workload=point.workload) == point
    api = _ctx(tmp_path, {"ops": 9, "workload": "gaussian"}, args)
    assert section.adapt(api, point).workload_dict == {"workload": "gaussian", "ops": 9}
    area_only = dataclasses.replace(point, metrics=("area",), workload=())
    assert section.adapt(api, area_only) == area_only
    section.check(api)
    with pytest.raises(ValueError, match="Ops must be an integer between 1 and 65536, not 0"):
        section.check(_ctx(tmp_path, {"ops": 0}))
    with pytest.raises(ValueError, match="Workload must be 'uniform', 'gaussian' or a .npz"):
        section.check(_ctx(tmp_path, {"workload": 3}))
    with pytest.raises(ValueError, match="Workload must be 'uniform', 'gaussian' or a .npz"):
        section.adapt(_ctx(tmp_path, {"workload": "operands.csv"}), point)
    limits = section.limits({"conditions": {"period_ns": 10.0}})
    assert len(limits) == len(LIMITS) and "one operation per 10 ns clock" in limits[4]


# -- records from sweep results --------------------------------------------------------------

_POINTS = [("exact", {"width": 8, "signed": False, "arch": "array"}),
           ("exact", {"width": 8, "signed": False, "arch": "booth"}),
           ("drum", {"width": 8, "k": 4}), ("drum", {"width": 8, "k": 6}),
           ("roup", {"width": 8, "p": 1, "r": 0}),  # signed: no reference in this set
           ("exact", {"width": 8, "signed": True, "arch": "array"})]


def _result(point: sweep.SweepPoint, rng: np.random.Generator, scale: float) -> dict:
    """A result of the shape run_point returns, with made-up numbers."""
    e = float(rng.uniform(500, 3000)) * scale
    area = {"area_um2": float(rng.uniform(500, 2000)) * scale, "area_ge": 100.0,
            "sequential_area_um2": 0.0, "cells": int(rng.integers(50, 300)),
            "per_module": {}, "cell_counts": {"sky130_fd_sc_hd__nand2_1": 3},
            "nand2_cell": "sky130_fd_sc_hd__nand2_1", "nand2_area_um2": 3.7536,
            "transistors": 1000, "logic_depth": 20, "critical_path_ns": 2.0}
    energy = {"energy_per_op_fj": e, "switching_fj": e / 2, "internal_fj": e / 2,
              "leakage_fj": 0.01, "input_switching_fj": e / 8, "groups": {},
              "toggles_per_op": 90.0, "unannotated_nets": 0, "workload": "uniform",
              "workload_text": "uniform random operands, seed 1", "ops": 4000, "seed": 1,
              "sim": "icarus", "voltage_v": 1.8, "period_ns": 10.0, "slew_ns": None,
              "wire_load": "Small", "cached": False}
    inst = instantiate(point.design, point.param_dict)
    return {"row": {"module": inst.module, "seconds": 1.5, "cached": False},
            "records": {"area": area, "energy": energy, "errors": error_record(inst)}}


def _section_run(tmp_path, monkeypatch, compare: str | None):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EDGEFORGE_CACHE", raising=False)
    rng = np.random.default_rng(7)
    libs = [None] + ([compare] if compare else [])
    points = [_point(n, p, lib) for n, p in _POINTS for lib in libs]
    points.append(points[0])  # a point given twice counts once
    pairs = [(p, _result(p, rng, 1.0 if p.library is None else 1.05)) for p in points]
    ctx = _ctx(tmp_path, compare=compare)
    section = ApproxSection(["exact", "drum", "roup"])
    part = section.collect(ctx, pairs, [])
    return section, ctx, part, pairs


def test_records_savings_references_and_front(tmp_path, monkeypatch):
    _, ctx, part, pairs = _section_run(tmp_path, monkeypatch, None)
    recs = {r["module"]: r for r in part["records"]}
    assert list(recs) == ["mul_array_u8", "mul_booth_u8", "mul_array_s8", "drum_u8_k4",
                          "drum_u8_k6", "roup_s8_p1_r0"]  # width, family, then spec order
    energy: dict = {}
    for p, r in pairs:  # the first of a point given twice counts
        energy.setdefault(p.design + str(p.params), r["records"]["energy"])
    for r in part["records"]:
        assert r["energy_per_op_fj"] == energy[r["design"] + str(
            tuple(sorted(r["params"].items())))]["energy_per_op_fj"]
        assert r["liberty"] == synth.DEFAULT_LIBERTY_LABEL and r["compare"] is None
        ref = recs[r["reference"]]
        assert (ref["design"], ref["arch"], ref["signed"]) == ("exact", "array", r["signed"])
        assert r["energy_saving_pct"] == pytest.approx(
            100 * (1 - r["energy_per_op_fj"] / ref["energy_per_op_fj"]), abs=1e-3)
        assert r["area_saving_pct"] == pytest.approx(
            100 * (1 - r["area_um2"] / ref["area_um2"]), abs=1e-3)
    assert recs["drum_u8_k4"]["booth_reference"] == "mul_booth_u8"
    assert recs["roup_s8_p1_r0"]["booth_reference"] is None  # no signed Booth in the set
    assert recs["roup_s8_p1_r0"]["energy_saving_vs_booth_pct"] is None
    assert part["deviation"] is None and part["conditions"]["ops"] == 4000
    front = part["pareto"]["fronts"]["8"]
    xy = {m: (r["errors"]["mred_pct"], r["energy_per_op_fj"]) for m, r in recs.items()}
    for m, (x, y) in xy.items():
        beaten = any(a <= x and b <= y and (a, b) != (x, y) for a, b in xy.values())
        assert (m in front) == (not beaten)
    assert [xy[m][0] for m in front] == sorted(xy[m][0] for m in front)
    assert part["drum_paper"]["compared"] is False  # no 16-bit DRUM here
    out = ctx.outdir
    assert {f.name for f in (out / "verilog").glob("*.v")} == {f"{m}.v" for m in recs}
    assert (out / "errors.json").is_file()


def test_records_with_a_comparison_library_and_the_documents(tmp_path, monkeypatch):
    compare = str(synth.check_liberty(None))  # the embedded library under its path
    section, ctx, part, _ = _section_run(tmp_path, monkeypatch, compare)
    for r in part["records"]:
        c = r["compare"]
        assert c["liberty"] == compare
        assert c["energy_deviation_pct"] == pytest.approx(
            100 * (r["energy_per_op_fj"] - c["energy_per_op_fj"]) / c["energy_per_op_fj"],
            abs=1e-3)
    dev = part["deviation"]
    worst = max(part["records"], key=lambda r: abs(r["compare"]["area_deviation_pct"]))
    assert dev["area_max_abs"] == {"pct": worst["compare"]["area_deviation_pct"],
                                   "module": worst["module"]}
    assert dev["limit_pct"] == DEVIATION_LIMIT_PCT
    report = {"liberty": synth.DEFAULT_LIBERTY_LABEL,
              "liberty_path": str(synth.check_liberty(None)), "compare_liberty": compare,
              "compare_liberty_path": compare, **part}
    blocks = section.blocks(report, ctx)
    ids = [b[1] for b in blocks if b[0] == "figure"]
    assert ids == ["approx-pareto", "approx-deviation"]
    assert not any(b[0] == "img" for b in blocks)
    md, page = render_md(blocks), render_html(blocks, "t")
    for text in (md, page):
        assert "/" + synth.check_liberty(None).parent.name + "/" not in text  # no machine path
        assert "drum_u8_k4" in text and "Compact versus full library" in text


def test_a_spec_without_the_comparison_library_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    point = _point("drum", {"width": 8, "k": 4})
    pair = (point, _result(point, np.random.default_rng(1), 1.0))
    section = ApproxSection(["drum"])
    other = tmp_path / "other.lib"
    shutil.copyfile(synth.check_liberty(None), other)
    with pytest.raises(ValueError, match=r"drum_u8_k4 lacks the comparison library"):
        section.collect(_ctx(tmp_path, compare=str(other)), [pair], [])
    with pytest.raises(ValueError, match="no design point of the approx section"):
        section.collect(_ctx(tmp_path), [], [])


def test_failing_point_aborts_with_its_name(tmp_path, monkeypatch):
    def broken(inst, options, **kw):
        raise EnergyError(f"the gate-level netlist of {inst.module} disagrees")

    monkeypatch.setattr(gen.approx.multiplier, "measure", broken)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EDGEFORGE_CACHE", raising=False)
    spec = tmp_path / "one.toml"
    spec.write_text('[sweep]\nlibraries = ["$liberty"]\n[[points]]\ndesign = "drum"\n'
                    'params = { width = 8, k = 4 }\nworkload = { ops = 300 }\n'
                    'metrics = ["area", "energy", "errors"]\n')
    with pytest.raises(ReportError, match=r"drum_u8_k4 .*EnergyError: .*"
                                          "drum_u8_k4 disagrees"), \
            contextlib.redirect_stderr(io.StringIO()):
        build_report(tmp_path / "broken", workers=1, sections={"approx": True}, spec=spec)
    assert not (tmp_path / "broken" / "report.json").exists()
    assert not (tmp_path / "broken" / "index.html").exists()
