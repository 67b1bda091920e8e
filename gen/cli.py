"""The ``edgeforge`` command line.

Every invalid parameter, file or option prints one line ``edgeforge: error: ...`` to stderr and
exits with code 2, before anything is elaborated or written. A failed flow step (Yosys, a
gate-level netlist that disagrees with the golden model, an unusable activity file) also exits 2
with a message naming the file and the problem. An RTL verification mismatch exits 1.
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import os
import sys
from pathlib import Path

from gen.flow.design import parse_int
from sim_models.approx.metrics import MAX_SAMPLES

__all__ = ["main"]

#: Exit status after a closed pipe on standard output (``edgeforge list | head -1``): what a
#: shell reports for a Unix tool ended by SIGPIPE, with nothing printed.
EXIT_PIPE = 128 + 13
MAX_SEED = (1 << 63) - 1
#: Random vectors of `verify` (about 8 bytes per vector in memory; minutes of simulation).
MAX_VERIFY_SAMPLES = 1_000_000
MAX_WORKERS = 64
#: Longest time accepted by `power` options, in ns (one day of simulated time).
MAX_TIME_NS = 86_400e9


class UsageError(Exception):
    """Bad input detected by the CLI itself."""


class _StreamError(Exception):
    """Writing standard output failed (closed pipe, full disk)."""

    def __init__(self, error: OSError):
        super().__init__(error.strerror or str(error))
        self.errno = error.errno


class _GuardedStream:
    """Standard output whose write errors are told apart from every other OSError."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as e:
            raise _StreamError(e) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as e:
            raise _StreamError(e) from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _integer(lo: int, hi: int):
    """argparse type: an integer in ``[lo, hi]`` (decimal, or 0x/0o/0b prefixed)."""

    def parse(text: str) -> int:
        want = f"must be an integer between {lo} and {hi}"
        stripped = text.strip()
        if len(stripped) > 40:
            raise argparse.ArgumentTypeError(f"{want}, not a {len(stripped)}-character string")
        try:
            value = parse_int(stripped)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{want}, not {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{want}, not {value}")
        return value

    return parse


def _real(lo: float, hi: float, *, above: bool = False, unit: str = ""):
    """argparse type: a finite number in ``[lo, hi]`` (``(lo, hi]`` with ``above``)."""

    def parse(text: str) -> float:
        want = (f"must be a finite number {'above' if above else 'from'} {lo:g}{unit} "
                f"{'and at most' if above else 'to'} {hi:g}{unit}")
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{want}, not {text[:40]!r}") from None
        if not math.isfinite(value) or not (lo < value if above else lo <= value) \
                or value > hi:
            raise argparse.ArgumentTypeError(f"{want}, not {text[:40]}")
        return value

    return parse


_SEED = _integer(0, MAX_SEED)
_WORKERS = _integer(1, MAX_WORKERS)
_PROBABILITY = _real(0.0, 1.0)


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
    p.add_argument("--width", type=_integer(2, 12), help="operand width of the LUT (2..12)")
    p.add_argument("--signed", action="store_true", help="LUT operands are two's complement")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--exhaustive", action="store_true", help="all 2^(2n) operand pairs")
    g.add_argument("--samples", type=_integer(1, MAX_SAMPLES),
                   help=f"N uniform random pairs (1..{MAX_SAMPLES})")
    p.add_argument("--seed", type=_SEED, default=1, help="random seed (default 1)")
    p.add_argument("--workers", type=_WORKERS, default=2,
                   help=f"processes for exhaustive runs (1..{MAX_WORKERS})")
    p.add_argument("--json", action="store_true", help="one JSON object")

    p = sub.add_parser("verify", help="simulate the RTL against the golden model")
    _add_params(p)
    p.add_argument("--vectors", default="default",
                   choices=("default", "exhaustive", "random", "corners"))
    p.add_argument("--samples", type=_integer(1, MAX_VERIFY_SAMPLES), default=100_000,
                   help=f"random pairs (1..{MAX_VERIFY_SAMPLES}, default 100000)")
    p.add_argument("--seed", type=_SEED, default=1)
    p.add_argument("--a", type=_integer(-(1 << 64), 1 << 64), help="single vector: operand a")
    p.add_argument("--b", type=_integer(-(1 << 64), 1 << 64), help="single vector: operand b")
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
    p.add_argument("--ops", type=_integer(1, 65536), default=None,
                   help="multipliers: operations measured (1..65536, default 4000)")
    p.add_argument("--density", type=_PROBABILITY, default=None,
                   help="ternary_ocu, ternary_engine: probability that a trit of the "
                        "windows/frames and weights is 0 (0..1, default 0.5)")
    p.add_argument("--frames", type=_integer(1, 256), default=None,
                   help="ternary_engine: image_width x image_width frames of one n_i -> n_o "
                        "layer (1..256, default 4)")
    p.add_argument("--windows", type=_integer(16, 8192), default=None,
                   help="ternary_ocu/binary_ocu: windows measured (16..8192, default 200)")
    p.add_argument("--input-zero", type=_PROBABILITY, default=None,
                   help="cim_macro: probability that an input is 0 (0..1, default 0: dense)")
    p.add_argument("--vectors", type=_integer(8, 4096), default=None,
                   help="cim_macro: input vectors measured (8..4096, default 64)")
    p.add_argument("--cim-weights", choices=("encoding", "fibbinary"), default=None,
                   help="cim_macro: weights uniform over the encoding's levels (default) or "
                        "over the fibbinary codebook in either encoding")
    p.add_argument("--kernel", default=None,
                   help="cgra: kernel to run (dot, fir, gemm, vadd, conv3x3; default dot)")
    p.add_argument("--seed", type=_SEED, default=1, help="seed of random workloads (default 1)")
    p.add_argument("--sim", help="icarus or verilator (default: $SIM, else icarus if installed)")
    p.add_argument("--wire-load", choices=("default", "none"), default="default",
                   help="net capacitance: pins plus the library's default wire-load model "
                        "(default) or pins only")
    p.add_argument("--slew", type=_real(0.0, 1000.0, above=True, unit=" ns"), metavar="NS",
                   help="one fixed slew for every pin (default: slews propagated from the "
                   "library's transition tables, ideal clock, as OpenSTA)")
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
    p.add_argument("--period", type=_real(0.0, MAX_TIME_NS, above=True, unit=" ns"),
                   metavar="NS", help="clock period: also report energy per cycle and the "
                   "cycle count")
    p.add_argument("--start", type=_real(0.0, MAX_TIME_NS, unit=" ns"), metavar="NS",
                   help="window start (default: dump start)")
    p.add_argument("--end", type=_real(0.0, MAX_TIME_NS, above=True, unit=" ns"), metavar="NS",
                   help="window end (default: dump end)")
    p.add_argument("--input-slew", type=_real(0.0, 1000.0, unit=" ns"), metavar="NS",
                   help="slew of the primary inputs when slews are propagated (default 0, "
                   "as OpenSTA without set_input_transition)")
    p.add_argument("--allow-partial", action="store_true",
                   help="accept a dump that annotates only part of the netlist's nets (the "
                   "rest count as never toggling; the output states the coverage)")
    p.add_argument("--wire-load", choices=("default", "none"), default="default")
    p.add_argument("--slew", type=_real(0.0, 1000.0, above=True, unit=" ns"), metavar="NS",
                   help="one fixed slew for every pin (default: slews propagated from the "
                   "library's transition tables, ideal clock, as OpenSTA)")
    p.add_argument("--json", action="store_true", help="one JSON object")

    p = sub.add_parser("digits", help="the ternary digits CNN: float and ternary accuracy, "
                       "then its test images through the engine's RTL")
    p.add_argument("--images", type=_integer(1, 539), default=None,
                   help="first N test images through the RTL (1..539, default all 539)")
    p.add_argument("--golden-only", action="store_true",
                   help="train (or load) and report the float and golden accuracies only")
    p.add_argument("--seed", type=_SEED, default=1, help="seed of the training (default 1)")
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
    p.add_argument("--samples", type=_integer(1, MAX_SAMPLES),
                   help="random pairs for 16-bit error metrics instead of exhaustive")
    p.add_argument("--liberty", metavar="PATH",
                   help="library of the report (default as for synth: the embedded compact one)")
    p.add_argument("--compare-liberty", metavar="PATH",
                   help="also run every point with this library and tabulate the deviation")
    p.add_argument("--ops", type=_integer(1, 65536), default=4000,
                   help="operations per energy measurement (1..65536, default 4000)")
    p.add_argument("--seed", type=_SEED, default=1, help="seed of the workload (default 1)")
    p.add_argument("--workers", type=_WORKERS, default=2,
                   help="processes for the energy runs (default 2)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    return ap


def _cmd_list(args) -> int:
    from gen.flow.family import designs

    if args.json:
        out = {
            name: {
                "family": d.family,
                "summary": d.summary,
                "params": [{"name": p.name, "type": p.kind.__name__, "default": p.default,
                            "valid": p.valid, "doc": p.doc} for p in d.params],
            }
            for name, d in designs().items()
        }
        print(json.dumps(out, indent=2))
        return 0
    for name, d in designs().items():
        print(f"{name}  [{d.family}]  {d.summary}")
        for p in d.params:
            default = str(p.default).lower() if p.kind is bool else p.default
            print(f"    {p.name:<10} {p.kind.__name__:<5} default {default!s:<7} "
                  f"valid {p.valid:<14} {p.doc}")
    return 0


CACHE_DIR = "build/cache"


def _check_dirs(*dirs: tuple[str, str]) -> None:
    """Check ``(path, what)`` output directories before any work (nothing is created)."""
    from gen.eda.files import check_output_dir

    for path, what in dirs:
        check_output_dir(path, what)


def _make_dirs(*dirs: tuple[str, str]) -> None:
    """Create the output directories, once every input has been validated."""
    from gen.eda.files import make_output_dir

    for path, what in dirs:
        make_output_dir(path, what)


def _check_liberty(explicit: str | None, what: str = "--liberty") -> Path:
    """Resolve and fully read the liberty file before any output (a bad one fails here)."""
    from gen.eda.synth import SynthesisError, check_liberty, resolve_liberty

    path = resolve_liberty(explicit)
    if path.is_file() and path.stat().st_size > 32 << 20:  # about 10 s a 32 MiB
        _note(f"reading liberty file {path} ({path.stat().st_size >> 20} MiB)")
    try:
        return check_liberty(explicit)
    except SynthesisError as e:  # no cells, no NAND2: the library is unusable input
        raise UsageError(f"{what}: {e}") from None


def _todo(args) -> list:
    """The design points of ``verilog``/``synth``: ``DESIGN -p ...`` or ``--all``, validated."""
    from gen.flow.family import default_set, instantiate

    if args.all and args.design:
        raise UsageError("give a design or --all, not both")
    if not args.all and not args.design:
        raise UsageError("give a design name or --all")
    if args.all and args.param:
        raise UsageError("-p does not apply to --all")
    return ([instantiate(n, p) for n, p in default_set()] if args.all
            else [instantiate(args.design, args.param)])


def _cmd_verilog(args) -> int:
    from gen.flow.ip import emit

    out = (args.output, "-o directory")
    _check_dirs(out)
    todo = _todo(args)
    _make_dirs(out)
    for inst in todo:  # all validated above, before anything is elaborated or written
        e = emit(inst, args.output)
        print(e.verilog)
    return 0


# where each family's RTL checks live (`edgeforge verify` covers the multipliers)
_CHECKERS = {"ternary_ocu": "python -m verif.ternary.ocu",
             "binary_ocu": "python -m verif.ternary.ocu --design binary_ocu",
             "ternary_engine": "python -m verif.ternary.engine",
             "cim_macro": "python -m verif.cim.macro",
             "cgra": "python -m verif.cgra.fabric --kernel K"}


def _require_multiplier(inst, command: str) -> None:
    """Reject a non-multiplier design in the multiplier-only commands."""
    if inst.design.family != "approx":
        where = _CHECKERS.get(inst.design.name)
        raise UsageError(
            f"Design {inst.design.name} is not a multiplier; `edgeforge {command}` covers the "
            "multiplier family only" + (f" (check {inst.design.name} with {where} --help)"
                                        if where else ""))


def _cmd_errors(args) -> int:
    from sim_models.approx import characterise, lut_model

    if args.lut:
        if args.design or args.param:
            raise UsageError("--lut takes no design or -p")
        if args.width is None:
            raise UsageError("--lut needs --width N")
        from gen.eda.arrays import load_npy

        path = Path(args.lut)
        table = load_npy(path, "--lut file")
        try:
            model = lut_model(table, width=args.width, signed=args.signed)
        except (TypeError, ValueError) as e:
            raise UsageError(f"--lut file {path}: {e}") from None
        label = f"LUT {path.name}"
    else:
        if not args.design:
            raise UsageError("give a design name or --lut FILE")
        if args.width is not None or args.signed:
            raise UsageError("--width and --signed go with --lut; use -p for designs")
        from gen.flow.family import instantiate

        inst = instantiate(args.design, args.param)
        _require_multiplier(inst, "errors")
        model = inst.model
        label = inst.module
    m = characterise(model, exhaustive=True if args.exhaustive else None, samples=args.samples,
                     seed=args.seed, workers=args.workers,
                     progress=_progress(f"{label}: error metrics", "pairs"))
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
    from gen.flow.family import instantiate

    from .verify import verify

    inst = instantiate(args.design, args.param)
    _require_multiplier(inst, "verify")
    r = verify(inst, vectors=args.vectors, samples=args.samples, seed=args.seed, a=args.a,
               b=args.b, sim=args.sim, waves=args.waves)
    print(f"{r.module} ({r.sim}): {r.checked} vectors match the golden model [{r.vectors}], "
          f"{r.checked / max(r.seconds, 1e-9):,.0f} vectors/s")
    return 0


def _synth_summary(r) -> str:
    """Human-readable summary of one :class:`gen.eda.synth.SynthResult`."""
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
    from gen.eda.synth import SynthesisError, synthesize, yosys_command

    dirs = [(args.output, "-o directory")]
    if not args.no_cache:
        dirs.append((CACHE_DIR, "cache directory"))
    _check_dirs(*dirs)
    todo = _todo(args)
    _check_liberty(args.liberty)  # a bad library fails here, before anything is written
    yosys_command()
    _make_dirs(*dirs)
    out = Path(args.output)
    results = []
    try:
        for inst in todo:
            r = synthesize(inst, liberty=args.liberty, build_dir=out,
                           cache_dir=None if args.no_cache else f"{CACHE_DIR}/synth",
                           progress=_note if sys.stderr.isatty() else None)
            results.append(r)
            if not args.json:
                print(_synth_summary(r) + ("\n" if args.all else ""), flush=True)
    except SynthesisError as e:
        print(f"edgeforge: synthesis failed: {e}", file=sys.stderr)
        return 2
    if args.all:
        liberty = results[0].liberty
        from gen.eda.files import atomic_write

        atomic_write(out / "summary.json", json.dumps(
            {"liberty": liberty, "designs": [r.to_dict() for r in results]}, indent=2) + "\n")
        atomic_write(out / "summary.md", _synth_markdown(results, liberty))
        if not args.json:
            print(f"{out / 'summary.json'}\n{out / 'summary.md'}")
    if args.json:
        data = [r.to_dict() for r in results] if args.all else results[0].to_dict()
        print(json.dumps(data))
    return 0


def _note(text: str) -> None:
    """A progress line on standard error (long steps say what they are doing)."""
    print(f"  .. {text}", file=sys.stderr, flush=True)


def _slews(slew_ns: float | None) -> str:
    """How the slews of a result were chosen, for the text outputs."""
    return "propagated slews" if slew_ns is None else f"fixed slew {slew_ns:g} ns"


def _slew(value: float | None) -> float | None:
    """``--slew NS`` in seconds (range-checked by the parser)."""
    return None if value is None else value / 1e9


def _progress(label: str, unit: str):
    """A ``progress(done, total)`` callback: a bar on a terminal, else a line per 10 %.

    Shown on standard error only for runs that take long enough to need it (over 2**24
    items); never on standard output.
    """
    state = {"bar": None, "shown": -1}

    def update(done: int, total: int) -> None:
        if total <= 1 << 24:
            return
        if sys.stderr.isatty():
            if state["bar"] is None:
                from tqdm import tqdm

                state["bar"] = tqdm(total=total, desc=label, unit=f" {unit}", unit_scale=True,
                                    leave=False, file=sys.stderr)
            bar = state["bar"]
            bar.update(done - bar.n)
            if done >= total:
                bar.close()
            return
        tenth = 10 * done // total
        if tenth > state["shown"]:
            state["shown"] = tenth
            print(f"  .. {label}: {10 * tenth} % ({done:,} of {total:,} {unit})",
                  file=sys.stderr, flush=True)

    return update


def _energy_text(r) -> str:
    lines = [
        f"{r.module}  [liberty: {r.liberty}]",
        f"  energy/op        {r.energy_per_op_fj:.2f} fJ  (switching {r.switching_fj:.2f}, "
        f"internal {r.internal_fj:.2f}, leakage {r.leakage_fj:.4f})",
        f"  workload         {r.workload_text}; {r.ops} operations, one per "
        f"{r.period_ns:g} ns clock, {r.toggles_per_op:.1f} toggles/op",
        f"  area             {r.area_um2:.2f} um^2 = {r.area_ge:.1f} GE, {r.cells} cells",
        f"  conditions       {r.voltage_v:g} V, {_slews(r.slew_ns)}, wire load "
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
        f"  conditions       {r.voltage_v:g} V, {_slews(r.slew_ns)}, wire load "
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
        f"  conditions       {r.voltage_v:g} V, {_slews(r.slew_ns)}, wire load "
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
        f"  conditions       {_slews(r.slew_ns)}, wire load {r.wire_load}; gate-level "
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
    from gen.eda.synth import SynthesisError
    from gen.flow.family import instantiate
    from verif import sim as sim_mod

    from .energy import EnergyError, energy
    from .engine_energy import DEFAULT_FRAMES, ENGINE_DESIGN, engine_energy
    from .ocu_energy import DEFAULT_WINDOWS, OCU_DESIGNS, ocu_energy

    cache = (CACHE_DIR, "cache directory")
    _check_dirs(cache)
    inst = instantiate(args.design, args.param)
    ocu = inst.design.name in OCU_DESIGNS
    engine = inst.design.name == ENGINE_DESIGN
    cim = inst.design.name == "cim_macro"
    cgra = inst.design.name == "cgra"
    if not cgra and args.kernel is not None:
        raise UsageError(f"--kernel is for cgra, not {inst.design.name}")
    if cgra:
        from sim_models.cgra.programs import KERNELS

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
    if args.workload not in (None, "uniform", "gaussian"):
        from .energy import make_workload

        make_workload(args.workload, inst.component.width, inst.component.signed,
                      (4000 if args.ops is None else args.ops) + 1, args.seed)
    _check_liberty(args.liberty)
    slew = _slew(args.slew)
    sim_mod.prepare(args.sim)  # a bad or missing simulator is refused before any output
    _make_dirs(cache)

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
             f"{d['nets']} nets annotated, {d['toggles']} toggles; {d['voltage_v']:g} V, "
             f"{_slews(d['slew_ns'])}, wire load {d['wire_load']}",
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
    from gen.eda import activity as act
    from gen.eda import power
    from gen.eda.files import input_file, undo_on_failure
    from gen.eda.netlist import check_top, load_netlist

    from .energy import library_for

    if args.input_slew is not None and args.slew is not None:
        raise UsageError("--input-slew goes with propagated slews; --slew fixes every slew")
    check_top(args.top)
    if not args.scope.strip("/"):
        raise UsageError("--scope must name the netlist's instance in the dump (tb/dut), not "
                         f"{args.scope!r}")
    if args.start is not None and args.end is not None and not args.start < args.end:
        raise UsageError(f"--end ({args.end:g} ns) must be later than --start "
                         f"({args.start:g} ns)")
    lib_path = _check_liberty(args.liberty)
    slew = _slew(args.slew)
    for name in ("netlist", "vcd"):
        input_file(getattr(args, name), f"--{name} file")
    start = args.start * 1e-9 if args.start is not None else None
    end = args.end * 1e-9 if args.end is not None else None
    # every failure here is about the files given (NetlistError, ActivityError, PowerError
    # are ValueErrors): one `edgeforge: error:` line
    library = library_for(lib_path)
    # the dump first: a bad one is rejected before the netlist's Yosys run is cached
    activity = act.read_activity(args.vcd, args.scope, start=start, end=end)
    # a run refused for its coverage or its netlist leaves no cache entry behind
    with undo_on_failure(f"{CACHE_DIR}/netlist"):
        netlist = load_netlist(args.netlist, args.top, library, workdir=f"{CACHE_DIR}/netlist")
        res = power.analyse(netlist, library, activity, wire_load=args.wire_load, slew=slew,
                            input_slew=(args.input_slew or 0.0) / 1e9,
                            allow_partial=args.allow_partial)
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

    if args.golden_only and args.images is not None:
        raise UsageError("--images is for the RTL run, not with --golden-only")
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
    from gen.eda.files import read_text
    from sim_models.cgra import config as cgra_config
    from sim_models.cgra import isa as cgra_isa
    from sim_models.cgra.asm import MAX_PROGRAM_BYTES, AsmError, assemble
    from sim_models.cgra.fabric_file import load
    from sim_models.cgra.programs import KERNELS, kernel

    if args.output is not None:
        _check_dirs((args.output, "-o directory"))
    fabric = load(args.fabric)
    text = name = None
    if args.program is not None:
        if args.program in KERNELS and not Path(args.program).exists():
            k = kernel(args.program)
            text, name = k.program_text, str(k.path)
        elif Path(args.program).exists() or args.program.endswith(".pasm"):
            text = read_text(args.program, "program", max_bytes=MAX_PROGRAM_BYTES)
            name = args.program
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
    _make_dirs((str(out), "-o directory"))
    files = prog.write(out)
    print(f"{name} for fabric {fabric.name}: {prog.rows} rows, configuration "
          f"{cgra_config.length(fabric)} bits")
    for f in files:
        print(f)
    return 0


def _cmd_report(args) -> int:
    from .report import ReportError, build_report

    dirs = ((args.output, "-o directory"), (CACHE_DIR, "cache directory"))
    _check_dirs(*dirs)
    _check_liberty(args.liberty)
    if args.compare_liberty is not None:
        from gen.eda.files import input_file

        input_file(args.compare_liberty, "--compare-liberty file")
        _check_liberty(args.compare_liberty, "--compare-liberty")
    _make_dirs(*dirs)
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


def _run(args) -> int:
    from verif.sim import SimulatorError

    from .verify import VerificationError

    if getattr(args, "output", None):  # 'a/../x' is x: nothing is made on the way
        args.output = os.path.normpath(args.output)
    try:
        return COMMANDS[args.command](args)
    except VerificationError as e:
        print(f"edgeforge: verification failed: {e}", file=sys.stderr)
        return 1
    except (UsageError, ValueError, TypeError, SimulatorError) as e:
        if os.environ.get("EDGEFORGE_TRACEBACK"):
            raise
        print(f"edgeforge: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a file system that refuses a write or read the checks allowed
        if os.environ.get("EDGEFORGE_TRACEBACK"):
            raise
        where = f"{e.filename}: " if e.filename else ""
        print(f"edgeforge: error: {where}{e.strerror or e}", file=sys.stderr)
        return 2


def _release_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so the exit-time flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    """Run one ``edgeforge`` command; returns the exit status.

    0 success, 1 a verification mismatch, 2 bad input or a failed flow step (one line on
    standard error, nothing written), 130 interrupted, :data:`EXIT_PIPE` when standard output
    is a pipe closed early (nothing printed, as a Unix tool).
    """
    guarded = _GuardedStream(sys.stdout)
    previous, sys.stdout = sys.stdout, guarded
    try:
        try:
            args = _parser().parse_args(argv)
        except SystemExit as e:  # --help (0) or a usage error, already printed (2)
            sys.stdout.flush()
            return e.code if isinstance(e.code, int) else 2
        code = _run(args)
        sys.stdout.flush()
        return code
    except _StreamError as e:
        _release_stdout()
        if e.errno == errno.EPIPE:
            return EXIT_PIPE
        print(f"edgeforge: error: cannot write to standard output: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("edgeforge: interrupted", file=sys.stderr)
        return 130
    finally:
        if sys.stdout is guarded:
            sys.stdout = previous


if __name__ == "__main__":
    sys.exit(main())
