"""The approx family's command line: ``edgeforge errors``, ``edgeforge verify`` and its part of
``edgeforge energy`` (``--workload``, ``--ops``, the text summary).

Messages are the ones every command prints (one ``edgeforge: error:`` line, exit 2); a failed
RTL verification prints ``edgeforge: verification failed:`` and exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gen.eda.arrays import load_npy
from gen.flow.cli_support import (
    MAX_WORKERS,
    SEED,
    WORKERS,
    UsageError,
    add_design,
    integer,
    progress,
    slews,
)
from gen.flow.design import Instance
from gen.flow.family import EnergyOption, family_of, instantiate
from sim_models.approx import characterise, lut_model
from sim_models.approx.metrics import MAX_SAMPLES

from . import multiplier
from .verify import VerificationError, verify

__all__ = ["add_commands", "energy_options", "check_energy", "energy_text",
           "MAX_VERIFY_SAMPLES"]

#: Random vectors of `verify` (about 8 bytes per vector in memory; minutes of simulation).
MAX_VERIFY_SAMPLES = 1_000_000


def add_commands(sub) -> dict:
    """``errors`` and ``verify`` (argparse subparsers ``sub``); ``{command: handler}``."""
    p = sub.add_parser("errors", help="error metrics of an approximate multiplier or a LUT")
    p.add_argument("design", nargs="?", help="design name; omit with --lut")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--lut", help="a (2^n, 2^n) .npy table of any multiplier")
    p.add_argument("--width", type=integer(2, 12), help="operand width of the LUT (2..12)")
    p.add_argument("--signed", action="store_true", help="LUT operands are two's complement")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--exhaustive", action="store_true", help="all 2^(2n) operand pairs")
    g.add_argument("--samples", type=integer(1, MAX_SAMPLES),
                   help=f"N uniform random pairs (1..{MAX_SAMPLES})")
    p.add_argument("--seed", type=SEED, default=1, help="random seed (default 1)")
    p.add_argument("--workers", type=WORKERS, default=2,
                   help=f"processes for exhaustive runs (1..{MAX_WORKERS})")
    p.add_argument("--json", action="store_true", help="one JSON object")

    p = sub.add_parser("verify", help="simulate the RTL against the golden model")
    add_design(p)
    p.add_argument("--vectors", default="default",
                   choices=("default", "exhaustive", "random", "corners"))
    p.add_argument("--samples", type=integer(1, MAX_VERIFY_SAMPLES), default=100_000,
                   help=f"random pairs (1..{MAX_VERIFY_SAMPLES}, default 100000)")
    p.add_argument("--seed", type=SEED, default=1)
    p.add_argument("--a", type=integer(-(1 << 64), 1 << 64), help="single vector: operand a")
    p.add_argument("--b", type=integer(-(1 << 64), 1 << 64), help="single vector: operand b")
    p.add_argument("--sim", help="icarus or verilator (default: $SIM, else icarus if installed)")
    p.add_argument("--waves", action="store_true", help="record an FST waveform (or WAVES=1)")
    return {"errors": cmd_errors, "verify": cmd_verify}


def require_multiplier(inst: Instance, command: str) -> None:
    """Reject a design of another family in the multiplier-only commands (naming its check).

    Raises
    ------
    UsageError
        ``inst`` is not a multiplier.
    """
    if inst.design.family != "approx":
        where = family_of(inst).rtl_check(inst.design.name)
        raise UsageError(
            f"Design {inst.design.name} is not a multiplier; `edgeforge {command}` covers the "
            "multiplier family only" + (f" (check {inst.design.name} with {where} --help)"
                                        if where else ""))


def _lut_model(args: argparse.Namespace):
    """The model of ``errors --lut`` and its label."""
    if args.design or args.param:
        raise UsageError("--lut takes no design or -p")
    if args.width is None:
        raise UsageError("--lut needs --width N")
    path = Path(args.lut)
    table = load_npy(path, "--lut file")
    try:
        model = lut_model(table, width=args.width, signed=args.signed)
    except (TypeError, ValueError) as e:
        raise UsageError(f"--lut file {path}: {e}") from None
    return model, f"LUT {path.name}"


def _design_model(args: argparse.Namespace):
    """The golden model of ``errors DESIGN -p ...`` and its label."""
    if not args.design:
        raise UsageError("give a design name or --lut FILE")
    if args.width is not None or args.signed:
        raise UsageError("--width and --signed go with --lut; use -p for designs")
    inst = instantiate(args.design, args.param)
    require_multiplier(inst, "errors")
    return inst.model, inst.module


def cmd_errors(args: argparse.Namespace) -> int:
    """``edgeforge errors``: the error metrics of a multiplier's golden model or of a LUT."""
    model, label = _lut_model(args) if args.lut else _design_model(args)
    m = characterise(model, exhaustive=True if args.exhaustive else None, samples=args.samples,
                     seed=args.seed, workers=args.workers,
                     progress=progress(f"{label}: error metrics", "pairs"))
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


def cmd_verify(args: argparse.Namespace) -> int:
    """``edgeforge verify``: the RTL of a multiplier against its golden model (exit 1 on a
    mismatch)."""
    inst = instantiate(args.design, args.param)
    require_multiplier(inst, "verify")
    try:
        r = verify(inst, vectors=args.vectors, samples=args.samples, seed=args.seed, a=args.a,
                   b=args.b, sim=args.sim, waves=args.waves)
    except VerificationError as e:
        print(f"edgeforge: verification failed: {e}", file=sys.stderr)
        return 1
    print(f"{r.module} ({r.sim}): {r.checked} vectors match the golden model [{r.vectors}], "
          f"{r.checked / max(r.seconds, 1e-9):,.0f} vectors/s")
    return 0


# -------------------------------------------------------------------------------------------
# edgeforge energy


def energy_options() -> tuple[EnergyOption, ...]:
    """``--workload`` and ``--ops`` of ``edgeforge energy`` (every multiplier design)."""
    return (
        EnergyOption("--workload", {
            "help": "multipliers: uniform (default), gaussian, or an .npz file with arrays a "
                    "and b"}),
        EnergyOption("--ops", {
            "type": integer(1, multiplier.MAX_OPS),
            "help": "multipliers: operations measured (1..65536, default 4000)"}),
    )


def _ops(args: argparse.Namespace) -> int:
    return multiplier.DEFAULT_OPS if args.ops is None else args.ops


def _workload(args: argparse.Namespace) -> str:
    return "uniform" if args.workload is None else args.workload


def check_energy(point: Instance, args: argparse.Namespace) -> None:
    """A recorded workload is read and checked before anything is written (ValueError)."""
    if _workload(args) not in multiplier.WORKLOADS:
        comp = point.component
        multiplier.make_workload(args.workload, comp.width, comp.signed, _ops(args) + 1,
                                 args.seed)


def energy(point: Instance, args: argparse.Namespace, options):
    """``edgeforge energy`` of a multiplier (:func:`gen.approx.multiplier.measure`)."""
    return multiplier.measure(point, options, workload=_workload(args), ops=_ops(args),
                              seed=args.seed)


def energy_text(r) -> str:
    """The text summary of ``edgeforge energy`` for a multiplier's record."""
    lines = [
        f"{r.module}  [liberty: {r.liberty}]",
        f"  energy/op        {r.energy_per_op_fj:.2f} fJ  (switching {r.switching_fj:.2f}, "
        f"internal {r.internal_fj:.2f}, leakage {r.leakage_fj:.4f})",
        f"  workload         {r.workload_text}; {r.ops} operations, one per "
        f"{r.period_ns:g} ns clock, {r.toggles_per_op:.1f} toggles/op",
        f"  area             {r.area_um2:.2f} um^2 = {r.area_ge:.1f} GE, {r.cells} cells",
        f"  conditions       {r.voltage_v:g} V, {slews(r.slew_ns)}, wire load "
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
