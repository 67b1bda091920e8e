"""The approx family's section of ``edgeforge report``: area, energy and error of the
multipliers.

The design points are the ``approx`` region of the report's spec
(``gen/flow/data/report.toml``: the family's :data:`gen.approx.family.DEFAULT_POINTS`, the 8- and
16-bit exact, DRUM and ROUP multipliers, with the report's library ``$liberty`` and the
comparison library ``$compare``). The report measures them through the sweep engine on its
executor (:func:`gen.flow.sweep.run_point`: the ``area`` metric, the family's ``edgeforge
energy`` flow and the family's ``errors`` metric, :func:`error_record`); this section receives
the results and turns them into

* one record per design point: area (um^2 and gate equivalents) and energy per operation with
  the report's library and, given a comparison library, with that one too and the deviation of
  the two (how far the compact embedded library is from the full one); the error metrics of the
  golden model (exhaustive up to 16 bits, 1,000,000 random pairs beyond; cached in
  ``build/cache/errors``);
* savings against the exact array multiplier of the same width and signedness (and against the
  Booth one when it is in the set; a spec without the array reference gets no savings), the
  Pareto front of energy versus MRED per width, and the DRUM paper's reported power savings
  beside ours;
* figures (:mod:`gen.approx.figures`): energy versus MRED with the Pareto front, and the
  compact-versus-full deviation per point.

It writes ``errors.json`` (the error records) and ``verilog/`` (each point's Verilog and
sidecars) into the report's directory and owns the ``report.json`` keys ``conditions``,
``definitions``, ``records``, ``pareto``, ``deviation`` and ``drum_paper``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import fields
from pathlib import Path

from gen.eda import files, synth
from gen.flow import bench
from gen.flow.cache import Cache, cache_root
from gen.flow.design import Instance
from gen.flow.family import ReportContext, ReportSection, instantiate
from gen.flow.ip import emit
from gen.flow.render import display_path
from sim_models.approx import ErrorMetrics, characterise

from . import figures, multiplier

__all__ = ["ApproxSection", "error_record", "pareto_front", "DRUM_PAPER", "LIMITS",
           "DEVIATION_LIMIT_PCT", "CACHE"]

#: Where the error metrics of the golden models are cached.
CACHE = cache_root() / "errors"

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
    width = inst.params["width"]
    exhaustive = width <= 8 or (samples is None and width <= 16)
    key = "-".join(f"{k}={inst.params[k]}" for k in sorted(inst.params)
                   if inst.design.param(k).model)
    mode = "exhaustive" if exhaustive else f"samples={samples or 1_000_000}"
    cache, name = Cache(CACHE), f"{inst.design.name}-{key}-{mode}"
    record = cache.load(name)  # None: absent, or damaged and removed
    if record is not None and set(record) == {f.name for f in fields(ErrorMetrics)}:
        return record
    m = characterise(inst.model, exhaustive=True if exhaustive else None,
                     samples=None if exhaustive else (samples or 1_000_000), seed=1)
    record = m.to_dict()
    cache.store(name, record)
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


def _saving(value: float, ref: float) -> float:
    return round(100.0 * (1.0 - value / ref), 4)


def _deviation(default: float, full: float) -> float:
    return round(100.0 * (default - full) / full, 4)


# what a record takes from the sweep's area record and from the energy record
_AREA_KEYS = ("area_um2", "area_ge", "nand2_cell", "nand2_area_um2", "cells", "cell_counts",
              "sequential_area_um2", "transistors", "logic_depth", "critical_path_ns")
_POWER_KEYS = ("energy_per_op_fj", "switching_fj", "internal_fj", "leakage_fj",
               "input_switching_fj", "groups", "toggles_per_op", "unannotated_nets")
_CONDITIONS = ("workload", "workload_text", "ops", "seed", "sim", "voltage_v", "period_ns",
               "slew_ns", "wire_load")
_FAMILY_ORDER = {"exact": 0, "drum": 1, "roup": 2}


def _measured(module: str, result: dict, given: str | None) -> dict:
    """Area and energy of one point with one library, from its sweep result; the library named
    as the report's caller gave it (``given``).

    Raises
    ------
    ValueError
        An energy or area that is not a positive finite number.
    """
    area, energy = result["records"]["area"], result["records"]["energy"]
    if not (energy["energy_per_op_fj"] > 0 and math.isfinite(energy["energy_per_op_fj"])):
        raise ValueError(f"energy of {module} came out as {energy['energy_per_op_fj']} fJ")
    if not area["area_um2"] > 0:
        raise ValueError(f"area of {module} came out as {area['area_um2']} um^2")
    return {"liberty": synth.liberty_label(given),
            "liberty_path": str(synth.resolve_liberty(given)),
            **{k: area[k] for k in _AREA_KEYS}, **{k: energy[k] for k in _POWER_KEYS},
            "conditions": {k: energy[k] for k in _CONDITIONS},
            "cached": bool(result["row"].get("cached")) or bool(energy.get("cached")),
            "seconds": result["row"].get("seconds")}


def _same_file(a: str | None, b: str | None) -> bool:
    return synth.resolve_liberty(a).resolve() == synth.resolve_liberty(b).resolve()


def _by_point(ctx: ReportContext, points: Sequence[tuple]) -> list[dict]:
    """The section's spec points grouped by design point: ``inst``, ``errors``, ``main`` (the
    report's library) and ``compare`` (the comparison library or None); sorted by width, then
    family (exact, DRUM, ROUP), then spec order; a point given twice counts once."""
    out: dict[str, dict] = {}
    for point, result in points:
        if result is None:
            raise ValueError(f"design point {point.name} has no result")
        inst = instantiate(point.design, point.param_dict)
        entry = out.setdefault(inst.module, {"inst": inst, "errors": None, "main": None,
                                             "compare": None})
        if entry["errors"] is None and "errors" in result["records"]:
            entry["errors"] = result["records"]["errors"]
        if entry["main"] is None and _same_file(point.library, ctx.liberty):
            entry["main"] = _measured(inst.module, result, ctx.liberty)
        if ctx.compare_liberty is not None and entry["compare"] is None \
                and _same_file(point.library, ctx.compare_liberty):
            entry["compare"] = _measured(inst.module, result, ctx.compare_liberty)
    for module, entry in out.items():
        need = [("errors", "its errors metric"), ("main", "the report's library")]
        if ctx.compare_liberty is not None:
            need.append(("compare", "the comparison library ($compare)"))
        for key, what in need:
            if entry[key] is None:
                raise ValueError(f"report spec: design point {module} lacks {what}")
    order = {m: n for n, m in enumerate(out)}
    return sorted(out.values(), key=lambda e: (e["inst"].params["width"],
                                               _FAMILY_ORDER.get(e["inst"].design.name, 3),
                                               order[e["inst"].module]))


def _measurement(m: dict) -> dict:
    return {k: v for k, v in m.items() if k not in ("conditions", "cached", "seconds")}


def _records(entries: Sequence[dict]) -> list[dict]:
    by_key = {_ref_key(e["inst"], e["inst"].params["arch"]): e for e in entries
              if e["inst"].design.name == "exact"}
    records = []
    for entry in entries:
        inst, e = entry["inst"], entry["main"]
        rec = {"module": inst.module, "design": inst.design.name, "params": dict(inst.params),
               "label": _label(inst), "width": inst.params["width"],
               "signed": bool(inst.params["signed"]),
               "arch": inst.params.get("arch"), "errors": entry["errors"],
               **_measurement(e), "energy_cached": e["cached"], "energy_seconds": e["seconds"]}
        for arch, suffix in (("array", ""), ("booth", "_vs_booth")):
            ref = by_key.get(_ref_key(inst, arch))
            rec["reference" if arch == "array" else "booth_reference"] = (
                ref["inst"].module if ref is not None else None)
            r = ref["main"] if ref is not None else None
            rec[f"area_saving{suffix}_pct"] = (
                _saving(e["area_um2"], r["area_um2"]) if r else None)
            rec[f"energy_saving{suffix}_pct"] = (
                _saving(e["energy_per_op_fj"], r["energy_per_op_fj"]) if r else None)
        c = entry["compare"]
        rec["compare"] = None if c is None else {
            **_measurement(c), "energy_cached": c["cached"],
            "area_deviation_pct": _deviation(e["area_um2"], c["area_um2"]),
            "energy_deviation_pct": _deviation(e["energy_per_op_fj"], c["energy_per_op_fj"])}
        records.append(rec)
    return records


def _symlog_threshold(values: Iterable[float]) -> float:
    """A decade below the smallest nonzero value (1 when there is none): where the figures put
    the exact points (MRED 0) on the logarithmic MRED axis."""
    nonzero = [v for v in values if v > 0]
    return 10.0 ** math.floor(math.log10(min(nonzero))) if nonzero else 1.0


def _pareto(records: Sequence[dict]) -> dict:
    """The Pareto front of energy per operation versus MRED per width (modules, ascending
    MRED) and the MRED axis threshold of the figure."""
    fronts = {}
    for w in sorted({r["width"] for r in records}):
        pts = [r for r in records if r["width"] == w]
        front = pareto_front([(r["errors"]["mred_pct"], r["energy_per_op_fj"]) for r in pts])
        fronts[str(w)] = [pts[i]["module"] for i in front]
    return {"fronts": fronts,
            "symlog_linthresh_pct": _symlog_threshold(r["errors"]["mred_pct"] for r in records)}


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
# Documents


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


def _blocks(report: dict, lib_names: Sequence[str], outdir: Path) -> list[tuple]:
    """The section's document: summary, area/energy/error table, the Pareto figure, the DRUM
    paper, the library comparison, the error metrics."""
    records = report["records"]
    cond = report["conditions"]
    has_booth = any(r["energy_saving_vs_booth_pct"] is not None for r in records)
    return [
        ("ul", [
            f"Library of every number below (unless a section says otherwise): "
            f"{report['liberty']} ({display_path(report['liberty_path'], outdir)}); "
            f"{cond['voltage_v']:g} V, wire load {cond['wire_load']}, "
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
        _main_table(records, has_booth),
        *_pareto_blocks(report),
        *_drum_paper_section(records)[0],
        *_compare_blocks(report, lib_names, outdir),
        *_error_blocks(records),
    ]


def _main_table(records: Sequence[dict], has_booth: bool) -> tuple:
    """Area, energy, savings and MRED per point (the other error metrics: the error table)."""
    header = ["design point", "operands", "area um^2", "GE", "energy/op fJ", "area saving %",
              "energy saving %"]
    if has_booth:
        header += ["energy saving vs Booth %"]
    header += ["MRED %"]
    rows = []
    for r in records:
        row = [r["module"], f"{'s' if r['signed'] else 'u'}{r['width']}",
               f"{r['area_um2']:.1f}", f"{r['area_ge']:.1f}", f"{r['energy_per_op_fj']:.1f}",
               _f(r["area_saving_pct"], "{:.1f}"), _f(r["energy_saving_pct"], "{:.1f}")]
        if has_booth:
            row.append(_f(r["energy_saving_vs_booth_pct"], "{:.1f}"))
        row.append(f"{r['errors']['mred_pct']:.3f}")
        rows.append(row)
    return ("table", header, rows)


def _pareto_blocks(report: dict) -> list[tuple]:
    return [
        ("h2", "Energy per operation versus MRED"),
        ("figure", "approx-pareto", figures.pareto_figure(report),
         "One panel per width; MRED on a logarithmic axis, the exact multipliers (MRED 0) at "
         f"its left end ({report['pareto']['symlog_linthresh_pct'] / 10:g} %, marked 0). The "
         "line joins the Pareto front: points no other point of the width beats in both energy "
         "and MRED, signed and unsigned together. Hollow markers: unsigned operands."),
        ("ul", [f"{w}-bit front: " + ", ".join(mods)
                for w, mods in report["pareto"]["fronts"].items()]),
    ]


def _compare_blocks(report: dict, lib_names: Sequence[str], outdir: Path) -> list[tuple]:
    blocks: list[tuple] = [("h2", "Compact versus full library")]
    dev = report["deviation"]
    if dev is None:
        blocks.append(("p", "Not run: this report used one library. Run `edgeforge report "
                            "--compare-liberty PATH` (for example the full sky130_fd_sc_hd "
                            "typical corner, ../shared/pdk/sky130_fd_sc_hd/sky130hd_tt.lib.gz; "
                            "`make report` passes it when that file exists) to synthesise and "
                            "simulate every point with that library too and tabulate the "
                            "deviation."))
        return blocks
    a, b = lib_names
    blocks.append(("p", f"Every point also with {display_path(report['compare_liberty'], outdir)}"
                        "; same workload and flow."))
    blocks.append(("figure", "approx-deviation", figures.deviation_figure(report),
                   f"Deviation = 100 * ({a} - {b}) / {b} per design point, area and energy per "
                   f"operation; the dotted lines mark +-{dev['limit_pct']:g} %."))
    blocks.append(("table", [
        "design point", f"area um^2 [{a}]", f"area um^2 [{b}]", "area dev. %",
        f"energy/op fJ [{a}]", f"energy/op fJ [{b}]", "energy dev. %"],
        [[r["module"], f"{r['area_um2']:.1f}", f"{r['compare']['area_um2']:.1f}",
          f"{r['compare']['area_deviation_pct']:+.2f}", f"{r['energy_per_op_fj']:.1f}",
          f"{r['compare']['energy_per_op_fj']:.1f}",
          f"{r['compare']['energy_deviation_pct']:+.2f}"] for r in report["records"]]))
    blocks.append(("p", _deviation_text(dev, a, b)))
    return blocks


def _error_blocks(records: Sequence[dict]) -> list[tuple]:
    rows = [[fmt.format({"module": r["module"], "mode": _mode_text(r["errors"]),
                         **r["errors"]}[key]) for key, _, fmt in COLUMNS] for r in records]
    return [
        ("h2", "Error metrics"),
        ("ul", [
            "e = approx - exact; RE = e / exact over exact != 0; NMED = MED / (2^n - 1)^2.",
            "MAE % and WCE % follow EvoApproxLib: 100 * MED / 2^(2n) and 100 * WCE / 2^(2n).",
            "DRUM paper (Hashemi et al., ICCAD 2015): sd(RE) 3.61 % at k=5 and 0.45 % at k=8.",
        ]),
        ("table", [c[1] for c in COLUMNS], rows),
    ]


def _lib_names(liberty: str | None, compare_liberty: str | None) -> list[str]:
    """File names of the report's libraries (the comparison one marked when they match)."""
    names = [synth.check_liberty(liberty).name]
    if compare_liberty is not None:
        names.append(Path(compare_liberty).name)
        if names[1] == names[0]:
            names[1] += " (compare)"
    return names



def _write_files(outdir: Path, entries: Sequence[dict]) -> None:
    """``verilog/`` (each point's Verilog and sidecars) and ``errors.json`` in ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    for e in entries:
        emit(e["inst"], outdir / "verilog")
    flat = [{"module": e["inst"].module, "design": e["inst"].design.name,
             "params": e["inst"].params, "mode": _mode_text(e["errors"]), **e["errors"]}
            for e in entries]
    files.atomic_write(outdir / "errors.json", json.dumps(flat, indent=1) + "\n")


class ApproxSection(ReportSection):
    """The multipliers' section (module docstring).

    Its design points are the spec's points of :attr:`designs` (the ``approx`` region of
    ``gen/flow/data/report.toml``; each needs the ``area``, ``energy`` and ``errors`` metrics).
    Options (``build_report(sections={"approx": {...}})`` or the command line): ``ops`` and
    ``workload`` replace the spec's energy workload of every point (the options of
    :func:`gen.approx.multiplier.measure`; the report's seed).
    """

    name = "approx"
    default = True
    options = ("ops", "workload")

    def __init__(self, designs: Iterable[str]):
        self.designs = tuple(designs)

    def _workload(self, ctx: ReportContext) -> dict:
        return {k: v for k in ("ops", "workload") if (v := ctx.arg(k)) is not None}

    def check(self, ctx: ReportContext) -> None:
        ops = ctx.arg("ops")
        if ops is not None:
            bench.check_count("Ops", ops, 1, multiplier.MAX_OPS)
        workload = ctx.arg("workload")
        if workload is not None and not (isinstance(workload, str) and workload):
            raise ValueError(f"Workload must be 'uniform', 'gaussian' or a .npz file with "
                             f"arrays a and b, not {workload!r}")

    def adapt(self, ctx: ReportContext, point):
        """``point`` with the section's ``ops`` and ``workload`` (when given) in its energy
        workload; a recorded workload file is read and checked here, before anything runs."""
        given = self._workload(ctx)
        if not given or "energy" not in point.metrics:
            return point
        workload = {**point.workload_dict, **given}
        if "workload" in given and given["workload"] not in multiplier.WORKLOADS:
            comp = instantiate(point.design, point.param_dict).component
            multiplier.make_workload(given["workload"], comp.width, comp.signed,
                                     workload.get("ops", multiplier.DEFAULT_OPS) + 1,
                                     point.seed)
        return dataclasses.replace(point, workload=tuple(sorted(workload.items())))

    def collect(self, ctx: ReportContext, points: list, results: list) -> dict:
        if not points:
            raise ValueError("report spec: no design point of the approx section ("
                             + ", ".join(self.designs) + ")")
        entries = _by_point(ctx, points)
        _write_files(Path(ctx.outdir), entries)
        records = _records(entries)
        deviation = None
        if ctx.compare_liberty is not None:
            cells = bench.library_for(synth.check_liberty(ctx.liberty)).cells
            deviation = _deviation_summary(records, cells)
        return {
            "conditions": entries[0]["main"]["conditions"],
            "definitions": {
                "saving_pct": "100 * (1 - value / value_of_reference)",
                "reference": "exact array multiplier of the same width and signedness",
                "deviation_pct": "100 * (value_liberty - value_compare_liberty) / "
                                 "value_compare_liberty",
                "area_ge": "area_um2 / nand2_area_um2 (smallest two-input NAND of the library)",
            },
            "records": records,
            "pareto": _pareto(records),
            "deviation": deviation,
            "drum_paper": {**DRUM_PAPER, **_drum_paper_section(records)[1]},
        }

    def blocks(self, report: dict, ctx: ReportContext) -> list[tuple]:
        return _blocks(report, _lib_names(ctx.liberty, ctx.compare_liberty), Path(ctx.outdir))

    def limits(self, report: dict) -> list[str]:
        return [x.format(period=report["conditions"]["period_ns"]) for x in LIMITS]
