"""The CGRA report section (gen.cgra.report): its spec points, its study job, its report.json key
and its blocks."""

import json
import math
import shutil
from pathlib import Path

import pytest

from gen.cgra import family as cgra_family
from gen.cgra.family import FAMILY
from gen.cgra.report import (
    ERROR_DRAWS,
    MODELLED,
    MULS,
    STUDY,
    CgraSection,
    cgra_blocks,
    kernel_errors,
)
from gen.flow import sweep
from gen.flow.family import ReportContext
from gen.flow.record import EnergyRecord
from gen.flow.render import render_md
from gen.flow.report import DEFAULT_SPEC, FULL_SPEC
from sim_models.cgra.programs import KERNELS
from verif import sim as vsim


def _ctx(tmp_path, seed=1):
    return ReportContext(Path(tmp_path), None, None, seed, 2, {}, None)


def _region_points(path):
    """The points of the cgra region of a report spec (with the spec's [sweep] table)."""
    text = path.read_text()
    head = text[:text.index("# --- ")]
    region = text[text.index("# --- cgra ---"):text.index("# --- end cgra ---")]
    spec = sweep.parse_spec(head + region, base=path.parent,
                            substitutions={"liberty": "default", "compare": None})
    return spec.points


def _report_points():
    """The cgra points of ``make report FULL=1``: the default spec's and the full spec's."""
    return _region_points(DEFAULT_SPEC) + _region_points(FULL_SPEC)


def test_the_report_spec_has_every_kernel_on_three_mul_variants_and_the_default_area():
    points = _report_points()
    cgra = [p for p in points if p.design == "cgra"]
    energy = [p for p in cgra if p.metrics == ("energy",)]
    assert sorted((p.param_dict["mul"], p.workload_dict["kernel"]) for p in energy) == \
        sorted((m, k) for m in MULS for k in KERNELS)
    assert all(p.param_dict["fabric"] == "small" and p.library is None for p in energy)
    area = [p for p in cgra if p.metrics == ("area",)]
    assert [(p.param_dict["fabric"], p.param_dict["mul"]) for p in area] == [("default", "")]
    assert len(cgra) == len(points) == len(energy) + len(area)
    # the default fabric's synthesis is the section's longest job: it starts first
    assert sweep._cost(area[0]) > max(sweep._cost(p) for p in energy)
    # the default report keeps the CGRA's energy (gemm on every MUL variant) and its area
    default = _region_points(DEFAULT_SPEC)
    assert sorted((p.param_dict["mul"], p.workload_dict["kernel"]) for p in default) == \
        sorted((m, "gemm") for m in MULS)


def test_a_spec_point_measures_the_kernel_as_the_energy_command_does(monkeypatch):
    seen = {}

    def fake(inst, kernel, seed, options):
        seen.update(module=inst.module, kernel=kernel, seed=seed, sim=options.sim,
                    liberty=options.liberty.given)
        return EnergyRecord(module=inst.module, params=dict(inst.params), seed=seed,
                            switching_fj=1.0, internal_fj=2.0, leakage_fj=0.5,
                            input_switching_fj=0.0, groups={}, liberty="lib",
                            liberty_path="lib", voltage_v=1.8, period_ns=10.0,
                            wire_load="Small", sim=options.sim, cells=1, unannotated_nets=0,
                            seconds=0.0, limits=[], cached=False,
                            extra={"kernel": kernel, "energy_per_run_fj": 3.5})

    monkeypatch.setattr(cgra_family, "measure_kernel", fake)
    point = next(p for p in _report_points() if p.design == "cgra"
                 and p.workload_dict.get("kernel") == "fir" and p.param_dict["mul"] == "drum")
    point = sweep.SweepPoint(point.design, point.params, point.library, point.workload,
                             point.metrics, 5)
    res = sweep.run_point(point)
    assert seen == {"module": "cgra_small_drum_k6", "kernel": "fir", "seed": 5,
                    "sim": "icarus" if shutil.which("iverilog") else vsim.select(),
                    "liberty": None}
    assert res["records"]["energy"]["energy_per_run_fj"] == 3.5
    assert res["row"]["energy_per_run_fj"] == 3.5


def test_the_error_study_is_one_job_on_the_golden_model(tmp_path):
    jobs = CgraSection().jobs(_ctx(tmp_path, seed=3))
    assert [(j.name, j.fn, j.args) for j in jobs] == [("cgra kernel errors", kernel_errors,
                                                      (3,))]
    errors = kernel_errors(3, draws=2)
    assert [(e["mul"], e["kernel"]) for e in errors] == \
        [(m, k) for m in MULS[1:] for k in KERNELS]
    assert all(e["seeds"] == [3, 4] and e["draws"] == 2 and e["outputs"] > 0 for e in errors)
    # both approximate multipliers get outputs wrong on every kernel that multiplies; vadd
    # (additions only) stays exact
    assert all((e["ep"] == 0 and e["wce"] == 0) == (e["kernel"] == "vadd") for e in errors)
    # DRUM (k = 6) errs more than ROUP (p = 1, r = 2) on these 12-bit inputs
    mred = {(e["mul"], e["kernel"]): e["mred"] for e in errors}
    assert all(mred["drum", k] > mred["roup", k] for k in KERNELS if k != "vadd")
    text = jobs[0].describe(errors)
    assert text.startswith("10 kernel/MUL pairs") and f"{ERROR_DRAWS} draws" in text


def _run(mul, kernel, fj):
    return {"module": f"cgra_small{'_' + mul if mul else ''}", "params": {"fabric": "small",
                                                                      "mul": mul},
            "kernel": kernel, "energy_per_run_fj": fj}


def _point(params, metrics, workload=()):
    return sweep.SweepPoint("cgra", tuple(sorted(params.items())), None, tuple(workload),
                            metrics, 1)


def _default_area_record():
    """A default-fabric area record: MUL tiles 0-3 exact, 4-5 DRUM, 6-7 ROUP (its fabric)."""
    tile = {"exact": 40.0, "drum": 10.0, "roup": 25.0}
    kinds = ["exact"] * 4 + ["drum"] * 2 + ["roup"] * 2
    per_module = {"cgra_default": {"area_um2": 100.0, "instances": 1},
                  "cgra_default.fu_lsu0": {"area_um2": 300.0, "instances": 1},
                  "cgra_default.id_c_mul": {"area_um2": 50.0, "instances": 2}}
    for i, kind in enumerate(kinds):
        per_module[f"cgra_default.fu_mul{i}"] = {"area_um2": 2.0, "instances": 1}
        per_module[f"cgra_default.fu_mul{i}.{kind}"] = {"area_um2": tile[kind] - 2.0,
                                                       "instances": 1}
    total = sum(r["area_um2"] * r["instances"] for r in per_module.values())
    return {"area_um2": total, "area_ge": total / 4, "sequential_area_um2": 10.0,
            "cells": 77, "per_module": per_module, "cell_counts": {}}, tile, kinds


def test_collect_builds_the_cgra_key_from_the_points_and_the_errors(tmp_path):
    record, tile, kinds = _default_area_record()
    runs = [_run(m, k, 1000.0 + 10 * i) for i, (m, k) in
            enumerate((m, k) for k in reversed(KERNELS) for m in reversed(MULS))]
    points = [(_point({"fabric": "small", "mul": r["params"]["mul"]}, ("energy",),
                      (("kernel", r["kernel"]),)), {"row": {}, "records": {"energy": r}})
              for r in runs]
    points.append((_point({"fabric": "default", "mul": ""}, ("area",)),
                   {"row": {}, "records": {"area": record}}))
    errors = [{"mul": "drum", "kernel": "dot", "mse": 1.0}]
    out = CgraSection().collect(_ctx(tmp_path, seed=4), points, [errors])
    assert list(out) == ["cgra"]
    cgra = out["cgra"]
    assert set(cgra) == {"runs", "areas", "errors", "seed", "error_draws", "study", "modelled"}
    # runs by MUL variant, then kernel, as the report always listed them
    assert [(r["params"]["mul"], r["kernel"]) for r in cgra["runs"]] == \
        [(m, k) for m in MULS for k in KERNELS]
    assert cgra["errors"] is errors and cgra["seed"] == 4 and cgra["error_draws"] == ERROR_DRAWS
    assert cgra["study"] == [list(s) for s in STUDY] and cgra["modelled"] == list(MODELLED)
    [area] = cgra["areas"]
    assert (area["module"], area["fabric"], area["mul"]) == ("cgra_default", "default", "")
    assert area["area_um2"] == record["area_um2"] and area["cells"] == 77
    assert area["liberty"] == "embedded sky130_fd_sc_hd compact"
    assert area["per_tile"] == {f"mul{i}": {"kind": kind, "area_um2": tile[kind]}
                                for i, kind in enumerate(kinds)}
    assert area["per_type"]["mul (exact)"] == 4 * tile["exact"]
    assert area["per_type"]["mul (drum)"] == 2 * tile["drum"]
    assert area["per_type"]["ID + imem"] == 100.0 and area["per_type"]["lsu"] == 300.0
    # every approximate tile replaced by the exact tile's area
    all_exact = record["area_um2"] + sum(tile["exact"] - tile[k] for k in kinds)
    assert math.isclose(area["all_exact_area_um2"], all_exact)


def test_collect_refuses_a_run_without_energy(tmp_path):
    bad = _run("drum", "fir", 0.0)
    points = [(_point({"fabric": "small", "mul": "drum"}, ("energy",)),
               {"row": {}, "records": {"energy": bad}})]
    with pytest.raises(RuntimeError, match="cgra_small_drum on fir came out as 0.0"):
        CgraSection().collect(_ctx(tmp_path), points, [[]])


def test_the_section_is_the_families_and_claims_no_title():
    section = CgraSection()
    assert [type(s) for s in FAMILY.report_sections()] == [CgraSection]
    assert section.name == "cgra" and section.default and section.designs == ("cgra",)
    assert section.title is None


def test_report_blocks_name_the_study_and_what_is_not_modelled(tmp_path):
    assert cgra_blocks(None) == []
    run = {"params": {"mul": ""}, "kernel": "dot", "cycles": 21, "energy_per_run_fj": 2000.0,
           "per_type": {"mul (exact)": 500.0, "lsu": 1500.0}, "liberty": "lib",
           "voltage_v": 1.8, "period_ns": 10.0, "sim": "icarus", "module": "cgra_small",
           "area_um2": 100.0, "area_per_type": {"mul (exact)": 40.0, "lsu": 60.0}}
    approx = {**run, "params": {"mul": "drum"}, "energy_per_run_fj": 1800.0,
              "per_type": {"mul (drum)": 300.0, "lsu": 1500.0}, "module": "cgra_small_drum",
              "area_um2": 80.0, "area_per_type": {"mul (drum)": 20.0, "lsu": 60.0}}
    err = {"mul": "drum", "kernel": "dot", "mse": 4.0, "mred": 0.001, "ep": 0.5}
    area = {"module": "cgra_default", "fabric": "default", "mul": "", "area_um2": 500.0,
            "area_ge": 125.0, "per_type": {"lsu": 300.0, "mul (exact)": 200.0},
            "per_tile": {}, "all_exact_area_um2": None}
    cgra = {"runs": [run, approx], "areas": [area], "errors": [err], "seed": 1,
            "error_draws": 32, "study": [list(s) for s in STUDY], "modelled": list(MODELLED)}
    blocks = cgra_blocks(cgra)
    text = json.dumps(blocks)
    # energy -10 % overall, MUL tiles -40 %; area -20 %, MUL tiles -50 %
    assert "1.8 (-10.0 %)" in text and "0.30 (-40.0 %)" in text
    assert "80 (-20.0 %)" in text and "20 (-50.0 %)" in text
    assert "2505.23553" in text and "voltage islands" in text and "21 % power" in text
    figures = [b for b in blocks if b[0] == "figure"]
    assert [b[1] for b in figures] == ["cgra-energy-by-part", "cgra-area-cgra_default"]
    assert all(len(b) == 4 and b[3] for b in figures)
    assert not any(b[0] == "h1" for b in blocks)
    assert "Figure: Energy per kernel run by part" in render_md(blocks)
    assert CgraSection().blocks({"cgra": None}, _ctx(tmp_path)) == []
    # without kernel runs: the default fabric alone
    only_area = cgra_blocks({**cgra, "runs": [], "errors": []})
    assert [b[1] for b in only_area if b[0] == "figure"] == ["cgra-area-cgra_default"]

