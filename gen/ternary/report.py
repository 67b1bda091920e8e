"""The ternary sections of ``make report``: the output-channel units and the engine.

* ``ocu`` (:class:`OcuSection`): energy per MAC and per operation of the ternary
  output-channel unit at zero densities of 0, 50 and 90 % beside the binary (XNOR-popcount)
  unit, with areas: the ``ternary_ocu`` and ``binary_ocu`` points of the report's spec
  (``gen/flow/data/report.toml``), each measured by the family's ``edgeforge energy`` flow
  (:func:`gen.ternary.ocu.measure_ocu`);
* ``engine`` (:class:`EngineSection`): the whole ternary engine's energy per MAC at the same
  densities and its area by part (the spec's ``ternary_engine`` points,
  :func:`gen.ternary.engine.sweep_energy`); and two studies that are not design points: the
  digits network's whole test split through the engine's RTL (float, golden and RTL accuracy)
  and its energy per classified image, ternary versus binary output-channel units
  (:func:`gen.ternary.engine.digits_energy`).

The figure of both: energy per MAC versus zero density (:mod:`gen.ternary.figures`).

Section options (``build_report(sections={"ocu": {...}, "engine": {...}})``):

* ``ocu``: ``windows`` (per measurement, 16 to 8192; default: the spec's, 200);
* ``engine``: ``frames`` (per measurement of the sweep, 1 to 256; default: the spec's, 2),
  ``digits`` (the two digits studies; default True) and ``ocu_windows`` (per OCU measurement
  of the per-image estimate; default :data:`OCU_WINDOWS`).

The grids themselves (design points, densities) are the spec's.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence

from gen.flow.bench import EnergyError
from gen.flow.executor import Job
from gen.flow.family import ReportContext, ReportSection
from verif import sim as sim_mod

from .digits_rtl import run_digits_rtl
from .engine import DEFAULT_FRAMES, ENGINE_DESIGN, MAX_FRAMES, digits_energy
from .figures import FIGURE_ID, energy_vs_density
from .ocu import DEFAULT_WINDOWS, MAX_WINDOWS, OCU_DESIGNS

__all__ = ["OcuSection", "EngineSection", "OCU_WINDOWS", "rtl_simulator"]

#: OCU windows per measurement of the digits network's per-image estimate.
OCU_WINDOWS = 200
#: Rough run times (seconds, cold, Icarus on one core) of the engine section's studies: the
#: per-image estimate measures 8 OCUs at gate level, the RTL run builds and runs Verilator.
DIGITS_ENERGY_COST = 300.0
DIGITS_RTL_COST = 90.0


def _saving(value: float, ref: float) -> float:
    return round(100.0 * (1.0 - value / ref), 4)


def _f(value: float | None, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def _check_count(what: str, value: object, lo: int, hi: int) -> int | None:
    """``value`` (None: not given) checked as an integer in ``lo..hi``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{what} must be an integer between {lo} and {hi}, not {value!r}")
    return value


def _with_workload(point, **values):
    """``point`` (a :class:`gen.flow.sweep.SweepPoint`) with ``values`` in its workload."""
    workload = {**point.workload_dict, **values}
    return dataclasses.replace(point, workload=tuple(sorted(workload.items())))


def _energy_records(points: Sequence[tuple]) -> list[dict]:
    """The energy records of the spec's points, in spec order; a non-positive or non-finite
    energy per MAC fails the report, named."""
    out = []
    for _point, result in points:
        r = result["records"]["energy"]
        if not (r["energy_per_mac_fj"] > 0 and math.isfinite(r["energy_per_mac_fj"])):
            raise EnergyError(f"energy of {r['module']} came out as {r['energy_per_mac_fj']} "
                              "fJ/MAC")
        out.append(r)
    return out


def _distinct(values) -> list:
    return list(dict.fromkeys(values))


def _one_or_all(values: list):
    """The value when all are equal (the spec's usual case), else the list."""
    return values[0] if len(values) == 1 else values


# --------------------------------------------------------------------------------------------
# Output-channel units


def _ocu_records(results: Sequence[dict]) -> list[dict]:
    """One record per measurement, with the datapath/register split and the binary baseline."""
    records = []
    for r in results:
        macs = r["macs_per_window"]
        rec = {k: r[k] for k in (
            "module", "design", "params", "density", "measured_zero_fraction", "windows",
            "macs_per_window", "ops_per_mac", "energy_per_window_fj", "energy_per_mac_fj",
            "energy_per_op_fj", "leakage_fj", "input_switching_fj", "toggles_per_window",
            "workload_text", "seed", "sim", "area_um2", "area_ge", "cells",
            "checked_results", "cached")}
        rec["datapath_per_mac_fj"] = round(r["groups"]["combinational"]["total_fj"] / macs, 6)
        rec["registers_per_mac_fj"] = round(
            (r["groups"]["sequential"]["total_fj"] + r["groups"]["clock"]["total_fj"])
            / macs, 6)
        rec["input_nets_per_mac_fj"] = round(r["input_switching_fj"] / macs, 6)
        records.append(rec)
    for rec in records:
        twin = {**rec["params"]}
        base = next((b for b in records if b["design"] == "binary_ocu"
                     and b["params"] == twin), None)
        rec["binary_baseline"] = base["module"] if base else None
        rec["energy_vs_binary_pct"] = (None if base is None else round(
            100.0 * (1.0 - rec["energy_per_mac_fj"] / base["energy_per_mac_fj"]), 3))
        rec["datapath_vs_binary_pct"] = (None if base is None else round(
            100.0 * (1.0 - rec["datapath_per_mac_fj"] / base["datapath_per_mac_fj"]), 3))
    return records


def _ocu_rows(recs: list[dict]) -> list[list[str]]:
    rows = []
    for r in recs:
        if r["density"] is None:
            operands, dens = "bits (+1/-1)", "- (no zeros)"
        else:
            operands = "trits"
            dens = (f"{100 * r['density']:.0f} ({100 * r['measured_zero_fraction']['windows']:.1f}"
                    ")")
        rows.append([r["module"], operands, dens, f"{r['area_um2']:.0f}",
                     f"{r['energy_per_mac_fj']:.1f}", f"{r['datapath_per_mac_fj']:.1f}",
                     f"{r['registers_per_mac_fj']:.1f}", f"{r['input_nets_per_mac_fj']:.1f}",
                     _f(r["energy_vs_binary_pct"], "{:+.1f}"),
                     _f(r["datapath_vs_binary_pct"], "{:+.1f}")])
    return rows


def _ocu_trends(recs: list[dict]) -> list[str]:
    lines = []
    for module in dict.fromkeys(r["module"] for r in recs if r["density"] is not None):
        pts = {r["density"]: r for r in recs if r["module"] == module}
        lo, hi = min(pts), max(pts)
        a, b = pts[lo], pts[hi]
        lines.append(
            f"{module}: from {100 * lo:.0f} % to {100 * hi:.0f} % zeros the energy falls from "
            f"{a['energy_per_mac_fj']:.1f} to {b['energy_per_mac_fj']:.1f} fJ/MAC "
            f"({_saving(b['energy_per_mac_fj'], a['energy_per_mac_fj']):.0f} % less), the "
            f"datapath's from {a['datapath_per_mac_fj']:.1f} to {b['datapath_per_mac_fj']:.1f} "
            f"fJ/MAC ({_saving(b['datapath_per_mac_fj'], a['datapath_per_mac_fj']):.0f} % "
            f"less); the registers stay at {a['registers_per_mac_fj']:.1f} fJ/MAC.")
    return lines


def _figure_block(ocu: dict | None, engine: dict | None) -> tuple:
    """The figure of energy per MAC versus zero density (OCUs and engine sweep)."""
    return ("figure", FIGURE_ID, energy_vs_density(ocu, engine),
            "Energy per MAC versus zero density: the ternary OCUs (lines), the binary OCUs "
            "(dashed: their +1/-1 operands have no zeros, so one value each) and the whole "
            "ternary engine (line buffer, weight memory and control included).")


def _ocu_blocks(ocu: dict, engine: dict | None = None) -> list[tuple]:
    recs = ocu["records"]
    if not recs:
        return []
    first = recs[0]
    header = ["design point", "operands", "zero density % (measured)", "area um^2", "fJ/MAC",
              "datapath fJ/MAC", "registers fJ/MAC", "input nets fJ/MAC",
              "fJ/MAC saving vs binary %", "datapath saving vs binary %"]
    return [
        ("h2", "Ternary output-channel unit: energy per MAC versus zero density, binary "
               "baseline"),
        ("ul", [
            "One output-channel unit (OCU) computes one k x k x n_i window per clock: "
            f"{first['macs_per_window']} MACs for the points below. 1 MAC = "
            f"{first['ops_per_mac']} operations (multiply and add), the convention of CUTIE's "
            "TOPS/W figures; fJ/op = fJ/MAC / 2.",
            "Gate-level simulation of the synthesised netlist in the OCU testbench "
            f"({first['sim']}): weights and thresholds loaded, then {ocu['windows']} windows "
            "back to back (after a warm-up of latency + 1 windows); every result checked "
            "against the golden model; toggles counted only while the windows stream.",
            "Ternary workload: every trit of the windows and the weights is 0 with "
            "probability 'zero density', else +1 or -1 with equal probability (measured "
            "window zero fraction in brackets); thresholds uniform in [-B/4, B/4] "
            f"(B = largest sum); seed {ocu['seed']}.",
            "Binary (XNOR-popcount) baseline: its operands are +1/-1 bits and never 0, so the "
            "zero density does not apply; it is measured on uniform random bits. Savings: "
            "100 * (1 - ternary / binary) for the binary unit of the same n_i, k, latency and "
            "weight storage.",
            "datapath: combinational cells (products, popcounts, thresholds); registers: "
            "flip-flops and latches (weight buffer, thresholds, pipeline) with their clock "
            "pins; input nets: charging the unit's input pins. Zeros cannot silence the "
            "registers: the flip-flops (pipeline, and the weight buffer with weights in ff) "
            "take every clock edge (no clock gating); weights in latches hold still.",
        ]),
        _figure_block(ocu, engine),
        ("table", header, _ocu_rows(recs)),
        ("ul", _ocu_trends(recs)),
    ]


class OcuSection(ReportSection):
    """The output-channel units: report.json key ``ocu`` (options in the module docstring)."""

    name = "ocu"
    options = ("windows",)
    designs = OCU_DESIGNS

    @staticmethod
    def _windows(ctx: ReportContext) -> int | None:
        return _check_count("OCU windows", ctx.arg("windows"), 16, MAX_WINDOWS)

    def check(self, ctx: ReportContext) -> None:
        self._windows(ctx)

    def adapt(self, ctx: ReportContext, point):
        """The ``windows`` option, when given, replaces every OCU point's."""
        windows = self._windows(ctx)
        return point if windows is None else _with_workload(point, windows=windows)

    def collect(self, ctx: ReportContext, points: list, results: list) -> dict:
        """``ocu``: the records of the spec's OCU points (spec order), each with its
        datapath/register split and its binary baseline."""
        recs = _energy_records(points)
        return {"ocu": {
            "windows": _one_or_all(_distinct(p.workload_dict.get("windows", DEFAULT_WINDOWS)
                                             for p, _ in points)) if points
            else self._windows(ctx),
            "densities": _distinct(r["density"] for r in recs if r["density"] is not None),
            "seed": ctx.seed, "ops_per_mac": 2, "records": _ocu_records(recs)}}

    def blocks(self, report: dict, ctx: ReportContext) -> list[tuple]:
        return _ocu_blocks(report["ocu"], report.get("engine"))


# --------------------------------------------------------------------------------------------
# The ternary engine: sparsity sweep, the digits network through the RTL and per image


def rtl_simulator() -> str:
    """Simulator of the digits network's RTL run in the report: ``$SIM`` when set, else
    Verilator. The rest of the flow defaults to Icarus, but Icarus simulates the 16-channel
    engine's RTL at about 10 cycles per second and the whole test split is 124,000 cycles
    (Verilator: under a minute)."""
    return sim_mod.prepare(os.environ.get("SIM") or "verilator")


def _digits_rtl_job(sim: str, seed: int) -> dict:
    """The whole test split through the engine's RTL; the RTL must equal the golden model.
    Runs in a worker: the simulator's environment is set up there too."""
    sim = sim_mod.prepare(sim)
    r = run_digits_rtl(None, sim=sim, seed=seed)
    if not r.matches_golden:
        raise RuntimeError(f"digits through the RTL of {r.module} ({sim}): the RTL differs "
                           f"from the golden model: {r.mismatch}")
    return {k: v for k, v in r.__dict__.items() if k != "predictions"}


def _digits_energy_job(seed: int, liberty: str | None, windows: int) -> dict:
    return digits_energy(seed=seed, liberty=liberty, windows=windows)


def _describe_rtl(res: dict) -> str:
    return (f"{res['module']} digits RTL x{res['images']}: {100 * res['rtl_accuracy']:.2f} %, "
            "RTL == golden")


def _describe_per_image(res: dict) -> str:
    est = res["ocu_estimate"]
    return f"{est['ternary_fj'] / 1e3:.0f} pJ ternary, {est['binary_fj'] / 1e3:.0f} pJ binary"


def _digits_jobs(seed: int, liberty: str | None, ocu_windows: int) -> list[Job]:
    """The two digits studies: the RTL run, then the per-image estimate."""
    return [Job("digits RTL", _digits_rtl_job, (rtl_simulator(), seed), cost=DIGITS_RTL_COST,
                describe=_describe_rtl),
            Job("digits per image", _digits_energy_job, (seed, liberty, ocu_windows),
                cost=DIGITS_ENERGY_COST, describe=_describe_per_image)]


def _nj(fj: float) -> str:
    return f"{fj / 1e6:.2f}"


def _engine_blocks(engine: dict | None, figure: bool = False) -> list[tuple]:
    """The engine's blocks; ``figure``: with the energy-versus-density figure (when the OCU
    section, which shows it, is not in the report)."""
    if not engine:
        return []
    blocks = _sweep_blocks(engine["sweep"]) if engine["sweep"] else []
    if figure and engine["sweep"]:
        blocks.insert(2, _figure_block(None, engine))
    rtl = engine.get("digits_rtl")
    if rtl:
        blocks += [
            ("h2", "The digits network through the engine's RTL"),
            ("p", f"The trained ternary CNN (gen/ternary/digits.py, seed {engine['seed']}) on "
                  f"all {rtl['images']} test images, layer by layer through the RTL of "
                  f"{rtl['module']} ({rtl['sim']}, cocotb; each layer fed the engine's own "
                  f"output of the layer before): every output pixel of every layer equals the "
                  f"golden model ({rtl['cycles']} cycles). Reproduce: {rtl['repro']}."),
            ("table", ["network", "test accuracy %"], [
                ["float CNN (real-valued weights and activations)",
                 f"{100 * rtl['float_accuracy']:.2f}"],
                ["ternary network, golden model", f"{100 * rtl['ternary_accuracy']:.2f}"],
                ["ternary network, engine RTL", f"{100 * rtl['rtl_accuracy']:.2f}"]]),
        ]
    if engine.get("digits"):
        blocks += _digits_energy_blocks(engine["digits"])
    return blocks


def _sweep_trend(sweep: list[dict]) -> str:
    lo = min(sweep, key=lambda r: r["density"])
    hi = max(sweep, key=lambda r: r["density"])
    ocus = "OCUs"
    trend = (f"From {100 * lo['density']:.0f} % to {100 * hi['density']:.0f} % zeros the "
             f"engine's energy falls from {lo['energy_per_mac_fj']:.1f} to "
             f"{hi['energy_per_mac_fj']:.1f} fJ/MAC "
             f"({_saving(hi['energy_per_mac_fj'], lo['energy_per_mac_fj']):.0f} % less)")
    if ocus in lo["parts"]:
        trend += (f"; the OCUs' share from {lo['parts'][ocus]:.1f} to {hi['parts'][ocus]:.1f} "
                  f"fJ/MAC ({_saving(hi['parts'][ocus], lo['parts'][ocus]):.0f} % less)")
    return trend + "."


def _sweep_blocks(sweep: list[dict]) -> list[tuple]:
    first = sweep[0]
    a = first["area"]
    parts = list(first["parts"])
    header = ["zero density % (measured act. / weights)", "fJ/MAC", "pJ/output pixel",
              *[f"{p} fJ/MAC" for p in parts], "fetch pJ/layer", "cycles"]
    rows = []
    for r in sweep:
        z = r["measured_zero_fraction"]
        rows.append([f"{100 * r['density']:.0f} ({100 * z['activations']:.1f} / "
                     f"{100 * z['weights']:.1f})", f"{r['energy_per_mac_fj']:.2f}",
                     f"{r['energy_per_pixel_fj'] / 1e3:.1f}",
                     *[f"{r['parts'][p]:.2f}" for p in parts],
                     f"{r['fetch_fj'] / 1e3:.0f}", str(r["cycles"])])
    p = first["params"]
    return [
        ("h2", "Ternary engine: energy per MAC versus zero density"),
        ("ul", [
            f"Design point {first['module']}: n_i = {p['n_i']}, n_o = {p['n_o']} OCUs, "
            f"k = {p['k']}, lines of up to {p['image_width']} pixels, OCU latency "
            f"{p['latency']}, weight memory of {a['weight_memory_words']} words "
            f"({p['weight_layers']} layers) = {a['weight_memory_bits']} bits. The flow has no "
            "SRAM macro: Yosys maps the weight memory to enable flip-flops and a read "
            "multiplexer, which is what the area and energy below include.",
            f"Workload: {first['workload_text']}. Every output pixel (trits and sums) of the "
            f"gate-level netlist is checked against the golden model ({first['checked_pixels']} "
            "per point).",
            "Energy: gate-level simulation of the whole engine (cocotb testbench of "
            f"verif/ternary/engine.py, {first['sim']}); toggles counted from the cycle the "
            "first pixel is taken (after the weight fetch, which is listed apart, once per "
            "layer) to the edge that takes the last output pixel. MACs = windows x k*k x "
            "ch_in x ch_out (all computed, including the zero padding of SAME borders); "
            f"1 MAC = {first['ops_per_mac']} operations (fJ/op = fJ/MAC / 2). Parts: energy "
            "of the cells of the OCUs, the line buffer (with its unpackers), the engine's own "
            "logic (weight memory, fetch, control), the output packer and weight unpacker, and "
            "the charging of the engine's input pins.",
        ]),
        ("table", header, rows),
        ("ul", [_sweep_trend(sweep),
                "The OCU-only figures (section above) exclude the line buffer, the weight "
                "memory and the control; the engine's per-MAC energy is the system figure."]),
        ("p", "Engine area by part (synthesis statistics; the OCUs are all n_o instances):"),
        ("table", ["part", "area um^2", "share %"],
         [[part, f"{um2:.0f}", f"{100 * um2 / a['total_um2']:.1f}"]
          for part, um2 in a["parts"].items()]
         + [["total", f"{a['total_um2']:.0f} ({a['total_ge']:.0f} GE)", "100.0"]]),
    ]


def _digits_layer_rows(digits: dict) -> list[list[str]]:
    rows = []
    for rec, o in zip(digits["layers"], digits["ocu_estimate"]["layers"], strict=True):
        z = rec["zero_fraction"]
        h, w, c = rec["in_shape"]
        rows.append([
            str(rec["index"]),
            f"{h}x{w}x{c} -> {rec['out_channels']}, {rec['padding']}"
            + (f", {rec['pooling']} pool" if rec["pooling"] else "")
            + (", raw" if rec["raw"] else ""),
            str(rec["windows_per_image"]), str(rec["network_macs_per_image"]),
            f"{100 * z['weights']:.1f} / {100 * z['activations']:.1f}",
            f"{100 * z['engine_weights']:.1f} / {100 * z['engine_activations']:.1f}",
            str(o["ocu_windows_per_image"]), f"{100 * o['density']:.0f}",
            f"{o['ternary_per_window_fj'] / 1e3:.2f}", f"{o['binary_per_window_fj'] / 1e3:.2f}",
            _nj(o["ternary_fj"]), _nj(o["binary_fj"])])
    return rows


def _digits_summary(digits: dict) -> list[list[str]]:
    eng = digits.get("engine")
    summary = []
    estimates = [digits["ocu_estimate"]] + ([digits["ocu_estimate_latch"]]
                                            if digits.get("ocu_estimate_latch") else [])
    for e in estimates:
        kind = "flip-flop" if e["weight_storage"] == "ff" else "latch (clock-gated)"
        summary += [
            [f"ternary OCUs, {kind} weights ({e['ternary_module']})", _nj(e["ternary_fj"]),
             f"{e['ternary_per_mac_fj']:.1f}", f"{100 * digits['accuracy_golden']:.2f}",
             f"{e['saving_pct']:+.1f}"],
            [f"binary OCUs, {kind} weights ({e['binary_module']})", _nj(e["binary_fj"]),
             f"{e['binary_per_mac_fj']:.1f}", "-", "0"],
        ]
    if eng:
        summary.append([f"ternary engine {eng['module']}, measured on {eng['images']} images "
                        "(OCUs, line buffer, weight memory, fetch, control)",
                        _nj(eng["per_image_fj"]), f"{eng['energy_per_network_mac_fj']:.1f}",
                        "-", "-"])
    return summary


def _digits_energy_blocks(digits: dict) -> list[tuple]:
    est = digits["ocu_estimate"]
    macs = digits["network_macs_per_image"]
    return [
        ("h2", "Energy per classified image: the digits network, ternary versus binary"),
        ("ul", [
            f"The trained digits network (gen/ternary/digits.py, seed {digits['seed']}; "
            f"{macs} MACs per image in its own channels), its zero fractions taken from the "
            f"golden model over all {digits['test_images']} test images.",
            "Per image = energy per window of one output-channel unit, measured at gate level "
            f"(gen/ternary/ocu.py, n_i = 16, k = 3, weights in flip-flops, {est['windows']} "
            "windows), times the OCU windows the network needs (windows x output channels per "
            "layer). Ternary: measured at each layer's zero density (mean of the engine words' "
            "weight and activation zero fractions, rounded to 5 %); binary (XNOR-popcount): on "
            "uniform random bits, as a binary network of the same shape would run. Neither "
            "includes the line buffer, weight memory or control, which the engine sweep above "
            "shows to be a large share; there is no binary engine to measure them on.",
            "The 16-channel engine itself is not measured per image at gate level in the "
            "report: its 47,000-cell netlist simulates at about 2 cycles per second under "
            "Icarus (about 1,100 cycles per image with the weight load), and Verilator's "
            "build of it with cocotb's access to every net takes hours on 2 cores "
            "(gen.ternary.engine.network_energy does it for smaller engines or more "
            "patience).",
            "Zero fractions: of the layer's own weights / input activations, and of the words "
            "the engine processes (16 channels, the unused ones 0).",
        ]),
        ("p", "Per layer, flip-flop weight buffers:"),
        ("table", ["layer", "shape", "windows/image", "MACs/image",
                   "zeros % weights / act.", "engine-word zeros % w / a", "OCU windows/image",
                   "OCU density %", "ternary pJ/window", "binary pJ/window",
                   "ternary nJ/image", "binary nJ/image"], _digits_layer_rows(digits)),
        ("table", ["per classified image", "nJ", "fJ per network MAC", "accuracy %",
                   "saving vs binary %"], _digits_summary(digits)),
        ("p", "Saving = 100 * (1 - ternary / binary) with the same weight storage. A binary "
              "network of this shape would also need its own training; its accuracy is not "
              "measured here."),
    ]


class EngineSection(ReportSection):
    """The ternary engine: report.json key ``engine`` (options in the module docstring)."""

    name = "engine"
    options = ("frames", "digits", "ocu_windows")
    designs = (ENGINE_DESIGN,)

    @staticmethod
    def _options(ctx: ReportContext) -> dict:
        return {"frames": _check_count("Engine frames", ctx.arg("frames"), 1, MAX_FRAMES),
                "digits": bool(ctx.arg("digits", True)),
                "ocu_windows": _check_count("OCU windows", ctx.arg("ocu_windows", OCU_WINDOWS),
                                            16, MAX_WINDOWS)}

    def check(self, ctx: ReportContext) -> None:
        self._options(ctx)

    def adapt(self, ctx: ReportContext, point):
        """The ``frames`` option, when given, replaces every engine point's."""
        frames = self._options(ctx)["frames"]
        return point if frames is None else _with_workload(point, frames=frames)

    def jobs(self, ctx: ReportContext) -> list[Job]:
        """The digits network through the engine's RTL and per image (option ``digits``)."""
        o = self._options(ctx)
        return _digits_jobs(ctx.seed, ctx.liberty, o["ocu_windows"]) if o["digits"] else []

    def collect(self, ctx: ReportContext, points: list, results: list) -> dict:
        """``engine``: the sweep's records (the spec's engine points, in spec order; ``point``
        and ``module`` of the first) and the digits studies' results; None when there is
        neither."""
        sweep = _energy_records(points)
        if not sweep and not results:
            return {"engine": None}
        digits_rtl, digits = results if results else (None, None)
        return {"engine": {
            "point": sweep[0]["params"] if sweep else None,
            "module": sweep[0]["module"] if sweep else None,
            "frames": _one_or_all(_distinct(p.workload_dict.get("frames", DEFAULT_FRAMES)
                                            for p, _ in points)) if points else None,
            "densities": _distinct(r["density"] for r in sweep), "seed": ctx.seed,
            "sweep": sweep, "digits": digits, "digits_rtl": digits_rtl}}

    def blocks(self, report: dict, ctx: ReportContext) -> list[tuple]:
        return _engine_blocks(report.get("engine"), "ocu" not in report)
