"""The approx family's section of ``edgeforge report``: area, energy and error of the
multipliers.

For every design point (by default the family's :data:`gen.approx.family.DEFAULT_POINTS`, the
8- and 16-bit exact, DRUM and ROUP multipliers) the section gathers

* the Verilog (``verilog/``, with sidecars) and the error metrics of the golden model
  (exhaustive up to 16 bits unless ``samples`` is given; cached in ``build/cache/errors``);
* area (um^2 and gate equivalents) and energy per operation from synthesis and gate-level
  simulation (:func:`gen.approx.multiplier.energy`, cached by content in ``build/cache``),
  optionally with the report's second liberty file to measure how far the compact embedded
  library is from the full one;
* savings against the exact array multiplier of the same width and signedness (and against the
  Booth one when it is in the set), a Pareto plot of energy versus MRED, and the DRUM paper's
  reported power savings beside ours.

It writes ``errors.json`` (the error records), ``pareto.png`` and ``verilog/`` into the
report's directory and owns the ``report.json`` keys ``conditions``, ``definitions``,
``records``, ``pareto``, ``deviation`` and ``drum_paper``. The energy runs of different design
points go to the report's executor; one point is never run twice at once (the synthesis of a
point writes to ``build/synth/<module>/`` whatever the library).
"""

from __future__ import annotations

import io
import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from pathlib import Path

from gen.eda import files, synth
from gen.flow import bench
from gen.flow.cache import Cache
from gen.flow.design import Instance
from gen.flow.executor import Job
from gen.flow.family import ReportContext, ReportSection, instantiate
from gen.flow.ip import emit
from sim_models.approx import ErrorMetrics, characterise

from . import multiplier

__all__ = ["ApproxSection", "error_record", "pareto_front", "DRUM_PAPER", "LIMITS",
           "DEVIATION_LIMIT_PCT", "CACHE"]

#: Where the error metrics of the golden models are cached.
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
# Energy jobs (run in the executor's worker processes)


def _energy_job(name: str, params: dict, liberty: str | None, workload: str, ops: int,
                seed: int) -> dict:
    """Area and energy of one design point with one library (runs in a worker process)."""
    t0 = time.perf_counter()
    inst = instantiate(name, params)
    r = multiplier.energy(inst, liberty=liberty, workload=workload, ops=ops, seed=seed)
    s = synth.synthesize(inst, liberty=liberty)  # cached: the cell counts and the GE reference
    if not (r.energy_per_op_fj > 0 and math.isfinite(r.energy_per_op_fj)):
        raise multiplier.EnergyError(f"energy of {inst.module} came out as {r.energy_per_op_fj} fJ")
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


def _job_cost(inst: Instance, lib: int) -> float:
    # measured on the 2-core machine: a 16-bit point costs about 2-3 times an 8-bit one, and
    # the full library (a 2 MB parse and a larger mapping problem) about 1.5 times the compact
    w = inst.params["width"]
    return (w / 8) ** 1.4 * (1.5 if lib else 1.0)


def _prior_seconds(cost: float, ops: int) -> float:
    """Guess of an uncached job's run time, used for the ETA before any job has finished."""
    return cost * (3.0 + 5.0 * ops / 4000)


def _energy_line(line, inst: Instance, res: dict, lib_name: str, seconds: float,
                 eta: float) -> None:
    how = "cached" if res["cached"] else "run   "
    line(inst.module, f"energy [{lib_name}] {res['energy_per_op_fj']:9.1f} fJ/op "
                      f"{res['area_um2']:9.1f} um^2 {how}", seconds, eta)


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


# --------------------------------------------------------------------------------------------
# The section


def _points(points: Iterable[tuple[str, Mapping]] | None,
            default: Iterable[tuple[str, Mapping]]) -> list[Instance]:
    """Instances of ``points`` (``default`` when None), the exact array references added.

    Duplicates are dropped; the order is width, then family (exact, DRUM, ROUP), then as given.
    """
    insts: list[Instance] = []
    seen: set[str] = set()

    def add(inst: Instance) -> None:
        if inst.module not in seen:
            seen.add(inst.module)
            insts.append(inst)

    for name, params in (default if points is None else points):
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


def _blocks(report: dict, lib_names: Sequence[str]) -> list[tuple]:
    """The section's document: summary, area/energy/error table, Pareto plot, the DRUM paper,
    the library comparison, the error metrics."""
    records = report["records"]
    cond = report["conditions"]
    has_booth = any(r["energy_saving_vs_booth_pct"] is not None for r in records)
    return [
        ("ul", [
            f"Library of every number below (unless a section says otherwise): "
            f"{report['liberty']} ({report['liberty_path']}); {cond['voltage_v']:g} V, wire load "
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
        _main_table(records, has_booth),
        *_pareto_blocks(report),
        *_drum_paper_section(records)[0],
        *_compare_blocks(report, lib_names),
        *_error_blocks(records),
    ]


def _main_table(records: Sequence[dict], has_booth: bool) -> tuple:
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
    return ("table", header, rows)


def _pareto_blocks(report: dict) -> list[tuple]:
    return [
        ("h2", "Pareto plot: energy per operation versus MRED"),
        ("p", "One panel per width; the x axis is symlog (linear below "
              f"{report['pareto']['symlog_linthresh_pct']:g} %), so the exact multipliers "
              "(MRED 0) sit at the left edge. The step line joins the Pareto front (points no "
              "other point beats in both energy and MRED; signed and unsigned together)."),
        ("img", "pareto.png", "energy per operation versus MRED, Pareto front"),
        ("ul", [f"{w}-bit front: " + ", ".join(mods)
                for w, mods in report["pareto"]["fronts"].items()]),
    ]


def _compare_blocks(report: dict, lib_names: Sequence[str]) -> list[tuple]:
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
          str(r["compare"]["cells"])] for r in report["records"]]))
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


class ApproxSection(ReportSection):
    """The multipliers' section (module docstring).

    Options (``build_report(sections={"approx": {...}})`` or the command line): ``points``
    (``(design, params)`` pairs; None: the family's default points; the exact array multiplier
    of each width and signedness present is added when missing, as the savings reference),
    ``samples`` (random pairs for the error metrics of widths above 8; default: exhaustive to
    16 bits), ``ops`` and ``workload`` (the energy workload of
    :func:`gen.approx.multiplier.energy`; the report's seed).
    """

    name = "approx"
    default = True
    options = ("points", "samples", "ops", "workload")
    title = "edgeforge report: approximate multipliers"

    def __init__(self, default_points: Iterable[tuple[str, Mapping]]):
        self._default = tuple(default_points)

    def _points(self, ctx: ReportContext) -> list[Instance]:
        return _points(ctx.arg("points"), self._default)

    def check(self, ctx: ReportContext) -> None:
        bench.check_count("Ops", ctx.arg("ops", multiplier.DEFAULT_OPS), 1, multiplier.MAX_OPS)
        self._points(ctx)  # every point's parameters

    def steps(self, ctx: ReportContext) -> int:
        # verilog + error metrics, then energy with each library
        return len(self._points(ctx)) * (2 + (ctx.compare_liberty is not None))

    def run(self, ctx: ReportContext) -> dict:
        t_start = time.perf_counter()
        insts = self._points(ctx)
        libs = [ctx.liberty] + ([ctx.compare_liberty] if ctx.compare_liberty else [])
        ops, workload = ctx.arg("ops", multiplier.DEFAULT_OPS), ctx.arg("workload", "uniform")
        errors = _verilog_and_errors(ctx, insts, len(libs), ops, t_start)
        energies = _run_energy(ctx, insts, libs, workload=workload, ops=ops)
        records = _records(insts, errors, energies)
        outdir = Path(ctx.outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        flat = [{"module": i.module, "design": i.design.name, "params": i.params,
                 "mode": _mode_text(r), **r} for i, r in zip(insts, errors, strict=True)]
        files.atomic_write(outdir / "errors.json", json.dumps(flat, indent=1) + "\n")
        first = energies[0][0]
        conditions = {k: first[k] for k in ("workload", "workload_text", "ops", "seed", "sim",
                                            "voltage_v", "period_ns", "slew_ns", "wire_load")}
        plot = _plot(records, outdir / "pareto.png", liberty=records[0]["liberty"], ops=ops,
                     seed=ctx.seed, workload=workload)
        deviation = None
        if ctx.compare_liberty is not None:
            cells = bench.library_for(synth.check_liberty(ctx.liberty)).cells
            deviation = _deviation_summary(records, cells)
        return {
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
            "drum_paper": {**DRUM_PAPER, **_drum_paper_section(records)[1]},
        }

    def blocks(self, report: dict, ctx: ReportContext) -> list[tuple]:
        return _blocks(report, _lib_names(ctx.liberty, ctx.compare_liberty))

    def limits(self, report: dict) -> list[str]:
        return [x.format(period=report["conditions"]["period_ns"]) for x in LIMITS]


def _verilog_and_errors(ctx: ReportContext, insts: Sequence[Instance], n_libs: int, ops: int,
                        t_start: float) -> list[dict]:
    """Step 1: the Verilog and the error metrics of every point (cached; in this process)."""
    samples = ctx.arg("samples")
    errors = []
    prior = _prior_seconds(sum(_job_cost(i, li) for i in insts for li in range(n_libs)),
                           ops) / ctx.workers
    for n, inst in enumerate(insts, 1):
        t0 = time.perf_counter()
        emit(inst, Path(ctx.outdir) / "verilog")
        r = error_record(inst, samples)
        errors.append(r)
        spent = time.perf_counter() - t_start
        eta = spent / n * (len(insts) - n) + prior
        ctx.line(inst.module, f"verilog + error metrics "
                              f"({'exhaustive' if r['exhaustive'] else 'sampled'})",
                 time.perf_counter() - t0, eta)
    return errors


def _run_energy(ctx: ReportContext, insts: Sequence[Instance], libs: Sequence[str | None], *,
                workload: str, ops: int) -> list[list[dict]]:
    """Step 2: area and energy of every point with every library; ``out[lib][point]``.

    Jobs run longest first on the report's executor; two jobs of the same point never run at
    the same time.
    """
    names = _lib_names(ctx.liberty, ctx.compare_liberty)
    pad = max(map(len, names))
    names = [n.ljust(pad) for n in names]
    jobs = [Job(f"design point {inst.module} (liberty {names[li]})", _energy_job,
                (inst.design.name, dict(inst.params), libs[li], workload, ops, ctx.seed),
                cost=_job_cost(inst, li), exclusive=i)
            for li in range(len(libs)) for i, inst in enumerate(insts)]
    state = {"remaining": sum(j.cost for j in jobs), "cost": 0.0, "seconds": 0.0}

    def done(k: int, res: dict, seconds: float) -> None:
        li, i = divmod(k, len(insts))
        state["cost"] += jobs[k].cost
        state["seconds"] += seconds
        state["remaining"] -= jobs[k].cost
        # run time per cost unit of the finished jobs, spread over the workers
        eta = state["remaining"] * state["seconds"] / state["cost"] / max(1, ctx.workers)
        _energy_line(ctx.line, insts[i], res, names[li], seconds, eta)

    results = ctx.executor.run(jobs, done)
    return [results[li * len(insts):(li + 1) * len(insts)] for li in range(len(libs))]
