"""The ternary family's command line: the options and texts of ``edgeforge energy`` for the
output-channel units and the engine, and the ``edgeforge digits`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from gen.flow.bench import BenchOptions
from gen.flow.cli_support import PROBABILITY, SEED, UsageError, integer, slews
from gen.flow.design import Instance
from gen.flow.family import EnergyOption
from gen.flow.record import EnergyRecord
from verif import sim as sim_mod

from .digits import train
from .digits_rtl import run_digits_rtl
from .engine import DEFAULT_FRAMES, ENGINE_DESIGN, MAX_FRAMES, check_sweep, sweep_energy
from .ocu import DEFAULT_WINDOWS, MAX_WINDOWS, OCU_DESIGNS, check_ocu, measure_ocu

__all__ = ["energy_options", "check_energy", "energy", "energy_text", "ocu_energy_text",
           "engine_energy_text", "add_digits_parser", "cmd_digits", "CHECKERS"]

#: Where the RTL checks of the family's designs live.
CHECKERS = {"ternary_ocu": "python -m verif.ternary.ocu",
            "binary_ocu": "python -m verif.ternary.ocu --design binary_ocu",
            "ternary_engine": "python -m verif.ternary.engine"}


# -------------------------------------------------------------------------------------------
# edgeforge energy


def energy_options() -> Sequence[EnergyOption]:
    """``--density``, ``--frames`` and ``--windows``."""
    return (
        EnergyOption("--density", {
            "type": PROBABILITY,
            "help": "ternary_ocu, ternary_engine: probability that a trit of the "
                    "windows/frames and weights is 0 (0..1, default 0.5)"},
            ("ternary_ocu", ENGINE_DESIGN)),
        EnergyOption("--frames", {
            "type": integer(1, MAX_FRAMES),
            "help": "ternary_engine: image_width x image_width frames of one n_i -> n_o "
                    f"layer (1..{MAX_FRAMES}, default {DEFAULT_FRAMES})"},
            (ENGINE_DESIGN,)),
        EnergyOption("--windows", {
            "type": integer(16, MAX_WINDOWS),
            "help": f"ternary_ocu/binary_ocu: windows measured (16..{MAX_WINDOWS}, default "
                    f"{DEFAULT_WINDOWS})"},
            OCU_DESIGNS),
    )


def _options(point: Instance, args: argparse.Namespace) -> tuple:
    """``(density, frames or windows, seed)``, checked, with the family's defaults."""
    density, seed = getattr(args, "density", None), args.seed
    if point.design.name == ENGINE_DESIGN:
        frames = getattr(args, "frames", None)
        frames = DEFAULT_FRAMES if frames is None else frames
        return check_sweep(point, density, frames, seed), frames, seed
    windows = getattr(args, "windows", None)
    windows = DEFAULT_WINDOWS if windows is None else windows
    return check_ocu(point, density, windows, seed), windows, seed


def check_energy(point: Instance, args: argparse.Namespace) -> None:
    """Validate the options for ``point`` (ValueError naming the option and its range)."""
    _options(point, args)


def energy(point: Instance, args: argparse.Namespace, options: BenchOptions) -> EnergyRecord:
    """The OCU flow (:func:`gen.ternary.ocu.measure_ocu`) or the engine's sparsity sweep
    (:func:`gen.ternary.engine.sweep_energy`) for ``point``."""
    density, count, seed = _options(point, args)
    if point.design.name == ENGINE_DESIGN:
        return sweep_energy(point, density, count, seed, options)
    return measure_ocu(point, density, count, seed, options)


def energy_text(r) -> str:
    """What ``edgeforge energy`` prints for a record of the family."""
    return engine_energy_text(r) if "frames" in r.extra else ocu_energy_text(r)


def ocu_energy_text(r) -> str:
    """The text of an OCU record (:func:`gen.ternary.ocu.ocu_energy`)."""
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
        f"  conditions       {r.voltage_v:g} V, {slews(r.slew_ns)}, wire load "
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


def engine_energy_text(r) -> str:
    """The text of an engine sweep record (:func:`gen.ternary.engine.engine_energy`)."""
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
        f"  conditions       {r.voltage_v:g} V, {slews(r.slew_ns)}, wire load "
        f"{r.wire_load}; gate-level simulation ({r.sim}): {r.checked_pixels} output pixels "
        "matched the golden model",
        "  limits           " + "; ".join(r.limits),
    ]
    return "\n".join(lines)


# -------------------------------------------------------------------------------------------
# edgeforge digits


def add_digits_parser(sub) -> None:
    """The ``digits`` subcommand's parser."""
    p = sub.add_parser("digits", help="the ternary digits CNN: float and ternary accuracy, "
                       "then its test images through the engine's RTL")
    p.add_argument("--images", type=integer(1, 539), default=None,
                   help="first N test images through the RTL (1..539, default all 539)")
    p.add_argument("--golden-only", action="store_true",
                   help="train (or load) and report the float and golden accuracies only")
    p.add_argument("--seed", type=SEED, default=1, help="seed of the training (default 1)")
    p.add_argument("--sim", help="icarus or verilator (default: $SIM, else icarus if installed)")
    p.add_argument("--json", action="store_true", help="one JSON object")


def _golden_only(args) -> int:
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


def cmd_digits(args) -> int:
    """``edgeforge digits``: train (or load) the network, then its test images through the
    engine's RTL; exit 1 when the RTL differs from the golden model, 2 on a failed run."""
    if args.golden_only and args.images is not None:
        raise UsageError("--images is for the RTL run, not with --golden-only")
    if args.golden_only:
        return _golden_only(args)

    def progress(text: str) -> None:
        if not args.json:
            print(f"  .. {text}", file=sys.stderr, flush=True)

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
