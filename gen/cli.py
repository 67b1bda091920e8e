"""The ``edgeforge`` command line.

Every invalid parameter, file or option prints one line ``edgeforge: error: ...`` to stderr and
exits with code 2, before anything is elaborated or written. A failed flow step (Yosys, a
gate-level netlist that disagrees with the golden model, an unusable activity file) also exits 2
with a message naming the file and the problem. An RTL verification mismatch exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main"]


class UsageError(Exception):
    """Bad input detected by the CLI itself."""


def _add_params(p: argparse.ArgumentParser) -> None:
    p.add_argument("design", help="design name (see `edgeforge list`)")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                   help="generator parameter (repeatable)")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump), exit code 2."""

    def error(self, message: str):
        self.exit(2, f"edgeforge: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(
        prog="edgeforge",
        description="Generate, verify and characterise edge-AI accelerator RTL.",
    )
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND",
                            parser_class=_Parser)

    p = sub.add_parser("list", help="designs, their parameters, ranges and defaults")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("verilog", help="write Verilog, JSON sidecar, file list and FuseSoC core")
    p.add_argument("design", nargs="?", help="design name; omit with --all")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--all", action="store_true", help="the default design set")
    p.add_argument("-o", "--output", default="build/verilog", help="output directory")

    p = sub.add_parser("errors", help="error metrics of an approximate multiplier or a LUT")
    p.add_argument("design", nargs="?", help="design name; omit with --lut")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--lut", help="a (2^n, 2^n) .npy table of any multiplier")
    p.add_argument("--width", type=int, help="operand width of the LUT")
    p.add_argument("--signed", action="store_true", help="LUT operands are two's complement")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--exhaustive", action="store_true", help="all 2^(2n) operand pairs")
    g.add_argument("--samples", type=int, help="N uniform random pairs")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--workers", type=int, default=2, help="processes for exhaustive runs")
    p.add_argument("--json", action="store_true", help="one JSON object")

    p = sub.add_parser("verify", help="simulate the RTL against the golden model")
    _add_params(p)
    p.add_argument("--vectors", default="default",
                   choices=("default", "exhaustive", "random", "corners"))
    p.add_argument("--samples", type=int, default=100_000, help="random pairs (default 100000)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--a", type=lambda s: int(s, 0), help="single vector: operand a")
    p.add_argument("--b", type=lambda s: int(s, 0), help="single vector: operand b")
    p.add_argument("--sim", help="icarus or verilator (default: $SIM, else icarus if installed)")
    p.add_argument("--waves", action="store_true", help="record an FST waveform (or WAVES=1)")

    p = sub.add_parser("synth", help="synthesise with Yosys: area (um^2, GE), cells, transistors, "
                       "logic depth, critical path")
    p.add_argument("design", nargs="?", help="design name; omit with --all")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--all", action="store_true",
                   help="the default design set, plus summary.json and summary.md")
    p.add_argument("--liberty", metavar="PATH",
                   help="Liberty file (.lib or .lib.gz); default $LIBERTY, $PDK_ROOT's "
                   "sky130_fd_sc_hd, else the embedded compact sky130_fd_sc_hd")
    p.add_argument("-o", "--output", default="build/synth", help="output directory")
    p.add_argument("--no-cache", action="store_true", help="synthesise again even if cached")
    p.add_argument("--json", action="store_true", help="one JSON object (a list with --all)")

    p = sub.add_parser("energy", help="energy per operation from gate-level simulation")
    _add_params(p)
    p.add_argument("--liberty", metavar="PATH",
                   help="liberty file (.lib/.lib.gz); default $LIBERTY, PDK_ROOT, else the "
                        "embedded compact sky130_fd_sc_hd")
    p.add_argument("--workload", default=None,
                   help="multipliers: uniform (default), gaussian, or an .npz file with arrays "
                        "a and b")
    p.add_argument("--ops", type=int, default=None,
                   help="multipliers: operations measured (default 4000)")
    p.add_argument("--density", type=float, default=None,
                   help="ternary_ocu, ternary_engine: probability that a trit of the "
                        "windows/frames and weights is 0 (0..1, default 0.5)")
    p.add_argument("--frames", type=int, default=None,
                   help="ternary_engine: image_width x image_width frames of one n_i -> n_o "
                        "layer (1..256, default 4)")
    p.add_argument("--windows", type=int, default=None,
                   help="ternary_ocu/binary_ocu: windows measured (16..8192, default 200)")
    p.add_argument("--input-zero", type=float, default=None,
                   help="cim_macro: probability that an input is 0 (0..1, default 0: dense)")
    p.add_argument("--vectors", type=int, default=None,
                   help="cim_macro: input vectors measured (8..4096, default 64)")
    p.add_argument("--cim-weights", choices=("encoding", "fibbinary"), default=None,
                   help="cim_macro: weights uniform over the encoding's levels (default) or "
                        "over the fibbinary codebook in either encoding")
    p.add_argument("--kernel", default=None,
                   help="cgra: kernel to run (dot, fir, gemm, vadd, conv3x3; default dot)")
    p.add_argument("--seed", type=int, default=1, help="seed of random workloads (default 1)")
    p.add_argument("--sim", help="icarus or verilator (default: $SIM, else icarus if installed)")
    p.add_argument("--wire-load", choices=("default", "none"), default="default",
                   help="net capacitance: pins plus the library's default wire-load model "
                        "(default) or pins only")
    p.add_argument("--slew", type=float, metavar="NS",
                   help="input slew for internal-power tables (default 0.1 ns)")
    p.add_argument("--json", action="store_true", help="one JSON object")

    p = sub.add_parser("power", help="power of any gate-level netlist from a VCD/FST "
                                     "(like OpenSTA report_power)")
    p.add_argument("--netlist", required=True, metavar="X.v", help="structural Verilog netlist")
    p.add_argument("--top", required=True, help="top module of the netlist")
    p.add_argument("--vcd", required=True, metavar="W.vcd[.gz]|W.fst",
                   help="activity dump of a simulation of the netlist")
    p.add_argument("--scope", required=True, metavar="tb/dut",
                   help="instance of the netlist's top in the dump")
    p.add_argument("--liberty", metavar="PATH", help="liberty file (default as for synth)")
    p.add_argument("--period", type=float, metavar="NS",
                   help="clock period: also report energy per cycle and the cycle count")
    p.add_argument("--start", type=float, metavar="NS", help="window start (default: dump start)")
    p.add_argument("--end", type=float, metavar="NS", help="window end (default: dump end)")
    p.add_argument("--wire-load", choices=("default", "none"), default="default")
    p.add_argument("--slew", type=float, metavar="NS",
                   help="input slew for internal-power tables (default 0.1 ns)")
    p.add_argument("--json", action="store_true", help="one JSON object")

    p = sub.add_parser("digits", help="the ternary digits CNN: float and ternary accuracy, "
                       "then its test images through the engine's RTL")
    p.add_argument("--images", type=int, default=None,
                   help="first N test images through the RTL (1..539, default all 539)")
    p.add_argument("--golden-only", action="store_true",
                   help="train (or load) and report the float and golden accuracies only")
    p.add_argument("--seed", type=int, default=1, help="seed of the training (default 1)")
    p.add_argument("--sim", help="icarus or verilator (default: $SIM, else icarus if installed)")
    p.add_argument("--json", action="store_true", help="one JSON object")

    p = sub.add_parser("asm", help="assemble a CGRA program (PASM) into a configuration "
                       "bitstream and instruction images (docs/cgra.md)")
    p.add_argument("program", nargs="?",
                   help="a .pasm file or a built-in kernel (dot, fir, gemm, vadd, conv3x3)")
    p.add_argument("--fabric", required=True, metavar="NAME|FILE.toml",
                   help="built-in fabric (default, small) or a fabric description in TOML")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="output directory (default build/cgra/<program>)")
    p.add_argument("--list-fields", action="store_true",
                   help="print the configuration layout (name offset width, and the value "
                        "when a program is given) and the instruction fields; write nothing")

    p = sub.add_parser("report", help="write the report to build/report/ (area, energy, "
                       "errors, savings, Pareto plot)")
    p.add_argument("-o", "--output", default="build/report")
    p.add_argument("--samples", type=int,
                   help="random pairs for 16-bit error metrics instead of exhaustive")
    p.add_argument("--liberty", metavar="PATH",
                   help="library of the report (default as for synth: the embedded compact one)")
    p.add_argument("--compare-liberty", metavar="PATH",
                   help="also run every point with this library and tabulate the deviation")
    p.add_argument("--ops", type=int, default=4000,
                   help="operations per energy measurement (default 4000)")
    p.add_argument("--seed", type=int, default=1, help="seed of the workload (default 1)")
    p.add_argument("--workers", type=int, default=2,
                   help="processes for the energy runs (default 2)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    return ap


def _cmd_list(args) -> int:
    from .designs import DESIGNS

    if args.json:
        out = {
            name: {
                "family": d.family,
                "summary": d.summary,
                "params": [{"name": p.name, "type": p.kind.__name__, "default": p.default,
                            "valid": p.valid, "doc": p.doc} for p in d.params],
            }
            for name, d in DESIGNS.items()
        }
        print(json.dumps(out, indent=2))
        return 0
    for name, d in DESIGNS.items():
        print(f"{name}  [{d.family}]  {d.summary}")
        for p in d.params:
            default = str(p.default).lower() if p.kind is bool else p.default
            print(f"    {p.name:<10} {p.kind.__name__:<5} default {default!s:<7} "
                  f"valid {p.valid:<14} {p.doc}")
    return 0


def _cmd_verilog(args) -> int:
    from .designs import DEFAULT_SET, instantiate
    from .verilog import emit

    if args.all and args.design:
        raise UsageError("give a design or --all, not both")
    if not args.all and not args.design:
        raise UsageError("give a design name or --all")
    if args.all and args.param:
        raise UsageError("-p does not apply to --all")
    todo = ([instantiate(n, p) for n, p in DEFAULT_SET] if args.all
            else [instantiate(args.design, args.param)])
    for inst in todo:  # all validated above, before anything is elaborated or written
        e = emit(inst, args.output)
        print(e.verilog)
    return 0


def _require_multiplier(inst, command: str) -> None:
    """Reject a non-multiplier design in the multiplier-only commands."""
    if inst.design.family != "approx":
        raise UsageError(
            f"Design {inst.design.name} is not a multiplier; `edgeforge {command}` covers the "
            f"multiplier family only (the {inst.design.family} family is checked with "
            "python -m verif.ternary.ocu)")


def _cmd_errors(args) -> int:
    from sim_models.approx import characterise, lut_model

    if args.lut:
        if args.design or args.param:
            raise UsageError("--lut takes no design or -p")
        if args.width is None:
            raise UsageError("--lut needs --width N")
        import numpy as np

        path = Path(args.lut)
        try:
            table = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise UsageError(f"cannot read LUT {path}: {e}") from None
        model = lut_model(table, width=args.width, signed=args.signed)
        label = f"LUT {path.name}"
    else:
        if not args.design:
            raise UsageError("give a design name or --lut FILE")
        if args.width is not None or args.signed:
            raise UsageError("--width and --signed go with --lut; use -p for designs")
        from .designs import instantiate

        inst = instantiate(args.design, args.param)
        _require_multiplier(inst, "errors")
        model = inst.model
        label = inst.module
    if args.samples is not None and args.samples < 1:
        raise UsageError(f"--samples must be a positive integer, not {args.samples}")
    if args.workers < 1:
        raise UsageError(f"--workers must be a positive integer, not {args.workers}")
    m = characterise(model, exhaustive=True if args.exhaustive else None, samples=args.samples,
                     seed=args.seed, workers=args.workers)
    d = m.to_dict()
    if args.json:
        print(json.dumps(d))
        return 0
    mode = "exhaustive" if d["exhaustive"] else f"{d['samples']} samples, seed {d['seed']}"
    sign = "signed" if d["signed"] else "unsigned"
    if d.get("sign_mode"):
        sign += f", sign mode {d['sign_mode']}"
    print(f"{label}: {d['width']}-bit {sign}, {mode}")
    for key, value in d.items():
        if key in ("width", "signed", "sign_mode", "exhaustive", "samples", "seed"):
            continue
        print(f"  {key:<12} {value:.6g}" if isinstance(value, float) else f"  {key:<12} {value}")
    return 0


def _cmd_verify(args) -> int:
    from .designs import instantiate
    from .verify import verify

    inst = instantiate(args.design, args.param)
    _require_multiplier(inst, "verify")
    if args.samples < 1:
        raise UsageError(f"--samples must be a positive integer, not {args.samples}")
    r = verify(inst, vectors=args.vectors, samples=args.samples, seed=args.seed, a=args.a,
               b=args.b, sim=args.sim, waves=args.waves)
    print(f"{r.module} ({r.sim}): {r.checked} vectors match the golden model [{r.vectors}], "
          f"{r.checked / max(r.seconds, 1e-9):,.0f} vectors/s")
    return 0


def _synth_summary(r) -> str:
    """Human-readable summary of one :class:`gen.synth.SynthResult`."""
    crit = (f"{r.critical_path_ns:.3f} ns ({r.critical_path_note})"
            if r.critical_path_ns is not None else f"n/a ({r.critical_path_note})")
    if r.abc_delay_ns is not None:
        crit += f"; ABC stime {r.abc_delay_ns:.3f} ns"
    top_cells = sorted(r.cells.items(), key=lambda kv: (-kv[1], kv[0]))[:6]
    lines = [
        f"{r.top}  [liberty: {r.liberty}]{'  (cached)' if r.cached else ''}",
        f"  area             {r.area_um2:.2f} um^2 = {r.area_ge:.1f} GE "
        f"(NAND2 {r.nand2_cell}: {r.nand2_area_um2:g} um^2)",
        f"  cells            {r.num_cells}: "
        + ", ".join(f"{n} {t}" for t, n in top_cells) + (", ..." if len(r.cells) > 6 else ""),
        f"  sequential area  {r.sequential_area_um2:.2f} um^2",
        f"  transistors      {r.transistors} (Yosys CMOS cost of the generic gates)",
        f"  logic depth      {r.logic_depth} cells (longest combinational path, flattened)",
        f"  critical path    {crit}",
        f"  netlist          {r.netlist}",
    ]
    if len(r.per_module) > 1:
        lines.append(f"  {'module':<34} {'inst':>4} {'cells':>6} {'area um^2':>11} {'share':>6}")
        for name, m in r.per_module.items():
            share = 100.0 * m["area_um2"] * m["instances"] / r.area_um2
            lines.append(f"  {name:<34} {m['instances']:>4} {m['cells']:>6} "
                         f"{m['area_um2']:>11.2f} {share:>5.1f}%")
    return "\n".join(lines)


def _synth_markdown(results, liberty: str) -> str:
    rows = ["# Synthesis summary", "", f"Liberty: {liberty}. Areas are sums of the mapped "
            "cells' Liberty areas (no placement); GE = area / smallest NAND2; transistors from "
            "Yosys' CMOS cost of the generic gates; logic depth in generic cells.", "",
            "| module | area (um^2) | GE | cells | sequential (um^2) | transistors | depth "
            "| critical path (ns) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        crit = f"{r.critical_path_ns:.3f}" if r.critical_path_ns is not None else "n/a"
        rows.append(f"| {r.top} | {r.area_um2:.2f} | {r.area_ge:.1f} | {r.num_cells} "
                    f"| {r.sequential_area_um2:.2f} | {r.transistors} | {r.logic_depth} "
                    f"| {crit} |")
    notes = {r.critical_path_note for r in results if r.critical_path_ns is None}
    if notes:
        rows += ["", "Critical path n/a: " + "; ".join(sorted(notes)) + "."]
    return "\n".join(rows) + "\n"


def _cmd_synth(args) -> int:
    from .designs import DEFAULT_SET, instantiate
    from .synth import SynthesisError, resolve_liberty, synthesize, yosys_command

    if args.all and args.design:
        raise UsageError("give a design or --all, not both")
    if not args.all and not args.design:
        raise UsageError("give a design name or --all")
    if args.all and args.param:
        raise UsageError("-p does not apply to --all")
    resolve_liberty(args.liberty)  # bad paths fail here, before anything is written
    yosys_command()
    todo = ([instantiate(n, p) for n, p in DEFAULT_SET] if args.all
            else [instantiate(args.design, args.param)])
    out = Path(args.output)
    results = []
    try:
        for inst in todo:
            r = synthesize(inst, liberty=args.liberty, build_dir=out,
                           cache_dir=None if args.no_cache else "build/cache/synth")
            results.append(r)
            if not args.json:
                print(_synth_summary(r) + ("\n" if args.all else ""), flush=True)
    except SynthesisError as e:
        print(f"edgeforge: synthesis failed: {e}", file=sys.stderr)
        return 2
    if args.all:
        liberty = results[0].liberty
        (out / "summary.json").write_text(json.dumps(
            {"liberty": liberty, "designs": [r.to_dict() for r in results]}, indent=2) + "\n")
        (out / "summary.md").write_text(_synth_markdown(results, liberty))
        if not args.json:
            print(f"{out / 'summary.json'}\n{out / 'summary.md'}")
    if args.json:
        data = [r.to_dict() for r in results] if args.all else results[0].to_dict()
        print(json.dumps(data))
    return 0


def _slew(value: float | None) -> float | None:
    if value is None:
        return None
    if not 0 < value < 1000:
        raise UsageError(f"--slew must be a time in ns between 0 and 1000, not {value:g}")
    return value * 1e-9


def _energy_text(r) -> str:
    lines = [
        f"{r.module}  [liberty: {r.liberty}]",
        f"  energy/op        {r.energy_per_op_fj:.2f} fJ  (switching {r.switching_fj:.2f}, "
        f"internal {r.internal_fj:.2f}, leakage {r.leakage_fj:.4f})",
        f"  workload         {r.workload_text}; {r.ops} operations, one per "
        f"{r.period_ns:g} ns clock, {r.toggles_per_op:.1f} toggles/op",
        f"  area             {r.area_um2:.2f} um^2 = {r.area_ge:.1f} GE, {r.cells} cells",
        f"  conditions       {r.voltage_v:g} V, slew {r.slew_ns:g} ns, wire load "
        f"{r.wire_load}; gate-level simulation ({r.sim}) matched the golden model",
        f"  {'group':<18} {'internal':>10} {'switching':>10} {'leakage':>10} {'total fJ':>10}",
    ]
    for g, d in r.groups.items():
        lines.append(f"  {g:<18} {d['internal_fj']:>10.2f} {d['switching_fj']:>10.2f} "
                     f"{d['leakage_fj']:>10.4f} {d['total_fj']:>10.2f}")
    lines.append(f"  {'input nets':<18} {0:>10.2f} {r.input_switching_fj:>10.2f} {0:>10.4f} "
                 f"{r.input_switching_fj:>10.2f}")
    if len(r.per_module) > 2:
        lines.append(f"  {'module':<18} {'total fJ':>10} {'share':>7}")
        for name, d in r.per_module.items():
            share = 100.0 * d["total_fj"] / r.energy_per_op_fj
            lines.append(f"  {name:<18} {d['total_fj']:>10.2f} {share:>6.1f}%")
    lines.append("  limits           " + "; ".join(r.limits))
    return "\n".join(lines)


def _ocu_energy_text(r) -> str:
    what = (f"zero density {r.density:g}" if r.density is not None
            else "uniform random bits (no zeros)")
    lines = [
        f"{r.module}  [liberty: {r.liberty}]",
        f"  energy/window    {r.energy_per_window_fj:.1f} fJ  (switching {r.switching_fj:.1f}, "
        f"internal {r.internal_fj:.1f}, leakage {r.leakage_fj:.3f})",
        f"  energy/MAC       {r.energy_per_mac_fj:.3f} fJ  ({r.macs_per_window} MACs per "
        f"window)",
        f"  energy/op        {r.energy_per_op_fj:.3f} fJ  (1 MAC = {r.ops_per_mac} ops)",
        f"  workload         {what}: {r.workload_text}; {r.windows} windows back to back, one "
        f"per {r.period_ns:g} ns clock, {r.toggles_per_window:.1f} toggles/window",
        f"  area             {r.area_um2:.2f} um^2 = {r.area_ge:.1f} GE, {r.cells} cells",
        f"  conditions       {r.voltage_v:g} V, slew {r.slew_ns:g} ns, wire load "
        f"{r.wire_load}; gate-level simulation ({r.sim}): {r.checked_results} results matched "
        "the golden model",
        f"  {'group (fJ/window)':<18} {'internal':>10} {'switching':>10} {'leakage':>10} "
        f"{'total':>10}",
    ]
    for g, d in r.groups.items():
        lines.append(f"  {g:<18} {d['internal_fj']:>10.1f} {d['switching_fj']:>10.1f} "
                     f"{d['leakage_fj']:>10.4f} {d['total_fj']:>10.1f}")
    lines.append(f"  {'input nets':<18} {0:>10.1f} {r.input_switching_fj:>10.1f} {0:>10.4f} "
                 f"{r.input_switching_fj:>10.1f}")
    lines.append("  limits           " + "; ".join(r.limits))
    return "\n".join(lines)


def _engine_energy_text(r) -> str:
    a = r.area
    z = r.measured_zero_fraction
    lines = [
        f"{r.module}  [liberty: {r.liberty}]",
        f"  energy/MAC       {r.energy_per_mac_fj:.3f} fJ  ({r.macs} MACs: {r.windows} windows x "
        f"k*k*{r.channels['in']} x {r.channels['out']} channels; 1 MAC = {r.ops_per_mac} ops, "
        f"{r.energy_per_op_fj:.3f} fJ/op)",
        f"  energy/pixel     {r.energy_per_pixel_fj / 1000:.2f} pJ per output pixel "
        f"({r.output_pixels} pixels in {r.cycles} cycles)",
        f"  weight fetch     {r.fetch_fj / 1000:.2f} pJ once per layer ({r.fetch_cycles} "
        "cycles; not in the figures above)",
        f"  workload         {r.workload_text}; measured zeros: activations "
        f"{100 * z['activations']:.1f} %, weights {100 * z['weights']:.1f} %",
        f"  area             {a['total_um2']:.0f} um^2 = {a['total_ge']:.0f} GE "
        f"(sequential {a['sequential_um2']:.0f} um^2; weight memory {a['weight_memory_bits']} "
        "bits of flip-flops, no SRAM macro)",
    ]
    for part, um2 in a["parts"].items():
        lines.append(f"    {part:<32} {um2:>12.0f} um^2 {100 * um2 / a['total_um2']:>6.1f} %")
    lines.append(f"  {'energy by part':<34} {'fJ/MAC':>10}")
    for part, fj in r.parts.items():
        lines.append(f"    {part:<32} {fj:>10.3f}")
    lines += [
        f"  conditions       {r.voltage_v:g} V, slew {r.slew_ns:g} ns, wire load "
        f"{r.wire_load}; gate-level simulation ({r.sim}): {r.checked_pixels} output pixels "
        "matched the golden model",
        "  limits           " + "; ".join(r.limits),
    ]
    return "\n".join(lines)


def _cim_energy_text(r) -> str:
    p = r.params
    lines = [
        f"{r.module}  [liberty: {r.liberty}]",
        f"  energy/MAC       {r.energy_per_mac_fj:.3f} fJ  ({p['ib']}b x {p['wb']}b MAC; "
        f"{r.macs_per_vector} MACs per vector in {r.cycles_per_vector} cycles)",
        f"  TOPS/W           {r.tops_per_w:.3f}  (1 MAC = 2 ops; {r.voltage_v:g} V, "
        f"{1000 / r.period_ns:g} MHz clock)",
        f"  energy/vector    {r.energy_per_vector_fj:.1f} fJ  (switching {r.switching_fj:.1f}, "
        f"internal {r.internal_fj:.1f}, leakage {r.leakage_fj:.3f})",
        f"  workload         {r.workload_text}; {r.vectors} vectors back to back; measured "
        f"zero inputs {100 * r.measured_zero_fraction:.1f} %",
        f"  area             {r.area_um2:.2f} um^2 = {r.area_ge:.1f} GE, {r.cells} cells",
        f"  conditions       slew {r.slew_ns:g} ns, wire load {r.wire_load}; gate-level "
        f"simulation ({r.sim}): {r.checked_results} result vectors matched the golden model",
        f"  {'group (fJ/vector)':<18} {'internal':>10} {'switching':>10} {'leakage':>10} "
        f"{'total':>10}",
    ]
    for g, d in r.groups.items():
        lines.append(f"  {g:<18} {d['internal_fj']:>10.1f} {d['switching_fj']:>10.1f} "
                     f"{d['leakage_fj']:>10.4f} {d['total_fj']:>10.1f}")
    lines.append("  limits           " + "; ".join(r.limits))
    return "\n".join(lines)


def _cgra_energy_text(r) -> str:
    lines = [f"{r.module}: kernel {r.kernel} (seed {r.seed}), {r.cycles} cycles executed "
             f"({r.window_cycles} from start to done), every row equal to the golden model",
             f"  energy per run {r.energy_per_run_fj / 1000:.2f} pJ "
             f"({r.energy_per_cycle_fj / 1000:.2f} pJ per cycle), "
             f"{r.voltage_v:g} V, {r.period_ns:g} ns clock, {r.liberty}",
             f"  area {r.area_um2:,.0f} um^2 ({r.area_ge:,.0f} GE)",
             f"  {'part':<22}{'pJ/run':>10}{'area um^2':>12}"]
    for kind in sorted(set(r.per_type) | set(r.area_per_type)):
        e = r.per_type.get(kind)
        a = r.area_per_type.get(kind)
        lines.append(f"  {kind:<22}{'' if e is None else f'{e / 1000:.2f}':>10}"
                     f"{'' if a is None else f'{a:,.0f}':>12}")
    lines.append("  zero-delay simulation: glitch power not modelled")
    return "\n".join(lines)


def _cmd_energy(args) -> int:
    from .designs import instantiate
    from .energy import EnergyError, energy
    from .engine_energy import DEFAULT_FRAMES, ENGINE_DESIGN, engine_energy
    from .ocu_energy import DEFAULT_WINDOWS, OCU_DESIGNS, ocu_energy
    from .synth import SynthesisError, resolve_liberty

    inst = instantiate(args.design, args.param)
    ocu = inst.design.name in OCU_DESIGNS
    engine = inst.design.name == ENGINE_DESIGN
    cim = inst.design.name == "cim_macro"
    cgra = inst.design.name == "cgra"
    if not cgra and args.kernel is not None:
        raise UsageError(f"--kernel is for cgra, not {inst.design.name}")
    if cgra:
        from .cgra.kernels import KERNELS

        kernel = "dot" if args.kernel is None else args.kernel
        if kernel not in KERNELS:
            raise UsageError(f"Kernel must be one of {', '.join(KERNELS)}, not {kernel!r}")
        if any(v is not None for v in (args.workload, args.ops, args.density, args.windows,
                                       args.frames, args.input_zero, args.vectors,
                                       args.cim_weights)):
            raise UsageError("cgra takes --kernel and --seed (its workload is the kernel's "
                             "input data)")
    if not cim and (args.input_zero is not None or args.vectors is not None
                    or args.cim_weights is not None):
        raise UsageError(f"--input-zero, --vectors and --cim-weights are for cim_macro, not "
                         f"{inst.design.name}")
    if cim and any(v is not None for v in (args.workload, args.ops, args.density,
                                            args.windows, args.frames)):
        raise UsageError("cim_macro takes --input-zero and --vectors (not --workload, --ops, "
                         "--density, --windows or --frames)")
    if (ocu or engine) and (args.workload is not None or args.ops is not None):
        raise UsageError(f"--workload and --ops are for multipliers; {inst.design.name} takes "
                         + ("--density and --frames" if engine
                            else "--density (ternary_ocu) and --windows"))
    if not (ocu or engine) and args.density is not None:
        raise UsageError(f"--density is for ternary_ocu and {ENGINE_DESIGN}, not "
                         f"{inst.design.name}")
    if not ocu and args.windows is not None:
        raise UsageError(f"--windows is for {' and '.join(OCU_DESIGNS)}, not "
                         f"{inst.design.name}")
    if not engine and args.frames is not None:
        raise UsageError(f"--frames is for {ENGINE_DESIGN}, not {inst.design.name}")
    if inst.design.family != "approx" and not (ocu or engine or cim or cgra):
        raise UsageError(f"`edgeforge energy` covers the multipliers, "
                         f"{', '.join(OCU_DESIGNS)}, {ENGINE_DESIGN}, cim_macro and cgra, not "
                         f"{inst.design.name}")
    resolve_liberty(args.liberty)
    slew = _slew(args.slew)

    def progress(text: str) -> None:
        if not args.json:
            print(f"  .. {text}", file=sys.stderr, flush=True)

    try:
        if cgra:
            from .cgra_energy import cgra_energy

            r = cgra_energy(inst, kernel=kernel, seed=args.seed, liberty=args.liberty,
                            sim=args.sim, wire_load=args.wire_load, slew=slew,
                            progress=progress)
        elif cim:
            from .cim_energy import DEFAULT_VECTORS, cim_energy

            r = cim_energy(inst, input_zero=args.input_zero or 0.0,
                           weights=args.cim_weights or "encoding", liberty=args.liberty,
                           vectors=DEFAULT_VECTORS if args.vectors is None else args.vectors,
                           seed=args.seed, sim=args.sim, wire_load=args.wire_load, slew=slew,
                           progress=progress)
        elif engine:
            r = engine_energy(inst, density=args.density, liberty=args.liberty,
                              frames=DEFAULT_FRAMES if args.frames is None else args.frames,
                              seed=args.seed, sim=args.sim, wire_load=args.wire_load,
                              slew=slew, progress=progress)
        elif ocu:
            r = ocu_energy(inst, density=args.density, liberty=args.liberty,
                           windows=DEFAULT_WINDOWS if args.windows is None else args.windows,
                           seed=args.seed, sim=args.sim, wire_load=args.wire_load, slew=slew,
                           progress=progress)
        else:
            r = energy(inst, liberty=args.liberty,
                       workload="uniform" if args.workload is None else args.workload,
                       ops=4000 if args.ops is None else args.ops, seed=args.seed,
                       sim=args.sim, wire_load=args.wire_load, slew=slew, progress=progress)
    except (EnergyError, SynthesisError) as e:
        print(f"edgeforge: energy failed: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(r.to_dict()))
    else:
        text = (_cgra_energy_text(r) if cgra else _cim_energy_text(r) if cim
                else _engine_energy_text(r) if engine else _ocu_energy_text(r) if ocu
                else _energy_text(r))
        print(text)
    return 0


def _power_text(d: dict, title: str) -> str:
    rows = [title, "",
            f"{'Group':<16}{'Internal':>11}{'Switching':>11}{'Leakage':>11}{'Total':>11}",
            f"{'':<16}{'Power':>11}{'Power':>11}{'Power':>11}{'Power (Watts)':>15}",
            "-" * 64]
    total = d["total_w"] or 1.0
    for g, v in d["groups"].items():
        share = 100 * v["total_w"] / total
        rows.append(f"{g.capitalize():<16}{v['internal_w']:>11.3e}{v['switching_w']:>11.3e}"
                    f"{v['leakage_w']:>11.3e}{v['total_w']:>11.3e}{share:>7.1f}%")
    rows += ["-" * 64,
             f"{'Total':<16}{d['internal_w']:>11.3e}{d['switching_w']:>11.3e}"
             f"{d['leakage_w']:>11.3e}{d['total_w']:>11.3e} 100.0%",
             f"{'':<16}{100 * d['internal_w'] / total:>10.1f}%"
             f"{100 * d['switching_w'] / total:>10.1f}%{100 * d['leakage_w'] / total:>10.1f}%",
             "",
             f"window {d['duration_s'] * 1e9:g} ns; {d['cells']} cells, {d['annotated_nets']} of "
             f"{d['nets']} nets annotated, {d['toggles']} toggles; {d['voltage_v']:g} V, slew "
             f"{d['slew_ns']:g} ns, wire load {d['wire_load']}",
             f"primary-input nets (charged to their outside drivers, not in the total): "
             f"{d['input_switching_w']:.3e} W switching"]
    if "period_ns" in d:
        rows.append(f"clock period {d['period_ns']:g} ns: {d['cycles']:g} cycles, "
                    f"{d['energy_per_cycle_j'] * 1e12:.4g} pJ per cycle")
    if d["physical_only_cells"]:
        rows.append("cells without a liberty model and without connections (ignored): "
                    + ", ".join(f"{n} {c}" for c, n in d["physical_only_cells"].items()))
    if d["unannotated_nets"]:
        rows.append(f"WARNING: {d['unannotated_nets']} nets have no activity in the dump and "
                    f"count as never toggling, e.g. {', '.join(d['unannotated_examples'][:5])}")
    rows.append("limits: " + "; ".join(d["limits"]))
    return "\n".join(rows)


def _cmd_power(args) -> int:
    from . import activity as act
    from . import power
    from .energy import library_for
    from .netlist import NetlistError, load_netlist
    from .synth import resolve_liberty

    lib_path = resolve_liberty(args.liberty)
    slew = _slew(args.slew)
    if args.period is not None and not args.period > 0:
        raise UsageError(f"--period must be a positive time in ns, not {args.period:g}")
    for name in ("netlist", "vcd"):
        path = Path(getattr(args, name))
        if not path.is_file():
            raise UsageError(f"--{name} file {path} does not exist")
    start = args.start * 1e-9 if args.start is not None else None
    end = args.end * 1e-9 if args.end is not None else None
    try:
        library = library_for(lib_path)
        netlist = load_netlist(args.netlist, args.top, library)
        activity = act.read_activity(args.vcd, args.scope, start=start, end=end)
        res = power.analyse(netlist, library, activity, wire_load=args.wire_load, slew=slew)
    except (NetlistError, act.ActivityError, power.PowerError) as e:
        print(f"edgeforge: power failed: {e}", file=sys.stderr)
        return 2
    d = res.power_dict()
    d.update(netlist=args.netlist, top=args.top, vcd=args.vcd, scope=args.scope,
             unannotated_examples=res.unannotated)
    if args.period is not None:
        d["period_ns"] = args.period
        d["cycles"] = d["duration_s"] / (args.period * 1e-9)
        d["energy_per_cycle_j"] = d["total_w"] * args.period * 1e-9
    if args.json:
        print(json.dumps(d))
    else:
        print(_power_text(d, f"{args.top} ({args.netlist}), activity {args.vcd} scope "
                             f"{args.scope}, liberty {lib_path}"))
    return 0


def _cmd_digits(args) -> int:
    from .digits import train
    from .digits_rtl import run_digits_rtl

    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, not {args.seed}")
    if args.golden_only and args.images is not None:
        raise UsageError("--images is for the RTL run, not with --golden-only")
    if args.images is not None and not 1 <= args.images <= 539:
        raise UsageError(f"--images must be an integer between 1 and 539, not {args.images}")
    if args.golden_only:
        r = train(seed=args.seed)
        d = {"seed": r.seed, "float_accuracy": r.float_accuracy,
             "ternary_accuracy": r.ternary_accuracy, "test_images": int(len(r.test_labels))}
        if args.json:
            print(json.dumps(d))
        else:
            print(f"digits (seed {r.seed}, {d['test_images']} test images): float "
                  f"{100 * r.float_accuracy:.2f} %, ternary golden "
                  f"{100 * r.ternary_accuracy:.2f} %")
        return 0

    def progress(text: str) -> None:
        if not args.json:
            print(f"  .. {text}", file=sys.stderr, flush=True)

    from verif import sim as sim_mod

    simulator = sim_mod.prepare(args.sim)  # SimulatorError: a usage error, exit 2
    try:
        r = run_digits_rtl(args.images, sim=simulator, seed=args.seed, progress=progress)
    except RuntimeError as e:  # a failed build or simulation, named with its log
        print(f"edgeforge: digits failed: {e}", file=sys.stderr)
        return 2
    if args.json:
        d = {k: v for k, v in r.__dict__.items() if k != "predictions"}
        d["predictions"] = [int(v) for v in r.predictions]
        print(json.dumps(d))
    else:
        print(r.describe())
    if not r.matches_golden:
        print(f"edgeforge: verification failed: {r.mismatch}", file=sys.stderr)
        return 1
    return 0


def _cmd_asm(args) -> int:
    from sim_models.cgra import config as cgra_config
    from sim_models.cgra import isa as cgra_isa

    from .cgra.asm import AsmError, assemble
    from .cgra.fabric import load
    from .cgra.kernels import KERNELS, kernel

    fabric = load(args.fabric)
    text = name = None
    if args.program is not None:
        path = Path(args.program)
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise UsageError(f"cannot read program {path}: {e}") from None
            name = str(path)
        elif args.program in KERNELS:
            k = kernel(args.program)
            text, name = k.program_text, str(k.path)
        else:
            raise UsageError(f"program {args.program} is neither a file nor a kernel "
                             f"({', '.join(KERNELS)})")
    elif not args.list_fields:
        raise UsageError("give a program (a .pasm file or a kernel name) or --list-fields")
    if args.list_fields and args.output:
        raise UsageError("--list-fields writes nothing; drop -o")
    prog = None
    if text is not None:
        try:
            prog = assemble(text, fabric, name)
        except AsmError as e:
            print(e, file=sys.stderr)
            return 2
    if args.list_fields:
        layout = cgra_config.layout(fabric)
        print(f"# configuration of fabric {fabric.name}: {cgra_config.length(fabric)} bits, "
              f"{len(layout)} fields (name offset width" + (" value)" if prog else ")"))
        for f in layout:
            value = f" {prog.config_values[f.name]}" if prog else ""
            print(f"{f.name} {f.offset} {f.width}{value}")
        print("# instruction fields per FU type, LSB first (name:width)")
        for fu_type in sorted({fu.type for fu in fabric.fus}):
            fields = cgra_isa.fields(fu_type, fabric)
            print(f"{fu_type} {cgra_isa.width(fu_type, fabric)}: "
                  + ", ".join(f"{n}:{w}" for n, w in fields))
        return 0
    out = Path(args.output) if args.output else Path("build/cgra") / Path(name).stem
    files = prog.write(out)
    print(f"{name} for fabric {fabric.name}: {prog.rows} rows, configuration "
          f"{cgra_config.length(fabric)} bits")
    for f in files:
        print(f)
    return 0


def _cmd_report(args) -> int:
    from .report import ReportError, build_report

    if args.samples is not None and args.samples < 1:
        raise UsageError(f"--samples must be a positive integer, not {args.samples}")
    if not 1 <= args.ops <= 65536:
        raise UsageError(f"--ops must be between 1 and 65536, not {args.ops}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, not {args.seed}")
    if args.workers < 1:
        raise UsageError(f"--workers must be a positive integer, not {args.workers}")
    try:
        out = build_report(Path(args.output), samples=args.samples, ops=args.ops,
                           seed=args.seed, liberty=args.liberty,
                           compare_liberty=args.compare_liberty, workers=args.workers,
                           progress=not args.quiet)
    except ReportError as e:
        print(f"edgeforge: report failed: {e}", file=sys.stderr)
        return 2
    print(out)
    return 0


COMMANDS = {"list": _cmd_list, "verilog": _cmd_verilog, "errors": _cmd_errors,
            "verify": _cmd_verify, "synth": _cmd_synth, "energy": _cmd_energy,
            "power": _cmd_power, "digits": _cmd_digits, "report": _cmd_report,
            "asm": _cmd_asm}


def main(argv: list[str] | None = None) -> int:
    from verif.sim import SimulatorError

    from .verify import VerificationError

    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except VerificationError as e:
        print(f"edgeforge: verification failed: {e}", file=sys.stderr)
        return 1
    except (UsageError, ValueError, TypeError, SimulatorError) as e:
        print(f"edgeforge: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
