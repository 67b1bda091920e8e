"""The CGRA section of ``make report``: kernels on exact and approximate MUL tiles, fabric area.

* every kernel of :mod:`sim_models.cgra.programs` on the ``small`` fabric with exact, DRUM
  (k = 6) and ROUP (p = 1, r = 2) MUL tiles: cycles, energy per run from gate-level simulation
  (the report spec's ``energy`` points, measured by :meth:`gen.cgra.family.CgraFamily.energy`;
  every row of the netlist's run checked against the golden model), the MUL tiles' share,
  area, and the kernel output error against the exact numpy reference over
  :data:`ERROR_DRAWS` input draws (:func:`kernel_errors`, a study job on the golden model);
* the ``default`` fabric (the approximate R-Blocks study's: 8 MAC units, 4 approximate, 3 LSUs
  of 4 KiB, 5 x 5 Wilton mesh) synthesised (the spec's ``area`` point): area by FU type, and
  against the same fabric with every MUL exact (:func:`fabric_area`);
* printed beside the study's figures (:data:`STUDY`), with what the model covers and what not.

The points are in the cgra region of the report spec (``gen/flow/data/report.toml``).
:class:`CgraSection` is the section (report.json key ``cgra``); its figures are built by
:mod:`gen.cgra.figures`.
"""

from __future__ import annotations

import math

from gen.flow.executor import Job
from gen.flow.family import ReportContext, ReportSection, instantiate
from sim_models.cgra.programs import KERNELS

from .fabric import by_category, kernel_error, unit_of_module
from .figures import area_by_type, energy_by_part

__all__ = ["MULS", "ERROR_DRAWS", "STUDY", "MODELLED", "CgraSection", "cgra_blocks",
           "kernel_errors", "fabric_area", "kernel_runs"]

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


def kernel_errors(seed: int, draws: int = ERROR_DRAWS) -> list[dict]:
    """Output error of every kernel on the ``small`` fabric with each approximate MUL variant
    against the exact numpy reference, over ``draws`` input draws from ``seed`` on the golden
    model (:func:`gen.cgra.fabric.kernel_error`); one dict per (MUL, kernel)."""
    errors = []
    for mul in MULS[1:]:
        inst = instantiate("cgra", {"fabric": "small", "mul": mul})
        for kernel in KERNELS:
            errors.append({"mul": mul, **kernel_error(
                inst, kernel, range(seed, seed + draws)).to_dict()})
    return errors


def kernel_runs(points: list) -> list[dict]:
    """The energy records of the spec's cgra points (``EnergyRecord.to_dict()``), ordered by
    MUL variant (:data:`MULS`) then kernel (:data:`KERNELS`).

    Raises
    ------
    RuntimeError
        A run's energy is not a positive finite number (named).
    """
    runs = [res["records"]["energy"] for p, res in points if "energy" in p.metrics]
    for r in runs:
        fj = r["energy_per_run_fj"]
        if not (fj > 0 and math.isfinite(fj)):
            raise RuntimeError(f"energy of {r['module']} on {r['kernel']} came out as {fj}")

    def order(r: dict) -> tuple[int, int]:
        mul, kernel = r["params"]["mul"], r["kernel"]
        return (MULS.index(mul) if mul in MULS else len(MULS),
                KERNELS.index(kernel) if kernel in KERNELS else len(KERNELS))

    return sorted(runs, key=order)


def _mul_tiles(per_module: dict, fab) -> dict[str, float]:
    """Area of each MUL tile (its FU and multiplier modules) by unit."""
    tiles: dict[str, float] = {}
    for module, row in per_module.items():
        unit, cat = unit_of_module(module, fab)
        if cat.startswith("mul"):
            tiles[unit] = tiles.get(unit, 0.0) + row["area_um2"] * row.get("instances", 1)
    return tiles


def fabric_area(point, record: dict) -> dict:
    """A fabric's area by FU type, per MUL tile and with every MUL exact, from the spec
    point's ``area`` record (:func:`gen.eda.synth.synthesize`'s ``per_module``)."""
    inst = instantiate(point.design, point.param_dict)
    fab = inst.model.fabric
    per = by_category(record["per_module"], fab, "area_um2", instances=True)
    # the same fabric with every MUL exact: the hierarchy is kept, so each tile is a module
    # of its own and swapping the approximate tiles' area for an exact tile's is exact
    tiles = _mul_tiles(record["per_module"], fab)
    exact = [u for u in tiles if fab.fu(u).params["kind"] == "exact"]
    exact_tile = sum(tiles[u] for u in exact) / len(exact) if exact else None
    all_exact = None if exact_tile is None else \
        record["area_um2"] - sum(tiles.values()) + exact_tile * len(tiles)
    params = point.param_dict
    return {"module": inst.module, "fabric": params["fabric"], "mul": params["mul"],
            "area_um2": record["area_um2"], "area_ge": record["area_ge"],
            "sequential_area_um2": record["sequential_area_um2"], "per_type": per,
            "per_tile": {u: {"kind": fab.fu(u).params["kind"], "area_um2": round(a, 1)}
                         for u, a in sorted(tiles.items())},
            "all_exact_area_um2": None if all_exact is None else round(all_exact, 1),
            "cells": record["cells"], "liberty": point.library_label}


def _errors_text(errors: list[dict]) -> str:
    worst = max((e["mred"] for e in errors), default=0.0)
    return f"{len(errors)} kernel/MUL pairs, {ERROR_DRAWS} draws each; MRED up to " \
           f"{100 * worst:.3f} %"


class CgraSection(ReportSection):
    """The CGRA section: report.json key ``cgra`` (runs, areas, errors, the study)."""

    name = "cgra"
    designs = ("cgra",)

    def jobs(self, ctx: ReportContext) -> list[Job]:
        """The kernel error study on the golden model (a few seconds)."""
        return [Job("cgra kernel errors", kernel_errors, (ctx.seed,), cost=5.0,
                    describe=_errors_text)]

    def collect(self, ctx: ReportContext, points: list, results: list) -> dict:
        """The ``cgra`` key: the kernel runs and fabric areas of the spec's points, the
        errors of :meth:`jobs`, the study's figures.

        Raises
        ------
        RuntimeError
            A point has no result, or a run's energy is not a positive finite number.
        """
        for p, res in points:
            if res is None:
                raise RuntimeError(f"report point {p.name} has no result")
        areas = [fabric_area(p, res["records"]["area"]) for p, res in points
                 if "area" in p.metrics]
        return {"cgra": {"runs": kernel_runs(points), "areas": areas, "errors": results[0],
                         "seed": ctx.seed, "error_draws": ERROR_DRAWS,
                         "study": [list(s) for s in STUDY], "modelled": list(MODELLED)}}

    def blocks(self, report: dict, ctx: ReportContext) -> list[tuple]:
        return cgra_blocks(report.get("cgra"))


def _mul_label(mul: str) -> str:
    return {"": "exact", "drum": "DRUM k=6", "roup": "ROUP p=1 r=2"}.get(mul, mul)


def _pct(new: float, old: float) -> str:
    return f"{100.0 * (new - old) / old:+.1f} %" if old else "n/a"


def _mul_fj(r: dict) -> float:
    return sum(v for k, v in r["per_type"].items() if k.startswith("mul"))


def _vs(new: float, old: float, fmt: str, approx: bool) -> str:
    """``new`` formatted, with its change against ``old`` for an approximate variant."""
    return f"{new:{fmt}}" + (f" ({_pct(new, old)})" if approx else "")


def _kernel_blocks(cgra: dict, by: dict, kernels: list[str]) -> list[tuple]:
    """The kernel table (energy, MUL tiles' energy, output error per kernel and MUL) and the
    figure of the energy by part."""
    errs = {(e["mul"], e["kernel"]): e for e in cgra["errors"]}
    first = cgra["runs"][0]
    rows = []
    for k in kernels:
        for m in MULS:
            if (m, k) not in by:
                continue
            r, base, e = by[m, k], by.get(("", k), by[m, k]), errs.get((m, k))
            rows.append([k, str(r["cycles"]), _mul_label(m),
                         _vs(r["energy_per_run_fj"] / 1000, base["energy_per_run_fj"] / 1000,
                             ".1f", bool(m)),
                         _vs(_mul_fj(r) / 1000, _mul_fj(base) / 1000, ".2f", bool(m)),
                         "0" if e is None else f"{e['mse']:.4g}",
                         "0" if e is None else f"{100 * e['mred']:.4f} %",
                         "0" if e is None else f"{100 * e['ep']:.1f} %"])
    blocks = [
        ("p", f"Fabric `small` (crossbar, 32-bit, 2 MUL tiles of which the kernels use lane 0 "
              f"and 1, 2 LSUs of 256 B, 4 ALUs, RF, 2 IUs, ABU; imem depth 64), every MUL tile "
              f"replaced by the variant. Energy per run from gate-level simulation of the "
              f"synthesised netlist ({first['liberty']}, {first['voltage_v']:g} V, "
              f"{first['period_ns']:g} ns clock, {first['sim']}), from `start` to `done`; every "
              f"executed row and the scratchpads after the run equal the golden model. Kernel "
              f"inputs: signed 12-bit, seed {cgra['seed']}. Output error over "
              f"{cgra['error_draws']} input draws on the golden model against the exact numpy "
              "reference (e = approximate - exact; MRED over exact != 0). In brackets: the "
              "change against exact MUL tiles."),
        ("table", ["kernel", "cycles", "MUL", "pJ/run", "MUL tiles pJ/run", "MSE", "MRED",
                   "EP"], rows),
    ]
    fig = energy_by_part(cgra)
    if fig is not None:
        blocks.append(("figure", "cgra-energy-by-part", fig,
                       "Energy per kernel run by part of the `small` fabric, exact, DRUM and "
                       "ROUP MUL tiles side by side for each kernel (MUL tiles at the bottom). "
                       "The flip-flop instruction memories (ID + imem) and scratchpads (LSU) "
                       "take most of it; SRAM macros are not modelled."))
    return blocks


def _area_rows(by: dict, kernel: str) -> list[list[str]]:
    """The small fabric's area and its MUL tiles' per MUL variant (from the kernel runs)."""
    rows = []
    for m in MULS:
        r = by.get((m, kernel))
        if r is None:
            continue
        base = by.get(("", kernel), r)
        mul_a = sum(v for k, v in r["area_per_type"].items() if k.startswith("mul"))
        mul_b = sum(v for k, v in base["area_per_type"].items() if k.startswith("mul"))
        rows.append([r["module"], _mul_label(m),
                     _vs(r["area_um2"], base["area_um2"], ",.0f", bool(m)),
                     _vs(mul_a, mul_b, ",.0f", bool(m))])
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
    for x in areas:
        fig = area_by_type(x)
        if fig is not None:
            blocks.append(("figure", f"cgra-area-{x['module']}", fig,
                           f"Area of {x['module']} by FU type and part (um^2, share of the "
                           "total); MUL tiles in red. The LSUs' scratchpads are flip-flops."))
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


def _small_fabric_area_blocks(runs: list[dict]) -> list[tuple]:
    """Area by FU type of the `small` fabric with exact MUL tiles (from its kernel run), when
    the report has no synthesis of the `default` fabric (``make report FULL=1`` adds it)."""
    r = next((r for r in runs if not r["params"]["mul"]), runs[0])
    fig = area_by_type({"per_type": r["area_per_type"], "area_um2": r["area_um2"],
                        "module": r["module"]})
    if fig is None:
        return []
    return [("h3", "Small fabric: area by FU type"),
            ("figure", f"cgra-area-{r['module']}", fig,
             f"Area of {r['module']} by FU type and part (um^2, share of the total); MUL "
             "tiles in red. The default fabric of the R-Blocks study (8 MUL tiles, 5 x 5 "
             "mesh) is synthesised by `make report FULL=1`: its Yosys run alone takes some "
             "seven minutes.")]


def cgra_blocks(cgra: dict | None) -> list[tuple]:
    """Report blocks (:class:`gen.flow.family.ReportSection`) of the CGRA section."""
    if not cgra:
        return []
    runs = cgra["runs"]
    blocks: list[tuple] = [
        ("h2", "CGRA (R-Blocks style): kernels on exact and approximate MUL tiles")]
    if runs:
        by = {(r["params"]["mul"], r["kernel"]): r for r in runs}
        kernels = sorted({r["kernel"] for r in runs}, key=[r["kernel"] for r in runs].index)
        blocks += _kernel_blocks(cgra, by, kernels)
        blocks.append(("table", ["fabric", "MUL tiles", "area um^2", "MUL tiles um^2"],
                       _area_rows(by, kernels[0])))
    if cgra["areas"]:
        blocks += _default_fabric_blocks(cgra["areas"])
    elif runs:  # the default fabric's synthesis is a FULL=1 point: the small fabric's parts
        blocks += _small_fabric_area_blocks(runs)
    blocks += [
        ("h3", "Published figures (not ours)"),
        ("table", ["source", "setting", "reported"], [list(s) for s in cgra["study"]]),
        ("ul", list(cgra["modelled"])),
    ]
    return blocks
