"""The compute-in-memory section of ``edgeforge report``: energy, cycles, accuracy, approximate
tree (:class:`CimSection`, report.json key ``cim``).

* energy per MAC and TOPS/W of the ``cim_macro`` points of the report's spec
  (``gen/flow/data/report.toml``: binary versus fibbinary weights, 2-, 4- and 8-bit inputs,
  dense and sparse inputs, exact and truncated trees), each measured by the family's
  ``edgeforge energy`` flow (:func:`gen.cim.macro.measure_macro`), printed beside the anchors'
  reported figures (:data:`ANCHORS`) with the technologies named, and a figure of binary versus
  fibbinary (:mod:`gen.cim.figures`);
* the cycle count of every input width and signedness, binary versus fibbinary (from the
  golden model's slice schedule);
* two studies that are not design points (:meth:`CimSection.jobs`): the accuracy cost of
  fibbinary weight quantisation on the digits MLP's 64-input layer
  (:func:`gen.cim.digits.cim_digits`) and the error metrics of the truncated adder tree
  (:func:`sim_models.cim.tree_errors`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from gen.flow.executor import Job
from gen.flow.family import ReportContext, ReportSection
from sim_models.cim import CIMMacroModel, tree_errors

from .digits import cim_digits
from .figures import FIGURE_ID, binary_vs_fibbinary

__all__ = ["ANCHORS", "CimSection", "cim_blocks", "TREE_SAMPLES"]

#: Published figures the report prints beside ours.
ANCHORS = (
    ("Fujiwara et al., ISSCC 2022 (TSMC)", "5 nm, 0.5 V, 12T SRAM bit cells", "4b x 4b",
     "253.5 TOPS/W (3.94 fJ/op) at 10 % input sparsity"),
    ("TU Eindhoven digital CIM, fibbinary", "GF 22 nm", "2b x 4b",
     "157 TOPS/W (6.37 fJ/op)"),
    ("CIMple (TU/e, arXiv 2604.15944)", "28 nm, standard-cell SRAM CIM", "INT8",
     "26.1 TOPS/W"),
)
#: Random vectors per error measurement of the approximate tree.
TREE_SAMPLES = 4096
#: Rough run times (seconds) of the studies: training the MLP, the tree's golden models.
DIGITS_COST = 20.0
TREE_COST = 10.0


def _records(points: Sequence[tuple]) -> list[dict]:
    """The energy records of the spec's points, in spec order; a non-positive or non-finite
    energy fails the report, named."""
    out = []
    for _point, result in points:
        r = result["records"]["energy"]
        if not (r["energy_per_mac_fj"] > 0 and math.isfinite(r["energy_per_mac_fj"])):
            raise RuntimeError(f"energy of {r['module']} came out as {r['energy_per_mac_fj']}")
        out.append(r)
    return out


def _digits_job(seed: int) -> dict:
    """The digits MLP's CIM layer study (:func:`gen.cim.digits.cim_digits`), as report.json
    keeps it."""
    dg = cim_digits(seed)
    return {"seed": dg.seed, "train_images": dg.train_images, "test_images": dg.test_images,
            "float_accuracy": dg.float_accuracy,
            "accuracy": {k: {str(b): v for b, v in d.items()} for k, d in dg.accuracy.items()},
            "weight_rmse": {k: {str(b): v for b, v in d.items()}
                            for k, d in dg.weight_rmse.items()}}


def _tree(seed: int) -> list[dict]:
    """Error metrics of the truncated adder tree, binary and fibbinary, 1 to 3 bits dropped."""
    tree = []
    for enc in ("binary", "fibbinary"):
        for bits in (1, 2, 3):
            m = CIMMacroModel(64, 4, 4, 4, signed_weights=True, encoding=enc,
                              approx_bits=bits)
            tree.append({"encoding": enc, "approx_bits": bits,
                         **tree_errors(m, TREE_SAMPLES, seed)})
    return tree


def _describe_digits(res: dict) -> str:
    return (f"float {100 * res['float_accuracy']:.2f} %, fibbinary 4b "
            f"{100 * res['accuracy']['fibbinary']['4']:.2f} %")


def _describe_tree(res: list) -> str:
    return f"error metrics of {len(res)} trees ({TREE_SAMPLES} vectors each)"


def _cycles() -> list[dict]:
    cycles = []
    for ib in (2, 4, 8):
        for si in (False, True):
            b = CIMMacroModel(4, 1, 4, ib, signed_inputs=si).cycles
            f = CIMMacroModel(4, 1, 4, ib, signed_inputs=si, encoding="fibbinary").cycles
            cycles.append({"ib": ib, "signed_inputs": si, "binary": b, "fibbinary": f})
    return cycles


class CimSection(ReportSection):
    """The report's compute-in-memory section (report.json key ``cim``): the spec's
    ``cim_macro`` points and two studies (the digits layer, the approximate tree)."""

    name = "cim"
    designs = ("cim_macro",)

    def jobs(self, ctx: ReportContext) -> list[Job]:
        return [Job("cim digits layer", _digits_job, (ctx.seed,), cost=DIGITS_COST,
                    describe=_describe_digits),
                Job("cim approximate tree", _tree, (ctx.seed,), cost=TREE_COST,
                    describe=_describe_tree)]

    def collect(self, ctx: ReportContext, points: list, results: list) -> dict:
        digits, tree = results
        return {"cim": {"records": _records(points), "seed": ctx.seed, "cycles": _cycles(),
                        "tree": tree, "digits": digits,
                        "anchors": [list(a) for a in ANCHORS]}}

    def blocks(self, report: dict, ctx: ReportContext) -> list[tuple]:
        return cim_blocks(report.get("cim"))


def _label(r: dict) -> str:
    p = r["params"]
    approx = f", tree -{p['approx_bits']} bits" if p.get("approx_bits") else ""
    wts = ", fibbinary-codebook weights" if r.get("weights", "encoding") != "encoding" and \
        p["encoding"] == "binary" else ""
    return f"{p['encoding']}, {p['ib']}b x {p['wb']}b{approx}{wts}"


def _key(r: dict) -> tuple:
    p = r["params"]
    return (p["ib"], p["wb"], p.get("approx_bits", 0), r["input_zero"])


def _energy_rows(recs: list[dict]) -> tuple[list[list[str]], list[str]]:
    """Rows of the energy table and the same-weights comparisons under it."""
    binary = {_key(r): r for r in recs if r["params"]["encoding"] == "binary"
              and r.get("weights", "encoding") == "encoding"}
    same_w = {_key(r): r for r in recs if r["params"]["encoding"] == "binary"
              and r.get("weights", "encoding") == "fibbinary"}
    rows = []
    for r in recs:
        ref = binary.get(_key(r))
        saving = (f"{100 * (1 - r['energy_per_mac_fj'] / ref['energy_per_mac_fj']):+.1f}"
                  if ref is not None and ref is not r else "-")
        area = (f"{100 * (r['area_um2'] / ref['area_um2'] - 1):+.1f}"
                if ref is not None and ref is not r else "-")
        rows.append([r["module"], _label(r), f"{100 * r['input_zero']:.0f} "
                     f"({100 * r['measured_zero_fraction']:.1f})", str(r["cycles_per_vector"]),
                     f"{r['energy_per_mac_fj']:.1f}", f"{r['tops_per_w']:.2f}", saving,
                     f"{r['area_um2']:.0f}", area])
    fair = []
    for r in recs:
        ref = same_w.get(_key(r))
        if ref is not None and r["params"]["encoding"] == "fibbinary":
            fair.append(
                f"{_label(r)}, {100 * r['input_zero']:.0f} % zero inputs: a binary macro with "
                f"the same (fibbinary-codebook) weights costs {ref['energy_per_mac_fj']:.1f} "
                f"fJ/MAC; fibbinary saves "
                f"{100 * (1 - r['energy_per_mac_fj'] / ref['energy_per_mac_fj']):.1f} % of it "
                "(the part of the saving due to the 2-bit slices, not to sparser weight bits).")
    return rows, fair


def _energy_blocks(cim: dict) -> list[tuple]:
    """The energy part: how it was measured, the table, the anchors."""
    recs = cim["records"]
    first = recs[0]
    rows, fair = _energy_rows(recs)
    lib = Path(first["liberty"]).name  # a library given as a path: its file name only
    return [
        ("h2", "Digital compute-in-memory macro: binary versus fibbinary weights"),
        ("ul", [
            f"cim_macro with {first['params']['rows']} rows x {first['params']['cols']} columns, "
            "unsigned inputs, signed weights, bit cells as clock-gated storage "
            "(storage=latch: written rows only are clocked); 1 MAC = one ib-bit x wb-bit "
            "multiply-accumulate = 2 operations (fJ/op = fJ/MAC / 2); TOPS/W = 2000 / "
            "(fJ/MAC).",
            f"Technology: {lib} at {first['voltage_v']:g} V, "
            f"{1000 / first['period_ns']:g} MHz testbench clock (leakage over the macro's "
            "cycles per vector), standard cells for the bit cells, adder trees and "
            "accumulators; no SRAM macro, no custom cells.",
            "Gate-level simulation of the synthesised netlist "
            f"({first['sim']}): weights written row by row, then {first['vectors']} vectors "
            "back to back after 2 warm-up vectors; every result checked against the golden "
            "model; toggles counted over the measured vectors' compute cycles only.",
            "Workload: inputs uniform over their range, each 0 with the row's probability "
            "(measured zero inputs in brackets); weights uniform over the encoding's levels "
            "(or over the fibbinary codebook where the row says so); seed "
            f"{first['seed']}.",
            "Fibbinary mode takes 2 input bits per cycle (OR-formed 2b x wb products); "
            "'vs binary' compares with the binary point of the same bits, tree and inputs: "
            "saving = 100 * (1 - fibbinary / binary), area change = 100 * (fibbinary / binary "
            "- 1).",
        ]),
        ("figure", FIGURE_ID, binary_vs_fibbinary(cim),
         "Binary versus fibbinary weights, same input and weight bits, tree and input zeros: "
         "energy per MAC, TOPS/W and cycles per input vector."),
        ("table", ["design point", "configuration", "input zeros % (measured)",
                   "cycles/vector", "fJ/MAC", "TOPS/W", "fJ/MAC saving vs binary %",
                   "area um^2", "area change vs binary %"], rows),
        *([("ul", fair)] if fair else []),
        ("h2", "Published CIM figures (other technologies)"),
        ("table", ["macro", "technology", "precision", "reported"],
         [list(a) for a in cim["anchors"]]),
        ("p", "These anchors are full-custom or SRAM-based macros in 5 to 28 nm at 0.5 to 0.9 "
              f"V; ours is a standard-cell netlist in {lib} at "
              f"{first['voltage_v']:g} V, so the ratio of energies reflects technology and "
              "supply (roughly C V^2) more than architecture; compare binary and fibbinary "
              "within our rows, not across."),
    ]


def _model_blocks(cim: dict) -> list[tuple]:
    """The golden-model part: cycles per vector, digits accuracy, approximate tree errors."""
    d = cim["digits"]
    acc_rows = [["float MLP (first layer in float)", "-", f"{100 * d['float_accuracy']:.2f}",
                 "-"]]
    names = {"binary": "uniform two's-complement weights",
             "fibbinary": "signed fibbinary (two's complement) weights",
             "fibbinary_zp": "unsigned fibbinary weights with a zero point"}
    for enc, label in names.items():
        for bits, acc in d["accuracy"][enc].items():
            acc_rows.append([label, bits, f"{100 * acc:.2f}",
                             f"{100 * d['weight_rmse'][enc][bits]:.1f}"])
    tree_rows = [[t["encoding"], str(t["approx_bits"]), f"{100 * t['ep']:.1f}",
                  f"{t['med']:.1f}", f"{t['mean_error']:.1f}", f"{t['wce']:.0f}",
                  f"{100 * t['mred']:.1f}", f"{100 * t['nmed']:.3f}"] for t in cim["tree"]]
    cyc_rows = [[str(c["ib"]), "signed" if c["signed_inputs"] else "unsigned",
                 str(c["binary"]), str(c["fibbinary"]),
                 f"{100 * (1 - c['fibbinary'] / c['binary']):.0f}"] for c in cim["cycles"]]
    return [
        ("h2", "Cycles per input vector"),
        ("table", ["input bits", "inputs", "binary", "fibbinary", "saving %"], cyc_rows),
        ("p", "Signed inputs: the sign bit takes a cycle of its own (its partial sum is "
              "negated), the other bits are paired, so a signed 4-bit input needs 3 cycles."),
        ("h2", "Accuracy cost of fibbinary weights: digits MLP, 64-input CIM layer"),
        ("p", f"MLP 64 -> 32 -> 10 trained in float on {d['train_images']} digits images "
              f"(gen/cim/digits.py, seed {d['seed']}), inputs min(pixel, 15) as 4-bit "
              "unsigned; the first layer quantised after training with a per-column scale "
              "(and zero point) minimising the weight error, run through the macro's golden "
              f"model; test accuracy on {d['test_images']} images. Quantiser: nearest level, "
              "ties towards the smaller magnitude."),
        ("table", ["first layer weights", "bits", "test accuracy %",
                   "weight RMS error % of RMS weight"], acc_rows),
        ("h2", "Approximate adder tree: error metrics"),
        ("p", "64 x 4 macro, 4-bit unsigned inputs, 4-bit signed weights; the tree drops the "
              "lowest L bits of every product (floor); e = approx - exact over 4096 random "
              "vectors x 4 columns; NMED = MED / max |exact range|; MRED over exact != 0."),
        ("table", ["encoding", "L", "EP %", "MED", "mean error", "WCE", "MRED %", "NMED %"],
         tree_rows),
    ]


def cim_blocks(cim: dict | None) -> list[tuple]:
    """Report blocks (see :class:`gen.flow.family.ReportSection`) of the section."""
    if not cim:
        return []
    return (_energy_blocks(cim) if cim["records"] else []) + _model_blocks(cim)
