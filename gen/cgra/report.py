"""The CGRA section of ``make report``: kernels on exact and approximate MUL tiles, fabric area.

* every kernel of :mod:`sim_models.cgra.programs` on the ``small`` fabric with exact, DRUM
  (k = 6) and ROUP (p = 1, r = 2) MUL tiles: cycles, energy per run from gate-level simulation
  (:func:`gen.cgra.fabric.cgra_energy`; every row of the netlist's run checked against the
  golden model), the MUL tiles' share, area, and the kernel output error against the exact
  numpy reference over :data:`ERROR_DRAWS` input draws (:func:`gen.cgra.fabric.kernel_error`);
* the ``default`` fabric (the approximate R-Blocks study's: 8 MAC units, 4 approximate, 3 LSUs
  of 4 KiB, 5 x 5 Wilton mesh) synthesised: area by FU type, and against the same fabric with
  every MUL exact;
* printed beside the study's figures (:data:`STUDY`), with what the model covers and what not.

:class:`CgraSection` is the section (report.json key ``cgra``).
"""

from __future__ import annotations

import math
import shutil
import time

from gen.eda import synth
from gen.flow.executor import Job
from gen.flow.family import ReportContext, ReportSection, instantiate
from sim_models.cgra.programs import KERNELS

from .fabric import by_category, cgra_energy, kernel_error, unit_of_module

__all__ = ["MULS", "ERROR_DRAWS", "STUDY", "MODELLED", "CgraSection", "cgra_blocks", "n_steps"]

#: MUL tile variants of the kernel study ("" = the fabric as described: exact tiles).
MULS = ("", "drum", "roup")
ERROR_DRAWS = 32
#: The approximate R-Blocks figures (REFERENCE 4).
STUDY = (
    ("approximate R-Blocks study (figures quoted, not confirmed in a paper)",
     "8 MAC units, 4 approximate MUL tiles (DRUM and ROUP), 3 x 4 KB local memories",
     "13 % area and 21 % power gain (67 % for one unit); MSE down to 0.15 on YOLOv6"),
    ("Alexandris et al., arXiv 2505.23553 (NTUA + TU/e)",
     "DRUM-based approximate MUL tiles in voltage islands",
     "30 % lower power on average for 2 % more area; up to 440 GOPS/W on MobileNetV2"),
)
MODELLED = (
    "Modelled: gate-level switching, internal and leakage energy of the whole fabric at one "
    "supply (the library's), the approximate tiles' smaller logic and lower activity, and "
    "their effect on the kernels' results.",
    "Not modelled: voltage islands (the 30 % of arXiv 2505.23553 comes largely from running "
    "the approximate tiles at a lower supply), SRAM macros (scratchpads, instruction memories "
    "and the configuration are flip-flops here, clocked every cycle, which dominate energy and "
    "area), clock gating, glitches (zero-delay simulation), wires of a placed layout.",
)


def _fabric_area_jobs() -> list[tuple[str, str]]:
    return [("default", "")]


def n_steps() -> int:
    """Progress lines of :meth:`CgraSection.run`."""
    return len(MULS) + len(_fabric_area_jobs()) + 1


def _kernel_job(mul: str, liberty: str | None, seed: int) -> list[dict]:
    inst = instantiate("cgra", {"fabric": "small", "mul": mul})
    # a fabric's netlist is some 10^5 cells: Icarus reads it in seconds, Verilator's C++ of it
    # compiles for tens of minutes (the ternary digits run is the opposite case)
    sim = "icarus" if shutil.which("iverilog") else None
    out = []
    for kernel in KERNELS:
        r = cgra_energy(inst, kernel=kernel, liberty=liberty, seed=seed, sim=sim)
        if not (r.energy_per_run_fj > 0 and math.isfinite(r.energy_per_run_fj)):
            raise RuntimeError(f"energy of {inst.module} on {kernel} came out as "
                               f"{r.energy_per_run_fj}")
        out.append(r.to_dict())
    return out


def _area_job(fabric: str, mul: str, liberty: str | None) -> dict:
    inst = instantiate("cgra", {"fabric": fabric, "mul": mul})
    fab = inst.model.fabric
    s = synth.synthesize(inst, liberty=liberty)
    per = by_category(s.per_module, fab, "area_um2", instances=True)
    # the same fabric with every MUL exact: the hierarchy is kept, so each tile is a module
    # of its own and swapping the approximate tiles' area for an exact tile's is exact
    tiles: dict[str, float] = {}
    for module, row in s.per_module.items():
        unit, cat = unit_of_module(module, fab)
        if cat.startswith("mul"):
            tiles[unit] = tiles.get(unit, 0.0) + row["area_um2"] * row.get("instances", 1)
    exact = [u for u in tiles if fab.fu(u).params["kind"] == "exact"]
    exact_tile = sum(tiles[u] for u in exact) / len(exact) if exact else None
    all_exact = None if exact_tile is None else \
        s.area_um2 - sum(tiles.values()) + exact_tile * len(tiles)
    return {"module": inst.module, "fabric": fabric, "mul": mul, "area_um2": s.area_um2,
            "area_ge": s.area_ge, "sequential_area_um2": s.sequential_area_um2,
            "per_type": per,
            "per_tile": {u: {"kind": fab.fu(u).params["kind"], "area_um2": round(a, 1)}
                         for u, a in sorted(tiles.items())},
            "all_exact_area_um2": None if all_exact is None else round(all_exact, 1),
            "cells": sum(s.cells.values()), "liberty": s.liberty}


def _jobs(liberty: str | None, seed: int) -> list[Job]:
    # the kernel jobs run five gate-level simulations each: they start first
    jobs = [Job(f"cgra small {m or 'exact'} kernels", _kernel_job, (m, liberty, seed), cost=5.0)
            for m in MULS]
    jobs += [Job(f"cgra {f}{' all-' + m if m else ''} area", _area_job, (f, m, liberty))
             for f, m in _fabric_area_jobs()]
    return jobs


class CgraSection(ReportSection):
    """The CGRA section: report.json key ``cgra`` (runs, areas, errors, the study)."""

    name = "cgra"

    def steps(self, ctx: ReportContext) -> int:
        return n_steps()

    def run(self, ctx: ReportContext) -> dict:
        """Measure everything of the section through ``ctx.executor``.

        Raises
        ------
        JobError
            A point failed (named).
        """
        jobs = _jobs(ctx.liberty, ctx.seed)

        def done(i, res, seconds):
            if jobs[i].fn is _kernel_job:
                what = " ".join(f"{r['energy_per_run_fj'] / 1000:.0f}" for r in res) + " pJ/run"
            else:
                what = f"{res['area_um2']:,.0f} um^2"
            ctx.line(jobs[i].name, what, seconds, None)

        out = ctx.executor.run(jobs, done)
        t0 = time.perf_counter()
        errors = []
        for mul in MULS[1:]:
            inst = instantiate("cgra", {"fabric": "small", "mul": mul})
            for kernel in KERNELS:
                errors.append({"mul": mul, **kernel_error(
                    inst, kernel, range(ctx.seed, ctx.seed + ERROR_DRAWS)).to_dict()})
        ctx.line("cgra kernel errors", f"{ERROR_DRAWS} draws per kernel on the golden model",
                 time.perf_counter() - t0, None)
        runs = [r for job, res in zip(jobs, out, strict=True) if job.fn is _kernel_job
                for r in res]
        areas = [res for job, res in zip(jobs, out, strict=True) if job.fn is _area_job]
        return {"cgra": {"runs": runs, "areas": areas, "errors": errors, "seed": ctx.seed,
                         "error_draws": ERROR_DRAWS, "study": [list(s) for s in STUDY],
                         "modelled": list(MODELLED)}}

    def blocks(self, report: dict, ctx: ReportContext) -> list[tuple]:
        return cgra_blocks(report.get("cgra"))


def _mul_label(mul: str) -> str:
    return {"": "exact", "drum": "DRUM k=6", "roup": "ROUP p=1 r=2"}.get(mul, mul)


def _pct(new: float, old: float) -> str:
    return f"{100.0 * (new - old) / old:+.1f} %" if old else "n/a"


def _mul_fj(r: dict) -> float:
    return sum(v for k, v in r["per_type"].items() if k.startswith("mul"))


def _kernel_blocks(cgra: dict, by: dict, kernels: list[str]) -> list[tuple]:
    """The kernel table: energy, MUL tiles' energy and output error per kernel and MUL."""
    errs = {(e["mul"], e["kernel"]): e for e in cgra["errors"]}
    first = cgra["runs"][0]
    return [
        ("h2", "CGRA (R-Blocks style): kernels on exact and approximate MUL tiles"),
        ("p", f"Fabric `small` (crossbar, 32-bit, 2 MUL tiles of which the kernels use lane 0 "
              f"and 1, 2 LSUs of 256 B, 4 ALUs, RF, 2 IUs, ABU; imem depth 64), every MUL tile "
              f"replaced by the variant. Energy per run from gate-level simulation of the "
              f"synthesised netlist ({first['liberty']}, {first['voltage_v']:g} V, "
              f"{first['period_ns']:g} ns clock, {first['sim']}), from `start` to `done`; every "
              f"executed row and the scratchpads after the run equal the golden model. Kernel "
              f"inputs: signed 12-bit, seed {cgra['seed']}. Output error over "
              f"{cgra['error_draws']} input draws on the golden model against the exact numpy "
              "reference (e = approximate - exact; MRED over exact != 0)."),
        ("table", ["kernel", "cycles", "MUL", "pJ/run", "vs exact", "MUL tiles pJ/run",
                   "vs exact", "MSE", "MRED", "EP"],
         [[k, str(by[m, k]["cycles"]), _mul_label(m),
           f"{by[m, k]['energy_per_run_fj'] / 1000:.1f}",
           "" if not m else _pct(by[m, k]["energy_per_run_fj"], by["", k]["energy_per_run_fj"]),
           f"{_mul_fj(by[m, k]) / 1000:.2f}",
           "" if not m else _pct(_mul_fj(by[m, k]), _mul_fj(by["", k])),
           "0" if not m else f"{errs[m, k]['mse']:.4g}",
           "0" if not m else f"{100 * errs[m, k]['mred']:.4f} %",
           "0" if not m else f"{100 * errs[m, k]['ep']:.1f} %"]
          for k in kernels for m in MULS if (m, k) in by]),
    ]


def _area_rows(by: dict, kernel: str) -> list[list[str]]:
    """The small fabric's area and its MUL tiles' per MUL variant (from the kernel runs)."""
    rows = []
    for m in MULS:
        r = by.get((m, kernel))
        if r is None:
            continue
        base = by["", kernel]
        mul_a = sum(v for k, v in r["area_per_type"].items() if k.startswith("mul"))
        mul_b = sum(v for k, v in base["area_per_type"].items() if k.startswith("mul"))
        rows.append([r["module"], _mul_label(m), f"{r['area_um2']:,.0f}",
                     "" if not m else _pct(r["area_um2"], base["area_um2"]),
                     f"{mul_a:,.0f}", "" if not m else _pct(mul_a, mul_b)])
    return rows


def _default_fabric_blocks(areas: list[dict]) -> list[tuple]:
    """The default fabric's area by FU type, and against all its MUL tiles exact."""
    a = {(x["fabric"], x["mul"]): x for x in areas}
    cats = sorted({c for x in areas for c in x["per_type"]})
    blocks: list[tuple] = [
        ("h3", "Default fabric: area by FU type"),
        ("p", "The default fabric of the approximate R-Blocks study (8 MUL + 8 ALU, mul4/5 "
              "DRUM k=6, mul6/7 ROUP p=1 r=2, 3 LSUs of 4 KiB, RF, 2 IUs, ABU, 5 x 5 mesh "
              "of Wilton switchboxes with 4 tracks), synthesised with the hierarchy kept. "
              "Memories are flip-flops (no SRAM macro in the library)."),
        ("table", ["part", *[f"{x['module']} um^2" for x in areas]],
         [[c, *[f"{x['per_type'].get(c, 0.0):,.0f}" for x in areas]] for c in cats]
         + [["total", *[f"{x['area_um2']:,.0f} ({x['area_ge']:,.0f} GE)" for x in areas]]]),
    ]
    d = a.get(("default", ""))
    if d is None or not d.get("all_exact_area_um2"):
        return blocks
    tiles = d["per_tile"]
    md = sum(t["area_um2"] for t in tiles.values())
    exact = [t["area_um2"] for t in tiles.values() if t["kind"] == "exact"]
    me = sum(exact) / len(exact) * len(tiles) if exact else 0.0
    lsu = d["per_type"].get("lsu", 0.0)
    blocks.append(("p", f"4 of 8 MUL tiles approximate against all 8 exact (the exact "
                        f"tile's synthesised area in place of each approximate one): "
                        f"fabric area {_pct(d['area_um2'], d['all_exact_area_um2'])} "
                        f"({d['area_um2']:,.0f} vs {d['all_exact_area_um2']:,.0f} "
                        f"um^2); without the flip-flop scratchpads (LSUs, "
                        f"{lsu:,.0f} um^2, which SRAM "
                        f"would shrink) "
                        f"{_pct(d['area_um2'] - lsu, d['all_exact_area_um2'] - lsu)}"
                        f"; MUL tiles {_pct(md, me)}. Per tile (um^2): "
                        + ", ".join(f"{u} ({t['kind']}) {t['area_um2']:,.0f}"
                                    for u, t in tiles.items()) + "."))
    return blocks


def cgra_blocks(cgra: dict | None) -> list[tuple]:
    """Report blocks (:class:`gen.flow.family.ReportSection`) of the CGRA section."""
    if not cgra:
        return []
    runs = cgra["runs"]
    by = {(r["params"]["mul"], r["kernel"]): r for r in runs}
    kernels = sorted({r["kernel"] for r in runs}, key=[r["kernel"] for r in runs].index)
    blocks = _kernel_blocks(cgra, by, kernels)
    blocks.append(("table", ["fabric", "MUL tiles", "area um^2", "vs exact",
                             "MUL tiles um^2", "vs exact"], _area_rows(by, kernels[0])))
    if cgra["areas"]:
        blocks += _default_fabric_blocks(cgra["areas"])
    blocks += [
        ("h3", "Published figures (not ours)"),
        ("table", ["source", "setting", "reported"], [list(s) for s in cgra["study"]]),
        ("ul", list(cgra["modelled"])),
    ]
    return blocks
