"""The ``edgeforge`` command line.

Every invalid parameter, file or option prints one line ``edgeforge: error: ...`` to stderr and
exits with code 2, before anything is elaborated or written. A failed flow step (Yosys, a
gate-level netlist that disagrees with the golden model, an unusable activity file) also exits 2
with a message naming the file and the problem. An RTL verification mismatch exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import sys
from pathlib import Path

from gen.eda import activity as act
from gen.eda import power, synth
from gen.eda.files import atomic_write, input_file, undo_on_failure
from gen.eda.netlist import check_top, load_netlist
from gen.flow import bench, ip, sweep_cli
from gen.flow import family as registry
from gen.flow.cli_support import (
    CACHE_DIR,
    SEED,
    WORKERS,
    UsageError,
    add_design,
    check_dirs,
    check_liberty,
    make_dirs,
    note,
    real,
    slew,
    slews,
)
from gen.flow.report import ReportError, build_report
from verif.sim import SimulatorError

__all__ = ["main"]

#: Exit status after a closed pipe on standard output (``edgeforge list | head -1``): what a
#: shell reports for a Unix tool ended by SIGPIPE, with nothing printed.
EXIT_PIPE = 128 + 13
#: Longest time accepted by `power` options, in ns (one day of simulated time).
MAX_TIME_NS = 86_400e9


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


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump), exit code 2."""

    def error(self, message: str):
        self.exit(2, f"edgeforge: error: {message} (see {self.prog} --help)\n")


def _power_parser(sub) -> None:
    """``edgeforge power``: any netlist and dump, like OpenSTA's report_power."""
    p = sub.add_parser("power", help="power of any gate-level netlist from a VCD/FST "
                                     "(like OpenSTA report_power)")
    p.add_argument("--netlist", required=True, metavar="X.v", help="structural Verilog netlist")
    p.add_argument("--top", required=True, help="top module of the netlist")
    p.add_argument("--vcd", required=True, metavar="W.vcd[.gz]|W.fst",
                   help="activity dump of a simulation of the netlist")
    p.add_argument("--scope", required=True, metavar="tb/dut",
                   help="instance of the netlist's top in the dump")
    p.add_argument("--liberty", metavar="PATH", help="liberty file (default as for synth)")
    p.add_argument("--period", type=real(0.0, MAX_TIME_NS, above=True, unit=" ns"),
                   metavar="NS", help="clock period: also report energy per cycle and the "
                   "cycle count")
    p.add_argument("--start", type=real(0.0, MAX_TIME_NS, unit=" ns"), metavar="NS",
                   help="window start (default: dump start)")
    p.add_argument("--end", type=real(0.0, MAX_TIME_NS, above=True, unit=" ns"), metavar="NS",
                   help="window end (default: dump end)")
    p.add_argument("--input-slew", type=real(0.0, 1000.0, unit=" ns"), metavar="NS",
                   help="slew of the primary inputs when slews are propagated (default 0, "
                   "as OpenSTA without set_input_transition)")
    p.add_argument("--allow-partial", action="store_true",
                   help="accept a dump that annotates only part of the netlist's nets (the "
                   "rest count as never toggling; the output states the coverage)")
    p.add_argument("--wire-load", choices=("default", "none"), default="default")
    p.add_argument("--slew", type=real(0.0, 1000.0, above=True, unit=" ns"), metavar="NS",
                   help="one fixed slew for every pin (default: slews propagated from the "
                   "library's transition tables, ideal clock, as OpenSTA)")
    p.add_argument("--json", action="store_true", help="one JSON object")


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(
        prog="edgeforge",
        description="Generate, verify and characterise edge-AI accelerator RTL.",
    )
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND",
                            parser_class=_Parser)

    p = sub.add_parser("list", help="designs, their parameters, ranges and defaults")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--families", action="store_true",
                   help="the families instead: where each comes from, its designs, what its "
                        "energy measures")

    p = sub.add_parser("verilog", help="write Verilog, JSON sidecar, file list and FuseSoC core")
    p.add_argument("design", nargs="?", help="design name; omit with --all")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--all", action="store_true", help="the default design set")
    p.add_argument("-o", "--output", default="build/verilog", help="output directory")

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

    _power_parser(sub)

    p = sub.add_parser("report", help="write the report to build/report/ (every family's "
                       "section: area, energy, errors, savings, plots)")
    p.add_argument("-o", "--output", default="build/report")
    p.add_argument("--liberty", metavar="PATH",
                   help="library of the report (default as for synth: the embedded compact one)")
    p.add_argument("--compare-liberty", metavar="PATH",
                   help="also run every point with this library and tabulate the deviation")
    p.add_argument("--seed", type=SEED, default=1, help="seed of the workload (default 1)")
    p.add_argument("--workers", type=WORKERS, default=2,
                   help="processes for the energy runs (default 2)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.add_argument("--full", action="store_true",
                   help="also the points left out of the default report for their run time "
                        "(gen/flow/data/report_full.toml)")
    p.add_argument("--spec", metavar="SPEC.toml",
                   help="the report's design points (default gen/flow/data/report.toml)")
    for fam in registry.families().values():
        with _plugged(fam, "a report option"):
            fam.add_report_options(p)
    _energy_parser(sub)
    sweep_cli.add_parser(sub)
    _FAMILY_COMMANDS.clear()
    for fam in registry.families().values():
        with _plugged(fam, "a command"):
            commands = fam.add_commands(sub)
        for name, handler in commands.items():
            if name in COMMANDS or name in _FAMILY_COMMANDS:
                raise UsageError(f"family {fam.name} adds command {name!r}, which exists")
            _FAMILY_COMMANDS[name] = handler
    return ap


@contextlib.contextmanager
def _plugged(fam, what: str):
    """A family's contribution to the parser that clashes is one line naming the family."""
    try:
        yield
    except argparse.ArgumentError as e:
        raise UsageError(f"family {fam.name} adds {what} that exists: {e}") from None


def _list_families(as_json: bool) -> int:
    out = {name: {"title": f.title, "module": type(f).__module__,
                  "designs": [d.name for d in f.designs], "energy": list(f.measures()),
                  "operation": f.operation} for name, f in registry.families().items()}
    if as_json:
        print(json.dumps(out, indent=2))
        return 0
    for name, f in out.items():
        measured = ", ".join(f["energy"]) or "none"
        print(f"{name}  {f['title']}  [{f['module']}]\n    designs: {', '.join(f['designs'])}; "
              f"energy measures: {measured} (one operation: {f['operation']})")
    return 0


def _cmd_list(args) -> int:
    if args.families:
        return _list_families(args.json)
    if args.json:
        out = {
            name: {
                "family": d.family,
                "summary": d.summary,
                "params": [{"name": p.name, "type": p.kind.__name__, "default": p.default,
                            "valid": p.valid, "doc": p.doc} for p in d.params],
            }
            for name, d in registry.designs().items()
        }
        print(json.dumps(out, indent=2))
        return 0
    for name, d in registry.designs().items():
        print(f"{name}  [{d.family}]  {d.summary}")
        for p in d.params:
            default = str(p.default).lower() if p.kind is bool else p.default
            print(f"    {p.name:<10} {p.kind.__name__:<5} default {default!s:<7} "
                  f"valid {p.valid:<14} {p.doc}")
    return 0


def _todo(args) -> list:
    """The design points of ``verilog``/``synth``: ``DESIGN -p ...`` or ``--all``, validated."""
    if args.all and args.design:
        raise UsageError("give a design or --all, not both")
    if not args.all and not args.design:
        raise UsageError("give a design name or --all")
    if args.all and args.param:
        raise UsageError("-p does not apply to --all")
    return ([registry.instantiate(n, p) for n, p in registry.default_set()] if args.all
            else [registry.instantiate(args.design, args.param)])


def _cmd_verilog(args) -> int:
    out = (args.output, "-o directory")
    check_dirs(out)
    todo = _todo(args)
    make_dirs(out)
    for inst in todo:  # all validated above, before anything is elaborated or written
        e = ip.emit(inst, args.output)
        print(e.verilog)
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
    dirs = [(args.output, "-o directory")]
    if not args.no_cache:
        dirs.append((CACHE_DIR, "cache directory"))
    check_dirs(*dirs)
    todo = _todo(args)
    check_liberty(args.liberty)  # a bad library fails here, before anything is written
    synth.yosys_command()
    make_dirs(*dirs)
    out = Path(args.output)
    results = []
    try:
        for inst in todo:
            r = synth.synthesize(inst, liberty=args.liberty, build_dir=out,
                           cache_dir=None if args.no_cache else f"{CACHE_DIR}/synth",
                           progress=note if sys.stderr.isatty() else None)
            results.append(r)
            if not args.json:
                print(_synth_summary(r) + ("\n" if args.all else ""), flush=True)
    except synth.SynthesisError as e:
        print(f"edgeforge: synthesis failed: {e}", file=sys.stderr)
        return 2
    if args.all:
        liberty = results[0].liberty
        atomic_write(out / "summary.json", json.dumps(
            {"liberty": liberty, "designs": [r.to_dict() for r in results]}, indent=2) + "\n")
        atomic_write(out / "summary.md", _synth_markdown(results, liberty))
        if not args.json:
            print(f"{out / 'summary.json'}\n{out / 'summary.md'}")
    if args.json:
        data = [r.to_dict() for r in results] if args.all else results[0].to_dict()
        print(json.dumps(data))
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
             f"{slews(d['slew_ns'])}, wire load {d['wire_load']}",
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
    if args.input_slew is not None and args.slew is not None:
        raise UsageError("--input-slew goes with propagated slews; --slew fixes every slew")
    check_top(args.top)
    if not args.scope.strip("/"):
        raise UsageError("--scope must name the netlist's instance in the dump (tb/dut), not "
                         f"{args.scope!r}")
    if args.start is not None and args.end is not None and not args.start < args.end:
        raise UsageError(f"--end ({args.end:g} ns) must be later than --start "
                         f"({args.start:g} ns)")
    lib_path = check_liberty(args.liberty)
    fixed_slew = slew(args.slew)
    for name in ("netlist", "vcd"):
        input_file(getattr(args, name), f"--{name} file")
    start = args.start * 1e-9 if args.start is not None else None
    end = args.end * 1e-9 if args.end is not None else None
    # every failure here is about the files given (NetlistError, ActivityError, PowerError
    # are ValueErrors): one `edgeforge: error:` line
    library = bench.library_for(lib_path)
    # the dump first: a bad one is rejected before the netlist's Yosys run is cached
    activity = act.read_activity(args.vcd, args.scope, start=start, end=end)
    # a run refused for its coverage or its netlist leaves no cache entry behind
    with undo_on_failure(f"{CACHE_DIR}/netlist"):
        netlist = load_netlist(args.netlist, args.top, library, workdir=f"{CACHE_DIR}/netlist")
        res = power.analyse(netlist, library, activity, wire_load=args.wire_load, slew=fixed_slew,
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


def _energy_parser(sub) -> None:
    """``edgeforge energy``: the options every family shares, then each family's."""
    p = sub.add_parser("energy", help="energy per operation from gate-level simulation")
    add_design(p)
    p.add_argument("--liberty", metavar="PATH",
                   help="liberty file (.lib/.lib.gz); default $LIBERTY, PDK_ROOT, else the "
                        "embedded compact sky130_fd_sc_hd")
    p.add_argument("--seed", type=SEED, default=1, help="seed of random workloads (default 1)")
    p.add_argument("--sim", help="icarus or verilator (default: $SIM, else icarus if installed)")
    p.add_argument("--wire-load", choices=("default", "none"), default="default",
                   help="net capacitance: pins plus the library's default wire-load model "
                        "(default) or pins only")
    p.add_argument("--slew", type=real(0.0, 1000.0, above=True, unit=" ns"), metavar="NS",
                   help="one fixed slew for every pin (default: slews propagated from the "
                   "library's transition tables, ideal clock, as OpenSTA)")
    p.add_argument("--json", action="store_true", help="one JSON object")
    _ENERGY_OPTIONS.clear()
    for fam in registry.families().values():
        options = fam.energy_options()
        if not options:
            continue
        group = p.add_argument_group(f"{fam.name} ({fam.title})")
        for opt in options:
            with _plugged(fam, "an energy option"):
                group.add_argument(opt.flag, default=None, **opt.kwargs)
            _ENERGY_OPTIONS.append((fam, opt))


#: (family, option) of every family option of ``energy``, filled by :func:`_energy_parser`.
_ENERGY_OPTIONS: list = []


def _energy_point(args):
    """The design point of ``energy``, its family, its options checked (nothing written)."""
    point = registry.instantiate(args.design, args.param)
    fam = registry.family_of(point)
    if point.design.name not in fam.measures():
        raise UsageError(f"`edgeforge energy` does not measure {point.design.name}; it measures "
                         f"{_names(_energy_designs())}")
    for owner, opt in _ENERGY_OPTIONS:
        if getattr(args, opt.dest) is None:
            continue
        applies = opt.designs or tuple(d.name for d in owner.designs)
        if point.design.name not in applies:
            raise UsageError(f"{opt.flag} is for {_names(applies)}, not {point.design.name}")
    fam.check_energy(point, args)
    return point, fam


def _names(names) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _energy_designs() -> list[str]:
    return [d for fam in registry.families().values() for d in fam.measures()]


def _cmd_energy(args) -> int:
    cache = (CACHE_DIR, "cache directory")
    check_dirs(cache)
    point, fam = _energy_point(args)
    check_liberty(args.liberty)
    options = bench.BenchOptions.make(
        liberty=args.liberty, sim=args.sim, wire_load=args.wire_load, slew=slew(args.slew),
        progress=None if args.json else note)
    make_dirs(cache)
    try:
        record = fam.energy(point, args, options)
    except (bench.EnergyError, synth.SynthesisError) as e:
        print(f"edgeforge: energy failed: {e}", file=sys.stderr)
        return 2
    print(json.dumps(record.to_dict()) if args.json else fam.energy_text(record))
    return 0


def _cmd_report(args) -> int:
    dirs = ((args.output, "-o directory"), (CACHE_DIR, "cache directory"))
    check_dirs(*dirs)
    check_liberty(args.liberty)
    if args.compare_liberty is not None:
        input_file(args.compare_liberty, "--compare-liberty file")
        check_liberty(args.compare_liberty, "--compare-liberty")
    make_dirs(*dirs)
    try:
        out = build_report(Path(args.output), seed=args.seed, liberty=args.liberty,
                           compare_liberty=args.compare_liberty, workers=args.workers,
                           progress=not args.quiet, args=args, spec=args.spec, full=args.full)
    except ReportError as e:
        print(f"edgeforge: report failed: {e}", file=sys.stderr)
        return 2
    print(out)
    return 0


COMMANDS = {"list": _cmd_list, "verilog": _cmd_verilog, "synth": _cmd_synth,
            "energy": _cmd_energy, "power": _cmd_power, "report": _cmd_report,
            "sweep": sweep_cli.cmd_sweep}
#: Subcommands the families add (:meth:`gen.flow.family.Family.add_commands`).
_FAMILY_COMMANDS: dict = {}


def _run(args) -> int:
    if getattr(args, "output", None):  # 'a/../x' is x: nothing is made on the way
        args.output = os.path.normpath(args.output)
    try:
        return {**COMMANDS, **_FAMILY_COMMANDS}[args.command](args)
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
        except (UsageError, ValueError, TypeError) as e:  # a family that cannot plug in
            if os.environ.get("EDGEFORGE_TRACEBACK"):
                raise
            print(f"edgeforge: error: {e}", file=sys.stderr)
            return 2
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
