"""``make report``: area, energy and error of the multiplier family in build/report/.

For every design point (by default :data:`gen.flow.design.DEFAULT_SET`, the 8- and 16-bit exact,
DRUM and ROUP multipliers) the report gathers

* the Verilog (``verilog/``, with sidecars) and the error metrics of the golden model
  (exhaustive up to 16 bits unless ``samples`` is given; cached in ``build/cache/errors``);
* area (um^2 and gate equivalents) and energy per operation from synthesis and gate-level
  simulation (:func:`gen.energy.energy`, cached by content in ``build/cache``), optionally with
  a second liberty file to measure how far the compact embedded library is from the full one;
* savings against the exact array multiplier of the same width and signedness (and against the
  Booth one when it is in the set), a Pareto plot of energy versus MRED, and the DRUM paper's
  reported power savings beside ours.
* a ternary section: energy per MAC and per operation of the ternary output-channel unit at
  zero densities of 0, 50 and 90 % beside the binary (XNOR-popcount) unit, with areas
  (:func:`gen.ocu_energy.ocu_energy`, :data:`OCU_POINTS`); the whole ternary engine's energy
  per MAC at the same densities and its area by part (:func:`gen.engine_energy.engine_energy`,
  :data:`ENGINE_POINT`); the digits network's whole test split through the engine's RTL
  (float, golden and RTL accuracy) and its energy per classified image, ternary versus binary
  output-channel units (:func:`gen.engine_energy.digits_energy`).

It writes ``index.html`` and ``index.md`` (the same content), ``report.json`` (every number),
``errors.json`` (the error records, as before), ``pareto.png`` and ``verilog/``. The energy runs
of different design points go to worker processes; one point is never run twice at once (the
synthesis of a point writes to ``build/synth/<module>/`` whatever the library).
"""

from __future__ import annotations

import html
import io
import json
import math
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    as_completed,
    wait,
)
from dataclasses import dataclass, field
from pathlib import Path

from gen.eda import files
from gen.flow.design import Instance
from gen.flow.family import default_set, instantiate
from gen.flow.ip import emit

__all__ = ["build_report", "error_record", "pareto_front", "ReportError", "DRUM_PAPER",
           "LIMITS", "DEVIATION_LIMIT_PCT"]

CACHE = Path("build") / "cache" / "errors"
COLUMNS = (
    ("module", "design point", "{}"),
    ("mode", "operands", "{}"),
    ("ep_pct", "EP %", "{:.2f}"),
    ("mred_pct", "MRED %", "{:.3f}"),
    ("mean_re_pct", "mean RE %", "{:+.3f}"),
    ("sd_re_pct", "sd(RE) %", "{:.3f}"),
    ("min_re_pct", "RE min %", "{:.2f}"),
    ("max_re_pct", "RE max %", "{:.2f}"),
    ("nmed", "NMED", "{:.3e}"),
    ("wce", "WCE", "{:.4g}"),
    ("wcre_pct", "WCRE %", "{:.2f}"),
    ("mae_pct", "MAE % (Evo)", "{:.4f}"),
    ("wce_pct", "WCE % (Evo)", "{:.4f}"),
)

#: What the DRUM paper reports (abstract of Hashemi, Bahar, Reda, ICCAD 2015).
DRUM_PAPER = {
    "citation": "S. Hashemi, R. I. Bahar, S. Reda, \"DRUM: A Dynamic Range Unbiased Multiplier "
                "for Approximate Applications\", ICCAD 2015",
    "width": 16,
    "k": [8, 7, 6, 5, 4],
    "power_saving_pct": [54.0, 80.0],
    "text": "54-80 % power savings",
}

#: Limits of every energy number in the report.
LIMITS = (
    "zero-delay gate-level simulation: no glitch power (real circuits, above all the deep "
    "array multipliers, toggle more)",
    "no parasitic extraction: net capacitance is the pins plus the library's default wire-load "
    "model",
    "slews propagated from the library's transition tables at the total load, ideal clock "
    "(OpenSTA's way without parasitics; no effective-capacitance delay calculation)",
    "the energy includes charging the block's own input pins (OpenSTA's report_power leaves "
    "that to the driving cell outside the block)",
    "leakage is counted over the harness clock period (one operation per {period:g} ns clock)",
    "one typical corner (the library's nominal voltage and temperature) and one workload",
)

#: Compact-versus-full deviations beyond this (in %) are called out in the report.
DEVIATION_LIMIT_PCT = 15.0

#: Output-channel units of the ternary section (design, params): each ternary unit is measured
#: at every zero density of :data:`OCU_DENSITIES`, each binary unit once on uniform random bits.
OCU_POINTS = (
    ("ternary_ocu", {"n_i": 32, "k": 3, "latency": 1}),
    ("binary_ocu", {"n_i": 32, "k": 3, "latency": 1}),
    ("ternary_ocu", {"n_i": 32, "k": 3, "latency": 1, "weight_storage": "latch"}),
    ("binary_ocu", {"n_i": 32, "k": 3, "latency": 1, "weight_storage": "latch"}),
)
OCU_DENSITIES = (0.0, 0.5, 0.9)
OCU_WINDOWS = 200
#: The engine of the sparsity sweep (gate level: an 8-channel engine simulates at about 50
#: cycles per second under Icarus, the 16-channel digits engine at about 2) and frames per
#: measurement.
ENGINE_POINT = {"n_i": 8, "n_o": 8, "k": 3, "image_width": 8, "latency": 1}
ENGINE_FRAMES = 2


class ReportError(RuntimeError):
    """A design point failed (synthesis, gate-level simulation or energy); names the point."""


def _progress(enabled: bool, text: str) -> None:
    if enabled:
        print(text, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Error metrics


def error_record(inst: Instance, samples: int | None = None) -> dict:
    """Error metrics of ``inst``'s golden model.

    Parameters
    ----------
    inst
        The design point.
    samples
        Random operand pairs for widths above 8 (default: exhaustive up to 16 bits, 1,000,000
        pairs beyond).

    Returns
    -------
    dict
        :meth:`sim_models.approx.ErrorMetrics.to_dict`; cached in ``build/cache/errors`` by
        golden model and evaluation mode.
    """
    from dataclasses import fields

    from sim_models.approx import ErrorMetrics, characterise

    width = inst.params["width"]
    exhaustive = width <= 8 or (samples is None and width <= 16)
    key = "-".join(f"{k}={inst.params[k]}" for k in sorted(inst.params)
                   if inst.design.param(k).model)
    mode = "exhaustive" if exhaustive else f"samples={samples or 1_000_000}"
    path = CACHE / f"{inst.design.name}-{key}-{mode}.json"
    record = files.read_cache_json(path)  # None: absent, or damaged and removed
    if record is not None and set(record) == {f.name for f in fields(ErrorMetrics)}:
        return record
    m = characterise(inst.model, exhaustive=True if exhaustive else None,
                     samples=None if exhaustive else (samples or 1_000_000), seed=1)
    record = m.to_dict()
    path.parent.mkdir(parents=True, exist_ok=True)
    files.atomic_write(path, json.dumps(record, indent=1))
    return record


def _mode_text(r: dict) -> str:
    s = f"{r['width']}-bit {'signed' if r['signed'] else 'unsigned'}"
    if r.get("sign_mode"):
        s += f" ({r['sign_mode']})"
    return s + (", exhaustive" if r["exhaustive"] else f", {r['samples']} samples seed {r['seed']}")


# --------------------------------------------------------------------------------------------
# Pareto front


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the non-dominated points when both coordinates are to be minimised.

    Parameters
    ----------
    points
        ``(x, y)`` pairs, e.g. (MRED %, energy per operation).

    Returns
    -------
    list of int
        Indices of the points that no other point dominates, sorted by ascending ``x`` (then
        ``y``). A point dominates another when it is no worse in both coordinates and better in
        at least one; equal points do not dominate each other, so both are kept.
    """
    def dominates(q: tuple[float, float], p: tuple[float, float]) -> bool:
        return q[0] <= p[0] and q[1] <= p[1] and (q[0] < p[0] or q[1] < p[1])

    front = [i for i, p in enumerate(points)
             if not any(dominates(q, p) for j, q in enumerate(points) if j != i)]
    return sorted(front, key=lambda i: (points[i][0], points[i][1], i))


# --------------------------------------------------------------------------------------------
# Energy jobs (run in worker processes)


def _worker_init(cwd: str) -> None:
    # the caches and build directories are relative to the caller's working directory
    os.chdir(cwd)


def _energy_job(name: str, params: dict, liberty: str | None, workload: str, ops: int,
                seed: int) -> dict:
    """Area and energy of one design point with one library (runs in a worker process)."""
    from gen.eda import synth

    from . import energy as en

    t0 = time.perf_counter()
    inst = instantiate(name, params)
    r = en.energy(inst, liberty=liberty, workload=workload, ops=ops, seed=seed)
    s = synth.synthesize(inst, liberty=liberty)  # cached: the cell counts and the GE reference
    if not (r.energy_per_op_fj > 0 and math.isfinite(r.energy_per_op_fj)):
        raise en.EnergyError(f"energy of {inst.module} came out as {r.energy_per_op_fj} fJ")
    if not s.area_um2 > 0:
        raise synth.SynthesisError(f"area of {inst.module} came out as {s.area_um2} um^2")
    return {
        "liberty": s.liberty,  # the label of this run (a cached energy keeps its first label)
        "liberty_path": str(synth.resolve_liberty(liberty)),
        "area_um2": s.area_um2, "area_ge": s.area_ge, "nand2_cell": s.nand2_cell,
        "nand2_area_um2": s.nand2_area_um2, "cells": s.num_cells, "cell_counts": s.cells,
        "sequential_area_um2": s.sequential_area_um2, "transistors": s.transistors,
        "logic_depth": s.logic_depth, "critical_path_ns": s.critical_path_ns,
        "energy_per_op_fj": r.energy_per_op_fj, "switching_fj": r.switching_fj,
        "internal_fj": r.internal_fj, "leakage_fj": r.leakage_fj,
        "input_switching_fj": r.input_switching_fj, "groups": r.groups,
        "toggles_per_op": r.toggles_per_op, "unannotated_nets": r.unannotated_nets,
        "ops": r.ops, "seed": r.seed, "workload": r.workload, "workload_text": r.workload_text,
        "sim": r.sim, "voltage_v": r.voltage_v, "period_ns": r.period_ns,
        "slew_ns": r.slew_ns, "wire_load": r.wire_load, "cached": r.cached,
        "seconds": round(time.perf_counter() - t0, 3),
    }


@dataclass
class _Job:
    index: int  # design point
    lib: int  # 0: the report's library, 1: the comparison library
    cost: float  # rough relative run time, for the ETA


@dataclass
class _Steps:
    """Step counter and ETA of the progress display."""

    total: int
    enabled: bool
    done: int = 0
    t0: float = field(default_factory=time.perf_counter)

    def line(self, module: str, what: str, seconds: float, eta: float | None,
             guess: bool = False) -> None:
        self.done += 1
        eta_text = "" if eta is None else f"  ETA {_duration(eta)}"
        if guess and eta is not None:
            eta_text = f"  ETA ~{_duration(eta)} if uncached"
        _progress(self.enabled, f"[{self.done:{len(str(self.total))}d}/{self.total}] "
                                f"{module:<22} {what}  {seconds:5.1f} s{eta_text}")


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _job_cost(inst: Instance, lib: int) -> float:
    # measured on the 2-core machine: a 16-bit point costs about 2-3 times an 8-bit one, and
    # the full library (a 2 MB parse and a larger mapping problem) about 1.5 times the compact
    w = inst.params["width"]
    return (w / 8) ** 1.4 * (1.5 if lib else 1.0)


def _prior_seconds(cost: float, ops: int) -> float:
    """Guess of an uncached job's run time, used for the ETA before any job has finished."""
    return cost * (3.0 + 5.0 * ops / 4000)


def _run_energy(insts: Sequence[Instance], libs: Sequence[str | None], *, workload: str,
                ops: int, seed: int, workers: int, steps: _Steps,
                lib_names: Sequence[str]) -> list[list[dict]]:
    """Energy of every point with every library; ``out[lib][point]``.

    Jobs run longest first on ``workers`` processes; two jobs of the same point never run at
    the same time.
    """
    jobs = [_Job(i, li, _job_cost(inst, li)) for li in range(len(libs))
            for i, inst in enumerate(insts)]
    jobs.sort(key=lambda j: (-j.cost, j.lib, j.index))
    out: list[list[dict | None]] = [[None] * len(insts) for _ in libs]
    remaining_cost = sum(j.cost for j in jobs)
    done_cost = done_seconds = 0.0
    pending = list(jobs)
    running: dict[Future, tuple[_Job, float]] = {}

    def submit_ready(pool) -> None:
        busy = {j.index for j, _ in running.values()}
        while pending and len(running) < workers:
            job = next((j for j in pending if j.index not in busy), None)
            if job is None:
                return
            pending.remove(job)
            busy.add(job.index)
            inst = insts[job.index]
            fut = pool.submit(_energy_job, inst.design.name, dict(inst.params), libs[job.lib],
                              workload, ops, seed)
            running[fut] = (job, time.perf_counter())

    def fail(job: _Job, exc: BaseException) -> ReportError:
        return ReportError(f"design point {insts[job.index].module} (liberty "
                           f"{lib_names[job.lib]}) failed: {type(exc).__name__}: {exc}")

    if workers <= 1:
        for job in pending:
            inst = insts[job.index]
            t0 = time.perf_counter()
            try:
                res = _energy_job(inst.design.name, dict(inst.params), libs[job.lib], workload,
                                  ops, seed)
            except Exception as e:  # any failure aborts the report, named
                raise fail(job, e) from e
            out[job.lib][job.index] = res
            seconds = time.perf_counter() - t0
            done_cost += job.cost
            done_seconds += seconds
            remaining_cost -= job.cost
            _energy_line(steps, inst, res, lib_names[job.lib], seconds,
                         remaining_cost * done_seconds / done_cost)
        return out  # type: ignore[return-value]

    with ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(),
                             initializer=_worker_init, initargs=(os.getcwd(),)) as pool:
        try:
            submit_ready(pool)
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    job, t0 = running.pop(fut)
                    try:
                        res = fut.result()
                    except Exception as e:  # any failure aborts, named
                        pending.clear()
                        for other in running:
                            other.cancel()
                        raise fail(job, e) from e
                    out[job.lib][job.index] = res
                    seconds = time.perf_counter() - t0
                    done_cost += job.cost
                    done_seconds += seconds
                    remaining_cost -= job.cost
                    # run time per cost unit of the finished jobs, spread over the workers
                    eta = remaining_cost * done_seconds / done_cost / workers
                    _energy_line(steps, insts[job.index], res, lib_names[job.lib], seconds,
                                 eta)
                submit_ready(pool)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return out  # type: ignore[return-value]


def _mp_context():
    import multiprocessing

    # spawn: workers start clean (no forked threads or locks of the caller, e.g. a test runner)
    return multiprocessing.get_context("spawn")


def _energy_line(steps: _Steps, inst: Instance, res: dict, lib_name: str, seconds: float,
                 eta: float) -> None:
    how = "cached" if res["cached"] else "run   "
    steps.line(inst.module, f"energy [{lib_name}] {res['energy_per_op_fj']:9.1f} fJ/op "
                            f"{res['area_um2']:9.1f} um^2 {how}", seconds, eta)


# --------------------------------------------------------------------------------------------
# Output-channel units (the ternary section)


def _ocu_job(name: str, params: dict, liberty: str | None, densities: Sequence[float],
             windows: int, seed: int) -> list[dict]:
    """Energy of one OCU at every density (binary: once, on bits); runs in a worker process.

    One job per design point, so that the densities of a point never synthesise it twice at
    once.
    """
    from . import ocu_energy as oe

    inst = instantiate(name, params)
    out = []
    for density in (densities if name == "ternary_ocu" else [None]):
        r = oe.ocu_energy(inst, density=density, liberty=liberty, windows=windows, seed=seed)
        if not (r.energy_per_mac_fj > 0 and math.isfinite(r.energy_per_mac_fj)):
            raise oe.EnergyError(f"energy of {inst.module} came out as {r.energy_per_mac_fj} "
                                 "fJ/MAC")
        out.append(r.to_dict())
    return out


def _run_ocu_energy(insts: Sequence[Instance], liberty: str | None, *,
                    densities: Sequence[float], windows: int, seed: int, workers: int,
                    steps: _Steps) -> list[list[dict]]:
    """:func:`_ocu_job` of every point on ``workers`` processes; ``out[point]``."""
    out: list[list[dict] | None] = [None] * len(insts)
    t0 = time.perf_counter()

    def line(i: int, res: list[dict], seconds: float) -> None:
        mac = " ".join(f"{r['energy_per_mac_fj']:.1f}" for r in res)
        how = "cached" if all(r["cached"] for r in res) else "run   "
        left = sum(x is None for x in out)
        eta = (time.perf_counter() - t0) / (len(insts) - left) * left / max(1, workers)
        steps.line(insts[i].module, f"energy {mac} fJ/MAC {how}", seconds, eta)

    def fail(i: int, exc: BaseException) -> ReportError:
        return ReportError(f"design point {insts[i].module} failed: {type(exc).__name__}: "
                           f"{exc}")

    if workers <= 1:
        for i, inst in enumerate(insts):
            t1 = time.perf_counter()
            try:
                out[i] = _ocu_job(inst.design.name, dict(inst.params), liberty, densities,
                                  windows, seed)
            except Exception as e:  # any failure aborts the report, named
                raise fail(i, e) from e
            line(i, out[i], time.perf_counter() - t1)
        return out  # type: ignore[return-value]
    with ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(),
                             initializer=_worker_init, initargs=(os.getcwd(),)) as pool:
        started = {pool.submit(_ocu_job, inst.design.name, dict(inst.params), liberty,
                               list(densities), windows, seed): (i, time.perf_counter())
                   for i, inst in enumerate(insts)}
        try:
            for fut in as_completed(started):
                i, t1 = started[fut]
                try:
                    out[i] = fut.result()
                except Exception as e:  # any failure aborts, named
                    for other in started:
                        other.cancel()
                    raise fail(i, e) from e
                line(i, out[i], time.perf_counter() - t1)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return out  # type: ignore[return-value]


def _ocu_label(inst: Instance) -> str:
    return f"{inst.design.name} weights in {inst.params['weight_storage']}"


def _ocu_records(results: Sequence[list[dict]]) -> list[dict]:
    """One record per measurement, with the datapath/register split and the binary baseline."""
    records = []
    for res in results:
        for r in res:
            macs = r["macs_per_window"]
            rec = {k: r[k] for k in (
                "module", "design", "params", "density", "measured_zero_fraction", "windows",
                "macs_per_window", "ops_per_mac", "energy_per_window_fj", "energy_per_mac_fj",
                "energy_per_op_fj", "leakage_fj", "input_switching_fj", "toggles_per_window",
                "workload_text", "seed", "sim", "area_um2", "area_ge", "cells",
                "checked_results", "cached")}
            rec["datapath_per_mac_fj"] = round(r["groups"]["combinational"]["total_fj"] / macs,
                                               6)
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


def _ocu_blocks(ocu: dict) -> list[tuple]:
    recs = ocu["records"]
    if not recs:
        return []
    first = recs[0]
    header = ["design point", "operands", "zero density % (measured)", "area um^2", "GE",
              "fJ/window", "fJ/MAC", "fJ/op", "datapath fJ/MAC", "registers fJ/MAC",
              "input nets fJ/MAC", "fJ/MAC saving vs binary %", "datapath saving vs binary %"]
    rows = []
    for r in recs:
        if r["density"] is None:
            operands, dens = "bits (+1/-1)", "- (no zeros)"
        else:
            operands = "trits"
            dens = (f"{100 * r['density']:.0f} ({100 * r['measured_zero_fraction']['windows']:.1f}"
                    ")")
        rows.append([r["module"], operands, dens, f"{r['area_um2']:.0f}", f"{r['area_ge']:.0f}",
                     f"{r['energy_per_window_fj']:.0f}", f"{r['energy_per_mac_fj']:.1f}",
                     f"{r['energy_per_op_fj']:.1f}", f"{r['datapath_per_mac_fj']:.1f}",
                     f"{r['registers_per_mac_fj']:.1f}", f"{r['input_nets_per_mac_fj']:.1f}",
                     _f(r["energy_vs_binary_pct"], "{:+.1f}"),
                     _f(r["datapath_vs_binary_pct"], "{:+.1f}")])
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
        ("table", header, rows),
        ("ul", lines),
    ]


# --------------------------------------------------------------------------------------------
# The ternary engine (the ternary section): sparsity sweep and energy per classified image


def _run_engine_energy(point: Mapping | None, liberty: str | None, *,
                       densities: Sequence[float], frames: int, digits: bool, seed: int,
                       ocu_windows: int, steps: _Steps) -> dict | None:
    """The engine's sparsity sweep at gate level, the digits network through the RTL (whole
    test split) and per classified image (OCU-based); in this process, cached by content."""
    if point is None and not digits:
        return None
    from . import engine_energy as ee

    rtl = per_image = None
    if digits:
        from .digits_rtl import run_digits_rtl

        sim = rtl_simulator()
        t1 = time.perf_counter()
        try:
            r = run_digits_rtl(None, sim=sim, seed=seed)
        except Exception as e:  # any failure aborts the report, named
            raise ReportError(f"digits through the RTL failed: {type(e).__name__}: {e}") from e
        if not r.matches_golden:
            raise ReportError(f"digits through the RTL of {r.module} ({sim}): the RTL differs "
                              f"from the golden model: {r.mismatch}")
        rtl = {k: v for k, v in r.__dict__.items() if k != "predictions"}
        steps.line(r.module, f"digits RTL x{r.images}: {100 * r.rtl_accuracy:.2f} %, "
                             "RTL == golden", time.perf_counter() - t1, None)
        t1 = time.perf_counter()
        try:
            per_image = ee.digits_energy(seed=seed, liberty=liberty, windows=ocu_windows)
        except Exception as e:
            raise ReportError(f"digits network per image failed: {type(e).__name__}: "
                              f"{e}") from e
        est = per_image["ocu_estimate"]
        steps.line("digits per image", f"{est['ternary_fj'] / 1e3:.0f} pJ ternary, "
                                       f"{est['binary_fj'] / 1e3:.0f} pJ binary",
                   time.perf_counter() - t1, None)
    sweep = []
    inst = None if point is None else instantiate(ee.ENGINE_DESIGN, point)
    for density in densities if inst is not None else ():
        t1 = time.perf_counter()
        try:
            r = ee.engine_energy(inst, density=density, frames=frames, seed=seed,
                                 liberty=liberty)
        except Exception as e:  # any failure aborts the report, named
            raise ReportError(f"design point {inst.module} (zero density {density:g}) failed: "
                              f"{type(e).__name__}: {e}") from e
        if not (r.energy_per_mac_fj > 0 and math.isfinite(r.energy_per_mac_fj)):
            raise ReportError(f"energy of {inst.module} came out as {r.energy_per_mac_fj} "
                              "fJ/MAC")
        sweep.append(r.to_dict())
        steps.line(inst.module, f"engine d={density:g}: {r.energy_per_mac_fj:.1f} fJ/MAC "
                                f"{'cached' if r.cached else 'run   '}",
                   time.perf_counter() - t1, None)
    return {"point": None if inst is None else dict(inst.params),
            "module": None if inst is None else inst.module, "frames": frames,
            "densities": list(densities), "seed": seed, "sweep": sweep,
            "digits": per_image, "digits_rtl": rtl}


def rtl_simulator() -> str:
    """Simulator of the digits network's RTL run in the report: ``$SIM`` when set, else
    Verilator. The rest of the flow defaults to Icarus, but Icarus simulates the 16-channel
    engine's RTL at about 10 cycles per second and the whole test split is 124,000 cycles
    (Verilator: under a minute)."""
    from verif import sim as sim_mod

    return sim_mod.prepare(os.environ.get("SIM") or "verilator")


def _nj(fj: float) -> str:
    return f"{fj / 1e6:.2f}"


def _engine_blocks(engine: dict | None) -> list[tuple]:
    if not engine:
        return []
    blocks = _sweep_blocks(engine["sweep"]) if engine["sweep"] else []
    rtl = engine.get("digits_rtl")
    if rtl:
        blocks += [
            ("h2", "The digits network through the engine's RTL"),
            ("p", f"The trained ternary CNN (gen/digits.py, seed {engine['seed']}) on all "
                  f"{rtl['images']} test images, layer by layer through the RTL of "
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


def _sweep_blocks(sweep: list[dict]) -> list[tuple]:
    first = sweep[0]
    a = first["area"]
    parts = list(first["parts"])
    header = ["zero density % (measured act. / weights)", "fJ/MAC", "fJ/op",
              "pJ/output pixel", *[f"{p} fJ/MAC" for p in parts], "fetch pJ/layer",
              "cycles", "output pixels checked"]
    rows = []
    for r in sweep:
        z = r["measured_zero_fraction"]
        rows.append([f"{100 * r['density']:.0f} ({100 * z['activations']:.1f} / "
                     f"{100 * z['weights']:.1f})", f"{r['energy_per_mac_fj']:.2f}",
                     f"{r['energy_per_op_fj']:.2f}", f"{r['energy_per_pixel_fj'] / 1e3:.1f}",
                     *[f"{r['parts'][p]:.2f}" for p in parts],
                     f"{r['fetch_fj'] / 1e3:.0f}", str(r["cycles"]), str(r["checked_pixels"])])
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
    trend += "."
    p = first["params"]
    blocks: list[tuple] = [
        ("h2", "Ternary engine: energy per MAC versus zero density"),
        ("ul", [
            f"Design point {first['module']}: n_i = {p['n_i']}, n_o = {p['n_o']} OCUs, "
            f"k = {p['k']}, lines of up to {p['image_width']} pixels, OCU latency "
            f"{p['latency']}, weight memory of {a['weight_memory_words']} words "
            f"({p['weight_layers']} layers) = {a['weight_memory_bits']} bits. The flow has no "
            "SRAM macro: Yosys maps the weight memory to enable flip-flops and a read "
            "multiplexer, which is what the area and energy below include.",
            f"Workload: {first['workload_text']}. Every output pixel (trits and sums) of the "
            "gate-level netlist is checked against the golden model.",
            "Energy: gate-level simulation of the whole engine (cocotb testbench of "
            f"verif/ternary/engine.py, {first['sim']}); toggles counted from the cycle the "
            "first pixel is taken (after the weight fetch, which is listed apart, once per "
            "layer) to the edge that takes the last output pixel. MACs = windows x k*k x "
            "ch_in x ch_out (all computed, including the zero padding of SAME borders); "
            f"1 MAC = {first['ops_per_mac']} operations. Parts: energy of the cells of the "
            "OCUs, the line buffer (with its unpackers), the engine's own logic (weight "
            "memory, fetch, control), the output packer and weight unpacker, and the "
            "charging of the engine's input pins.",
        ]),
        ("table", header, rows),
        ("ul", [trend,
                "The OCU-only figures (section above) exclude the line buffer, the weight "
                "memory and the control; the engine's per-MAC energy is the system figure."]),
        ("p", "Engine area by part (synthesis statistics; the OCUs are all n_o instances):"),
        ("table", ["part", "area um^2", "share %"],
         [[part, f"{um2:.0f}", f"{100 * um2 / a['total_um2']:.1f}"]
          for part, um2 in a["parts"].items()]
         + [["total", f"{a['total_um2']:.0f} ({a['total_ge']:.0f} GE)", "100.0"]]),
    ]
    return blocks


def _digits_energy_blocks(digits: dict) -> list[tuple]:
    eng = digits.get("engine")
    est = digits["ocu_estimate"]
    rows = []
    for rec, o in zip(digits["layers"], est["layers"], strict=True):
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
    macs = digits["network_macs_per_image"]
    summary = []
    estimates = [est] + ([digits["ocu_estimate_latch"]] if digits.get("ocu_estimate_latch")
                         else [])
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
    return [
        ("h2", "Energy per classified image: the digits network, ternary versus binary"),
        ("ul", [
            f"The trained digits network (gen/digits.py, seed {digits['seed']}; "
            f"{macs} MACs per image in its own channels), its zero fractions taken from the "
            f"golden model over all {digits['test_images']} test images.",
            "Per image = energy per window of one output-channel unit, measured at gate level "
            f"(gen/ocu_energy.py, n_i = 16, k = 3, weights in flip-flops, {est['windows']} "
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
            "(gen.engine_energy.network_energy does it for smaller engines or more patience).",
            "Zero fractions: of the layer's own weights / input activations, and of the words "
            "the engine processes (16 channels, the unused ones 0).",
        ]),
        ("p", "Per layer, flip-flop weight buffers:"),
        ("table", ["layer", "shape", "windows/image", "MACs/image",
                   "zeros % weights / act.", "engine-word zeros % w / a", "OCU windows/image",
                   "OCU density %", "ternary pJ/window", "binary pJ/window",
                   "ternary nJ/image", "binary nJ/image"], rows),
        ("table", ["per classified image", "nJ", "fJ per network MAC", "accuracy %",
                   "saving vs binary %"], summary),
        ("p", "Saving = 100 * (1 - ternary / binary) with the same weight storage. A binary "
              "network of this shape would also need its own training; its accuracy is not "
              "measured here."),
    ]


# --------------------------------------------------------------------------------------------
# Records


def _label(inst: Instance) -> str:
    p = inst.params
    name = inst.design.name
    if name == "exact":
        return f"{p['arch']} {'s' if p['signed'] else 'u'}{p['width']}"
    if name == "drum":
        return f"k={p['k']}" + (" s" if p["signed"] else "")
    if name == "roup":
        return f"p{p['p']}r{p['r']}" + ("" if p["signed"] else " u")
    return inst.module


def _ref_key(inst: Instance, arch: str) -> tuple:
    return ("exact", inst.params["width"], bool(inst.params["signed"]), arch,
            inst.params.get("latency", 0))


def _is_exact(inst: Instance, arch: str) -> bool:
    return inst.design.name == "exact" and inst.params["arch"] == arch


def _saving(value: float, ref: float) -> float:
    return round(100.0 * (1.0 - value / ref), 4)


def _deviation(default: float, full: float) -> float:
    return round(100.0 * (default - full) / full, 4)


_ENERGY_KEYS = ("liberty", "liberty_path", "area_um2", "area_ge", "nand2_cell", "nand2_area_um2",
                "cells", "cell_counts", "sequential_area_um2", "transistors", "logic_depth",
                "critical_path_ns", "energy_per_op_fj", "switching_fj", "internal_fj",
                "leakage_fj", "input_switching_fj", "groups", "toggles_per_op",
                "unannotated_nets")


def _records(insts: Sequence[Instance], errors: Sequence[dict],
             energies: Sequence[Sequence[dict]]) -> list[dict]:
    by_key = {}
    for i, inst in enumerate(insts):
        if inst.design.name == "exact":
            by_key[_ref_key(inst, inst.params["arch"])] = i
    records = []
    for i, inst in enumerate(insts):
        e = energies[0][i]
        rec = {"module": inst.module, "design": inst.design.name, "params": dict(inst.params),
               "label": _label(inst), "width": inst.params["width"],
               "signed": bool(inst.params["signed"]),
               "arch": inst.params.get("arch"), "errors": errors[i],
               **{k: e[k] for k in _ENERGY_KEYS}, "energy_cached": e["cached"],
               "energy_seconds": e["seconds"]}
        for arch, suffix in (("array", ""), ("booth", "_vs_booth")):
            j = by_key.get(_ref_key(inst, arch))
            ref = energies[0][j] if j is not None else None
            rec["reference" if arch == "array" else "booth_reference"] = (
                insts[j].module if j is not None else None)
            rec[f"area_saving{suffix}_pct"] = (
                _saving(e["area_um2"], ref["area_um2"]) if ref else None)
            rec[f"energy_saving{suffix}_pct"] = (
                _saving(e["energy_per_op_fj"], ref["energy_per_op_fj"]) if ref else None)
        if len(energies) > 1:
            c = energies[1][i]
            rec["compare"] = {k: c[k] for k in _ENERGY_KEYS}
            rec["compare"]["energy_cached"] = c["cached"]
            rec["compare"]["area_deviation_pct"] = _deviation(e["area_um2"], c["area_um2"])
            rec["compare"]["energy_deviation_pct"] = _deviation(e["energy_per_op_fj"],
                                                                c["energy_per_op_fj"])
        else:
            rec["compare"] = None
        records.append(rec)
    return records


def _deviation_summary(records: Sequence[dict], default_cells: Iterable[str],
                       limit: float = DEVIATION_LIMIT_PCT) -> dict:
    """Max and mean deviation of the report's library from the comparison library."""
    area = [r["compare"]["area_deviation_pct"] for r in records]
    energy = [r["compare"]["energy_deviation_pct"] for r in records]
    default_cells = set(default_cells)
    beyond = []
    for r in records:
        c = r["compare"]
        over = {q: c[f"{q}_deviation_pct"] for q in ("area", "energy")
                if abs(c[f"{q}_deviation_pct"]) > limit}
        if not over:
            continue
        missing = sorted(set(c["cell_counts"]) - default_cells)
        beyond.append({"module": r["module"], **{f"{q}_deviation_pct": v for q, v in
                                                 over.items()},
                       "cells_default": r["cells"], "cells_compare": c["cells"],
                       "compare_cells_missing_from_default": missing})

    def worst(values: list[float]) -> dict:
        i = max(range(len(values)), key=lambda k: abs(values[k]))
        return {"pct": values[i], "module": records[i]["module"]}

    return {
        "formula": "100 * (default - compare) / compare",
        "limit_pct": limit,
        "area_max_abs": worst(area), "energy_max_abs": worst(energy),
        "area_mean_abs_pct": round(sum(map(abs, area)) / len(area), 4),
        "energy_mean_abs_pct": round(sum(map(abs, energy)) / len(energy), 4),
        "area_mean_pct": round(sum(area) / len(area), 4),
        "energy_mean_pct": round(sum(energy) / len(energy), 4),
        "all_within_limit": not beyond,
        "beyond_limit": beyond,
    }


# --------------------------------------------------------------------------------------------
# Pareto plot


def _symlog_threshold(values: Iterable[float]) -> float:
    nonzero = [v for v in values if v > 0]
    return 10.0 ** math.floor(math.log10(min(nonzero))) if nonzero else 1.0


def _plot(records: Sequence[dict], path: Path, *, liberty: str, ops: int, seed: int,
          workload: str) -> dict:
    """Write the Pareto plot; return the front (modules per width) and the axis threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    widths = sorted({r["width"] for r in records})
    linthresh = _symlog_threshold(r["errors"]["mred_pct"] for r in records)
    from matplotlib.lines import Line2D

    style = {"exact": ("s", "black", "exact (MRED 0)"), "drum": ("o", "tab:blue", "DRUM"),
             "roup": ("^", "tab:orange", "ROUP")}
    fig, axes = plt.subplots(1, len(widths), figsize=(6.4 * len(widths), 5.2), squeeze=False)
    fronts = {}
    for ax, w in zip(axes[0], widths, strict=True):
        pts = [r for r in records if r["width"] == w]
        xy = [(r["errors"]["mred_pct"], r["energy_per_op_fj"]) for r in pts]
        handles = []
        for family, (marker, color, name) in style.items():
            sel = [r for r in pts if r["design"] == family]
            if not sel:
                continue
            ax.scatter([r["errors"]["mred_pct"] for r in sel],
                       [r["energy_per_op_fj"] for r in sel], marker=marker, s=42, zorder=3,
                       facecolors=[color if r["signed"] else "white" for r in sel],
                       edgecolors=color)
            handles.append(Line2D([], [], ls="none", marker=marker, color=color, label=name))
        span = (max(y for _, y in xy) - min(y for _, y in xy)) or 1.0
        placed: list[tuple[float, float, int]] = []
        for r, (x, y) in sorted(zip(pts, xy, strict=True), key=lambda t: t[1]):
            # labels of close points with the same x would overlap: shift them to the right
            near = [py for px, py, _ in placed if px == x and 0 <= y - py < 0.05 * span]
            shift = (max(n for px, py, n in placed if px == x and py in near) + 1) if near else 0
            ax.annotate(r["label"], (x, y), textcoords="offset points",
                        xytext=(4 + 48 * shift, 4), fontsize=7)
            placed.append((x, y, shift))
        front = pareto_front(xy)
        fronts[str(w)] = [pts[i]["module"] for i in front]
        (step,) = ax.step([xy[i][0] for i in front], [xy[i][1] for i in front], where="post",
                          color="tab:green", lw=1.4, zorder=2, label="Pareto front")
        handles.append(step)
        ax.set_xscale("symlog", linthresh=linthresh, linscale=0.6)
        right = max(max(x for x, _ in xy), linthresh) * 2.0
        ticks = [0.0] + [linthresh * 10 ** e for e in range(0, 12)
                         if linthresh * 10 ** e <= right]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.set_xlim(-0.15 * linthresh, right)
        ax.set_xlabel(f"MRED % (symlog axis, linear below {linthresh:g} %; exact points at 0)")
        ax.set_ylabel("energy per operation (fJ)")
        ax.set_title(f"{w}-bit multipliers")
        ax.grid(True, which="major", lw=0.3, alpha=0.6)
        ax.legend(handles=handles, fontsize=7, loc="upper right")
    fig.suptitle(f"Energy per operation versus MRED: {workload} operands, {ops} operations, "
                 f"seed {seed}; liberty {liberty}\nfilled markers: signed operands, hollow: "
                 "unsigned; step line: Pareto front (lower is better on both axes)",
                 fontsize=9)
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=120, metadata={"Software": None})
    plt.close(fig)
    files.atomic_write(path, png.getvalue())
    return {"fronts": fronts, "symlog_linthresh_pct": linthresh}


# --------------------------------------------------------------------------------------------
# Documents: one list of blocks rendered as Markdown and as HTML


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _render_md(blocks: Sequence[tuple]) -> str:
    out: list[str] = []
    for kind, *args in blocks:
        if kind in ("h1", "h2", "h3"):
            out += ["#" * int(kind[1]) + " " + args[0], ""]
        elif kind == "p":
            out += [args[0], ""]
        elif kind == "ul":
            out += [f"- {x}" for x in args[0]] + [""]
        elif kind == "table":
            header, rows = args
            out.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("")
        elif kind == "img":
            src, alt = args
            out += [f"![{alt}]({src})", "", f"Plot file: [{src}]({src})", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _render_html(blocks: Sequence[tuple], title: str) -> str:
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1400px}table{border-collapse:collapse;"
        "margin-bottom:1em}td,th{border:1px solid #999;padding:2px 6px;text-align:right}"
        "td:first-child{text-align:left}img{max-width:100%}</style></head><body>",
    ]
    for kind, *args in blocks:
        if kind in ("h1", "h2", "h3"):
            parts.append(f"<{kind}>{esc(args[0])}</{kind}>")
        elif kind == "p":
            parts.append(f"<p>{esc(args[0])}</p>")
        elif kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in args[0]) + "</ul>")
        elif kind == "table":
            header, rows = args
            parts.append("<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header)
                         + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
                      for row in rows]
            parts.append("</table>")
        elif kind == "img":
            src, alt = args
            parts.append(f'<p><a href="{esc(src)}"><img src="{esc(src)}" alt="{esc(alt)}">'
                         "</a></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _f(value: float | None, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def _drum_paper_section(records: Sequence[dict]) -> tuple[list[tuple], dict]:
    lo, hi = DRUM_PAPER["power_saving_pct"]
    rows = sorted((r for r in records if r["design"] == "drum" and r["width"] == 16
                   and not r["signed"] and r["energy_saving_pct"] is not None),
                  key=lambda r: -r["params"]["k"])
    if not rows:
        text = ("No 16-bit unsigned DRUM point with its exact unsigned array reference in this "
                "run: nothing to compare with the paper's figure "
                f"({DRUM_PAPER['text']}, {DRUM_PAPER['citation']}).")
        return [("h2", "DRUM savings versus the paper"), ("p", text)], {"compared": False}
    ks = [r["params"]["k"] for r in rows]
    es = [r["energy_saving_pct"] for r in rows]
    inside = [k for k, s in zip(ks, es, strict=True) if lo <= s <= hi]
    below = [k for k, s in zip(ks, es, strict=True) if s < lo]
    above = [k for k, s in zip(ks, es, strict=True) if s > hi]
    monotone = all(a <= b for a, b in zip(es, es[1:], strict=False))
    if len(inside) == len(ks):
        verdict = f"Every measured point (k = {_klist(ks)}) falls inside the paper's range."
    else:
        bits = []
        if inside:
            bits.append(f"inside for k = {_klist(inside)}")
        if below:
            bits.append(f"below {lo:g} % for k = {_klist(below)}")
        if above:
            bits.append(f"above {hi:g} % for k = {_klist(above)}")
        verdict = ("Our energy savings are not all inside the paper's range: "
                   + "; ".join(bits) + ".")
    trend = ("The trend matches: the saving grows as k falls" if monotone else
             "The trend differs: the saving does not grow steadily as k falls")
    trend += f" (ours {min(es):.1f} % to {max(es):.1f} % over k = {max(ks)} down to {min(ks)})."
    sd = {r["params"]["k"]: r["errors"]["sd_re_pct"] for r in rows}
    if 8 in sd and 5 in sd:
        trend += (f" Note: our sd(RE) is {sd[8]:.2f} % at k = 8 and {sd[5]:.2f} % at k = 5, the "
                  "ends of the abstract's 0.45-3.61 %, so its 54-80 % may span k = 8 to 5 "
                  "rather than 8 to 4.")
    table = ("table", ["design point", "k", "MRED %", "sd(RE) %", "energy saving %",
                       "area saving %", f"inside {lo:g}-{hi:g} %"],
             [[r["module"], str(r["params"]["k"]), f"{r['errors']['mred_pct']:.3f}",
               f"{r['errors']['sd_re_pct']:.3f}", f"{r['energy_saving_pct']:.1f}",
               f"{r['area_saving_pct']:.1f}",
               "yes" if lo <= r["energy_saving_pct"] <= hi else "no"] for r in rows])
    blocks = [
        ("h2", "DRUM savings versus the paper"),
        ("p", f"The paper ({DRUM_PAPER['citation']}) reports {lo:g}-{hi:g} % power savings for "
              "its 16-bit DRUM against an exact 16-bit multiplier, k from 8 down to 4, in a "
              "different technology and flow (its abstract gives the range together with "
              "error standard deviations of 0.45-3.61 %). Compare the trend, not the digits. "
              f"Ours: energy per operation and area of drum_u16_k* against {rows[0]['reference']}"
              " (same uniform workload)."),
        table,
        ("p", f"{verdict} {trend}"),
    ]
    summary = {"compared": True, "k": ks, "energy_saving_pct": es,
               "area_saving_pct": [r["area_saving_pct"] for r in rows],
               "inside_k": inside, "below_k": below, "above_k": above,
               "monotone_in_k": monotone, "verdict": f"{verdict} {trend}"}
    return blocks, summary


def _klist(ks: Sequence[int]) -> str:
    return ", ".join(str(k) for k in ks)


def _deviation_text(dev: dict, default_name: str, compare_name: str) -> str:
    lim = dev["limit_pct"]
    head = (f"Deviation = 100 * ({default_name} - {compare_name}) / {compare_name}. "
            f"Max |deviation|: area {dev['area_max_abs']['pct']:+.1f} % "
            f"({dev['area_max_abs']['module']}), energy {dev['energy_max_abs']['pct']:+.1f} % "
            f"({dev['energy_max_abs']['module']}); mean |deviation|: area "
            f"{dev['area_mean_abs_pct']:.1f} %, energy {dev['energy_mean_abs_pct']:.1f} % "
            f"(signed means {dev['area_mean_pct']:+.1f} % and {dev['energy_mean_pct']:+.1f} %).")
    if dev["all_within_limit"]:
        return head + f" Every point is within {lim:g} % in both area and energy."
    parts = []
    for b in dev["beyond_limit"]:
        what = ", ".join(f"{q} {b[f'{q}_deviation_pct']:+.1f} %" for q in ("area", "energy")
                         if f"{q}_deviation_pct" in b)
        if b["compare_cells_missing_from_default"]:
            why = ("the full-library mapping uses cells the compact library lacks ("
                   + ", ".join(c.replace("sky130_fd_sc_hd__", "")
                               for c in b["compare_cells_missing_from_default"][:6])
                   + (", ..." if len(b["compare_cells_missing_from_default"]) > 6 else "")
                   + f"), so ABC maps differently: {b['cells_default']} cells against "
                     f"{b['cells_compare']}")
        elif b["cells_default"] != b["cells_compare"]:
            why = (f"ABC mapped the logic differently ({b['cells_default']} cells against "
                   f"{b['cells_compare']})")
        else:
            why = "same cell count; the library tables differ"
        parts.append(f"{b['module']} ({what}; likely reason: {why})")
    return (head + f" Not every point is within {lim:g} %: " + "; ".join(parts) + ".")


# --------------------------------------------------------------------------------------------
# The report


def _points(points: Iterable[tuple[str, Mapping]] | None) -> list[Instance]:
    """Instances of ``points`` (default set when None), the exact array references added.

    Duplicates are dropped; the order is width, then family (exact, DRUM, ROUP), then as given.
    """
    insts: list[Instance] = []
    seen: set[str] = set()

    def add(inst: Instance) -> None:
        if inst.module not in seen:
            seen.add(inst.module)
            insts.append(inst)

    for name, params in (default_set() if points is None else points):
        add(instantiate(name, params))
    present = {_ref_key(i, i.params["arch"]) for i in insts if i.design.name == "exact"}
    for inst in list(insts):
        key = _ref_key(inst, "array")
        if key not in present:
            present.add(key)
            add(instantiate("exact", {"width": key[1], "signed": key[2], "arch": "array",
                                      "latency": key[4]}))
    family = {"exact": 0, "drum": 1, "roup": 2}
    order = {inst.module: n for n, inst in enumerate(insts)}
    return sorted(insts, key=lambda i: (i.params["width"], family.get(i.design.name, 3),
                                        order[i.module]))


def build_report(outdir: Path, *, points: Iterable[tuple[str, Mapping]] | None = None,
                 samples: int | None = None, ops: int = 4000, seed: int = 1,
                 workload: str = "uniform", liberty: str | os.PathLike | None = None,
                 compare_liberty: str | os.PathLike | None = None, workers: int = 2,
                 progress: bool = True,
                 ocu_points: Iterable[tuple[str, Mapping]] | None = None,
                 ocu_windows: int = OCU_WINDOWS,
                 ocu_densities: Sequence[float] = OCU_DENSITIES,
                 engine_point: Mapping | None | bool = None,
                 engine_frames: int = ENGINE_FRAMES,
                 digits: bool | None = None, cim: bool | None = None,
                 cgra: bool | None = None) -> Path:
    """Write the report into ``outdir``; return the path of ``index.html``.

    Parameters
    ----------
    outdir
        Output directory (``index.html``, ``index.md``, ``report.json``, ``errors.json``,
        ``pareto.png``, ``verilog/``).
    points
        ``(design, params)`` pairs; default :data:`gen.flow.design.DEFAULT_SET`. The exact array
        multiplier of each width and signedness present is added when missing (the savings
        reference).
    samples
        Random pairs for the error metrics of widths above 8 (default: exhaustive to 16 bits).
    ops, seed, workload
        Energy workload (:func:`gen.energy.energy`).
    liberty
        Library of the report's numbers (None: as :func:`gen.eda.synth.resolve_liberty`, normally
        the embedded compact sky130_fd_sc_hd).
    compare_liberty
        A second library: every point is run with it too and the deviation is tabulated.
    workers
        Processes for the energy runs (1: in this process).
    progress
        One line per step on stderr (``[i/n]``, point, result, seconds, ETA).
    ocu_points
        Output-channel units of the ternary section (``(design, params)`` pairs of
        ``ternary_ocu``/``binary_ocu``); None: :data:`OCU_POINTS` when ``points`` is None (the
        default report), else none. Measured with :func:`gen.ocu_energy.ocu_energy` and the
        report's library and seed.
    ocu_windows, ocu_densities
        Windows per OCU measurement (16 to 8192) and the zero densities of the ternary units
        (also of the engine's sweep).
    engine_point
        Parameters of the ``ternary_engine`` of the gate-level sparsity sweep
        (:func:`gen.engine_energy.engine_energy` at ``ocu_densities``); None:
        :data:`ENGINE_POINT` when ``points`` is None (the default report), else none; False:
        none.
    engine_frames
        Frames per sweep measurement (1 to 256).
    digits
        The digits network: its whole test split through the engine's RTL
        (:func:`gen.digits_rtl.run_digits_rtl`, under ``$SIM`` or Verilator) and its energy
        per classified image, ternary versus binary (:func:`gen.engine_energy.digits_energy`);
        None: when ``points`` is None.
    cim
        The compute-in-memory section (:mod:`gen.cim_report`); None: when ``points`` is None.
    cgra
        The CGRA section (:mod:`gen.cgra_report`); None: when ``points`` is None.

    Returns
    -------
    Path
        ``outdir / "index.html"``.

    Raises
    ------
    ValueError
        Bad arguments or a missing liberty file (before anything runs).
    ReportError
        A design point failed; the message names it. Nothing is written in that case.
    """
    from gen.eda.synth import check_liberty, resolve_liberty

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"Workers must be a positive integer, not {workers!r}")
    if isinstance(ops, bool) or not isinstance(ops, int) or not 1 <= ops <= 1 << 16:
        raise ValueError(f"Ops must be an integer between 1 and 65536, not {ops!r}")
    if ocu_points is None:
        ocu_points = OCU_POINTS if points is None else ()
    ocu_insts = [instantiate(n, prm) for n, prm in ocu_points]
    for inst in ocu_insts:
        if inst.design.name not in ("ternary_ocu", "binary_ocu"):
            raise ValueError(f"OCU points must be ternary_ocu or binary_ocu, not "
                             f"{inst.design.name}")
    if isinstance(ocu_windows, bool) or not isinstance(ocu_windows, int) \
            or not 16 <= ocu_windows <= 8192:
        raise ValueError(f"OCU windows must be an integer between 16 and 8192, not "
                         f"{ocu_windows!r}")
    for d in ocu_densities:
        if isinstance(d, bool) or not isinstance(d, (int, float)) or not 0 <= d <= 1:
            raise ValueError(f"Densities must be numbers between 0 and 1, not {d!r}")
    if engine_point is None:
        engine_point = dict(ENGINE_POINT) if points is None else False
    if engine_point is not False:
        instantiate("ternary_engine", engine_point)  # validates the parameters
    if isinstance(engine_frames, bool) or not isinstance(engine_frames, int) \
            or not 1 <= engine_frames <= 256:
        raise ValueError(f"Engine frames must be an integer between 1 and 256, not "
                         f"{engine_frames!r}")
    if digits is None:
        digits = points is None
    if cim is None:
        cim = points is None
    if cgra is None:
        cgra = points is None
    # both libraries read and parsed in full before anything is written (ValueError)
    lib_path = check_liberty(liberty)
    libs: list[str | None] = [None if liberty is None else str(liberty)]
    if compare_liberty is not None:
        check_liberty(compare_liberty)
        libs.append(str(compare_liberty))
    lib_names = [Path(lib_path).name] + ([Path(compare_liberty).name] if compare_liberty else [])
    if len(lib_names) == 2 and lib_names[0] == lib_names[1]:
        lib_names[1] += " (compare)"
    pad = max(map(len, lib_names))

    t_start = time.perf_counter()
    insts = _points(points)
    outdir = Path(outdir)
    n_engine = (0 if engine_point is False else len(ocu_densities)) + 2 * bool(digits)
    from . import cgra_report, cim_report

    n_cim = cim_report.n_steps() if cim else 0
    n_cgra = cgra_report.n_steps() if cgra else 0
    steps = _Steps(len(insts) * (1 + len(libs)) + len(ocu_insts) + n_engine + n_cim + n_cgra,
                   progress)

    # 1. Verilog and error metrics (cached; in this process)
    errors = []
    prior = _prior_seconds(sum(_job_cost(i, li) for i in insts for li in range(len(libs))),
                           ops) / workers
    for n, inst in enumerate(insts, 1):
        t0 = time.perf_counter()
        emit(inst, outdir / "verilog")
        r = error_record(inst, samples)
        errors.append(r)
        spent = time.perf_counter() - t_start
        eta = spent / n * (len(insts) - n) + prior
        steps.line(inst.module, f"verilog + error metrics "
                                f"({'exhaustive' if r['exhaustive'] else 'sampled'})",
                   time.perf_counter() - t0, eta, guess=True)

    # 2. area and energy (worker processes)
    energies = _run_energy(insts, libs, workload=workload, ops=ops, seed=seed,
                           workers=workers, steps=steps,
                           lib_names=[n.ljust(pad) for n in lib_names])
    records = _records(insts, errors, energies)
    ocu_results = _run_ocu_energy(ocu_insts, libs[0], densities=ocu_densities,
                                  windows=ocu_windows, seed=seed, workers=workers, steps=steps)
    engine = _run_engine_energy(None if engine_point is False else engine_point, libs[0],
                                densities=ocu_densities, frames=engine_frames,
                                digits=bool(digits), seed=seed, ocu_windows=ocu_windows,
                                steps=steps)
    def section(run):
        # the CIM and CGRA sections share the report's worker pool set-up and progress lines
        try:
            return run(libs[0], seed=seed, workers=workers,
                       line=lambda module, what, seconds: steps.line(module, what, seconds, None),
                       mp_context=_mp_context(), initializer=_worker_init,
                       initargs=(os.getcwd(),))
        except RuntimeError as e:
            raise ReportError(str(e)) from e

    cim_section = section(cim_report.run_cim_section) if cim else None
    cgra_section = section(cgra_report.run_cgra_section) if cgra else None

    # 3. files
    outdir.mkdir(parents=True, exist_ok=True)
    flat = [{"module": i.module, "design": i.design.name, "params": i.params,
             "mode": _mode_text(r), **r} for i, r in zip(insts, errors, strict=True)]
    files.atomic_write(outdir / "errors.json", json.dumps(flat, indent=1) + "\n")
    first = energies[0][0]
    conditions = {k: first[k] for k in ("workload", "workload_text", "ops", "seed", "sim",
                                        "voltage_v", "period_ns", "slew_ns", "wire_load")}
    lib_label = records[0]["liberty"]
    cmp_label = records[0]["compare"]["liberty"] if compare_liberty is not None else None
    plot = _plot(records, outdir / "pareto.png", liberty=lib_label, ops=ops, seed=seed,
                 workload=workload)
    deviation = None
    if compare_liberty is not None:
        from .energy import library_for

        deviation = _deviation_summary(records, library_for(lib_path).cells)
    paper_blocks, paper = _drum_paper_section(records)
    limits = [x.format(period=conditions["period_ns"]) for x in LIMITS]

    report = {
        "title": "edgeforge report: approximate multipliers",
        "liberty": lib_label, "liberty_path": str(lib_path),
        "compare_liberty": cmp_label,
        "compare_liberty_path": str(resolve_liberty(compare_liberty)) if cmp_label else None,
        "conditions": conditions,
        "definitions": {
            "saving_pct": "100 * (1 - value / value_of_reference)",
            "reference": "exact array multiplier of the same width and signedness",
            "deviation_pct": "100 * (value_liberty - value_compare_liberty) / "
                             "value_compare_liberty",
            "area_ge": "area_um2 / nand2_area_um2 (smallest two-input NAND of the library)",
        },
        "records": records,
        "pareto": plot,
        "deviation": deviation,
        "drum_paper": {**DRUM_PAPER, **paper},
        "ocu": {"windows": ocu_windows, "densities": list(ocu_densities), "seed": seed,
                "ops_per_mac": 2, "records": _ocu_records(ocu_results)},
        "engine": engine,
        "cim": cim_section,
        "cgra": cgra_section,
        "limits": limits,
    }
    files.atomic_write(outdir / "report.json", json.dumps(report, indent=1) + "\n")
    blocks = _blocks(report, records, errors, insts, paper_blocks, lib_names)
    files.atomic_write(outdir / "index.md", _render_md(blocks))
    index = outdir / "index.html"
    files.atomic_write(index, _render_html(blocks, report["title"]))
    _progress(progress, f"report written to {outdir} in "
                        f"{_duration(time.perf_counter() - t_start)}")
    return index


def _blocks(report: dict, records: Sequence[dict], errors: Sequence[dict],
            insts: Sequence[Instance], paper_blocks: list[tuple],
            lib_names: Sequence[str]) -> list[tuple]:
    cond = report["conditions"]
    lib = report["liberty"]
    has_booth = any(r["energy_saving_vs_booth_pct"] is not None for r in records)
    header = ["design point", "operands", "area um^2", "GE", "cells", "energy/op fJ",
              "area saving %", "energy saving %"]
    if has_booth:
        header += ["energy saving vs Booth %"]
    header += ["MRED %", "NMED", "WCE", "EP %"]
    rows = []
    for r in records:
        e = r["errors"]
        row = [r["module"], f"{r['width']}-bit {'signed' if r['signed'] else 'unsigned'}",
               f"{r['area_um2']:.1f}", f"{r['area_ge']:.1f}", str(r["cells"]),
               f"{r['energy_per_op_fj']:.1f}", _f(r["area_saving_pct"], "{:.1f}"),
               _f(r["energy_saving_pct"], "{:.1f}")]
        if has_booth:
            row.append(_f(r["energy_saving_vs_booth_pct"], "{:.1f}"))
        row += [f"{e['mred_pct']:.3f}", f"{e['nmed']:.3e}", f"{e['wce']:.4g}",
                f"{e['ep_pct']:.2f}"]
        rows.append(row)
    blocks: list[tuple] = [
        ("h1", report["title"]),
        ("ul", [
            f"Library of every number below (unless a section says otherwise): {lib} "
            f"({report['liberty_path']}); {cond['voltage_v']:g} V, wire load "
            f"{cond['wire_load']}, "
            + ("slews propagated from the library's transition tables, ideal clock."
               if cond['slew_ns'] is None else f"input slew {cond['slew_ns']:g} ns."),
            f"Energy per operation: gate-level simulation ({cond['sim']}) of the synthesised "
            f"netlist, checked against the golden model: workload '{cond['workload']}' "
            f"({cond['workload_text']}), {cond['ops']} operations, one per "
            f"{cond['period_ns']:g} ns clock.",
            "Savings: 100 * (1 - value / reference), reference = the exact array multiplier of "
            "the same width and signedness (column 'reference' in report.json; ROUP is signed "
            "and compares with the signed one)"
            + ("; 'vs Booth' uses the exact radix-4 Booth multiplier instead." if has_booth
               else "."),
            "GE: area / area of the library's smallest two-input NAND "
            f"({records[0]['nand2_cell']}, {records[0]['nand2_area_um2']:g} um^2).",
            "Error metrics of the golden models (bit-exact with the RTL, which `make test` "
            "checks); full error table below.",
        ]),
        ("h2", "Area, energy and error"),
        ("table", header, rows),
        ("h2", "Pareto plot: energy per operation versus MRED"),
        ("p", "One panel per width; the x axis is symlog (linear below "
              f"{report['pareto']['symlog_linthresh_pct']:g} %), so the exact multipliers "
              "(MRED 0) sit at the left edge. The step line joins the Pareto front (points no "
              "other point beats in both energy and MRED; signed and unsigned together)."),
        ("img", "pareto.png", "energy per operation versus MRED, Pareto front"),
        ("ul", [f"{w}-bit front: " + ", ".join(mods)
                for w, mods in report["pareto"]["fronts"].items()]),
        *paper_blocks,
        ("h2", "Compact versus full library"),
    ]
    dev = report["deviation"]
    if dev is None:
        blocks.append(("p", "Not run: this report used one library. Run `edgeforge report "
                            "--compare-liberty PATH` (for example the full sky130_fd_sc_hd "
                            "typical corner, ../shared/pdk/sky130_fd_sc_hd/sky130hd_tt.lib.gz; "
                            "`make report` passes it when that file exists) to synthesise and "
                            "simulate every point with that library too and tabulate the "
                            "deviation."))
    else:
        a, b = lib_names
        blocks.append(("p", f"Every point also with {report['compare_liberty']} "
                            f"({report['compare_liberty_path']}); same workload and flow."))
        blocks.append(("table", [
            "design point", f"area um^2 [{a}]", f"area um^2 [{b}]", "area deviation %",
            f"energy/op fJ [{a}]", f"energy/op fJ [{b}]", "energy deviation %",
            f"cells [{a}]", f"cells [{b}]"],
            [[r["module"], f"{r['area_um2']:.1f}", f"{r['compare']['area_um2']:.1f}",
              f"{r['compare']['area_deviation_pct']:+.2f}", f"{r['energy_per_op_fj']:.1f}",
              f"{r['compare']['energy_per_op_fj']:.1f}",
              f"{r['compare']['energy_deviation_pct']:+.2f}", str(r["cells"]),
              str(r["compare"]["cells"])] for r in records]))
        blocks.append(("p", _deviation_text(dev, a, b)))
    blocks += _ocu_blocks(report["ocu"])
    blocks += _engine_blocks(report.get("engine"))
    from .cim_report import cim_blocks

    blocks += cim_blocks(report.get("cim"))
    from .cgra_report import cgra_blocks

    blocks += cgra_blocks(report.get("cgra"))
    err_rows = [[fmt.format({"module": i.module, "mode": _mode_text(e), **e}[key])
                 for key, _, fmt in COLUMNS] for i, e in zip(insts, errors, strict=True)]
    blocks += [
        ("h2", "Error metrics"),
        ("ul", [
            "e = approx - exact; RE = e / exact over exact != 0; NMED = MED / (2^n - 1)^2.",
            "MAE % and WCE % follow EvoApproxLib: 100 * MED / 2^(2n) and 100 * WCE / 2^(2n).",
            "DRUM paper (Hashemi et al., ICCAD 2015): sd(RE) 3.61 % at k=5 and 0.45 % at k=8.",
        ]),
        ("table", [c[1] for c in COLUMNS], err_rows),
        ("h2", "Limits"),
        ("ul", [f"Library of every area and energy number: {lib}"
                + (f" (the comparison section also: {report['compare_liberty']})"
                   if dev is not None else "") + ".", *report["limits"]]),
    ]
    return blocks
